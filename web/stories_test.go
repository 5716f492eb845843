package web

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
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

// TestUISearchCollapsesStories: the search page shows one hit per story
// with "also in: ..." linking to the list of its copies.
func TestUISearchCollapsesStories(t *testing.T) {
	ts, eng := newUITestServer(t, nil)
	var w []string
	for i := range 120 {
		w = append(w, fmt.Sprintf("zebu%d", i*7919%1000))
	}
	body := strings.Join(w, " ")
	var arts []*news.Article
	for i, src := range []string{"Reuters", "AP", "Ledger", "Post", "Gazette"} {
		arts = append(arts, &news.Article{ID: fmt.Sprintf("z%d", i), Source: src, Title: "Zebu " + src,
			Date: time.Date(2026, 3, 2, 10, i, 0, 0, time.UTC), Body: "Lead. " + body})
	}
	if _, _, err := eng.Ingest(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	p := getPage(t, nil, ts.URL+"/?q=zebu0")
	if n := strings.Count(p.Body, `class="hit"`); n != 1 {
		t.Fatalf("%d hits on the page, want 1 story", n)
	}
	m := regexp.MustCompile(`<p class="also"><a href="([^"]+)">also in: ([^<]+)</a>`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no also-in link:\n%s", p.Body)
	}
	if m[2] = html.UnescapeString(m[2]); !strings.HasSuffix(m[2], ", +2") || strings.Count(m[2], ",") != 2 {
		t.Errorf("also in: %q, want two other sources and +2", m[2])
	}
	p = getPage(t, nil, ts.URL+html.UnescapeString(m[1]))
	if n := strings.Count(p.Body, `class="hit"`); n != 5 {
		t.Errorf("the copies page lists %d hits, want 5", n)
	}
}
