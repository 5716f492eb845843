package web

// The search page: results, facets, the date histogram and query errors.

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

type chipView struct {
	Kind, Label, URL string
	// Minor marks a country the hit mentions but is not about: shown
	// after the main ones, lighter.
	Minor bool
}

type facetValueView struct {
	Value    string
	Count    int
	Selected bool
	URL      string
	Focus    bool // the link the user just followed: focused on load
}

type facetGroupView struct {
	Param, Label string
	Values       []facetValueView
}

type hitView struct {
	URL, Title, Source string
	Lang               string // BCP 47, "" when unknown
	Date               time.Time
	// Snippet is HTML: the engine's snippet escapes all article text and
	// adds only <mark> tags (index.Highlighter.Snippet), so it is safe to
	// render as is. Nothing else may be put in a template.HTML here.
	Snippet template.HTML
	Chips   []chipView
	// AlsoIn names the story's other sources ("Reuters, AP, +18"), and
	// CopiesURL lists every copy; both empty for a story of one copy.
	AlsoIn, CopiesURL string
}

type barView struct {
	Label, URL, AriaLabel string
	Empty                 bool // no match: drawn, but no link and no tab stop
	Count                 int
	X, Y, W, H            float64
	Active                bool
}

type histView struct {
	Unit        string
	Bars        []barView
	Width, Max  int
	FirstLabel  string
	LastLabel   string
	Height      int
	LabelHeight int
}

type queryErrorView struct {
	Heading  string // "Query syntax error" or "Query too broad"
	Message  string
	Query    string // the query with line breaks as spaces
	Before   string
	At       string
	After    string
	Column   int // 1-based, in characters
	CaretPad string
}

type searchView struct {
	State          searchState
	Sort           string
	Browsing       bool // no query: newest first
	Total          uint64
	TookMS         float64
	Hits           []hitView
	Facets         []facetGroupView
	Active         []chipView
	ClearURL       string
	MoreURL        string
	FirstPageURL   string
	AlertURL       string
	ExportCSV      string // every hit of this search, as a file (web/export.go)
	ExportNDJSON   string
	Hist           *histView
	QueryError     *queryErrorView
	Error          string
	HasFilters     bool
	SortOptions    []sortOption
	CurrentURL     string
	SelectedFilter []hiddenField
	// RefineOpen sends the Refine panel unfolded on narrow screens (it is
	// a sidebar on wide ones whatever this says): when the focus returns
	// to one of its facets.
	RefineOpen bool
	// FocusResults and FocusSort put the focus back where the user was
	// after the page reloads (the focus parameter; see focusParam).
	FocusResults, FocusSort bool
	// Empty: the index holds no article at all (a fresh install), so
	// the page shows how to add some instead of "no matches".
	Empty *emptyView
}

// emptyView is the first-run help of an empty index.
type emptyView struct {
	Server string // this server's base URL, for the commands shown
}

type sortOption struct {
	Value, Label string
	Selected     bool
}

func (s *Server) handleSearchPage(c echo.Context) error {
	st := stateFrom(c.QueryParams())
	v := &searchView{State: st, ClearURL: st.with(func(n *searchState) {
		n.Speakers, n.Countries, n.Topics, n.Sources, n.Languages, n.MainCountries, n.From, n.To = nil, nil, nil, nil, nil, nil, "", ""
	}).url()}
	v.CurrentURL = st.url()
	// The default order ("" in the URL) is relevance, or newest first
	// when browsing without a query (every article scores the same then).
	// The form sends "" for it, so a query typed on the browse page is
	// ranked by relevance.
	v.Sort = st.Sort
	if v.Sort == "" || v.Sort == engine.SortRelevance {
		v.Sort = engine.SortRelevance
		if strings.TrimSpace(st.Q) == "" {
			v.Sort = engine.SortNewest
			v.Browsing = true
		}
	}
	for _, o := range [][2]string{{"", "Relevance"}, {engine.SortNewest, "Newest first"}, {engine.SortOldest, "Oldest first"}} {
		sel := o[0] == st.Sort || (o[0] == "" && (st.Sort == "" || st.Sort == engine.SortRelevance))
		v.SortOptions = append(v.SortOptions, sortOption{Value: o[0], Label: o[1], Selected: sel})
	}
	for _, k := range facetKinds {
		st2 := st
		for _, x := range *st2.list(k.param) {
			v.Active = append(v.Active, chipView{Kind: k.param, Label: x, URL: st.toggle(k.param, x).url()})
			v.SelectedFilter = append(v.SelectedFilter, hiddenField{k.param, x})
		}
	}
	if st.From != "" || st.To != "" {
		label := st.From + " – " + st.To
		if st.From == "" {
			label = "until " + st.To
		} else if st.To == "" {
			label = "since " + st.From
		}
		v.Active = append(v.Active, chipView{Kind: "date", Label: label, URL: st.with(func(n *searchState) { n.From, n.To = "", "" }).url()})
	}
	v.HasFilters = len(v.Active) > 0
	alert := url.Values{}
	if st.Q != "" {
		alert.Set("q", st.Q)
	}
	for _, f := range v.SelectedFilter {
		alert.Add(f.Name, f.Value)
	}
	v.AlertURL = "/alerts/new"
	if enc := alert.Encode(); enc != "" {
		v.AlertURL += "?" + enc
	}
	v.ExportCSV, v.ExportNDJSON = exportURL(st, "csv"), exportURL(st, "ndjson")

	focus := c.QueryParam("focus")
	v.FocusResults, v.FocusSort = focus == "results", focus == "sort"
	status := http.StatusOK
	p, err := searchParams(c.QueryParams())
	if err == nil {
		p.Sort, p.Size, p.FacetSize = v.Sort, uiPageSize, uiFacetSize
		// One hit per story, unless the page lists a story's copies.
		p.Collapse = !st.Copies
		p.Histogram = st.Cursor == ""
		var res *engine.SearchResult
		ctx, cancel := s.searchContext(c)
		defer cancel()
		if res, err = s.eng.Search(ctx, p); err == nil {
			s.fillResults(v, st, res, focus)
			if res.Histogram != nil {
				v.Hist = histogramView(res.Histogram, st)
			}
			if res.Total == 0 {
				v.Empty, err = s.emptyIndex(c)
			}
		}
	}
	if err != nil {
		var ne *news.Error
		if !errors.As(err, &ne) {
			return err
		}
		status, _ = toErrorBody(err)
		if ne.Code == news.ECodeQuerySyntax || ne.Code == news.ECodeQueryBroad {
			v.QueryError = queryErrorOf(st.Q, ne)
		} else {
			v.Error = ne.Message
		}
	}
	title := "Search"
	if st.Q != "" {
		title = st.Q + " – Search"
	}
	return s.render(c, status, "search", pageData{Title: title, Nav: "search", Body: v})
}

