package jsstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/alertstest"
	"github.com/watchword/watchword/alerts/jsstore"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/store"
)

// split is one replicated alert state seen through two nodes: writes go
// through w, reads through r once r has applied everything w has (the
// read-your-writes a client gets across nodes by passing the writer's
// sequence on).
type split struct{ w, r *jsstore.Store }

var _ alerts.Store = split{}

func (s split) sync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return s.r.WaitApplied(ctx, s.w.Applied())
}

func (s split) Get(ctx context.Context, id string) (*alerts.Alert, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.Get(ctx, id)
}

func (s split) List(ctx context.Context) ([]*alerts.Alert, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.List(ctx)
}

func (s split) Create(ctx context.Context, as ...*alerts.Alert) error { return s.w.Create(ctx, as...) }
func (s split) Update(ctx context.Context, a *alerts.Alert, v uint64) error {
	return s.w.Update(ctx, a, v)
}
func (s split) Delete(ctx context.Context, id string, v uint64) error { return s.w.Delete(ctx, id, v) }
func (s split) CommitRun(ctx context.Context, now time.Time, upTo uint64, b []alerts.RunCommit) ([]alerts.RunOutcome, error) {
	return s.w.CommitRun(ctx, now, upTo, b)
}

func (s split) Unsent(ctx context.Context, a *alerts.Alert, ids []string) ([]string, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.Unsent(ctx, a, ids)
}

func (s split) Lease(ctx context.Context, now time.Time, max int, d time.Duration) ([]*alerts.Delivery, time.Time, error) {
	return s.w.Lease(ctx, now, max, d)
}
func (s split) Release(ctx context.Context, id string) error { return s.w.Release(ctx, id) }
func (s split) Complete(ctx context.Context, id string, r alerts.Result) error {
	return s.w.Complete(ctx, id, r)
}
func (s split) RetryAt(ctx context.Context, id string, when time.Time, r alerts.Result) error {
	return s.w.RetryAt(ctx, id, when, r)
}
func (s split) Modify(ctx context.Context, id string, fn func(*alerts.Delivery) error) (*alerts.Delivery, error) {
	return s.w.Modify(ctx, id, fn)
}

func (s split) Delivery(ctx context.Context, id string) (*alerts.Delivery, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.Delivery(ctx, id)
}

func (s split) Deliveries(ctx context.Context, id string, limit int) ([]*alerts.Delivery, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.Deliveries(ctx, id, limit)
}

func (s split) Depth(ctx context.Context) (int, time.Time, error) {
	if err := s.sync(ctx); err != nil {
		return 0, time.Time{}, err
	}
	return s.r.Depth(ctx)
}

func (s split) Prune(ctx context.Context, now time.Time, keep time.Duration, exist func(context.Context, []string) ([]bool, error)) (alerts.PruneResult, error) {
	return s.w.Prune(ctx, now, keep, exist)
}

// replica is one node's replicated alert state on its own bbolt file.
type replica struct {
	t    *testing.T
	path string
	db   *store.Store
	st   *jsstore.Store
}

func openReplica(t *testing.T, js jetstream.JetStream, path, stream string, replicas int) *replica {
	t.Helper()
	r := &replica{t: t, path: path}
	r.open(js, stream, replicas)
	t.Cleanup(r.close)
	return r
}

func (r *replica) open(js jetstream.JetStream, stream string, replicas int) {
	r.t.Helper()
	var err error
	if r.db, err = store.Open(r.path); err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r.st, err = jsstore.New(ctx, js, r.db, quiet, jsstore.Options{Replicas: replicas, Stream: stream}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *replica) close() {
	if r.st != nil {
		r.st.Close()
		r.db.Close()
		r.st, r.db = nil, nil
	}
}

// The suite on three nodes: every write through node 1, every read
// through node 2 after it applied the write.
func TestConformanceThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	alertstest.TestStore(t, func(t *testing.T) (alerts.Store, func() alerts.Store) {
		stream := fmt.Sprintf("T_ALERTS3_%d", streams.Add(1))
		dir := t.TempDir()
		w := openReplica(t, c.Node(0).JetStream(), filepath.Join(dir, "n1.db"), stream, 3)
		r := openReplica(t, c.Node(1).JetStream(), filepath.Join(dir, "n2.db"), stream, 3)
		return split{w.st, r.st}, func() alerts.Store {
			w.close()
			r.close()
			w.open(c.Node(0).JetStream(), stream, 3)
			r.open(c.Node(1).JetStream(), stream, 3)
			return split{w.st, r.st}
		}
	})
}

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newAlert(id string) *alerts.Alert {
	return &alerts.Alert{
		Info: alerts.Info{ID: id, Name: "alert " + id, Query: "ukraine", Schedule: "@hourly", Timezone: "UTC",
			WebhookURL: "https://receiver.example/hook", Enabled: true, MaxMatchesPerDelivery: 2},
		Progress: alerts.Progress{CreatedAt: base, Watermark: 10},
		Secret:   "whsec_AAAA", Version: 1,
	}
}

