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

// TestSendersWaitUntilTheArticlesAreHere: with Config.Fresh failing (a
// cluster node whose copy of the articles is behind) the senders lease a
// delivery but neither send it nor complete it; once Fresh succeeds it
// is sent with its article. Before Fresh existed, a node behind built
// the payload from a store that lacked the article and completed the
// delivery as "every article was deleted": the match was lost.
func TestSendersWaitUntilTheArticlesAreHere(t *testing.T) {
	var fresh atomic.Bool
	var asked atomic.Int64
	e := newEnv(t, func(c *Config) {
		c.Fresh = func(ctx context.Context) error {
			asked.Add(1)
			if fresh.Load() {
				return nil
			}
			return context.DeadlineExceeded
		}
	})
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("fresh1", "Ukraine, a story a lagging node must not drop."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the senders to ask twice whether the articles are here", 20*time.Second, func() bool { return asked.Load() >= 2 })
	if got := h.got(); len(got) != 0 {
		t.Fatalf("sent while this node's articles were behind: %v", got)
	}
	for _, d := range e.deliveries(t, a.ID) {
		if d.Status != StatusPending {
			t.Fatalf("delivery %s is %s while the articles were behind, want pending", d.ID, d.Status)
		}
	}
	fresh.Store(true)
	testutil.WaitFor(t, "the delivery sent once the articles are here", 20*time.Second, func() bool { return len(h.got()["fresh1"]) > 0 })
}
