package web

// The article page: the text with the search's terms highlighted.

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/news"
)

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
	a, err := s.eng.Article(c.Request().Context(), id)
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
	m := s.eng.Marker(q, time.Now()) // nil: nothing to mark
	v := &articleView{Article: a, Q: q, BackURL: st.url()}
	v.FromSearch = v.BackURL != "/"
	if pu, err := url.Parse(a.URL); err == nil && (pu.Scheme == "http" || pu.Scheme == "https") {
		v.Host = pu.Host
	}
	// Highlight escapes all text and adds only <mark> tags, so its output
	// is safe HTML. Without a query the text is escaped here instead.
	mark := func(field, text string) template.HTML {
		if m == nil {
			return template.HTML(template.HTMLEscapeString(text))
		}
		return template.HTML(m.HighlightIn(field, a.Language, text))
	}
	v.Title = mark("title", a.Title)
	for _, p := range splitParagraphs(a.Body) {
		v.Paras = append(v.Paras, mark("body", p))
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
