package web

// The server-rendered UI's shell: the embedded templates and static
// files, the layout every page is rendered into, and the routes. Each page
// has its own file: ui_search.go, ui_article.go, ui_alerts.go,
// ui_feeds.go and ui_login.go (with the sessions in session.go); the
// search state every page keeps in its URL is in ui_state.go. The alert
// and feed pages are shells whose dynamic parts are filled in by
// /static/alerts.js and /static/feeds.js from the JSON API.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
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
	// Who and Scope name the key the page is read with (a session or a
	// bearer key; "" without one): the page says so and hides what the
	// scope does not allow (body[data-scope], .needs-write). The server
	// enforces the scope whatever the page shows.
	Who   string
	Scope string
	Held  string // why the schedulers are held (a restored store); "" when not
	Body  any
}

// render executes a page into a buffer first, so a template error is a
// clean 500 and never half a page.
func (s *Server) render(c echo.Context, status int, page string, d pageData) error {
	t := loadedUI().pages[page]
	if t == nil {
		return fmt.Errorf("web: no page %q", page)
	}
	d.SignedIn = s.cfg.Private && page != "login" && s.uiAuthorized(c)
	if page != "login" {
		c.Set(pageKey, true)
		if cl := s.callerOf(c); cl.ok {
			d.Who, d.Scope = cl.who.Name, string(cl.who.Scope)
		}
	}
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
	e.GET("/saved", s.handleSavedPage, auth)
	e.GET("/export", s.handleExport, s.readLimiter, auth) // the search page's export links; a session may read it
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
	if etagMatch(c.Request().Header.Get("If-None-Match"), a.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, a.ctype, a.body)
}
