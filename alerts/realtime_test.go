package alerts

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/schedule"
	"github.com/watchword/watchword/internal/testutil"
)

// realtimeInput is an alert on @realtime sending every match in one
// delivery per round.
func realtimeInput(in *Input) {
	in.Schedule = strp("@realtime")
	in.MaxMatchesPerDelivery = intp(MaxMatchesPerDelivery)
}

// TestRealtimeValidation: @realtime is a valid schedule whatever the
// minimum interval (an hour here), normalized, with no next run time
// and no cron entry; a spec that only starts like it is refused.
func TestRealtimeValidation(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MinInterval = time.Hour })
	h := newHook(t)
	v := e.create(t, h, "oil", func(in *Input) { in.Schedule = strp(" @RealTime ") })
	if v.Schedule != "@realtime" || v.NextRunAt != nil {
		t.Fatalf("schedule %q, next run %v; want @realtime and none", v.Schedule, v.NextRunAt)
	}
	e.svc.schedMu.Lock()
	next := e.svc.entries.Next(e.svc.cron, v.ID)
	e.svc.schedMu.Unlock()
	if !next.IsZero() {
		t.Fatalf("a realtime alert has a cron entry, next at %v", next)
	}
	for _, bad := range []string{"@realtime 5s", "@real-time"} {
		_, err := e.svc.Create(context.Background(), &Input{Name: strp("x"), Query: strp("oil"), Schedule: strp(bad), WebhookURL: strp(h.srv.URL)})
		if news.ErrorCode(err) != news.ECodeInvalid {
			t.Errorf("schedule %q: %v, want invalid", bad, err)
		}
	}
	// A clock schedule still obeys the minimum interval.
	if _, err := e.svc.Update(context.Background(), v.ID, &Input{Schedule: strp("@every 1m")}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("@every 1m with a 1h minimum: %v", err)
	}
}

// TestRealtimeIngestDelivers: an ingest of a matching article reaches a
// real receiver without any run being asked for and without a cron
// firing (the alert is @realtime; the sweep is an hour away).
func TestRealtimeIngestDelivers(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RealtimeSweep = time.Hour })
	h := newHook(t)
	a := e.create(t, h, "copper", realtimeInput)
	e.ingest(t, art("other", "wheat harvest"))
	start := time.Now()
	e.ingest(t, art("c1", "copper prices rose"))
	testutil.WaitFor(t, "the realtime webhook", 10*time.Second, func() bool { return len(h.got()["c1"]) == 1 })
	t.Logf("ingest acknowledged -> webhook received in %v", time.Since(start))
	if got := h.got(); len(got) != 1 {
		t.Fatalf("received %v, want only c1", got)
	}
	if ds := e.deliveries(t, a.ID); len(ds) != 1 || ds[0].Type != EventMatched {
		t.Fatalf("deliveries %+v", ds)
	}
}

// TestRealtimeBurstCoalesces: many ingests in a burst (each its own
// Ingest call, so its own signal) give few deliveries, capped by the
// rounds RealtimeEvery allows, and every match arrives exactly once.
func TestRealtimeBurstCoalesces(t *testing.T) {
	const every = 300 * time.Millisecond
	e := newEnv(t, func(c *Config) { c.RealtimeEvery = every; c.RealtimeSweep = time.Hour })
	h := newHook(t)
	a := e.create(t, h, "nickel", realtimeInput)
	const n = 60
	start := time.Now()
	for i := range n {
		e.ingest(t, art(fmt.Sprintf("n%d", i), "nickel output"), art(fmt.Sprintf("x%d", i), "unrelated cocoa"))
	}
	burst := time.Since(start)
	testutil.WaitFor(t, "every match", 15*time.Second, func() bool { return len(h.got()) == n })
	for id, whs := range h.got() {
		if !strings.HasPrefix(id, "n") || len(whs) != 1 {
			t.Errorf("article %s carried by %v, want a match carried once", id, whs)
		}
	}
	ds := e.deliveries(t, a.ID)
	// One round at the first signal, then at most one per every while the
	// burst lasts, and one after it.
	most := int(burst/every) + 2
	t.Logf("%d ingests in %v -> %d deliveries (at most %d allowed)", n, burst, len(ds), most)
	if len(ds) > most || len(ds) >= n {
		t.Fatalf("%d deliveries for %d ingests in %v, want at most %d", len(ds), n, burst, most)
	}
	if h.count() != len(ds) {
		t.Fatalf("%d webhooks for %d deliveries", h.count(), len(ds))
	}
}

