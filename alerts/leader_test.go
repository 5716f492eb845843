package alerts

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/testutil"
)

// TestScheduledRunsOnlyOnTheLeader: with Config.Leader answering false
// (another node of a cluster holds the scheduler lease) the cron firings
// of an @every 1s alert evaluate nothing, while a manual run still
// works; once it answers true the scheduled runs deliver.
func TestScheduledRunsOnlyOnTheLeader(t *testing.T) {
	var leads atomic.Bool
	var asked atomic.Int64
	e := newEnv(t, func(c *Config) {
		c.Leader = func() bool { asked.Add(1); return leads.Load() }
	})
	h := newHook(t)
	a := e.create(t, h, "ukraine", func(in *Input) { in.Schedule = strp("@every 1s") })
	e.ingest(t, art("lead1", "Ukraine, a story for the leader."))
	testutil.WaitFor(t, "three scheduled firings asked whether this node leads", 10*time.Second, func() bool { return asked.Load() >= 3 })
	if v, err := e.svc.Get(context.Background(), a.ID); err != nil || v.LastRunAt != nil || len(h.got()) != 0 {
		t.Fatalf("a follower evaluated on schedule: last run %v, deliveries %v (%v)", v.LastRunAt, h.got(), err)
	}
	leads.Store(true)
	testutil.WaitFor(t, "the leader's scheduled run delivers", 10*time.Second, func() bool { return len(h.got()["lead1"]) > 0 })
}
