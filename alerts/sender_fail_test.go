package alerts

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/testutil"
)

// countingHandler counts the log records at warning level and above.
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h countingHandler) Handle(context.Context, slog.Record) error    { h.n.Add(1); return nil }
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h countingHandler) WithGroup(string) slog.Handler                { return h }

// failProbe makes the sender's payload build and outcome writes fail on
// demand and records when each was tried.
type failProbe struct {
	buildFails  atomic.Bool
	commitFails atomic.Bool
	logs        atomic.Int64

	mu      sync.Mutex
	builds  int
	commits []time.Time // failed outcome writes
}

func (f *failProbe) counts() (builds, commits int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.builds, len(f.commits)
}

const testHoldBase = 20 * time.Millisecond

// newFailEnv is an env whose sender goes through the probe, with an
// in-memory backoff starting at testHoldBase and the retry schedule
// 0, 100ms, 200ms.
func newFailEnv(t *testing.T) (*env, *failProbe) {
	f := &failProbe{}
	e := newEnvWith(t, func(c *Config) { c.Logger = slog.New(countingHandler{&f.logs}) }, func(s *Service) {
		p := s.sender
		p.holdBase = testHoldBase
		build := p.build
		p.build = func(ctx context.Context, d *Delivery, a *Alert) ([]byte, error) {
			f.mu.Lock()
			f.builds++
			f.mu.Unlock()
			if f.buildFails.Load() {
				return nil, errors.New("injected build failure")
			}
			return build(ctx, d, a)
		}
		p.out = failingOutbox{Outbox: p.out, f: f}
	})
	return e, f
}

// failingOutbox fails the writes of attempts' outcomes while the probe
// says so.
type failingOutbox struct {
	Outbox
	f *failProbe
}

func (o failingOutbox) fail() error {
	if !o.f.commitFails.Load() {
		return nil
	}
	o.f.mu.Lock()
	o.f.commits = append(o.f.commits, time.Now())
	o.f.mu.Unlock()
	return errors.New("injected write failure")
}

func (o failingOutbox) Complete(ctx context.Context, id string, r Result) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Outbox.Complete(ctx, id, r)
}

func (o failingOutbox) RetryAt(ctx context.Context, id string, when time.Time, r Result) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Outbox.RetryAt(ctx, id, when, r)
}

// backedOff checks that the first n failed writes were spread over at
// least the first n-1 steps of the backoff (less the jitter).
func (f *failProbe) backedOff(t *testing.T, n int) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var want time.Duration
	for i := 0; i < n-1; i++ {
		want += testHoldBase << i
	}
	if got := f.commits[n-1].Sub(f.commits[0]); got < want*9/10 {
		t.Errorf("%d failed writes in %s, want them spread over at least %s", n, got, want*9/10)
	}
}

// A delivery whose payload cannot be built is retried on the retry
// schedule, counted as attempts, and fails when the schedule is used up;
// it never spins.
func TestBuildFailureBacksOff(t *testing.T) {
	e, f := newFailEnv(t)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	f.buildFails.Store(true)
	e.ingest(t, art("b1", "Ukraine build failure."))
	start := time.Now()
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	// Done when the delivery failed, or as soon as it is obviously spinning.
	testutil.WaitFor(t, "the delivery to fail", 5*time.Second, func() bool {
		b, _ := f.counts()
		return b > 50 || e.deliveries(t, a.ID)[0].Status == StatusFailed
	})
	took := time.Since(start)
	builds, _ := f.counts()
	d := e.deliveries(t, a.ID)[0]
	t.Logf("%d builds, %d warnings and errors in %s; delivery %+v", builds, f.logs.Load(), took, d)
	if builds != 3 || d.Attempts != 3 || d.Status != StatusFailed || d.LastError == "" {
		t.Errorf("want 3 attempts (the schedule) and failed, got %d builds, delivery %+v", builds, d)
	}
	if took < 270*time.Millisecond {
		t.Errorf("three attempts took %s, less than the schedule's 300ms", took)
	}
	if n := f.logs.Load(); n > 2*int64(builds)+2 {
		t.Errorf("%d log lines for %d attempts", n, builds)
	}
	if h.count() != 0 {
		t.Errorf("%d POSTs without a payload", h.count())
	}
}

// A POST that succeeded but whose outcome could not be written is not
// POSTed again: the outcome is written again with backoff until it is in,
// and the receiver sees one request with the delivery's webhook-id.
func TestUnrecordedOutcomeIsNotPostedAgain(t *testing.T) {
	e, f := newFailEnv(t)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	f.commitFails.Store(true)
	e.ingest(t, art("u1", "Ukraine unrecorded."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	const n = 5
	testutil.WaitFor(t, "5 failed writes of the outcome", 5*time.Second, func() bool {
		_, c := f.counts()
		return c >= n || h.count() > 1
	})
	_, commits := f.counts()
	t.Logf("%d POSTs, %d failed writes, %d warnings and errors", h.count(), commits, f.logs.Load())
	if h.count() != 1 {
		t.Fatalf("the receiver got %d POSTs, want 1", h.count())
	}
	f.backedOff(t, n)
	if logs := f.logs.Load(); logs > int64(commits)+2 {
		t.Errorf("%d log lines for %d failed writes", logs, commits)
	}
	f.commitFails.Store(false)
	testutil.WaitFor(t, "the outcome to be written", 5*time.Second, func() bool {
		return e.deliveries(t, a.ID)[0].Status == StatusSucceeded
	})
	d := e.deliveries(t, a.ID)[0]
	h.mu.Lock()
	ids := append([]string(nil), h.ids...)
	h.mu.Unlock()
	if len(ids) != 1 || ids[0] != d.ID || d.Attempts != 1 {
		t.Errorf("webhook ids %v, delivery %+v: want one POST with the delivery id", ids, d)
	}
}

// When the payload cannot be built and that outcome cannot be written
// either, the delivery is held back in memory with backoff: it is not
// built again until the outcome is in.
func TestBuildAndWriteFailingHoldInMemory(t *testing.T) {
	e, f := newFailEnv(t)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	f.buildFails.Store(true)
	f.commitFails.Store(true)
	e.ingest(t, art("m1", "Ukraine held in memory."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	const n = 5
	testutil.WaitFor(t, "5 failed writes", 5*time.Second, func() bool {
		b, c := f.counts()
		return c >= n || b > 50
	})
	builds, commits := f.counts()
	t.Logf("%d builds, %d failed writes, %d warnings and errors", builds, commits, f.logs.Load())
	if builds != 1 {
		t.Fatalf("built %d times, want 1 while its outcome is not written", builds)
	}
	f.backedOff(t, n)
	if logs := f.logs.Load(); logs > int64(builds+commits)+2 {
		t.Errorf("%d log lines for %d builds and %d failed writes", logs, builds, commits)
	}
	f.commitFails.Store(false)
	testutil.WaitFor(t, "the attempt to be written", 5*time.Second, func() bool {
		d := e.deliveries(t, a.ID)[0]
		return d.Attempts >= 1 && d.LastError != ""
	})
	if h.count() != 0 {
		t.Errorf("%d POSTs without a payload", h.count())
	}
}
