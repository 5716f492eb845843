package alerts

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// TestRelativeDatesFollowTheRun: an alert's date:>now-1d means "a day
// before this run", not before the run that first parsed it, nor before
// its creation. The runs read now from Config.Clock, moved here.
func TestRelativeDatesFollowTheRun(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	e := newEnv(t, func(c *Config) { c.Clock = clock })
	h := newHook(t)
	a := e.create(t, h, "ukraine date:>now-1d", nil)
	dated := func(id, date string) *news.Article {
		d, err := time.Parse(time.RFC3339, date)
		if err != nil {
			t.Fatal(err)
		}
		return &news.Article{ID: id, Body: "Ukraine news.", Source: "wire", Date: d}
	}
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Matches != 0 {
		t.Fatalf("first run: %+v %v", res, err)
	}
	e.ingest(t, dated("fresh", "2025-03-10T06:00:00Z"), dated("stale", "2025-03-08T06:00:00Z"))
	res, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil || res.Matches != 1 {
		t.Fatalf("second run at %s: %+v %v, want 1 match (fresh)", now, res, err)
	}

	mu.Lock()
	now = time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
	mu.Unlock()
	// old: after the first runs' now-1d, long before this run's.
	e.ingest(t, dated("old", "2025-03-11T00:00:00Z"), dated("new", "2025-03-20T06:00:00Z"))
	res, err = e.svc.RunNow(context.Background(), a.ID)
	if err != nil || res.Matches != 1 {
		t.Fatalf("third run at %s: %+v %v, want 1 match (new)", now, res, err)
	}
	testutil.WaitFor(t, "2 webhooks", 5*time.Second, func() bool { return h.count() == 2 })
	got := h.got()
	for id, want := range map[string]int{"fresh": 1, "new": 1, "stale": 0, "old": 0} {
		if len(got[id]) != want {
			t.Errorf("%s delivered %d times, want %d", id, len(got[id]), want)
		}
	}
}
