package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// facetCounts returns the values and counts of one facet of a search answer.
func facetCounts(t *testing.T, r response, facet string) map[string]float64 {
	t.Helper()
	fs, ok := r.Body["facets"].(map[string]any)
	if !ok {
		t.Fatalf("no facets: %s", r.Raw)
	}
	out := map[string]float64{}
	for _, v := range fs[facet].([]any) {
		m := v.(map[string]any)
		out[m["value"].(string)] = m["count"].(float64)
	}
	return out
}

// TestSearchFiltersFold checks that filter values match facet values
// whole, case and accents aside, and that the counts of a filtered facet
// are those of its values without its own filter.
func TestSearchFiltersFold(t *testing.T) {
	ts := newTestServer(t, nil)
	r := call(t, ts, "POST", "/api/articles", "application/json", `[
		{"id":"r1","body":"Talks in Moscow.","date":"2025-03-10","source":"Wire","speakers":["Dmitry Peskov"],"countries":["Russia"]},
		{"id":"r2","body":"Talks in Moscow and Washington.","date":"2025-03-11","source":"Ledger","countries":["Russia","United States"]},
		{"id":"t1","body":"Talks in Ankara.","date":"2025-03-12","source":"Wire","countries":["Türkiye"]},
		{"id":"u1","body":"Talks in Washington.","date":"2025-03-13","source":"Wire","countries":["United States"]}]`, testToken)
	if r.Status != 200 || r.Body["indexed"] != float64(4) {
		t.Fatalf("ingest: %s", r.Raw)
	}
	total := func(params string) float64 {
		t.Helper()
		r := call(t, ts, "GET", "/api/search?q=talks&"+params, "", "", "")
		if r.Status != 200 {
			t.Fatalf("%s: %s", params, r.Raw)
		}
		return r.Body["total"].(float64)
	}
	for _, c := range []struct {
		params string
		want   float64
	}{
		{"country=Russia", 2},
		{"country=russia", 2},
		{"country=RUSSIA", 2},
		{"country=turkiye", 1},
		{"country=T%C3%9CRKIYE", 1},
		{"country=united+states", 2},
		{"speaker=dmitry+peskov", 1},
		{"speaker=peskov", 0}, // a filter names a whole value; q=speaker:peskov matches words
		{"source=wire&country=russia", 1},
		{"country=russia&country=turkiye", 3},
		{"country=atlantis", 0},
	} {
		if got := total(c.params); got != c.want {
			t.Errorf("%s: total %v, want %v", c.params, got, c.want)
		}
	}

	// Disjunctive counts: with Russia ticked, United States shows what
	// ticking it alone would give (2), not its overlap with Russia (1);
	// the other facets are counted within the filter.
	r = call(t, ts, "GET", "/api/search?q=talks&country=russia", "", "", "")
	if got, want := facetCounts(t, r, "countries"), map[string]float64{"Russia": 2, "United States": 2, "Türkiye": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("countries with Russia ticked: %v, want %v", got, want)
	}
	if got, want := facetCounts(t, r, "sources"), map[string]float64{"Wire": 1, "Ledger": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("sources with Russia ticked: %v, want %v", got, want)
	}
	// Ticking United States too adds its count minus the overlap.
	if got := total("country=russia&country=" + url.QueryEscape("United States")); got != 2+2-1 {
		t.Errorf("Russia or United States: %v", got)
	}
}

// TestAlertFilterWarnings checks that an alert filtered on a value no
// article has is saved with a warning in the answer, and that a filter
// written in another case fires on the articles it names.
func TestAlertFilterWarnings(t *testing.T) {
	ts := newAlertServer(t)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()
	if r := call(t, ts, "POST", "/api/articles", "application/json", `{"id":"old","body":"Kremlin talks.","countries":["Russia"]}`, testToken); r.Status != 200 {
		t.Fatalf("ingest: %s", r.Raw)
	}
	create := func(filters string) response {
		t.Helper()
		body := fmt.Sprintf(`{"name":"x","query":"talks","schedule":"@daily","webhook_url":%q,"filters":%s}`, recv.URL+"/hook", filters)
		r := call(t, ts, "POST", "/api/alerts", "application/json", body, testToken)
		if r.Status != 201 {
			t.Fatalf("create %s: %s", filters, r.Raw)
		}
		return r
	}
	r := create(`{"country":["russia"]}`)
	if _, ok := r.Body["warnings"]; ok {
		t.Errorf("warnings for a known value: %s", r.Raw)
	}
	good := r.Body["id"].(string)

	r = create(`{"country":["Rusia","russia"],"speaker":["Nobody"]}`)
	want := []any{`speaker "Nobody" matches no article yet`, `country "Rusia" matches no article yet`}
	if !reflect.DeepEqual(r.Body["warnings"], want) {
		t.Errorf("warnings %v, want %v", r.Body["warnings"], want)
	}
	id := r.Body["id"].(string)
	if r := call(t, ts, "GET", "/api/alerts/"+id, "", "", testToken); r.Status != 200 || r.Body["warnings"] != nil {
		t.Errorf("get carries warnings: %s", r.Raw)
	}
	r = call(t, ts, "PATCH", "/api/alerts/"+id, "application/json", `{"filters":{"topic":["Atlantis"]}}`, testToken)
	if r.Status != 200 || !reflect.DeepEqual(r.Body["warnings"], []any{`topic "Atlantis" matches no article yet`}) {
		t.Errorf("patch: %s", r.Raw)
	}
	r = call(t, ts, "PATCH", "/api/alerts/"+id, "application/json", `{"filters":{"country":["RUSSIA"]}}`, testToken)
	if r.Status != 200 || r.Body["warnings"] != nil {
		t.Errorf("patch to a known value: %s", r.Raw)
	}

	// The lower-case filter fires on a new article about Russia only.
	if r := call(t, ts, "POST", "/api/articles", "application/json", `[
		{"id":"n1","body":"New talks.","countries":["Russia"]},
		{"id":"n2","body":"Other talks.","countries":["Chad"]}]`, testToken); r.Status != 200 {
		t.Fatalf("ingest: %s", r.Raw)
	}
	r = call(t, ts, "POST", "/api/alerts/"+good+"/run", "", "", testToken)
	if r.Status != 200 || r.Body["matches"] != float64(1) {
		t.Fatalf("run: %s", r.Raw)
	}
}

// TestUIFilterFolded checks the search page with a filter typed in lower
// case: the listed value it matches is ticked (not listed twice), and
// ticking that value again removes the filter.
func TestUIFilterFolded(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	p := getPage(t, nil, ts.URL+"/?q=Peskov&country=russia")
	if p.Status != 200 {
		t.Fatalf("status %d", p.Status)
	}
	on := regexp.MustCompile(`<a href="([^"]*)" class="fv on">.*?<span class="name">([^<]*)</span>(<span class="count">(\d+)</span>)?`)
	var ticked []string
	for _, m := range on.FindAllStringSubmatch(p.Body, -1) {
		ticked = append(ticked, m[2]+" "+m[4]+" "+m[1])
	}
	if len(ticked) != 1 || !strings.HasPrefix(ticked[0], "Russia ") || strings.HasPrefix(ticked[0], "Russia  ") {
		t.Fatalf("ticked values %q, want Russia with its count", ticked)
	}
	if !strings.HasSuffix(ticked[0], ` /?q=Peskov&amp;focus=facet%3Acountry%3ARussia`) { // the focus comes back to the value
		t.Errorf("ticking Russia again does not remove country=russia: %s", ticked[0])
	}
}
