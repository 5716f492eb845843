package alerts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// observedBatcher is the test store's outbox with its batched outcome
// writes (RecordAttempts) observed: the ids of each call are noted; while
// gate is open-ended (not closed) a call waits on it; while fail is set a
// call writes nothing and fails, which is what a process that dies
// between the POST and the commit leaves behind.
type observedBatcher struct {
	Outbox
	b    OutcomeBatcher
	gate chan struct{} // nil: no wait
	fail atomic.Bool

	mu    sync.Mutex
	calls [][]string
}

func observe(out Outbox, gate chan struct{}) *observedBatcher {
	return &observedBatcher{Outbox: out, b: out.(OutcomeBatcher), gate: gate}
}

func (o *observedBatcher) RecordAttempts(ctx context.Context, rs []AttemptRecord) error {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	o.mu.Lock()
	o.calls = append(o.calls, ids)
	o.mu.Unlock()
	if o.gate != nil {
		<-o.gate
	}
	if o.fail.Load() {
		return errors.New("injected: the process died before the commit")
	}
	return o.b.RecordAttempts(ctx, rs)
}

// written returns the ids of every call and the number of calls.
func (o *observedBatcher) written() (ids []string, calls int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.calls {
		ids = append(ids, c...)
	}
	return ids, len(o.calls)
}

// manyDeliveries creates an alert with one match per delivery, ingests n
// matching articles and runs it: n deliveries, due now.
func manyDeliveries(t *testing.T, e *env, h *hook, n int) View {
	t.Helper()
	a := e.create(t, h, "ukraine", func(in *Input) { in.MaxMatchesPerDelivery = intp(1) })
	arts := make([]*news.Article, n)
	for i := range arts {
		// Distinct bodies: copies of one story would be sent once.
		arts[i] = art(fmt.Sprintf("b%d", i), fmt.Sprintf("Ukraine report number %d about topic %d.", i, i*7919))
	}
	e.ingest(t, arts...)
	res, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != n {
		t.Fatalf("%d deliveries, want %d", res.Deliveries, n)
	}
	return a
}

// The workers do not wait for the store to take an outcome: while the
// first write of outcomes is held, the pool sends every other delivery,
// and the outcomes finished meanwhile are written together, each exactly
// once.
func TestOutcomesAreRecordedInBatches(t *testing.T) {
	gate := make(chan struct{})
	var ob *observedBatcher
	e := newEnvWith(t, nil, func(s *Service) {
		ob = observe(s.sender.out, gate)
		s.sender.out = ob
	})
	h := newHook(t)
	const n = 40 // five times the senders
	a := manyDeliveries(t, e, h, n)
	testutil.WaitFor(t, "every delivery POSTed while the first outcome write is held", 10*time.Second, func() bool {
		return h.count() == n
	})
	close(gate)
	testutil.WaitFor(t, "every outcome written", 10*time.Second, func() bool {
		for _, d := range e.deliveries(t, a.ID) {
			if d.Status != StatusSucceeded {
				return false
			}
		}
		return true
	})
	ds := e.deliveries(t, a.ID)
	want := make([]string, 0, n)
	for _, d := range ds {
		want = append(want, d.ID)
		if d.Attempts != 1 || d.LastStatusCode != 200 {
			t.Errorf("delivery %s: %d attempts, status %d; want 1 attempt answered 200", d.ID, d.Attempts, d.LastStatusCode)
		}
	}
	slices.Sort(want)
	written, calls := ob.written()
	t.Logf("%d outcomes written in %d calls", len(written), calls)
	slices.Sort(written)
	if !slices.Equal(written, want) {
		t.Errorf("outcomes written %v, want each delivery exactly once: %v", written, want)
	}
	// One call held; what finished meanwhile goes in one more, or two
	// when the last POSTs' outcomes were handed over after it began.
	if calls > 3 {
		t.Errorf("%d write calls for %d outcomes, want them batched (at most 3)", calls, n)
	}
	h.mu.Lock()
	got := slices.Clone(h.ids)
	h.mu.Unlock()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("webhook-ids received %v, want each delivery once: %v", got, want)
	}
}

