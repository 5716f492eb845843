package jsstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/jsstore"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/store"
)

// A round bigger than one command (the node's message limit is 8 MiB;
// here the bound is 2 KiB) is committed in several commands, none over
// the bound: a batch of many alerts by alerts, one alert's many matches
// in parts that move its watermark with the last. Every match is sent
// once, and the snapshot is stale afterwards as after one commit.
func TestBigRoundsAreSplit(t *testing.T) {
	const bound = 2048
	defer jsstore.SetMaxCommandBytes(bound)()
	c := clustertest.Start(t, 1)
	js := c.Node(0).JetStream()
	st := openReplica(t, js, filepath.Join(t.TempDir(), "a.db"), "T_SPLIT", 1).st
	ctx := context.Background()
	ids := func(prefix string, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s-%04d", prefix, i))
		}
		return out
	}

	var batch []alerts.RunCommit
	for i := range 10 {
		a := newAlert(fmt.Sprintf("al_%02d", i))
		a.MaxMatchesPerDelivery = 25
		if err := st.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		cur, _ := st.Get(ctx, a.ID)
		batch = append(batch, alerts.RunCommit{Alert: cur, Matches: ids("m", 60)})
	}
	big := newAlert("al_big")
	big.MaxMatchesPerDelivery = 25
	if err := st.Create(ctx, big); err != nil {
		t.Fatal(err)
	}
	snap, _ := st.Get(ctx, "al_big")
	batch = append(batch[:5], append([]alerts.RunCommit{{Alert: snap, Matches: append(ids("b", 1000), "b-0001")}}, batch[5:]...)...)
	first, _ := st.LastSeq(ctx)
	outs, err := st.CommitRun(ctx, base, 99, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(batch) {
		t.Fatalf("%d outcomes for %d alerts", len(outs), len(batch))
	}
	for i, o := range outs {
		want := 60
		if batch[i].Alert.ID == "al_big" {
			want = 1000
		}
		if o.Err != nil || o.Matches != want || o.Deliveries != (want+24)/25 {
			t.Errorf("%s: %+v, want %d matches in %d deliveries", batch[i].Alert.ID, o, want, (want+24)/25)
		}
		a, err := st.Get(ctx, batch[i].Alert.ID)
		if err != nil || a.Watermark != 99 {
			t.Errorf("%s: watermark %d %v, want 99", batch[i].Alert.ID, a.Watermark, err)
		}
	}
	if got := sent(t, st, "al_big"); len(got) != 1000 || len(slices.Compact(got)) != 1000 {
		t.Errorf("al_big: %d sent, want the 1000 once each", len(got))
	}
	last, _ := st.LastSeq(ctx)
	s, err := js.Stream(ctx, "T_SPLIT")
	if err != nil {
		t.Fatal(err)
	}
	for seq := first + 1; seq <= last; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Data) > bound+1024 {
			t.Errorf("command %d is %d bytes, over the bound %d", seq, len(m.Data), bound)
		}
	}
	t.Logf("%d alerts, %d matches: %d commands", len(batch), 10*60+1000, last-first)
	// The snapshot is stale now, as after one commit.
	outs, err = st.CommitRun(ctx, base, 120, []alerts.RunCommit{{Alert: snap, Matches: []string{"late"}}})
	if err != nil || !errors.Is(outs[0].Err, alerts.ErrConflict) {
		t.Errorf("the big alert's old snapshot again: %+v %v, want ErrConflict", outs, err)
	}
}

// sent returns every article id in the alert's deliveries, sorted.
func sent(t *testing.T, st *jsstore.Store, id string) []string {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), id, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.ArticleIDs...)
	}
	slices.Sort(out)
	return out
}

// A node opened with a LeaseGrace leases nothing during it (it cannot
// know the leases other nodes' senders took before it started) and says
// when to look again; another node leases meanwhile.
func TestLeaseGraceAfterStart(t *testing.T) {
	c := clustertest.Start(t, 1)
	js := c.Node(0).JetStream()
	dir := t.TempDir()
	a := openReplica(t, js, filepath.Join(dir, "a.db"), "T_GRACE", 1).st
	ctx := context.Background()
	al := newAlert("al_a")
	if err := a.Create(ctx, al); err != nil {
		t.Fatal(err)
	}
	cur, _ := a.Get(ctx, "al_a")
	if outs, err := a.CommitRun(ctx, base, 20, []alerts.RunCommit{{Alert: cur, Matches: []string{"x", "y", "z"}}}); err != nil || outs[0].Err != nil {
		t.Fatalf("commit: %v %+v", err, outs)
	}
	db, err := store.Open(filepath.Join(dir, "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := jsstore.New(ctx, js, db, quiet, jsstore.Options{Stream: "T_GRACE", LeaseGrace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WaitApplied(ctx, a.Applied()); err != nil {
		t.Fatal(err)
	}
	now := base.Add(time.Minute)
	ds, next, err := b.Lease(ctx, now, 10, time.Minute)
	if err != nil || len(ds) != 0 || next.Before(now.Add(59*time.Minute)) {
		t.Fatalf("a lease in the grace: %d deliveries, next %v, %v; want none, next in about an hour", len(ds), next, err)
	}
	if ds, _, err := a.Lease(ctx, now, 10, time.Minute); err != nil || len(ds) != 2 {
		t.Fatalf("the other node's lease: %d deliveries, %v; want both", len(ds), err)
	}
}
