package feeds

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the feed service's Prometheus metrics, all under
// watchword_. Pass them in Config.Metrics; a nil *Metrics counts nothing.
type Metrics struct {
	polls   *prometheus.CounterVec
	entries *prometheus.CounterVec

	feeds atomic.Pointer[lister] // the feeds, set by New; nil: the gauge is not reported
}

// NewMetrics registers the feed metrics in reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchword_feed_polls_total",
			Help: "Feed polls by result: ok, not_modified (304) or error.",
		}, []string{"result"}),
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchword_feed_entries_total",
			Help: "Feed entries written to the store: added (new articles) or updated (edited entries).",
		}, []string{"outcome"}),
	}
	for _, r := range []string{StatusOK, StatusNotModified, StatusError} {
		m.polls.WithLabelValues(r)
	}
	for _, o := range []string{"added", "updated"} {
		m.entries.WithLabelValues(o)
	}
	for _, c := range []prometheus.Collector{m.polls, m.entries, failingCollector{m}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// lister holds the Definitions in an atomic.Pointer.
type lister struct{ Definitions }

func (m *Metrics) attach(d Definitions) {
	if m != nil {
		m.feeds.Store(&lister{d})
	}
}

func (m *Metrics) polled(result string, added, updated int) {
	if m == nil {
		return
	}
	m.polls.WithLabelValues(result).Inc()
	if added > 0 {
		m.entries.WithLabelValues("added").Add(float64(added))
	}
	if updated > 0 {
		m.entries.WithLabelValues("updated").Add(float64(updated))
	}
}

var descFailing = prometheus.NewDesc("watchword_feeds_failing",
	"Feeds whose last poll failed (consecutive_failures > 0).", nil, nil)

// failingCollector counts the failing feeds on scrape.
type failingCollector struct{ m *Metrics }

func (c failingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descFailing }

func (c failingCollector) Collect(ch chan<- prometheus.Metric) {
	l := c.m.feeds.Load()
	if l == nil {
		return
	}
	// A scrape has no context of its own.
	all, err := l.List(context.Background())
	var n int
	for _, f := range all {
		if f.ConsecutiveFailures > 0 {
			n++
		}
	}
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descFailing, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, float64(n))
}