// emptyIndex returns the first-run help when the index holds no article
// at all, and nil when it has some (the search just matched none).
func (s *Server) emptyIndex(c echo.Context) (*emptyView, error) {
	n, err := s.eng.DocCount(c.Request().Context())
	if err != nil || n > 0 {
		return nil, err
	}
	scheme := "http"
	if s.secureRequest(c) {
		scheme = "https"
	}
	return &emptyView{Server: scheme + "://" + c.Request().Host}, nil
}

// focusParam adds the focus parameter to a search page URL: the page it
// leads to autofocuses that control (a facet value, "results" or "sort"),
// so a keyboard user goes on from where they were, without a script.
func focusParam(u, focus string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "focus=" + url.QueryEscape(focus)
}

// uiAlsoSources is how many other sources a collapsed hit names.
const uiAlsoSources = 2

// alsoIn is "Reuters, AP, +18": the story's other sources, then how many
// more copies it has.
func alsoIn(own string, st *engine.HitStory) string {
	var names []string
	for _, src := range st.Sources {
		if src != own && len(names) < uiAlsoSources {
			names = append(names, src)
		}
	}
	if rest := st.Copies - 1 - len(names); rest > 0 {
		names = append(names, fmt.Sprintf("+%d", rest))
	}
	return strings.Join(names, ", ")
}

// facetFocus is the focus parameter of a facet value's link.
func facetFocus(kind, value string) string { return "facet:" + kind + ":" + value }

func (s *Server) fillResults(v *searchView, st searchState, res *engine.SearchResult, focus string) {
	v.Total, v.TookMS = res.Total, res.TookMS
	for _, h := range res.Hits {
		hv := hitView{
			URL: articleURL(h.ID, st), Title: h.Title, Source: h.Source, Date: h.Date, Lang: h.Language,
			Snippet: template.HTML(h.Snippet), // escaped by the engine; see hitView
		}
		if h.Story != nil && h.Story.Copies > 1 {
			hv.AlsoIn, hv.CopiesURL = alsoIn(h.Source, h.Story), searchState{Q: "story:" + h.Story.ID, Sort: "oldest", Copies: true}.url()
		}
		for _, k := range []struct {
			param string
			vals  []string
		}{{"speaker", h.Speakers}, {"country", h.Countries}, {"topic", h.Topics}} {
			for i, x := range k.vals {
				if i == uiChipsPerKind {
					break
				}
				u := st.with(nil).url() // already a filter: the first page
				if !contains(*st.list(k.param), x) {
					u = st.toggle(k.param, x).url()
				}
				minor := k.param == "country" && !slices.Contains(h.MainCountries, x)
				hv.Chips = append(hv.Chips, chipView{Kind: k.param, Label: x, URL: u, Minor: minor})
			}
		}
		v.Hits = append(v.Hits, hv)
	}
	for _, k := range facetKinds {
		g := facetGroupView{Param: k.param, Label: k.label}
		sel := *st.list(k.param)
		seen := map[string]bool{} // folded: a selected "russia" is the listed "Russia"
		for _, fv := range res.Facets[k.facet] {
			seen[engine.FoldFacet(fv.Value)] = true
			g.Values = append(g.Values, facetValueView{Value: fv.Value, Count: fv.Count, Selected: contains(sel, fv.Value), URL: focusParam(st.toggle(k.param, fv.Value).url(), facetFocus(k.param, fv.Value))})
		}
		for _, x := range sel {
			if !seen[engine.FoldFacet(x)] {
				g.Values = append(g.Values, facetValueView{Value: x, Count: -1, Selected: true, URL: focusParam(st.toggle(k.param, x).url(), facetFocus(k.param, x))})
			}
		}
		for i := range g.Values {
			if facetFocus(k.param, g.Values[i].Value) == focus {
				g.Values[i].Focus, v.RefineOpen = true, true
			}
		}
		v.Facets = append(v.Facets, g)
	}
	if res.NextCursor != "" {
		n := st.with(nil)
		n.Cursor = res.NextCursor
		v.MoreURL = focusParam(n.url(), "results")
	}
	if st.Cursor != "" {
		v.FirstPageURL = focusParam(st.with(nil).url(), "results")
	}
}

