package web

// The search page: results, facets, the date histogram and query errors.

import (
	"errors"
	"fmt"
	"html/template"
	"maps"
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
	// Expanded: the facet shows up to engine.MaxFacetSize values (the
	// "more" parameter); MoreURL shows them, LessURL goes back to the
	// first uiFacetSize. Filter is the text the facet's filter box
	// narrowed the values to; State the search's fields, which its form
	// sends back.
	Expanded         bool
	MoreURL, LessURL string
	Filter           string
	State            []hiddenField
	// FocusMore, FocusFilter: the page came from this facet's "show
	// more"/"show fewer" link or its filter box; the focus goes back there.
	FocusMore, FocusFilter bool
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
	From, To              string // the bar's dates, for the brush
	Empty                 bool   // no match: drawn, but no link and no tab stop
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
	State        searchState
	Sort         string
	Browsing     bool // no query: newest first
	Total        uint64
	TookMS       float64
	Hits         []hitView
	Facets       []facetGroupView
	Active       []chipView
	ClearURL     string
	MoreURL      string
	FirstPageURL string
	PrevURL      string
	// RangeFirst and RangeLast number the hits shown ("21–40 of 452");
	// 0 when the page number is not known.
	RangeFirst, RangeLast int
	// Dates are the relative time picker's choices; Relative is set when
	// the range is one of them (or other date math), so the date fields
	// stay empty.
	Dates    []dateChoice
	Relative bool
	// BrushURL is this search without dates: the histogram's brush adds
	// from and to to it.
	BrushURL       string
	SaveURL        string // the saved-search form, prefilled with this search
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

type dateChoice struct {
	Label, URL string
	Current    bool
}

// relativeRanges are the time picker's choices: the label, and from as
// date math relative to the time of each search (so a saved search or a
// link keeps meaning "the last 7 days").
var relativeRanges = []struct{ from, label string }{
	{"now-24h", "Last 24 hours"},
	{"now-7d", "Last 7 days"},
	{"now-30d", "Last 30 days"},
}

// dateLabel is how the active-filter chip names a date range.
func dateLabel(from, to string) string {
	if to == "" {
		for _, r := range relativeRanges {
			if r.from == from {
				return strings.ToLower(r.label[:1]) + r.label[1:]
			}
		}
	}
	switch {
	case from == "":
		return "until " + to
	case to == "":
		return "since " + from
	}
	return from + " – " + to
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
		v.Active = append(v.Active, chipView{Kind: "date", Label: dateLabel(st.From, st.To), URL: st.with(func(n *searchState) { n.From, n.To = "", "" }).url()})
	}
	v.Relative = isRelativeDate(st.From) || isRelativeDate(st.To)
	noDates := st.with(func(n *searchState) { n.From, n.To = "", "" })
	v.BrushURL = noDates.url()
	v.Dates = append(v.Dates, dateChoice{Label: "Any time", URL: noDates.url(), Current: st.From == "" && st.To == ""})
	for _, r := range relativeRanges {
		v.Dates = append(v.Dates, dateChoice{Label: r.label, URL: st.with(func(n *searchState) { n.From, n.To = r.from, "" }).url(), Current: st.From == r.from && st.To == ""})
	}
	v.SaveURL = "/saved?" + st.with(nil).values().Encode()
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
		p.Sort, p.Size, p.FacetSize = v.Sort, uiPageSize, uiFacetSize+1 // one more: is there more to show?
		if ui := facetUI(c.QueryParams()); len(ui.more) > 0 || len(ui.filter) > 0 {
			p.FacetSize = engine.MaxFacetSize
		}
		// One hit per story, unless the page lists a story's copies.
		p.Collapse = !st.Copies
		p.Histogram = st.Cursor == ""
		var res *engine.SearchResult
		ctx, cancel := s.searchContext(c)
		defer cancel()
		if res, err = s.eng.Search(ctx, p); err == nil {
			s.fillResults(v, st, res, focus, facetUI(c.QueryParams()))
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

// facetState is how the page shows each facet: expanded ("more", up to
// engine.MaxFacetSize values) and narrowed by its filter box ("fq.<param>").
type facetState struct {
	more   map[string]bool
	filter map[string]string
}

func facetUI(q url.Values) facetState {
	f := facetState{more: map[string]bool{}, filter: map[string]string{}}
	for _, k := range facetKinds {
		if slices.Contains(q["more"], k.param) {
			f.more[k.param] = true
		}
		if x := strings.TrimSpace(q.Get("fq." + k.param)); x != "" && len(x) <= 200 {
			f.filter[k.param] = x
		}
	}
	return f
}

// matchesFilter reports whether a facet value contains the filter text,
// ignoring case and accents as the filters do.
func matchesFilter(value, filter string) bool {
	return strings.Contains(engine.FoldFacet(value), engine.FoldFacet(filter))
}

func (s *Server) fillResults(v *searchView, st searchState, res *engine.SearchResult, focus string, fu facetState) {
	v.Total, v.TookMS = res.Total, res.TookMS
	if st.Page >= 1 && len(res.Hits) > 0 {
		v.RangeFirst = (st.Page-1)*uiPageSize + 1
		v.RangeLast = v.RangeFirst + len(res.Hits) - 1
	}
	stateFields := hiddenFields(st.with(nil))
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
		g := facetGroupView{Param: k.param, Label: k.label, Expanded: fu.more[k.param], Filter: fu.filter[k.param], State: stateFields}
		sel := *st.list(k.param)
		seen := map[string]bool{} // folded: a selected "russia" is the listed "Russia"
		vals := res.Facets[k.facet]
		limit := uiFacetSize
		if g.Expanded || g.Filter != "" {
			limit = engine.MaxFacetSize
		}
		if g.Filter != "" {
			vals = slices.DeleteFunc(slices.Clone(vals), func(fv engine.FacetValue) bool { return !matchesFilter(fv.Value, g.Filter) })
		}
		if len(vals) > limit {
			vals = vals[:limit]
			if !g.Expanded {
				g.MoreURL = focusParam(st.url()+moreSep(st)+"more="+url.QueryEscape(k.param), "more:"+k.param)
			}
		}
		if g.Expanded {
			g.LessURL = focusParam(st.url(), "more:"+k.param)
		}
		g.FocusMore, g.FocusFilter = focus == "more:"+k.param, focus == "filter:"+k.param
		if g.FocusMore || g.FocusFilter {
			v.RefineOpen = true
		}
		for _, fv := range vals {
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
		v.MoreURL = focusParam(st.next(res.NextCursor).url(), "results")
	}
	if p, ok := st.previous(); ok {
		v.PrevURL = focusParam(p.url(), "results")
		if p.Cursor != "" {
			v.FirstPageURL = focusParam(st.with(nil).url(), "results")
		}
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
			Label: label, Count: b.Count, From: from, To: to,
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

// moreSep joins a parameter to a search page URL.
func moreSep(st searchState) string {
	if strings.Contains(st.url(), "?") {
		return "&"
	}
	return "?"
}

// hiddenFields are the fields of a search state, for a form that sends
// the search back with one more parameter (a facet's filter box).
func hiddenFields(st searchState) []hiddenField {
	v := st.values()
	keys := slices.Sorted(maps.Keys(v))
	var out []hiddenField
	for _, k := range keys {
		for _, x := range v[k] {
			out = append(out, hiddenField{k, x})
		}
	}
	return out
}
