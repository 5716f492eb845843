package cluster_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/cluster"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/testutil"
)

// TestLeaseOneHolderAndFailover: of three nodes competing for the lease
// exactly one holds it; when the holder dies another takes it within the
// TTL and a try interval; a holder that stops gives the lease up at once.
func TestLeaseOneHolderAndFailover(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := context.Background()
	const ttl = 3 * time.Second
	leases := make([]*cluster.Lease, 3)
	var changes atomic.Int64
	for i := range leases {
		l, err := cluster.StartLease(ctx, c.Node(i).JetStream(), cluster.LeaseConfig{
			Name: "scheduler", Holder: c.Peers[i].Name, TTL: ttl, Replicas: 3,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnChange: func(bool) { changes.Add(1) },
		})
		if err != nil {
			t.Fatal(err)
		}
		leases[i] = l
	}
	holders := func(alive ...int) []int {
		var hs []int
		for _, i := range alive {
			if leases[i].Held() {
				hs = append(hs, i)
			}
		}
		return hs
	}
	testutil.WaitFor(t, "one of three nodes holds the lease", 2*ttl, func() bool { return len(holders(0, 1, 2)) == 1 })
	first := holders(0, 1, 2)[0]
	name, err := leases[(first+1)%3].Holder(ctx)
	if err != nil || name != c.Peers[first].Name {
		t.Fatalf("another node reads the holder as %q (%v), want %s", name, err, c.Peers[first].Name)
	}
	// Renewals keep it with the same node over several TTLs.
	for range 3 {
		time.Sleep(ttl / 2) // the lease must survive its own TTL: this is the time being tested
		if hs := holders(0, 1, 2); len(hs) != 1 || hs[0] != first {
			t.Fatalf("holders %v, want only %d", hs, first)
		}
	}
	// The holder stops (a clean shutdown): another node takes over
	// without waiting out the TTL.
	stopAt := time.Now()
	leases[first].Stop(ctx)
	others := []int{}
	for i := range 3 {
		if i != first {
			others = append(others, i)
		}
	}
	testutil.WaitFor(t, "another node takes the lease after a clean stop", 2*ttl, func() bool { return len(holders(others...)) == 1 })
	t.Logf("clean handover in %s", time.Since(stopAt).Round(time.Millisecond))
	second := holders(others...)[0]
	// The new holder's node dies: its lease expires and the last node
	// takes it. (Two nodes of three keep the majority.)
	c.Kill(second)
	last := others[0]
	if last == second {
		last = others[1]
	}
	killAt := time.Now()
	testutil.WaitFor(t, "the last node takes the lease after the holder died", 4*ttl+10*time.Second, func() bool { return leases[last].Held() })
	t.Logf("failover after a kill in %s (TTL %s)", time.Since(killAt).Round(time.Millisecond), ttl)
	leases[last].Stop(ctx)
	leases[second].Stop(ctx)
	if changes.Load() < 3 {
		t.Fatalf("OnChange called %d times, want at least 3 (taken, given up, taken)", changes.Load())
	}
}

// TestClaimNodeRefusesASecondInstance: a node name claimed by one
// instance is refused to another (two processes with the same --node),
// and the same instance claiming again (a restart) gets it back at once.
func TestClaimNodeRefusesASecondInstance(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := cluster.ClaimNode(ctx, c.Node(0).JetStream(), "n1", "instance-a", 3, log)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop(context.Background())
	if _, err := cluster.ClaimNode(ctx, c.Node(1).JetStream(), "n1", "instance-b", 3, log); err == nil || !strings.Contains(err.Error(), "another process runs as node \"n1\"") {
		t.Fatalf("a second instance claiming n1: %v", err)
	}
	again, err := cluster.ClaimNode(ctx, c.Node(2).JetStream(), "n1", "instance-a", 3, log)
	if err != nil {
		t.Fatalf("the same instance claiming again (a restart): %v", err)
	}
	again.Stop(context.Background())
	other, err := cluster.ClaimNode(ctx, c.Node(1).JetStream(), "n2", "instance-b", 3, log)
	if err != nil {
		t.Fatalf("another name: %v", err)
	}
	other.Stop(context.Background())
}
