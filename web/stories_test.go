package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestSearchCollapseStory: the API collapses only when asked
// (collapse=story), and then returns one hit per story with its id,
// copies and sources; story:ID lists the copies; a bad value is a 400.
func TestSearchCollapseStory(t *testing.T) {
	ts := newTestServer(t, nil)
	var w []string
	for i := range 120 {
		w = append(w, fmt.Sprintf("kremlin%d", i*7919%1000))
	}
	body := strings.Join(w, " ")
	var arts []string
	for i, src := range []string{"Reuters", "AP", "Ledger"} {
		arts = append(arts, fmt.Sprintf(`{"id":"c%d","source":%q,"date":"2026-03-02T10:0%d:00Z","body":%q}`, i, src, i, "Lead. "+body))
	}
	arts = append(arts, `{"id":"alone","source":"Post","date":"2026-03-02T10:00:00Z","body":"kremlin0 is a different article altogether."}`)
	r := call(t, ts, "POST", "/api/articles", "application/json", "["+strings.Join(arts, ",")+"]", testToken)
	if r.Status != 200 && r.Status != 201 {
		t.Fatalf("ingest: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "GET", "/api/search?q=kremlin0", "", "", "")
	if r.Body["total"].(float64) != 4 {
		t.Fatalf("uncollapsed total %v, want 4 articles: %s", r.Body["total"], r.Raw)
	}
	if strings.Contains(r.Raw, `"story"`) {
		t.Errorf("uncollapsed hits carry a story: %s", r.Raw)
	}
	r = call(t, ts, "GET", "/api/search?q=kremlin0&collapse=story", "", "", "")
	if r.Status != 200 || r.Body["total"].(float64) != 2 {
		t.Fatalf("collapsed: %d total %v, want 2 stories: %s", r.Status, r.Body["total"], r.Raw)
	}
	var id string
	for _, h := range r.Body["hits"].([]any) {
		s := h.(map[string]any)["story"].(map[string]any)
		if s["copies"].(float64) == 3 {
			id = s["id"].(string)
			if len(s["sources"].([]any)) != 3 {
				t.Errorf("sources %v", s["sources"])
			}
		}
	}
	if id == "" {
		t.Fatalf("no story of three copies: %s", r.Raw)
	}
	r = call(t, ts, "GET", "/api/search?q="+url.QueryEscape("story:"+id), "", "", "")
	if r.Body["total"].(float64) != 3 {
		t.Errorf("story:%s total %v, want 3", id, r.Body["total"])
	}
	r = call(t, ts, "GET", "/api/search?q=kremlin0&collapse=source", "", "", "")
	if r.Status != 400 || errorOf(t, r) != "invalid" {
		t.Errorf("collapse=source: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "GET", "/api/search?q=story:abc", "", "", "")
	if r.Status != 400 {
		t.Errorf("story:abc: %d %s", r.Status, r.Raw)
	}
}