// TestRealtimeCrashBetweenIngestAndEvaluation: articles ingested while
// the service is down (the signal goes nowhere, as after a crash between
// the acknowledgement and the round) are delivered by the next service
// on the same store at its start, once, with the sweep an hour away.
func TestRealtimeCrashBetweenIngestAndEvaluation(t *testing.T) {
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	st := testStore(t, eng)
	h := newHook(t)
	newSvc := func() *Service {
		svc, err := New(Config{Store: st, Engine: eng, Logger: quiet, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 2 * time.Second,
			Version: "test", RealtimeSweep: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	stop := func(svc *Service) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	first := newSvc()
	v, err := first.Create(context.Background(), &Input{Name: strp("rt"), Query: strp("zinc"), Schedule: strp("@realtime"), WebhookURL: strp(h.srv.URL + "/hook")})
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.secret = v.Secret
	h.mu.Unlock()
	stop(first)
	for i := range 3 {
		if _, _, err := eng.Ingest(context.Background(), []*news.Article{art(fmt.Sprintf("z%d", i), "zinc smelter")}); err != nil {
			t.Fatal(err)
		}
	}
	if h.count() != 0 {
		t.Fatal("a stopped service delivered")
	}
	second := newSvc()
	defer stop(second)
	testutil.WaitFor(t, "the matches ingested while down", 10*time.Second, func() bool { return len(h.got()) == 3 })
	// And the restart path did not send them twice.
	if _, _, err := eng.Ingest(context.Background(), []*news.Article{art("z-after", "zinc again")}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the match ingested after the restart", 10*time.Second, func() bool { return len(h.got()) == 4 })
	for id, whs := range h.got() {
		if len(whs) != 1 {
			t.Errorf("%s carried by %v", id, whs)
		}
	}
}

// TestRealtimeSweepCoversALostSignal: with every ingest signal lost,
// the periodic sweep still delivers the match: the loop is idle with no
// round pending when the article comes, so nothing else can run one.
func TestRealtimeSweepCoversALostSignal(t *testing.T) {
	h := newHook(t)
	var a View
	e := newEnvWith(t, func(c *Config) { c.RealtimeEvery = MinRealtimeEvery; c.RealtimeSweep = 300 * time.Millisecond },
		func(s *Service) {
			s.rt.subscribe = func(func(uint64)) func() { return func() {} } // every signal lost
			var err error
			a, err = s.Create(context.Background(), &Input{Name: strp("rt"), Query: strp("lead"), Schedule: strp("@realtime"), WebhookURL: strp(h.srv.URL + "/hook")})
			if err != nil {
				t.Fatal(err)
			}
		})
	h.mu.Lock()
	h.secret = a.Secret
	h.mu.Unlock()
	testutil.WaitFor(t, "the realtime loop idle, no round pending", 10*time.Second, func() bool {
		return e.svc.rt.idle.Load() && len(e.svc.rt.kick) == 0
	})
	e.ingest(t, art("l1", "lead futures"))
	testutil.WaitFor(t, "the sweep's delivery", 10*time.Second, func() bool { return len(h.got()["l1"]) == 1 })
}

// TestRealtimeHeld: a held service (a restored store) does not evaluate
// realtime alerts on ingest; released, it delivers what came meanwhile.
func TestRealtimeHeld(t *testing.T) {
	hold := schedule.NewHold("restored in a test")
	e := newEnv(t, func(c *Config) { c.Hold = hold; c.RealtimeSweep = time.Hour })
	h := newHook(t)
	e.create(t, h, "cobalt", realtimeInput)
	e.ingest(t, art("co1", "cobalt mines"))
	testutil.WaitFor(t, "a skipped realtime round", 10*time.Second, func() bool { return hold.Skipped() > 0 })
	if h.count() != 0 {
		t.Fatal("a held service delivered")
	}
	hold.Release()
	testutil.WaitFor(t, "the delivery after release", 10*time.Second, func() bool { return len(h.got()["co1"]) == 1 })
}
