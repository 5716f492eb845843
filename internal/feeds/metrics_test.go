package feeds

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsAndPatchedURL follows polls in the metrics, and checks that a
// feed whose URL is changed starts afresh: no validators from the old URL,
// no failures, while its seen-set keeps the old entries from coming in
// again.
func TestMetricsAndPatchedURL(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil, func(c *Config) { c.Metrics = m })
	gather := func() map[string]float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			for _, s := range mf.GetMetric() {
				key := mf.GetName()
				for _, l := range s.GetLabel() {
					key += "{" + l.GetValue() + "}"
				}
				if s.Counter != nil {
					out[key] = s.GetCounter().GetValue()
				} else if s.Gauge != nil {
					out[key] = s.GetGauge().GetValue()
				}
			}
		}
		return out
	}
	o := newOrigin(t)
	v := e.create(t, o.url("/old"), nil)
	o.serve("application/rss+xml", rss("W", itemA, itemB), `"old"`)
	e.poll(t, v.ID) // 2 added
	e.poll(t, v.ID) // 304
	o.serve("application/rss+xml", rss("W", itemA, itemC2), `"old2"`)
	e.poll(t, v.ID) // 1 added
	o.status(http.StatusInternalServerError)
	e.poll(t, v.ID)
	got := gather()
	for k, want := range map[string]float64{
		"watchword_feed_polls_total{ok}": 2, "watchword_feed_polls_total{not_modified}": 1, "watchword_feed_polls_total{error}": 1,
		"watchword_feed_entries_total{added}": 3, "watchword_feed_entries_total{updated}": 0, "watchword_feeds_failing": 1,
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}

	// A new URL: no If-None-Match, failures cleared; the entries the old
	// URL served are not ingested again.
	moved := o.url("/new")
	f, err := e.svc.Update(context.Background(), v.ID, &Input{URL: &moved})
	if err != nil || f.ConsecutiveFailures != 0 || f.BackoffUntil != nil {
		t.Fatalf("patch url: %+v %v", f, err)
	}
	o.serve("application/rss+xml", rss("W", itemA, itemC2, itemD), `"new"`)
	r := e.poll(t, v.ID)
	if h := o.last().Header.Get("If-None-Match"); h != "" || o.last().URL.Path != "/new" {
		t.Errorf("poll of the new URL sent If-None-Match %q to %s", h, o.last().URL.Path)
	}
	if r.Added != 1 || r.Unchanged != 2 || r.Articles[0].ID != idOf(guidD) {
		t.Errorf("after the move: %+v", r)
	}
	if got := gather(); got["watchword_feeds_failing"] != 0 || got["watchword_feed_entries_total{added}"] != 4 {
		t.Errorf("metrics after recovery: %v", got)
	}
}
