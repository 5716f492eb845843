package web

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/watchword/watchword/internal/engine"
)

// TestIngestEmptyFacets: a facet supplied as [] means "none supplied" and
// extraction fills it; with ?keep_empty=true it means "none" and stays
// empty, also after a reindex re-runs extraction over the stored article.
func TestIngestEmptyFacets(t *testing.T) {
	extract := func(title, body string) engine.Extracted {
		return engine.Extracted{Topics: []string{"extracted"}, Countries: []string{"Georgia"}}
	}
	dir := t.TempDir()
	cfg := engine.Config{DataDir: dir, Logger: quiet, Extract: extract}
	eng, err := engine.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Token: testToken, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	post := func(query, body string) response {
		t.Helper()
		r := call(t, ts, "POST", "/api/articles"+query, "application/x-ndjson", body, testToken)
		if r.Status != 200 {
			t.Fatalf("POST %s: %d %s", query, r.Status, r.Raw)
		}
		return r
	}
	post("", `{"id":"none-supplied","body":"Story one.","topics":[],"countries":["  "]}`+"\n")
	post("?keep_empty=true", `{"id":"said-none","body":"Story two.","topics":[],"countries":["France"]}`+"\n"+
		`{"id":"not-given","body":"Story three."}`+"\n")
	if r := call(t, ts, "POST", "/api/articles?keep_empty=maybe", "application/json", `{"body":"x"}`, testToken); r.Status != 400 || errorOf(t, r) != "bad_request" {
		t.Errorf("keep_empty=maybe: %d %s", r.Status, r.Raw)
	}
	check := func(when string) {
		t.Helper()
		for id, want := range map[string][2][]string{
			"none-supplied": {{"extracted"}, {"Georgia"}},
			"said-none":     {{}, {"France"}},
			"not-given":     {{"extracted"}, {"Georgia"}},
		} {
			a, err := eng.Article(context.Background(), id)
			if err != nil {
				t.Fatalf("%s: get %s: %v", when, id, err)
			}
			if !slices.Equal(a.Topics, want[0]) || !slices.Equal(a.Countries, want[1]) {
				t.Errorf("%s: %s has topics %q, countries %q; want %q, %q", when, id, a.Topics, a.Countries, want[0], want[1])
			}
		}
	}
	check("after ingest")
	ts.Close()
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Rebuild(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if eng, err = engine.Open(cfg); err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	check("after reindex")
}
