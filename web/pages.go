package web

// The server-rendered UI: the search page, the article page, the login
// form used under --private, and the alert and feed page shells whose
// dynamic parts are filled in by /static/alerts.js and /static/feeds.js
// from the JSON API. Templates and
// static files are embedded; every page state lives in the URL.

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"golang.org/x/time/rate"
)

//go:embed ui/templates/*.html
var templateFS embed.FS

//go:embed ui/static
var staticFS embed.FS

// UI sizes.
const (
	uiPageSize  = 20
	uiFacetSize = 12
	// uiChipsPerKind bounds the entity chips of a hit per kind, so a hit
	// stays readable and the page light; the article page shows them all.
	uiChipsPerKind = 3
)

// sessionCookie holds, under --private, the id of a session the login
// form started (web/session.go): random, kept in server memory, revoked by
// signing out.
const sessionCookie = "ww_session"

type asset struct {
	body  []byte
	ctype string
	etag  string
}

// ui holds the parsed templates and the static files.
type ui struct {
	pages   map[string]*template.Template
	assets  map[string]asset
	version string // hash of all static files, for cache busting
}

// loadedUI parses the embedded templates once. They are part of the
// binary, so an error is a programming error that the tests catch.
var loadedUI = sync.OnceValue(func() *ui {
	u, err := newUI()
	if err != nil {
		panic(err)
	}
	return u
})

func newUI() (*ui, error) {
	u := &ui{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	all := sha256.New()
	err := fs.WalkDir(staticFS, "ui/static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		all.Write(sum[:])
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		u.assets[path.Base(p)] = asset{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: ui static files: %w", err)
	}
	u.version = hex.EncodeToString(all.Sum(nil)[:6])
	funcs := template.FuncMap{
		"asset": func(name string) string { return "/static/" + name + "?v=" + u.version },
		"date":  func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"isodate": func(t time.Time) string {
			return t.UTC().Format("2006-01-02")
		},
	}
	names, err := fs.Glob(templateFS, "ui/templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "ui/templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: ui template %s: %w", base, err)
		}
		u.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return u, nil
}

// pageData is what every page template gets.
type pageData struct {
	Title    string
	Nav      string // "search", "alerts" or "feeds": the current section
	SignedIn bool   // --private and the session cookie is valid: show "Sign out"
	Held     string // why the schedulers are held (a restored store); "" when not
	Body     any
}

// render executes a page into a buffer first, so a template error is a
// clean 500 and never half a page.
func (s *Server) render(c echo.Context, status int, page string, d pageData) error {
	t := loadedUI().pages[page]
	if t == nil {
		return fmt.Errorf("web: no page %q", page)
	}
	d.SignedIn = s.cfg.Private && page != "login" && s.uiAuthorized(c)
	if held, reason := s.cfg.Hold.Held(); held && page != "login" {
		d.Held = reason
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// uiRoutes wires the pages and static files. Pages go through uiAuth,
// which under --private accepts the session cookie set by the login form
// (or a bearer token) and otherwise shows the login form.
func (s *Server) uiRoutes() {
	loadedUI()
	e := s.e
	auth := s.uiAuth
	e.GET("/static/:name", s.handleStatic)
	e.GET("/login", s.handleLoginPage)
	e.POST("/login", s.handleLogin,
		s.perClientLimit(rate.Every(loginEvery), loginBurst, "sign-in attempts"), LimitBody(LoginBodyLimit))
	e.POST("/logout", s.handleLogout)
	e.GET("/", s.handleSearchPage, s.readLimiter, auth)
	e.GET("/articles/:id", s.handleArticlePage, auth)
	e.GET("/alerts", s.handleAlertsPage, auth)
	e.GET("/alerts/new", s.handleAlertNewPage, auth)
	e.GET("/alerts/:id", s.handleAlertPage, auth)
	e.GET("/feeds", s.handleFeedsPage, auth)
}

func (s *Server) handleStatic(c echo.Context) error {
	a, ok := loadedUI().assets[c.Param("name")]
	if !ok {
		return news.Errorf(news.ECodeNotFound, "no such file")
	}
	h := c.Response().Header()
	if c.QueryParam("v") == loadedUI().version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", a.etag)
	if c.Request().Header.Get("If-None-Match") == a.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, a.ctype, a.body)
}

// ---- token for server-rendered reads under --private ----

// uiAuthorized reports whether the request may read pages.
func (s *Server) uiAuthorized(c echo.Context) bool {
	if !s.cfg.Private {
		return true
	}
	if ck, err := c.Cookie(sessionCookie); err == nil && s.sessions.valid(ck.Value) {
		return true
	}
	if tok, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer "); ok {
		return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.cfg.Token)) == 1
	}
	return false
}

