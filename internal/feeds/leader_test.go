package feeds

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/testutil"
)

// TestScheduledPollsOnlyOnTheLeader: while Config.Leader answers false
// (another node holds the cluster's scheduler lease) an @every 1s feed
// is not fetched on schedule; once it answers true it is.
func TestScheduledPollsOnlyOnTheLeader(t *testing.T) {
	var leads atomic.Bool
	var asked atomic.Int64
	e := newEnv(t, nil, func(c *Config) { c.Leader = func() bool { asked.Add(1); return leads.Load() } })
	o := newOrigin(t)
	o.serve("application/rss+xml", rss("Lead", itemA), "")
	e.create(t, o.url("/lead"), func(in *Input) { in.Schedule = strp("@every 1s") })
	if err := e.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "three scheduled firings asked whether this node leads", 10*time.Second, func() bool { return asked.Load() >= 3 })
	if n := len(o.requestTimes()); n != 0 {
		t.Fatalf("a follower fetched the feed %d times on schedule", n)
	}
	leads.Store(true)
	testutil.WaitFor(t, "the leader polls on schedule", 10*time.Second, func() bool { return len(o.requestTimes()) > 0 })
}
