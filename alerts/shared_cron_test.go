package alerts

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/schedule"
	"github.com/watchword/watchword/internal/testutil"
)

// TestSharedCron runs the alerts on a scheduler owned by someone else (the
// server shares one with the feeds): scheduled alerts fire on it, Stop
// takes only the alerts' entries out and leaves it running for the other
// jobs, and the alerts never start or stop it themselves.
func TestSharedCron(t *testing.T) {
	c := schedule.NewCron(quiet)
	var other atomic.Int64
	if _, err := c.AddFunc("@every 1s", func() { other.Add(1) }); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(cfg *Config) { cfg.Cron = c })
	h := newHook(t)
	e.create(t, h, "ukraine", func(in *Input) { in.Schedule = strp("@every 1s") })
	e.ingest(t, art("c1", "Ukraine on the shared scheduler."))
	time.Sleep(1500 * time.Millisecond)
	if h.count() != 0 || other.Load() != 0 {
		t.Fatalf("the alerts started the shared scheduler: %d deliveries, %d other runs", h.count(), other.Load())
	}
	c.Start()
	defer c.Stop()
	testutil.WaitFor(t, "a delivery from the shared scheduler", 5*time.Second, func() bool { return h.count() == 1 })
	if n := len(c.Entries()); n != 2 {
		t.Fatalf("%d entries in the shared scheduler, want the other job and the alert", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Entries()); n != 1 {
		t.Fatalf("%d entries left after Stop, want only the other job", n)
	}
	before := other.Load()
	e.ingest(t, art("c2", "Ukraine after the alerts stopped."))
	testutil.WaitFor(t, "the other job to keep running", 5*time.Second, func() bool { return other.Load() > before })
	time.Sleep(1200 * time.Millisecond)
	if h.count() != 1 {
		t.Fatalf("%d deliveries after Stop, want 1", h.count())
	}
}
