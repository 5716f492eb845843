package alerts

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/watchword/watchword/internal/testutil"
)

// gather returns every sample of reg by name and label values, e.g.
// "watchword_alert_deliveries_total{succeeded}"; histograms give their count.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "{" + l.GetValue() + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestMetricsFollowADelivery(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Metrics = m })
	h := newHook(t)
	// The receiver holds its first answer until the test has seen the
	// delivery waiting in the outbox.
	release := make(chan struct{})
	h.respond = func(n int, _ http.ResponseWriter) int {
		if n == 1 {
			<-release
		}
		return 0
	}
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("n1", "Ukraine grain deal."), art("n2", "Weather in Spain."), art("n3", "Kyiv and Ukraine."))
	res, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil || res.Matches != 2 || res.Deliveries != 1 {
		close(release)
		t.Fatalf("run: %+v %v", res, err)
	}
	g := gather(t, reg)
	close(release)
	for k, want := range map[string]float64{
		"watchword_alert_runs_total{ok}":              1,
		"watchword_alert_runs_total{error}":           0,
		"watchword_alert_matches_total":               2,
		"watchword_alert_outbox_depth":                1,
		"watchword_alert_deliveries_total{succeeded}": 0,
	} {
		if got, ok := g[k]; !ok || got != want {
			t.Errorf("before delivery: %s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if age, ok := g["watchword_alert_outbox_oldest_age_seconds"]; !ok || age < 0 || age > 60 {
		t.Errorf("before delivery: oldest age %v (present %v)", age, ok)
	}

	testutil.WaitFor(t, "a succeeded delivery", 5*time.Second, func() bool {
		return gather(t, reg)["watchword_alert_deliveries_total{succeeded}"] == 1
	})
	g = gather(t, reg)
	for k, want := range map[string]float64{
		"watchword_alert_deliveries_total{succeeded}":       1,
		"watchword_alert_deliveries_total{retrying}":        0,
		"watchword_alert_deliveries_total{failed}":          0,
		"watchword_alert_deliveries_total{disabled}":        0,
		"watchword_alert_delivery_attempt_duration_seconds": 1,
		"watchword_alert_outbox_depth":                      0,
		"watchword_alert_outbox_oldest_age_seconds":         0,
		"watchword_alert_runs_total{ok}":                    1,
	} {
		if got, ok := g[k]; !ok || got != want {
			t.Errorf("after delivery: %s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if h.count() != 1 {
		t.Errorf("receiver got %d webhooks, want 1", h.count())
	}
}

func TestNilMetricsCountNothing(t *testing.T) {
	var m *Metrics
	m.run(true)
	m.matched(3)
	m.delivered(outcomeSucceeded)
	m.attempted(time.Second)
	m.attach(nil)
}