// dump is a replica's whole alert state as text: every alert with its
// run state and every delivery with its chain link and status.
func dump(t *testing.T, st *jsstore.Store) string {
	t.Helper()
	ctx := context.Background()
	as, err := st.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, a := range as {
		j, _ := json.Marshal(a)
		fmt.Fprintf(&b, "alert %s head=%s\n", j, a.Head)
		ds, err := st.Deliveries(ctx, a.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			j, _ := json.Marshal(d)
			fmt.Fprintf(&b, "  delivery %s prev=%s done=%v\n", j, d.Prev, d.Done)
		}
	}
	n, oldest, err := st.Depth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "depth %d oldest %v\n", n, oldest)
	return b.String()
}

// caughtUp waits until every replica has applied the stream's last
// command.
func caughtUp(t *testing.T, rs ...*jsstore.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	last, err := rs[0].LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if err := r.WaitApplied(ctx, last); err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
}

// Two nodes commit a run of the same snapshot at the same time: one
// commits, the other gets ErrConflict, and the deliveries exist once,
// with the same ids, on every node. Then two nodes lease at once: each
// delivery goes to one of them; with nothing due, a lease publishes
// nothing.
func TestConcurrentCommitsOnTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	dir := t.TempDir()
	var rs []*jsstore.Store
	for i := range 3 {
		rs = append(rs, openReplica(t, c.Node(i).JetStream(), filepath.Join(dir, fmt.Sprintf("n%d.db", i+1)), "T_RACE", 3).st)
	}
	ctx := context.Background()
	if err := rs[0].Create(ctx, newAlert("al_a")); err != nil {
		t.Fatal(err)
	}
	caughtUp(t, rs...)
	for round := range 5 {
		snaps := make([]*alerts.Alert, 3)
		for i := 1; i <= 2; i++ {
			a, err := rs[i].Get(ctx, "al_a")
			if err != nil {
				t.Fatal(err)
			}
			snaps[i] = a
		}
		if snaps[1].Watermark != snaps[2].Watermark || snaps[1].Version != snaps[2].Version {
			t.Fatalf("round %d: the nodes' snapshots differ: %+v / %+v", round, snaps[1].Progress, snaps[2].Progress)
		}
		var wg sync.WaitGroup
		outs := make([][]alerts.RunOutcome, 3)
		errs := make([]error, 3)
		start := make(chan struct{})
		for i := 1; i <= 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ids := []string{fmt.Sprintf("r%d-a", round), fmt.Sprintf("r%d-b", round), fmt.Sprintf("r%d-c", round), fmt.Sprintf("n%d", i)}
				outs[i], errs[i] = rs[i].CommitRun(ctx, base.Add(time.Duration(round)*time.Minute), snaps[i].Watermark+10, []alerts.RunCommit{{Alert: snaps[i], Matches: ids}})
			}()
		}
		close(start)
		wg.Wait()
		won, deliveries := 0, 0
		for i := 1; i <= 2; i++ {
			switch {
			case errs[i] != nil:
				t.Fatalf("round %d, node %d: %v", round, i+1, errs[i])
			case outs[i][0].Err == nil:
				won++
				deliveries = outs[i][0].Deliveries
			case !errors.Is(outs[i][0].Err, alerts.ErrConflict):
				t.Fatalf("round %d, node %d: %v, want ErrConflict", round, i+1, outs[i][0].Err)
			}
		}
		if won != 1 || deliveries != 2 {
			t.Fatalf("round %d: %d of 2 nodes committed (%d deliveries), want exactly 1 (2 deliveries)", round, won, deliveries)
		}
		caughtUp(t, rs...)
		want := dump(t, rs[0])
		for i := 1; i <= 2; i++ {
			if got := dump(t, rs[i]); got != want {
				t.Fatalf("round %d: node %d's state differs from node 1's:\n%s\nnode 1:\n%s", round, i+1, got, want)
			}
		}
		ds, err := rs[0].Deliveries(ctx, "al_a", 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 2*(round+1) {
			t.Fatalf("round %d: %d deliveries, want %d (one winner a round)", round, len(ds), 2*(round+1))
		}
	}

	// Two nodes' senders lease at once: every delivery goes to exactly
	// one of them.
	var wg sync.WaitGroup
	leased := make([][]*alerts.Delivery, 3)
	for i := 1; i <= 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				ds, _, err := rs[i].Lease(ctx, base.Add(time.Hour), 2, time.Hour)
				if err != nil {
					t.Errorf("node %d: lease: %v", i+1, err)
					return
				}
				leased[i] = append(leased[i], ds...)
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i := 1; i <= 2; i++ {
		for _, d := range leased[i] {
			seen[d.ID]++
		}
	}
	if len(seen) != 10 || len(leased[1])+len(leased[2]) != 10 {
		t.Fatalf("two nodes leased %d and %d deliveries, %d different, want the 10 once each", len(leased[1]), len(leased[2]), len(seen))
	}
	// Nothing is due any more: a lease publishes nothing.
	caughtUp(t, rs...)
	before, err := rs[0].LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if ds, _, err := rs[i].Lease(ctx, base.Add(time.Hour), 10, time.Hour); err != nil || len(ds) != 0 {
			t.Fatalf("node %d: a lease with every delivery leased: %d, %v", i+1, len(ds), err)
		}
	}
	if after, err := rs[0].LastSeq(ctx); err != nil || after != before {
		t.Errorf("leases with nothing due moved the stream from %d to %d (%v): an idle outbox must publish nothing", before, after, err)
	}
}