// uiAuth is the read middleware of the UI routes.
func (s *Server) uiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.uiAuthorized(c) {
			return next(c)
		}
		return s.renderLogin(c, http.StatusUnauthorized, c.Request().URL.RequestURI(), "")
	}
}

type loginView struct {
	Next    string
	Message string
	Needed  bool
}

func (s *Server) renderLogin(c echo.Context, status int, next, msg string) error {
	return s.render(c, status, "login", pageData{Title: "Sign in", Body: loginView{Next: localPath(next), Message: msg, Needed: s.cfg.Private}})
}

func (s *Server) handleLoginPage(c echo.Context) error {
	return s.renderLogin(c, http.StatusOK, c.QueryParam("next"), "")
}

// handleLogin trades the token for a session. The route caps the body
// (LoginBodyLimit) and rate-limits attempts per client; only the form
// body is read, never the query string.
func (s *Server) handleLogin(c echo.Context) error {
	req := c.Request()
	if err := req.ParseForm(); err != nil {
		return news.Errorf(news.ECodeBadRequest, "reading the sign-in form: %v", err)
	}
	next := localPath(req.PostForm.Get("next"))
	tok := strings.TrimSpace(req.PostForm.Get("token"))
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) != 1 {
		msg := "That token is not valid. It is the write token printed when the server first started (also in <data>/token)."
		if tok == "" {
			msg = "Enter the token."
		}
		return s.renderLogin(c, http.StatusUnauthorized, next, msg)
	}
	if ck, err := c.Cookie(sessionCookie); err == nil {
		s.sessions.revoke(ck.Value) // signing in again replaces the session
	}
	id, err := s.sessions.create()
	if err != nil {
		return err
	}
	c.SetCookie(s.newSessionCookie(c, id, 0))
	return c.Redirect(http.StatusSeeOther, next)
}

// handleLogout revokes the session, so its cookie is worthless even if
// kept or copied, and tells the browser to drop it.
func (s *Server) handleLogout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		s.sessions.revoke(ck.Value)
	}
	c.SetCookie(s.newSessionCookie(c, "", -1))
	return c.Redirect(http.StatusSeeOther, "/login")
}

// newSessionCookie is the session cookie: HttpOnly, SameSite=Strict,
// Secure when the client came over HTTPS (secureRequest), and without
// Max-Age, so the browser drops it when it closes (the server forgets the
// session after SessionTTL anyway).
func (s *Server) newSessionCookie(c echo.Context, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secureRequest(c),
	}
}

// ---- search page ----

// searchState is everything a search page shows, as it sits in the URL.
type searchState struct {
	Q                                    string
	Speakers, Countries, Topics, Sources []string
	From, To, Sort, Cursor               string
}

func stateFrom(v url.Values) searchState {
	return searchState{
		Q: v.Get("q"), Speakers: values(v, "speaker"), Countries: values(v, "country"),
		Topics: values(v, "topic"), Sources: values(v, "source"),
		From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
		Sort: v.Get("sort"), Cursor: v.Get("cursor"),
	}
}

