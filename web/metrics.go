package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/watchword/watchword/internal/engine"
)

// metrics are the server's Prometheus metrics, all under watchword_ and
// registered in the registry from Config.Registry (never the global one).
type metrics struct {
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	searchDuration prometheus.Histogram
	ingested       prometheus.Counter
	indexed        prometheus.Counter
	rejected       *prometheus.CounterVec
	rateLimited    prometheus.Counter
}

// latencyBuckets span 1 ms to about 10 s.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2.5, 11)

func newMetrics(reg prometheus.Registerer, eng *engine.Engine) (*metrics, error) {
	m := &metrics{
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchword_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "watchword_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		searchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "watchword_search_duration_seconds",
			Help:    "Latency of successful GET /api/search requests.",
			Buckets: latencyBuckets,
		}),
		ingested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "watchword_articles_ingested_total",
			Help: "Articles received by POST /api/articles (stored or rejected).",
		}),
		indexed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "watchword_articles_indexed_total",
			Help: "Articles stored and made searchable by POST /api/articles.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchword_articles_rejected_total",
			Help: "Articles of POST /api/articles rejected, by error code.",
		}, []string{"code"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "watchword_http_rate_limited_total",
			Help: "Requests refused by a per-client rate limit (writes, reads, sign-in attempts).",
		}),
	}
	count := &cachedCount{eng: eng, ttl: 10 * time.Second}
	cs := []prometheus.Collector{
		m.httpRequests, m.httpDuration, m.searchDuration, m.ingested, m.indexed, m.rejected, m.rateLimited,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "watchword_articles",
			Help: "Articles in the store (recounted at most every 10 s).",
		}, count.get),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "watchword_index_lag",
			Help: "Store changes not yet applied to the index (store last seq - indexed seq).",
		}, func() float64 {
			last, err := eng.LastSeq(context.Background())
			if err != nil {
				return -1
			}
			idx := eng.IndexedSeq()
			if idx >= last {
				return 0
			}
			return float64(last - idx)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "watchword_index_seq",
			Help: "Highest store sequence that is searchable.",
		}, func() float64 { return float64(eng.IndexedSeq()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "watchword_index_segments",
			Help: "Segments of the index, all shards; compaction merges them once writes are idle (index/compact.go).",
		}, func() float64 {
			segs, err := eng.IndexSegments()
			if err != nil {
				return -1
			}
			n := 0
			for _, s := range segs {
				n += s
			}
			return float64(n)
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "watchword_index_compactions_total",
			Help: "Index shards compacted since the server started.",
		}, func() float64 { return float64(eng.IndexCompactions()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// cachedCount counts stored articles at most once per ttl: the count
// walks the bucket's pages, which is too much for every scrape of a large
// store.
type cachedCount struct {
	eng *engine.Engine
	ttl time.Duration

	mu   sync.Mutex
	at   time.Time
	last float64
}

func (c *cachedCount) get() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < c.ttl {
		return c.last
	}
	n, err := c.eng.Count(context.Background())
	if err != nil {
		return c.last
	}
	c.last, c.at = float64(n), time.Now()
	return c.last
}

// observeHTTP counts one request. Every label value comes from a closed
// set: route is a registered pattern or "unmatched" (the caller's job),
// the method is a standard one or "other", the status a known code or its
// class ("5xx"). A client can send any method, so the raw one would make
// a new series per request.
func (m *metrics) observeHTTP(route, method string, status int, d time.Duration) {
	method = methodLabel(method)
	m.httpRequests.WithLabelValues(route, method, statusLabel(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
	if route == "/api/search" && status == http.StatusOK {
		m.searchDuration.Observe(d.Seconds())
	}
}

// methodLabel is the method as a label value: a standard method, or
// "other".
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// statusLabel is the status as a label value: the code when it is one
// net/http knows, else its class ("4xx"), else "other".
func statusLabel(status int) string {
	switch {
	case http.StatusText(status) != "":
		return strconv.Itoa(status)
	case status >= 100 && status <= 599:
		return strconv.Itoa(status/100) + "xx"
	}
	return "other"
}

// observeIngest counts one ingest request's articles.
func (m *metrics) observeIngest(received, stored int, rejected []engine.ItemError) {
	m.ingested.Add(float64(received))
	m.indexed.Add(float64(stored))
	for _, r := range rejected {
		code := r.Code // one of internal/news's codes; anything else is "other"
		if _, known := statusOf[code]; !known {
			code = "other"
		}
		m.rejected.WithLabelValues(code).Inc()
	}
}

// Registry is the Prometheus registry GET /metrics serves. Other layers
// (alerts) register their collectors in it; names start with watchword_.
func (s *Server) Registry() *prometheus.Registry { return s.cfg.Registry }

// handleMetrics serves the registry in the Prometheus text format.
func (s *Server) handleMetrics() echo.HandlerFunc {
	h := promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{
		ErrorLog:            slogAdapter{s},
		MaxRequestsInFlight: 4,
	})
	return echo.WrapHandler(h)
}

// slogAdapter lets promhttp report encoding errors through slog.
type slogAdapter struct{ s *Server }

func (a slogAdapter) Println(v ...any) { a.s.log.Error("metrics: " + fmt.Sprint(v...)) }
