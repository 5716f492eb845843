package web

import (
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
)

// TestUndatedRepostIsAnUpdate posts the same article without id, url or
// date twice, an hour apart by the engine's clock: it must stay one
// article under one id, the second post an update of the first.
func TestUndatedRepostIsAnUpdate(t *testing.T) {
	var tick atomic.Int64
	start := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet,
		Now: func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Token: testToken, Logger: quiet, MaxBody: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); eng.Close() })

	const body = `{"body":"Zelenskyy met the delegation in Kyiv on Friday. Talks went on.","source":"wire"}`
	var ids []string
	for i := 0; i < 2; i++ {
		r := call(t, ts, "POST", "/api/articles", "application/json", body, testToken)
		if r.Status != 200 || r.Body["indexed"].(float64) != 1 {
			t.Fatalf("post %d: %d %s", i, r.Status, r.Raw)
		}
		ids = append(ids, r.Body["ids"].([]any)[0].(string))
	}
	if ids[0] != ids[1] {
		t.Fatalf("the re-post got a new id: %v", ids)
	}
	r := call(t, ts, "GET", "/api/search?q=delegation", "", "", "")
	if r.Status != 200 || r.Body["total"].(float64) != 1 {
		t.Fatalf("search after the re-post: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "GET", "/api/articles/"+ids[0], "", "", "")
	if r.Status != 200 || r.Body["seq"].(float64) != 2 {
		t.Fatalf("article after the re-post (want the update, seq 2): %d %s", r.Status, r.Raw)
	}
}
