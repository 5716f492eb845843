package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
)

// simClock is the clock of a simulated run: it moves only when told.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func newSimClock(t time.Time) *simClock { return &simClock{t: t} }

func (c *simClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// simRun is `bench alerts --deliver`: each round's deliveries are sent
// to a local receiver by the service's own senders, the clock moves a
// round's time, the retention runs (deliveries, sent records, articles)
// and the data directory is measured.
type simRun struct {
	o       *benchAlertsOptions
	eng     *engine.Engine
	dir     string
	clock   *simClock
	out     io.Writer
	svc     *alerts.Service
	reg     *prometheus.Registry
	recv    *httptest.Server
	got     atomic.Int64
	hookURL string
	start0  int64
	sizes   []int64
	pruned  alerts.PruneResult
	deleted int
}

func newSimRun(o *benchAlertsOptions, eng *engine.Engine, dir string, clock *simClock, cfg *alerts.Config, out io.Writer) (*simRun, error) {
	r := &simRun{o: o, eng: eng, dir: dir, clock: clock, out: out, reg: prometheus.NewRegistry()}
	m, err := alerts.NewMetrics(r.reg)
	if err != nil {
		return nil, err
	}
	r.recv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	r.hookURL = r.recv.URL + "/hook"
	cfg.Metrics, cfg.Clock = m, clock.now
	cfg.DeliveryRetention = -1 // the run prunes after each round, not in the background
	if o.deliveryRetention > 0 {
		cfg.DeliveryRetention = time.Duration(o.deliveryRetention)
		cfg.PruneEvery = 1000 * time.Hour
	}
	r.start0 = dirSize(dir)
	fmt.Fprintf(out, "simulated run: %s per round, delivery retention %s, article retention %s; data directory %s at the start\n",
		o.roundTime, fmtAge(o.deliveryRetention), fmtAge(o.retention), mib(r.start0))
	return r, nil
}

func fmtAge(v ageValue) string {
	if v <= 0 {
		return "none"
	}
	return v.String()
}

func (r *simRun) start(svc *alerts.Service) error {
	r.svc = svc
	return svc.Start()
}

func (r *simRun) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r.svc != nil {
		_ = r.svc.Stop(ctx)
	}
	r.recv.Close()
}

// depth reads the outbox depth gauge.
func (r *simRun) depth() (float64, error) {
	mfs, err := r.reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() == "watchword_alert_outbox_depth" && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue(), nil
		}
	}
	return 0, fmt.Errorf("no outbox depth gauge")
}

func (r *simRun) afterRound(n int) error {
	start := time.Now()
	for {
		d, err := r.depth()
		if err != nil {
			return err
		}
		if d == 0 {
			break
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("round %d: %v deliveries still queued after 10 minutes", n, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sent := time.Since(start)
	r.clock.add(r.o.roundTime)
	var pr alerts.PruneResult
	var del int
	took := time.Now()
	if r.o.deliveryRetention > 0 {
		var err error
		if pr, err = r.svc.Prune(context.Background()); err != nil {
			return err
		}
	}
	if r.o.retention > 0 {
		var err error
		if del, err = r.eng.PruneArticles(context.Background(), engine.Retention{MaxAge: time.Duration(r.o.retention)}); err != nil {
			return err
		}
	}
	r.pruned.Deliveries += pr.Deliveries
	r.pruned.SentRemoved += pr.SentRemoved
	r.pruned.SentShrunk += pr.SentShrunk
	r.deleted += del
	size := dirSize(r.dir)
	r.sizes = append(r.sizes, size)
	fmt.Fprintf(r.out, "  round %3d: sent in %.1f s (receiver total %d); pruned %d deliveries, %d sent records, %d articles in %.2f s; data directory %s (store %s, in use %s)\n",
		n, sent.Seconds(), r.got.Load(), pr.Deliveries, pr.SentRemoved, del, time.Since(took).Seconds(),
		mib(size), mib(fileSize(engine.StorePath(r.dir))), mib(r.inUse()))
	return nil
}

func (r *simRun) summary() error {
	fmt.Fprintf(r.out, "simulated run: %d rounds; data directory %s -> %s (store %s, of it in use %s); pruned %d deliveries, %d sent records (%d shrunk), %d articles; receiver got %d deliveries\n",
		len(r.sizes), mib(r.start0), mib(r.sizes[len(r.sizes)-1]), mib(fileSize(engine.StorePath(r.dir))),
		mib(r.inUse()), r.pruned.Deliveries, r.pruned.SentRemoved, r.pruned.SentShrunk, r.deleted, r.got.Load())
	return nil
}

// inUse is the store's pages in use: up to its high-water mark (the file
// is grown ahead of it in steps), less the free pages bbolt reuses
// before it grows the file.
func (r *simRun) inUse() int64 {
	n, _ := r.eng.StoreInUse(context.Background())
	return n
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func fileSize(path string) int64 { return dirSize(path) }
