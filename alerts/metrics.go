package alerts

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Delivery outcomes counted by watchword_alert_deliveries_total.
const (
	outcomeSucceeded = "succeeded"
	outcomeRetrying  = "retrying"
	outcomeFailed    = "failed"
	outcomeDisabled  = "disabled" // 410 Gone: the alert was disabled
)

// Metrics are the alert service's Prometheus metrics, all under
// watchword_. Pass them in Config.Metrics; a nil *Metrics counts nothing.
type Metrics struct {
	runs       *prometheus.CounterVec
	matches    prometheus.Counter
	deliveries *prometheus.CounterVec
	attempt    prometheus.Histogram

	outbox atomic.Pointer[outboxRef] // set by New; nil: gauges not reported
}

// NewMetrics registers the alert metrics in reg. The outbox gauges are
// read from the store on each scrape, once a Service uses the Metrics.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchword_alert_runs_total",
			Help: "Alert evaluations, per alert, by result (ok or error).",
		}, []string{"result"}),
		matches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "watchword_alert_matches_total",
			Help: "New matching articles written to the outbox.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchword_alert_deliveries_total",
			Help: "Webhook delivery outcomes: succeeded, retrying, failed, disabled (410 Gone).",
		}, []string{"outcome"}),
		attempt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "watchword_alert_delivery_attempt_duration_seconds",
			Help:    "Latency of webhook delivery attempts (POST to answer or error).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10), // 5 ms to about 19 s
		}),
	}
	for _, r := range []string{"ok", "error"} {
		m.runs.WithLabelValues(r)
	}
	for _, o := range []string{outcomeSucceeded, outcomeRetrying, outcomeFailed, outcomeDisabled} {
		m.deliveries.WithLabelValues(o)
	}
	for _, c := range []prometheus.Collector{m.runs, m.matches, m.deliveries, m.attempt, outboxCollector{m}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

type outboxRef struct{ o Outbox }

func (m *Metrics) attach(o Outbox) {
	if m != nil {
		m.outbox.Store(&outboxRef{o})
	}
}

func (m *Metrics) run(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.runs.WithLabelValues("ok").Inc()
	} else {
		m.runs.WithLabelValues("error").Inc()
	}
}

func (m *Metrics) matched(n int) {
	if m != nil && n > 0 {
		m.matches.Add(float64(n))
	}
}

func (m *Metrics) delivered(outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) attempted(d time.Duration) {
	if m != nil {
		m.attempt.Observe(d.Seconds())
	}
}

var (
	descDepth = prometheus.NewDesc("watchword_alert_outbox_depth",
		"Deliveries waiting in the outbox (pending or retrying).", nil, nil)
	descOldest = prometheus.NewDesc("watchword_alert_outbox_oldest_age_seconds",
		"Age of the oldest delivery waiting in the outbox, from its creation; 0 when empty.", nil, nil)
)

// outboxCollector reads the outbox gauges on scrape (Outbox.Depth).
type outboxCollector struct{ m *Metrics }

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDepth
	ch <- descOldest
}

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ref := c.m.outbox.Load()
	if ref == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	depth, oldest, err := ref.o.Depth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descDepth, err)
		return
	}
	var age time.Duration
	if !oldest.IsZero() {
		age = max(time.Since(oldest), 0)
	}
	ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(depth))
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age.Seconds())
}