// A node is stopped, the others keep writing (alerts, runs, attempts,
// an edit, a deletion), and the node, restarted on its data, catches up
// to the same state as the others.
func TestKilledNodeCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	dir := t.TempDir()
	reps := make([]*replica, 3)
	for i := range 3 {
		reps[i] = openReplica(t, c.Node(i).JetStream(), filepath.Join(dir, fmt.Sprintf("n%d.db", i+1)), "T_CATCHUP", 3)
	}
	ctx := context.Background()
	if err := reps[0].st.Create(ctx, newAlert("al_a"), newAlert("al_b")); err != nil {
		t.Fatal(err)
	}
	commit := func(st *jsstore.Store, id string, now time.Time, ids ...string) {
		t.Helper()
		a, err := st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := st.CommitRun(ctx, now, a.Watermark+5, []alerts.RunCommit{{Alert: a, Matches: ids}})
		if err != nil || outs[0].Err != nil {
			t.Fatalf("commit %s: %v %+v", id, err, outs)
		}
	}
	caughtUp(t, reps[0].st, reps[1].st, reps[2].st)
	commit(reps[1].st, "al_a", base, "x1", "x2", "x3")
	caughtUp(t, reps[0].st, reps[1].st, reps[2].st)

	// Stop node 3 (it may be the stream's leader: the others elect one).
	reps[2].close()
	c.Kill(2)

	commit(reps[0].st, "al_a", base.Add(time.Minute), "y1")
	commit(reps[1].st, "al_b", base.Add(time.Minute), "x1", "z1", "z2")
	ds, err := reps[0].st.Deliveries(ctx, "al_a", 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := reps[0].st.Complete(ctx, ds[len(ds)-1].ID, alerts.Result{Status: alerts.StatusSucceeded, Attempts: 1, StatusCode: 204, At: base}); err != nil {
		t.Fatal(err)
	}
	if err := reps[1].st.RetryAt(ctx, ds[0].ID, base.Add(time.Hour), alerts.Result{Status: alerts.StatusRetrying, Attempts: 1, StatusCode: 503, Err: "503", At: base}); err != nil {
		t.Fatal(err)
	}
	a, err := reps[0].st.Get(ctx, "al_a")
	if err != nil {
		t.Fatal(err)
	}
	a.Name = "renamed"
	if err := reps[0].st.Update(ctx, a, a.Version); err != nil {
		t.Fatal(err)
	}
	if err := reps[1].st.Create(ctx, newAlert("al_c")); err != nil {
		t.Fatal(err)
	}
	caughtUp(t, reps[0].st, reps[1].st)
	b, err := reps[1].st.Get(ctx, "al_b")
	if err != nil {
		t.Fatal(err)
	}
	if err := reps[1].st.Delete(ctx, "al_b", b.Version); err != nil {
		t.Fatal(err)
	}

	c.Restart(2)
	reps[2].open(c.Node(2).JetStream(), "T_CATCHUP", 3)
	caughtUp(t, reps[0].st, reps[1].st, reps[2].st)
	want := dump(t, reps[0].st)
	for i := 1; i < 3; i++ {
		if got := dump(t, reps[i].st); got != want {
			t.Fatalf("node %d's state differs from node 1's after the restart:\n%s\nnode 1:\n%s", i+1, got, want)
		}
	}
	if !strings.Contains(want, "renamed") || strings.Contains(want, "al_b") || !strings.Contains(want, "al_c") {
		t.Errorf("the writes made while node 3 was down are not all there:\n%s", want)
	}
	if ids := slices.Collect(func(yield func(string) bool) {
		for _, l := range strings.Split(want, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "delivery") && !yield(l) {
				return
			}
		}
	}); len(ids) != 3 {
		t.Errorf("%d deliveries of al_a, want 3:\n%s", len(ids), want)
	}
}