func histogramView(h *engine.Histogram, st searchState) *histView {
	if h == nil || len(h.Buckets) < 2 {
		return nil
	}
	const height, gap = 48.0, 2.0
	barW := 14.0
	if len(h.Buckets) > 24 {
		barW = 8
	}
	hv := &histView{Unit: h.Unit, Height: int(height), LabelHeight: 14}
	for _, b := range h.Buckets {
		hv.Max = max(hv.Max, b.Count)
	}
	if hv.Max == 0 {
		return nil
	}
	layout := "Jan 2006"
	if h.Unit == "year" {
		layout = "2006"
	}
	for i, b := range h.Buckets {
		from := b.Start.Format("2006-01-02")
		to := b.End.AddDate(0, 0, -1).Format("2006-01-02")
		bh := 0.0
		if b.Count > 0 {
			bh = max(2, height*float64(b.Count)/float64(hv.Max))
		}
		label := b.Start.Format(layout)
		bar := barView{
			Label: label, Count: b.Count,
			URL: st.with(func(n *searchState) { n.From, n.To = from, to }).url(),
			X:   float64(i) * (barW + gap), W: barW, Y: height - bh, H: bh,
			Active: st.From == from && st.To == to,
			Empty:  b.Count == 0,
		}
		noun := "matches"
		if b.Count == 1 {
			noun = "match"
		}
		bar.AriaLabel = fmt.Sprintf("%s: %d %s", label, b.Count, noun)
		hv.Bars = append(hv.Bars, bar)
	}
	hv.Width = int(float64(len(h.Buckets))*(barW+gap) - gap)
	hv.FirstLabel = hv.Bars[0].Label
	hv.LastLabel = hv.Bars[len(hv.Bars)-1].Label
	return hv
}

// bytePosition is a position in a parser message ("opened at 11"): a
// 0-based byte offset, as in the API's error position.
var bytePosition = regexp.MustCompile(`\bat (\d+)\b`)

// characterPositions rewords a message's byte offsets into q as the page
// counts: "at character N", 1-based in characters, as the caret line and
// its screen-reader text say.
func characterPositions(msg, q string) string {
	return bytePosition.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(m[len("at "):])
		if err != nil || n < 0 || n > len(q) {
			return m
		}
		return fmt.Sprintf("at character %d", utf8.RuneCountInString(q[:n])+1)
	})
}

// queryErrorOf echoes the query with a marker at the error's byte
// position (converted to characters for the caret line).
func queryErrorOf(q string, ne *news.Error) *queryErrorView {
	flat := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, q)
	v := &queryErrorView{Heading: "Query syntax error", Message: ne.Message, Query: flat}
	if ne.Code == news.ECodeQueryBroad {
		v.Heading = "Query too broad"
	}
	if ne.Position == nil {
		return v
	}
	pos := min(max(*ne.Position, 0), len(flat))
	for pos > 0 && pos < len(flat) && !utf8.RuneStart(flat[pos]) {
		pos--
	}
	v.Message = characterPositions(ne.Message, flat)
	v.Before = flat[:pos]
	rest := flat[pos:]
	if rest != "" {
		_, n := utf8.DecodeRuneInString(rest)
		v.At, v.After = rest[:n], rest[n:]
	}
	col := utf8.RuneCountInString(v.Before)
	v.Column = col + 1
	v.CaretPad = strings.Repeat(" ", col)
	return v
}

// exportURL is the page route of the export of st's search: its query,
// filters and dates, in date order (a relevance sort becomes newest
// first), without the page cursor.
func exportURL(st searchState, format string) string {
	st.Cursor = ""
	if st.Sort != "newest" && st.Sort != "oldest" {
		st.Sort = ""
	}
	v := st.values()
	v.Set("format", format)
	return "/export?" + v.Encode()
}
