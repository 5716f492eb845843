package web

// The search state, as it sits in the URL: every page keeps it there, so
// a search, its filters, dates, sort and page survive a reload, a link
// and "Back to results".

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/watchword/watchword/internal/engine"
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
	// Page is the page number of Cursor's page (1 without a cursor; 0
	// when a cursor came without one: the range is then not shown), and
	// Prev the cursors of pages 2 to Page-1, for "Previous".
	Page int
	Prev []string
}

// maxPrev bounds the cursors a URL carries for "Previous": past it the
// oldest are dropped and "Previous" from the page after them leads to
// the first page.
const maxPrev = 50

func stateFrom(v url.Values) searchState {
	st := searchState{
		Q: v.Get("q"), Speakers: values(v, "speaker"), Countries: values(v, "country"),
		Topics: values(v, "topic"), Sources: values(v, "source"), Languages: values(v, "language"), MainCountries: values(v, "main_country"),
		From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
		Sort: v.Get("sort"), Cursor: v.Get("cursor"), Copies: v.Get("copies") == "1",
		Page: 1,
	}
	if st.Cursor != "" {
		st.Page = 0
		if n, err := strconv.Atoi(v.Get("page")); err == nil && n >= 2 && n <= 1_000_000 {
			st.Page = n
			st.Prev = v["prev"]
			if len(st.Prev) != min(maxPrev, n-2) {
				// Not what the page links make: the number is not known.
				st.Page, st.Prev = 0, nil
			}
		}
	}
	return st
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
	if st.Cursor != "" && st.Page >= 2 {
		v.Set("page", strconv.Itoa(st.Page))
		for _, c := range st.Prev {
			v.Add("prev", c)
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
	n.Cursor, n.Page, n.Prev = "", 1, nil
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

// next is the state of the page after this one, at cursor next.
func (st searchState) next(next string) searchState {
	n := st.with(nil)
	n.Cursor = next
	if st.Page >= 1 {
		n.Page = st.Page + 1
		if st.Cursor != "" {
			n.Prev = append(append([]string(nil), st.Prev...), st.Cursor)
		}
		if len(n.Prev) > maxPrev {
			n.Prev = n.Prev[len(n.Prev)-maxPrev:]
		}
	} else {
		n.Page = 0
	}
	return n
}

// previous is the state of the page before this one; ok is false on
// the first page. Past the cursors the URL kept, it is the first page.
func (st searchState) previous() (searchState, bool) {
	if st.Cursor == "" {
		return st, false
	}
	n := st.with(nil)
	if st.Page > 2 && len(st.Prev) > 0 {
		n.Cursor = st.Prev[len(st.Prev)-1]
		n.Prev = append([]string(nil), st.Prev[:len(st.Prev)-1]...)
		n.Page = st.Page - 1
	}
	return n, true
}