// A process that dies after its POSTs and before their outcomes are
// committed sends them again after the restart, with the same
// webhook-ids, and then each delivery is completed exactly once: one
// attempt recorded, nothing left queued.
func TestOutcomesLostInACrashAreSentAgainOnce(t *testing.T) {
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	var ob *observedBatcher
	start := func(crashy bool) *Service {
		// A new store on the same file: a new process, which holds no
		// lease of the one before.
		svc, err := New(Config{
			Store: testStore(t, eng), Engine: eng, Logger: quiet, MinInterval: time.Second,
			RetrySchedule: []time.Duration{0, 100 * time.Millisecond},
			Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			Timeout:       2 * time.Second, Version: "test",
		})
		if err != nil {
			t.Fatal(err)
		}
		if crashy {
			ob = observe(svc.sender.out, nil)
			ob.fail.Store(true)
			svc.sender.out = ob
		}
		if err := svc.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = svc.Stop(ctx)
		})
		return svc
	}
	e := &env{eng: eng, svc: start(true)}
	h := newHook(t)
	const n = 12
	a := manyDeliveries(t, e, h, n)
	testutil.WaitFor(t, "every delivery POSTed and its outcome write tried", 10*time.Second, func() bool {
		ids, _ := ob.written()
		return h.count() == n && len(ids) >= n
	})
	// The "crash": the outcomes were never committed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range e.deliveries(t, a.ID) {
		if d.Status != StatusPending || d.Attempts != 0 {
			t.Fatalf("before the restart: %+v, want pending with no attempt recorded", d)
		}
	}
	e.svc = start(false)
	testutil.WaitFor(t, "every delivery completed after the restart", 10*time.Second, func() bool {
		for _, d := range e.deliveries(t, a.ID) {
			if d.Status != StatusSucceeded {
				return false
			}
		}
		return true
	})
	for _, d := range e.deliveries(t, a.ID) {
		if d.Attempts != 1 {
			t.Errorf("delivery %s: %d attempts recorded, want 1", d.ID, d.Attempts)
		}
	}
	if depth, _, err := e.svc.store.Depth(context.Background()); err != nil || depth != 0 {
		t.Errorf("queued after the restart: %d %v, want 0", depth, err)
	}
	h.mu.Lock()
	perID := map[string]int{}
	for _, id := range h.ids {
		perID[id]++
	}
	h.mu.Unlock()
	for _, d := range e.deliveries(t, a.ID) {
		if perID[d.ID] != 2 {
			t.Errorf("webhook-id %s received %d times, want 2 (once before the crash, once after)", d.ID, perID[d.ID])
		}
	}
	if len(perID) != n {
		t.Errorf("%d webhook-ids received, want %d", len(perID), n)
	}
}

// The pool keeps a connection per sender to a receiver: sending many
// deliveries to one receiver dials about once per sender, instead of
// closing all but a few connections after each burst and dialling again
// (with 4 idle connections per host, 400 deliveries took 57-90). A sender
// may dial once more when its next request starts before net/http has
// put its last connection back in the pool, hence twice the senders.
func TestSendersReuseTheirConnections(t *testing.T) {
	e := newEnv(t, nil)
	h := &hook{t: t, articles: map[string][]string{}}
	var dials atomic.Int64
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			dials.Add(1)
		}
	}
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	const n = 400 // fifty times the senders
	a := manyDeliveries(t, e, h, n)
	testutil.WaitFor(t, "every delivery sent", 20*time.Second, func() bool {
		for _, d := range e.deliveries(t, a.ID) {
			if d.Status != StatusSucceeded {
				return false
			}
		}
		return true
	})
	t.Logf("%d deliveries over %d connections (%d senders)", n, dials.Load(), e.svc.cfg.Senders)
	if got := dials.Load(); got > 2*int64(e.svc.cfg.Senders) {
		t.Errorf("%d connections for %d deliveries, want at most two per sender (%d)", got, n, e.svc.cfg.Senders)
	}
}
