package web

// The search state, as it sits in the URL: every page keeps it there, so
// a search, its filters, dates, sort and page survive a reload, a link
// and "Back to results".

import (
	"github.com/watchword/watchword/internal/engine"
	"net/url"
	"strings"
)

// searchState is everything a search page shows, as it sits in the URL.
type searchState struct {
	Q                                               string
	Speakers, Countries, Topics, Sources, Languages []string
	MainCountries                                   []string
	From, To, Sort, Cursor                          string
	// Copies lists every copy of a story instead of one hit per story
	// (copies=1; the page collapses by story otherwise).
	Copies bool
}

func stateFrom(v url.Values) searchState {
	return searchState{
		Q: v.Get("q"), Speakers: values(v, "speaker"), Countries: values(v, "country"),
		Topics: values(v, "topic"), Sources: values(v, "source"), Languages: values(v, "language"), MainCountries: values(v, "main_country"),
		From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
		Sort: v.Get("sort"), Cursor: v.Get("cursor"), Copies: v.Get("copies") == "1",
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
	}{{"speaker", st.Speakers}, {"country", st.Countries}, {"topic", st.Topics}, {"source", st.Sources}, {"language", st.Languages}, {"main_country", st.MainCountries}} {
		for _, x := range f.vals {
			v.Add(f.key, x)
		}
	}
	if st.Copies {
		v.Set("copies", "1")
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
	n.Languages = append([]string(nil), st.Languages...)
	n.MainCountries = append([]string(nil), st.MainCountries...)
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
	case "main_country":
		return &st.MainCountries
	case "topic":
		return &st.Topics
	case "language":
		return &st.Languages
	default:
		return &st.Sources
	}
}

// contains reports whether a filter list holds v, or a value a filter
// takes for it (engine.FoldFacet: "russia" for "Russia").
func contains(list []string, v string) bool {
	fv := engine.FoldFacet(v)
	for _, x := range list {
		if x == v || engine.FoldFacet(x) == fv {
			return true
		}
	}
	return false
}

// without removes v and the values a filter takes for it from a list.
func without(list []string, v string) []string {
	fv := engine.FoldFacet(v)
	out := list[:0:0]
	for _, x := range list {
		if x != v && engine.FoldFacet(x) != fv {
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
	{"main_countries", "main_country", "Main countries"},
	{"countries", "country", "Countries"},
	{"topics", "topic", "Topics"},
	{"sources", "source", "Sources"},
	{"languages", "language", "Languages"},
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
