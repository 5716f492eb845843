package alerts

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/testutil"
)

// A receiver that hangs does not hold Stop: the POST in flight is
// cancelled when Stop's ctx ends, the attempt records nothing, and the
// delivery is sent by the next service on the same data.
func TestStopCancelsAHangingPost(t *testing.T) {
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	cfg := Config{
		Store: testStore(t, eng), Engine: eng, Logger: quiet, MinInterval: time.Second,
		RetrySchedule: []time.Duration{0, 100 * time.Millisecond},
		Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Timeout:       30 * time.Second, // far beyond Stop's ctx
		Version:       "test",
	}
	start := func() *Service {
		svc, err := New(cfg)
		if err != nil {
			t.Fatal(err)
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
	first := start()

	h := newHook(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the receiver closes
	entered := make(chan struct{}, 1)
	h.respond = func(n int, w http.ResponseWriter) int {
		if n == 1 {
			entered <- struct{}{}
			<-release // hang
		}
		return 0
	}
	e := &env{eng: eng, svc: first}
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("s1", "Ukraine at shutdown."))
	if _, err := first.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver was never called")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	err = first.Stop(ctx)
	took := time.Since(began)
	if err != nil {
		t.Fatalf("Stop: %v (after %s)", err, took)
	}
	if took > 200*time.Millisecond+stopGrace {
		t.Fatalf("Stop took %s with a 200ms ctx", took)
	}
	ds := e.deliveries(t, a.ID)
	if len(ds) != 1 || ds[0].Attempts != 0 || (ds[0].Status != StatusPending && ds[0].Status != StatusRetrying) {
		t.Fatalf("after a cancelled attempt the delivery should be untouched in the outbox: %+v", ds[0])
	}

	second := start()
	e.svc = second
	testutil.WaitFor(t, "the delivery sent after the restart", 10*time.Second, func() bool {
		ds := e.deliveries(t, a.ID)
		return len(ds) == 1 && ds[0].Status == StatusSucceeded
	})
	if d := e.deliveries(t, a.ID)[0]; d.Attempts != 1 {
		t.Fatalf("attempts %d, want 1 (the cancelled one is not counted): %+v", d.Attempts, d)
	}
}

// The service logs a create, update and delete through the logger its
// caller's ctx carries (the request's, with request_id, over HTTP).
func TestLogsThroughTheContextLogger(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	var buf syncBuf
	ctx := logctx.With(context.Background(), slog.New(slog.NewTextHandler(&buf, nil)).With("request_id", "rq-9"))
	in := &Input{Name: strp("n"), Query: strp("ukraine"), Schedule: strp("@daily"), WebhookURL: strp(h.srv.URL + "/hook")}
	v, err := e.svc.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Update(ctx, v.ID, &Input{Name: strp("m")}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, msg := range []string{`msg="alerts: created"`, `msg="alerts: updated"`, `msg="alerts: deleted"`} {
		if !strings.Contains(out, msg) {
			t.Errorf("no %s line in the ctx logger: %s", msg, out)
		}
	}
	if n := strings.Count(out, "request_id=rq-9"); n != 3 {
		t.Errorf("%d lines with request_id, want 3: %s", n, out)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A run whose ctx is done commits nothing: no delivery, the watermark
// stays, and the next run sends the match.
func TestRunNowCancelledCommitsNothing(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("c1", "Ukraine cancelled."))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.svc.RunNow(ctx, a.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunNow with a done ctx: %v", err)
	}
	if _, err := e.svc.RunAlerts(ctx, []*Alert{{Info: Info{ID: a.ID}}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunAlerts with a done ctx: %v", err)
	}
	if ds := e.deliveries(t, a.ID); len(ds) != 0 {
		t.Fatalf("a cancelled run made deliveries: %+v", ds)
	}
	r, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil || r.Deliveries != 1 {
		t.Fatalf("the next run: %+v %v", r, err)
	}
}