func (st searchState) values() url.Values {
	v := url.Values{}
	if st.Q != "" {
		v.Set("q", st.Q)
	}
	for _, f := range []struct {
		key  string
		vals []string
	}{{"speaker", st.Speakers}, {"country", st.Countries}, {"topic", st.Topics}, {"source", st.Sources}} {
		for _, x := range f.vals {
			v.Add(f.key, x)
		}
	}
	for k, x := range map[string]string{"from": st.From, "to": st.To, "sort": st.Sort, "cursor": st.Cursor} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// url is the search page URL for this state.
func (st searchState) url() string {
	if enc := st.values().Encode(); enc != "" {
		return "/?" + enc
	}
	return "/"
}

// with returns a copy, changed by fn, on the first page.
func (st searchState) with(fn func(*searchState)) searchState {
	n := st
	n.Speakers = append([]string(nil), st.Speakers...)
	n.Countries = append([]string(nil), st.Countries...)
	n.Topics = append([]string(nil), st.Topics...)
	n.Sources = append([]string(nil), st.Sources...)
	n.Cursor = ""
	if fn != nil {
		fn(&n)
	}
	return n
}

// list returns the filter list for a parameter name.
func (st *searchState) list(key string) *[]string {
	switch key {
	case "speaker":
		return &st.Speakers
	case "country":
		return &st.Countries
	case "topic":
		return &st.Topics
	default:
		return &st.Sources
	}
}

// contains reports whether a filter list holds v, or a value a filter
// takes for it (index.FoldFacet: "russia" for "Russia").
func contains(list []string, v string) bool {
	fv := index.FoldFacet(v)
	for _, x := range list {
		if x == v || index.FoldFacet(x) == fv {
			return true
		}
	}
	return false
}

// without removes v and the values a filter takes for it from a list.
func without(list []string, v string) []string {
	fv := index.FoldFacet(v)
	out := list[:0:0]
	for _, x := range list {
		if x != v && index.FoldFacet(x) != fv {
			out = append(out, x)
		}
	}
	return out
}

// toggle adds or removes one filter value.
func (st searchState) toggle(key, v string) searchState {
	return st.with(func(n *searchState) {
		l := n.list(key)
		if contains(*l, v) {
			*l = without(*l, v)
		} else {
			*l = append(*l, v)
		}
	})
}

// facetKinds maps API facet names to URL parameters and labels.
var facetKinds = []struct{ facet, param, label string }{
	{"speakers", "speaker", "Speakers"},
	{"countries", "country", "Countries"},
	{"topics", "topic", "Topics"},
	{"sources", "source", "Sources"},
}

type chipView struct {
	Kind, Label, URL string
}

type facetValueView struct {
	Value    string
	Count    int
	Selected bool
	URL      string
}

type facetGroupView struct {
	Param, Label string
	Values       []facetValueView
}

type hitView struct {
	URL, Title, Source string
	Date               time.Time
	// Snippet is HTML: the engine's snippet escapes all article text and
	// adds only <mark> tags (index.Highlighter.Snippet), so it is safe to
	// render as is. Nothing else may be put in a template.HTML here.
	Snippet template.HTML
	Chips   []chipView
}

type barView struct {
	Label, URL, AriaLabel string
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
	Hist           *histView
	QueryError     *queryErrorView
	Error          string
	HasFilters     bool
	SortOptions    []sortOption
	CurrentURL     string
	SelectedFilter []hiddenField
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

type hiddenField struct{ Name, Value string }

// articleURL links to an article page, carrying the whole search state:
// the query for highlighting, and the query, filters, dates, sort and
// page (cursor) for "Back to results".
func articleURL(id string, st searchState) string {
	u := "/articles/" + url.PathEscape(id)
	if strings.TrimSpace(st.Q) == "" {
		st.Q = ""
	}
	if enc := st.values().Encode(); enc != "" {
		u += "?" + enc
	}
	return u
}

func (s *Server) handleSearchPage(c echo.Context) error {
	st := stateFrom(c.QueryParams())
	v := &searchView{State: st, ClearURL: st.with(func(n *searchState) {
		n.Speakers, n.Countries, n.Topics, n.Sources, n.From, n.To = nil, nil, nil, nil, "", ""
	}).url()}
	v.CurrentURL = st.url()
	// The default order ("" in the URL) is relevance, or newest first
	// when browsing without a query (every article scores the same then).
	// The form sends "" for it, so a query typed on the browse page is
	// ranked by relevance.
	v.Sort = st.Sort
	if v.Sort == "" || v.Sort == index.SortRelevance {
		v.Sort = index.SortRelevance
		if strings.TrimSpace(st.Q) == "" {
			v.Sort = index.SortNewest
			v.Browsing = true
		}
	}
	for _, o := range [][2]string{{"", "Relevance"}, {index.SortNewest, "Newest first"}, {index.SortOldest, "Oldest first"}} {
		sel := o[0] == st.Sort || (o[0] == "" && (st.Sort == "" || st.Sort == index.SortRelevance))
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

	status := http.StatusOK
	p, err := searchParams(c.QueryParams())
	if err == nil {
		p.Sort, p.Size, p.FacetSize = v.Sort, uiPageSize, uiFacetSize
		p.Histogram = st.Cursor == ""
		var res *engine.SearchResult
		ctx, cancel := s.searchContext(c)
		defer cancel()
		if res, err = s.eng.Search(ctx, p); err == nil {
			s.fillResults(v, st, res)
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
	n, err := s.eng.Index().DocCount()
	if err != nil || n > 0 {
		return nil, err
	}
	scheme := "http"
	if s.secureRequest(c) {
		scheme = "https"
	}
	return &emptyView{Server: scheme + "://" + c.Request().Host}, nil
}

func (s *Server) fillResults(v *searchView, st searchState, res *engine.SearchResult) {
	v.Total, v.TookMS = res.Total, res.TookMS
	for _, h := range res.Hits {
		hv := hitView{
			URL: articleURL(h.ID, st), Title: h.Title, Source: h.Source, Date: h.Date,
			Snippet: template.HTML(h.Snippet), // escaped by the engine; see hitView
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
				hv.Chips = append(hv.Chips, chipView{Kind: k.param, Label: x, URL: u})
			}
		}
		v.Hits = append(v.Hits, hv)
	}
	for _, k := range facetKinds {
		g := facetGroupView{Param: k.param, Label: k.label}
		sel := *st.list(k.param)
		seen := map[string]bool{} // folded: a selected "russia" is the listed "Russia"
		for _, fv := range res.Facets[k.facet] {
			seen[index.FoldFacet(fv.Value)] = true
			g.Values = append(g.Values, facetValueView{Value: fv.Value, Count: fv.Count, Selected: contains(sel, fv.Value), URL: st.toggle(k.param, fv.Value).url()})
		}
		for _, x := range sel {
			if !seen[index.FoldFacet(x)] {
				g.Values = append(g.Values, facetValueView{Value: x, Count: -1, Selected: true, URL: st.toggle(k.param, x).url()})
			}
		}
		v.Facets = append(v.Facets, g)
	}
	if res.NextCursor != "" {
		n := st.with(nil)
		n.Cursor = res.NextCursor
		v.MoreURL = n.url()
	}
	if st.Cursor != "" {
		v.FirstPageURL = st.with(nil).url()
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

// ---- article page ----

type articleView struct {
	Article *news.Article
	Title   template.HTML // escaped by the highlighter, with <mark> only
	Paras   []template.HTML
	Q       string
	BackURL string // the search the reader came from, or "/"
	// FromSearch: the page was opened from a search (the link says
	// "Back to results" rather than "Search").
	FromSearch bool
	Entities   []facetGroupView
	Host       string
}

func (s *Server) handleArticlePage(c echo.Context) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	a, err := s.eng.Article(id)
	if err != nil {
		var ne *news.Error
		if errors.As(err, &ne) && ne.Code == news.ECodeNotFound {
			return s.render(c, http.StatusNotFound, "notfound", pageData{Title: "Not found", Nav: "search", Body: id})
		}
		return err
	}
	// The search the reader came from is in the URL (articleURL): its
	// query is highlighted, and "Back to results" returns to it as it
	// was, filters, dates, sort and page included.
	st := stateFrom(c.QueryParams())
	q := st.Q
	var node query.Node
	if strings.TrimSpace(q) != "" {
		if n, err := query.ParseWith(q, query.Options{Now: time.Now()}); err == nil {
			node = n
		}
	}
	v := &articleView{Article: a, Q: q, BackURL: st.url()}
	v.FromSearch = v.BackURL != "/"
	if pu, err := url.Parse(a.URL); err == nil && (pu.Scheme == "http" || pu.Scheme == "https") {
		v.Host = pu.Host
	}
	// Highlight escapes all text and adds only <mark> tags, so its output
	// is safe HTML. Without a query the text is escaped here instead.
	mark := func(field, text string) template.HTML {
		if node == nil {
			return template.HTML(template.HTMLEscapeString(text))
		}
		return template.HTML(s.eng.Index().Highlighter(node, field).Highlight(text))
	}
	v.Title = mark("title", a.Title)
	hl := (*index.Highlighter)(nil)
	if node != nil {
		hl = s.eng.Index().Highlighter(node, "body")
	}
	for _, p := range splitParagraphs(a.Body) {
		if hl != nil {
			v.Paras = append(v.Paras, template.HTML(hl.Highlight(p)))
		} else {
			v.Paras = append(v.Paras, template.HTML(template.HTMLEscapeString(p)))
		}
	}
	for _, k := range []struct {
		param, label string
		vals         []string
	}{{"speaker", "Speakers", a.Speakers}, {"country", "Countries", a.Countries}, {"topic", "Topics", a.Topics}} {
		g := facetGroupView{Param: k.param, Label: k.label}
		for _, x := range k.vals {
			g.Values = append(g.Values, facetValueView{Value: x, URL: "/?" + url.Values{k.param: {x}}.Encode()})
		}
		if len(g.Values) > 0 {
			v.Entities = append(v.Entities, g)
		}
	}
	if a.Source != "" {
		v.Entities = append(v.Entities, facetGroupView{Param: "source", Label: "Source", Values: []facetValueView{{Value: a.Source, URL: "/?" + url.Values{"source": {a.Source}}.Encode()}}})
	}
	return s.render(c, http.StatusOK, "article", pageData{Title: a.Title, Nav: "search", Body: v})
}

// splitParagraphs splits text at blank lines (or single line breaks when
// there are no blank lines).
func splitParagraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	sep := "\n\n"
	if !strings.Contains(text, sep) {
		sep = "\n"
	}
	var out []string
	for _, p := range strings.Split(text, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ---- alert pages: shells filled in by /static/alerts.js ----

type alertFormView struct {
	ID        string
	Name      string // the name proposed for a new alert
	Q         string
	Filters   []hiddenField
	SearchURL string
}

func (s *Server) handleAlertsPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "alerts", pageData{Title: "Alerts", Nav: "alerts"})
}

func (s *Server) handleAlertNewPage(c echo.Context) error {
	st := stateFrom(c.QueryParams())
	v := alertFormView{Q: st.Q, SearchURL: st.with(nil).url()}
	var names []string
	for _, k := range facetKinds {
		for _, x := range *st.list(k.param) {
			v.Filters = append(v.Filters, hiddenField{k.param, x})
			names = append(names, k.param+": "+x)
		}
	}
	// The proposed name is the query, or for a search by filters only
	// (an alert on everything that passes them) the filters.
	v.Name = strings.TrimSpace(st.Q)
	if v.Name == "" {
		v.Name = strings.Join(names, ", ")
	}
	if len(v.Name) > alerts.MaxNameBytes {
		v.Name = truncateUTF8(v.Name, alerts.MaxNameBytes)
	}
	return s.render(c, http.StatusOK, "alert_new", pageData{Title: "New alert", Nav: "alerts", Body: v})
}

func (s *Server) handleAlertPage(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > 200 || !utf8.ValidString(id) {
		return s.render(c, http.StatusNotFound, "notfound", pageData{Title: "Not found", Nav: "alerts", Body: id})
	}
	return s.render(c, http.StatusOK, "alert", pageData{Title: "Alert", Nav: "alerts", Body: alertFormView{ID: id}})
}

// ---- feeds page: a shell filled in by /static/feeds.js ----

func (s *Server) handleFeedsPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "feeds", pageData{Title: "Feeds", Nav: "feeds"})
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
