// Package alertstest is the conformance suite of the alerts seams
// (alerts.Definitions, alerts.Runs, alerts.Outbox): every implementation
// runs it from its own tests, as gitea's indexers run TestIndexer, so
// that the next one (a replicated store) is held to the same contract as
// the bbolt one.
//
//	func TestConformance(t *testing.T) { alertstest.TestStore(t, open) }
//
// It is one file of over 500 lines on purpose: it is a test suite (code
// run only by tests, in a non-test file so other packages can import
// it), read top to bottom as the contract, one section per interface.
package alertstest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/news"
)

// Opener opens an empty store for one test. reopen closes it and opens
// it again on the same data (a restart); the store it returned before is
// not used again. Both clean up after the test.
type Opener func(t *testing.T) (st alerts.Store, reopen func() alerts.Store)

// TestStore runs every part of the suite.
func TestStore(t *testing.T, open Opener) {
	t.Run("Definitions", func(t *testing.T) { TestDefinitions(t, open) })
	t.Run("Runs", func(t *testing.T) { TestRuns(t, open) })
	t.Run("Outbox", func(t *testing.T) { TestOutbox(t, open) })
}

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newAlert is a valid alert as the service would create it.
func newAlert(id string, created time.Time) *alerts.Alert {
	return &alerts.Alert{
		Info: alerts.Info{ID: id, Name: "alert " + id, Query: "ukraine", Schedule: "@hourly", Timezone: "UTC",
			WebhookURL: "https://receiver.example/hook", Enabled: true, MaxMatchesPerDelivery: 25},
		Progress: alerts.Progress{CreatedAt: created, Watermark: 10},
		Secret:   "whsec_AAAA", Version: 1,
	}
}

func create(t *testing.T, st alerts.Store, as ...*alerts.Alert) {
	t.Helper()
	if err := st.Create(context.Background(), as...); err != nil {
		t.Fatalf("create: %v", err)
	}
}

func get(t *testing.T, st alerts.Store, id string) *alerts.Alert {
	t.Helper()
	a, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return a
}

// TestDefinitions checks create, get, list and the compare-and-set of
// update and delete.
func TestDefinitions(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("CreateGet", func(t *testing.T) {
		st, _ := open(t)
		a, b := newAlert("al_a", base), newAlert("al_b", base.Add(time.Second))
		create(t, st, a, b)
		if a.Num == 0 || b.Num == 0 || a.Num == b.Num {
			t.Errorf("numbers %d and %d: want two different non-zero numbers", a.Num, b.Num)
		}
		got := get(t, st, "al_a")
		if got.Name != a.Name || got.Query != a.Query || got.WebhookURL != a.WebhookURL || got.Secret != a.Secret ||
			got.Version != 1 || got.Watermark != 10 || got.Num != a.Num || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("got %+v, want %+v", got, a)
		}
		if _, err := st.Get(ctx, "al_missing"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Errorf("get a missing alert: %v, want not found", err)
		}
	})
	t.Run("CreateTwice", func(t *testing.T) {
		st, _ := open(t)
		create(t, st, newAlert("al_a", base))
		err := st.Create(ctx, newAlert("al_new", base), newAlert("al_a", base))
		if !errors.Is(err, alerts.ErrConflict) {
			t.Fatalf("create an id twice: %v, want ErrConflict", err)
		}
		if _, err := st.Get(ctx, "al_new"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Errorf("a create that failed wrote part of its batch: %v", err)
		}
	})
	t.Run("ListOrder", func(t *testing.T) {
		st, _ := open(t)
		// Created out of id order and in two batches.
		create(t, st, newAlert("al_c", base.Add(2*time.Hour)), newAlert("al_a", base.Add(3*time.Hour)))
		create(t, st, newAlert("al_b", base.Add(time.Hour)))
		all, err := st.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range all {
			ids = append(ids, a.ID)
		}
		if want := []string{"al_b", "al_c", "al_a"}; !slices.Equal(ids, want) {
			t.Errorf("list: %v, want by creation time %v", ids, want)
		}
	})
	t.Run("UpdateCAS", func(t *testing.T) {
		st, _ := open(t)
		create(t, st, newAlert("al_a", base))
		a := get(t, st, "al_a")
		a.Name, a.Watermark = "renamed", 999 // the watermark is not the definition's to write
		if err := st.Update(ctx, a, 1); err != nil {
			t.Fatalf("update at the current version: %v", err)
		}
		if a.Version != 2 {
			t.Errorf("version after an update: %d, want 2", a.Version)
		}
		got := get(t, st, "al_a")
		if got.Name != "renamed" || got.Version != 2 || got.Watermark != 10 {
			t.Errorf("after update: name %q version %d watermark %d, want renamed, 2, 10", got.Name, got.Version, got.Watermark)
		}
		stale := get(t, st, "al_a")
		stale.Name = "stale"
		if err := st.Update(ctx, stale, 1); !errors.Is(err, alerts.ErrConflict) {
			t.Fatalf("update at a stale version: %v, want ErrConflict", err)
		}
		if got := get(t, st, "al_a"); got.Name != "renamed" || got.Version != 2 {
			t.Errorf("a refused update wrote: %+v", got)
		}
	})
	t.Run("DeleteCAS", func(t *testing.T) {
		st, _ := open(t)
		create(t, st, newAlert("al_a", base))
		a := get(t, st, "al_a")
		if err := st.Update(ctx, a, 1); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, "al_a", 1); !errors.Is(err, alerts.ErrConflict) {
			t.Fatalf("delete at a stale version: %v, want ErrConflict", err)
		}
		get(t, st, "al_a")
		if err := st.Delete(ctx, "al_a", 2); err != nil {
			t.Fatalf("delete at the current version: %v", err)
		}
		if _, err := st.Get(ctx, "al_a"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Errorf("get after delete: %v, want not found", err)
		}
	})
	t.Run("Reopen", func(t *testing.T) {
		st, reopen := open(t)
		a := newAlert("al_a", base)
		create(t, st, a)
		st = reopen()
		if got := get(t, st, "al_a"); got.Name != a.Name || got.Num != a.Num || got.Version != 1 {
			t.Errorf("after reopening: %+v", got)
		}
	})
}

// commitOne commits one alert's matches at now up to upTo and returns
// its outcome.
func commitOne(t *testing.T, st alerts.Store, a *alerts.Alert, now time.Time, upTo uint64, ids ...string) alerts.RunOutcome {
	t.Helper()
	outs, err := st.CommitRun(context.Background(), now, upTo, []alerts.RunCommit{{Alert: a, Matches: ids}})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if len(outs) != 1 {
		t.Fatalf("%d outcomes for one alert", len(outs))
	}
	return outs[0]
}

// sent returns every article id in the alert's deliveries, sorted.
func sent(t *testing.T, st alerts.Store, id string) []string {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), id, 1000)
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

// TestRuns checks the run commit: the sent-set, the watermark and its
// compare-and-set.
func TestRuns(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("NeverTwice", func(t *testing.T) {
		st, _ := open(t)
		create(t, st, newAlert("al_a", base))
		o := commitOne(t, st, get(t, st, "al_a"), base, 20, "x", "y", "x")
		if o.Err != nil || o.Matches != 2 || o.Deliveries != 1 {
			t.Fatalf("first commit: %+v, want 2 matches in 1 delivery", o)
		}
		a := get(t, st, "al_a")
		if a.Watermark != 20 || a.LastRunAt == nil || !a.LastRunAt.Equal(base) || a.LastDeliveryStatus != alerts.StatusPending {
			t.Errorf("state after the commit: watermark %d, last run %v, status %q", a.Watermark, a.LastRunAt, a.LastDeliveryStatus)
		}
		// x again, under a new sequence (re-ingested): not sent again.
		o = commitOne(t, st, a, base.Add(time.Minute), 30, "x", "z")
		if o.Err != nil || o.Matches != 1 {
			t.Fatalf("second commit: %+v, want only z", o)
		}
		if got := sent(t, st, "al_a"); !slices.Equal(got, []string{"x", "y", "z"}) {
			t.Errorf("sent %v, want each of x, y, z once", got)
		}
		unsent, err := st.Unsent(ctx, get(t, st, "al_a"), []string{"y", "w", "w", "z", "v"})
		if err != nil || !slices.Equal(unsent, []string{"w", "v"}) {
			t.Errorf("unsent: %v %v, want [w v]", unsent, err)
		}
		// Another alert has its own sent-set.
		create(t, st, newAlert("al_b", base))
		if o := commitOne(t, st, get(t, st, "al_b"), base, 30, "x"); o.Matches != 1 {
			t.Errorf("x for another alert: %+v, want it sent", o)
		}
	})
	t.Run("Chunks", func(t *testing.T) {
		st, _ := open(t)
		a := newAlert("al_a", base)
		a.MaxMatchesPerDelivery = 2
		create(t, st, a)
		o := commitOne(t, st, get(t, st, "al_a"), base, 20, "a1", "a2", "a3", "a4", "a5")
		if o.Matches != 5 || o.Deliveries != 3 {
			t.Fatalf("5 matches at 2 a delivery: %+v, want 3 deliveries", o)
		}
		ds, err := st.Deliveries(ctx, "al_a", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if len(d.ArticleIDs) > 2 || d.TotalNew != 5 || d.Status != alerts.StatusPending || d.AlertID != "al_a" {
				t.Errorf("delivery %+v", d)
			}
		}
	})
	t.Run("Targets", func(t *testing.T) {
		// One delivery per chunk and target (the webhook, each address),
		// each with the chunk's articles, read back with its target.
		st, _ := open(t)
		a := newAlert("al_a", base)
		a.MaxMatchesPerDelivery = 2
		a.Email = []string{"one@example.com", "two@example.com"}
		create(t, st, a)
		o := commitOne(t, st, get(t, st, "al_a"), base, 20, "a1", "a2", "a3")
		if o.Matches != 3 || o.Deliveries != 6 {
			t.Fatalf("3 matches at 2 a delivery to 3 targets: %+v, want 6 deliveries", o)
		}
		ds, err := st.Deliveries(ctx, "al_a", 10)
		if err != nil {
			t.Fatal(err)
		}
		per := map[string][]string{}
		for _, d := range ds {
			key := d.Target + ":" + d.Recipient
			per[key] = append(per[key], d.ArticleIDs...)
		}
		for _, key := range []string{"webhook:", "email:one@example.com", "email:two@example.com"} {
			got := per[key]
			slices.Sort(got)
			if !slices.Equal(got, []string{"a1", "a2", "a3"}) {
				t.Errorf("%s got %v, want a1, a2, a3 once each", key, got)
			}
		}
		if len(per) != 3 {
			t.Errorf("targets %v", per)
		}
		// Only email: no webhook delivery.
		b := newAlert("al_b", base)
		b.WebhookURL, b.Email = "", []string{"one@example.com"}
		create(t, st, b)
		if o := commitOne(t, st, get(t, st, "al_b"), base, 20, "a1"); o.Deliveries != 1 {
			t.Fatalf("email only: %+v", o)
		}
		ds, _ = st.Deliveries(ctx, "al_b", 10)
		if len(ds) != 1 || ds[0].Target != alerts.TargetEmail || ds[0].Recipient != "one@example.com" {
			t.Fatalf("email-only delivery %+v", ds[0])
		}
	})
	t.Run("StaleSnapshot", func(t *testing.T) {
		st, _ := open(t)
		create(t, st, newAlert("al_a", base), newAlert("al_b", base))
		snap, other := get(t, st, "al_a"), get(t, st, "al_b")
		if o := commitOne(t, st, snap, base, 20, "x"); o.Err != nil {
			t.Fatal(o.Err)
		}
		// The same snapshot again (a second runner): refused, nothing
		// written, and the rest of its batch still commits.
		outs, err := st.CommitRun(ctx, base, 30, []alerts.RunCommit{{Alert: snap, Matches: []string{"y"}}, {Alert: other, Matches: []string{"y"}}})
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(outs[0].Err, alerts.ErrConflict) || outs[0].Matches != 0 {
			t.Errorf("a stale snapshot: %+v, want ErrConflict", outs[0])
		}
		if outs[1].Err != nil || outs[1].Matches != 1 {
			t.Errorf("the other alert of the batch: %+v", outs[1])
		}
		if got := sent(t, st, "al_a"); !slices.Equal(got, []string{"x"}) {
			t.Errorf("sent %v after a refused commit, want [x]", got)
		}
		if a := get(t, st, "al_a"); a.Watermark != 20 {
			t.Errorf("watermark %d after a refused commit, want 20", a.Watermark)
		}
		// An edit makes an older snapshot stale too.
		snap = get(t, st, "al_a")
		edited := get(t, st, "al_a")
		if err := st.Update(ctx, edited, edited.Version); err != nil {
			t.Fatal(err)
		}
		if o := commitOne(t, st, snap, base, 40, "z"); !errors.Is(o.Err, alerts.ErrConflict) {
			t.Errorf("a snapshot from before an edit: %+v, want ErrConflict", o)
		}
		// And a deletion.
		snap = get(t, st, "al_b")
		if err := st.Delete(ctx, "al_b", snap.Version); err != nil {
			t.Fatal(err)
		}
		if o := commitOne(t, st, snap, base, 40, "z"); !errors.Is(o.Err, alerts.ErrConflict) {
			t.Errorf("a snapshot of a deleted alert: %+v, want ErrConflict", o)
		}
	})
	t.Run("ConcurrentCommits", func(t *testing.T) {
		st, _ := open(t)
		create(t, st, newAlert("al_a", base))
		snap := get(t, st, "al_a")
		const n = 4
		outs := make([]alerts.RunOutcome, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				a := *snap
				o, err := st.CommitRun(ctx, base, 20+uint64(i), []alerts.RunCommit{{Alert: &a, Matches: []string{fmt.Sprintf("r%d", i)}}})
				errs[i] = err
				if err == nil {
					outs[i] = o[0]
				}
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i := range n {
			switch {
			case errs[i] != nil:
				t.Errorf("runner %d: %v", i, errs[i])
			case outs[i].Err == nil:
				won++
			case !errors.Is(outs[i].Err, alerts.ErrConflict):
				t.Errorf("runner %d: %v, want ErrConflict", i, outs[i].Err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d runners of the same state committed, want 1", won, n)
		}
		if got := sent(t, st, "al_a"); len(got) != 1 {
			t.Errorf("sent %v, want the one winner's match", got)
		}
	})
}

// TestOutbox checks leasing, completion, retries and durability.
func TestOutbox(t *testing.T, open Opener) {
	ctx := context.Background()
	// setup makes one alert with n deliveries due at base.
	setup := func(t *testing.T, n int) (alerts.Store, func() alerts.Store, []*alerts.Delivery) {
		st, reopen := open(t)
		a := newAlert("al_a", base)
		a.MaxMatchesPerDelivery = 1
		create(t, st, a)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("art%d", i)
		}
		commitOne(t, st, get(t, st, "al_a"), base, 20, ids...)
		ds, err := st.Deliveries(ctx, "al_a", 100)
		if err != nil || len(ds) != n {
			t.Fatalf("%d deliveries, %v; want %d", len(ds), err, n)
		}
		slices.Reverse(ds) // oldest first
		return st, reopen, ds
	}
	lease := func(t *testing.T, st alerts.Store, now time.Time, max int) []string {
		t.Helper()
		ds, _, err := st.Lease(ctx, now, max, time.Minute)
		if err != nil {
			t.Fatalf("lease: %v", err)
		}
		var ids []string
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		return ids
	}
	t.Run("LeaseHides", func(t *testing.T) {
		st, _, ds := setup(t, 3)
		if got := lease(t, st, base.Add(-time.Second), 10); len(got) != 0 {
			t.Errorf("leased %v before they were due", got)
		}
		first := lease(t, st, base, 2)
		if len(first) != 2 {
			t.Fatalf("leased %v, want 2 (the limit)", first)
		}
		second := lease(t, st, base.Add(time.Second), 10)
		if len(second) != 1 || slices.Contains(first, second[0]) {
			t.Errorf("second lease %v: want only the one not leased (first %v)", second, first)
		}
		if got := lease(t, st, base.Add(30*time.Second), 10); len(got) != 0 {
			t.Errorf("leased %v again before the leases expired", got)
		}
		got := lease(t, st, base.Add(2*time.Minute), 10)
		slices.Sort(got)
		want := []string{ds[0].ID, ds[1].ID, ds[2].ID}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("after the leases expired: %v, want all of %v again", got, want)
		}
	})
	t.Run("DueOrder", func(t *testing.T) {
		st, _, ds := setup(t, 3)
		// ds[0] due last, ds[2] first.
		for i, d := range ds {
			when := base.Add(time.Duration(3-i) * time.Second)
			if err := st.RetryAt(ctx, d.ID, when, alerts.Result{Status: alerts.StatusRetrying, Attempts: 1, Err: "boom", At: base}); err != nil {
				t.Fatal(err)
			}
		}
		if got := lease(t, st, base.Add(time.Second/2), 10); len(got) != 0 {
			t.Errorf("leased %v before any retry was due", got)
		}
		got := lease(t, st, base.Add(10*time.Second), 10)
		if want := []string{ds[2].ID, ds[1].ID, ds[0].ID}; !slices.Equal(got, want) {
			t.Errorf("lease order %v, want by due time %v", got, want)
		}
		_, next, err := st.Lease(ctx, base.Add(10*time.Second), 10, time.Minute)
		if err != nil || next.IsZero() {
			t.Errorf("next after leasing everything: %v %v, want the first lease's expiry or later", next, err)
		}
	})
	t.Run("CompleteAndRetry", func(t *testing.T) {
		st, _, ds := setup(t, 2)
		lease(t, st, base, 10)
		done, retry := ds[0], ds[1]
		if err := st.Complete(ctx, done.ID, alerts.Result{Status: alerts.StatusSucceeded, Attempts: 1, StatusCode: 204, At: base}); err != nil {
			t.Fatal(err)
		}
		when := base.Add(time.Hour)
		if err := st.RetryAt(ctx, retry.ID, when, alerts.Result{Status: alerts.StatusRetrying, Attempts: 1, StatusCode: 503, Err: "receiver answered 503", At: base}); err != nil {
			t.Fatal(err)
		}
		if got := lease(t, st, base.Add(30*time.Minute), 10); len(got) != 0 {
			t.Errorf("leased %v: a completed one, or a retry before its time", got)
		}
		if got := lease(t, st, when, 10); !slices.Equal(got, []string{retry.ID}) {
			t.Errorf("at the retry's time: leased %v, want only %s", got, retry.ID)
		}
		d, err := st.Delivery(ctx, done.ID)
		if err != nil || d.Status != alerts.StatusSucceeded || d.Attempts != 1 || d.LastStatusCode != 204 || d.NextAttemptAt != nil {
			t.Errorf("completed: %+v %v", d, err)
		}
		d, err = st.Delivery(ctx, retry.ID)
		if err != nil || d.Status != alerts.StatusRetrying || d.Attempts != 1 || d.LastError == "" || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(when) {
			t.Errorf("retrying: %+v %v", d, err)
		}
		if a := get(t, st, "al_a"); a.LastDeliveryStatus != alerts.StatusRetrying {
			t.Errorf("the alert's last delivery status: %q, want retrying", a.LastDeliveryStatus)
		}
		if n, _, err := st.Depth(ctx); err != nil || n != 1 {
			t.Errorf("depth %d %v, want 1 (the retrying one)", n, err)
		}
		// Modify: a redelivery of the completed one is due again.
		if _, err := st.Modify(ctx, done.ID, func(d *alerts.Delivery) error {
			now := base.Add(2 * time.Hour)
			d.Status, d.Attempts, d.NextAttemptAt = alerts.StatusPending, 0, &now
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got := lease(t, st, base.Add(3*time.Hour), 10)
		if !slices.Contains(got, done.ID) {
			t.Errorf("after a redelivery: leased %v, want %s among them", got, done.ID)
		}
	})
	t.Run("RecordAttempts", func(t *testing.T) {
		// Optional: an outbox that records many attempts in one write
		// (alerts.OutcomeBatcher) does what Complete and RetryAt do, all
		// or none.
		st, _, ds := setup(t, 3)
		b, ok := st.(alerts.OutcomeBatcher)
		if !ok {
			t.Skip("not an alerts.OutcomeBatcher")
		}
		lease(t, st, base, 10)
		done, retry, untouched := ds[0], ds[1], ds[2]
		when := base.Add(time.Hour)
		bad := []alerts.AttemptRecord{
			{ID: done.ID, Result: alerts.Result{Status: alerts.StatusSucceeded, Attempts: 1, StatusCode: 204, At: base}},
			{ID: untouched.ID, Result: alerts.Result{Status: alerts.StatusRetrying, Attempts: 1, At: base}}, // retrying without a time
		}
		if err := b.RecordAttempts(ctx, bad); err == nil {
			t.Fatal("a batch with a retrying attempt without a time was taken")
		}
		if d, err := st.Delivery(ctx, done.ID); err != nil || d.Status != alerts.StatusPending || d.Attempts != 0 {
			t.Fatalf("after a refused batch: %+v %v, want the delivery untouched", d, err)
		}
		err := b.RecordAttempts(ctx, []alerts.AttemptRecord{
			{ID: done.ID, Result: alerts.Result{Status: alerts.StatusSucceeded, Attempts: 1, StatusCode: 204, At: base}},
			{ID: "msg_gone", Result: alerts.Result{Status: alerts.StatusFailed, Attempts: 1, At: base}}, // gone: not an error
			{ID: retry.ID, Next: &when, Result: alerts.Result{Status: alerts.StatusRetrying, Attempts: 1, StatusCode: 503, Err: "receiver answered 503", At: base}},
		})
		if err != nil {
			t.Fatal(err)
		}
		d, err := st.Delivery(ctx, done.ID)
		if err != nil || d.Status != alerts.StatusSucceeded || d.Attempts != 1 || d.LastStatusCode != 204 || d.NextAttemptAt != nil {
			t.Errorf("completed: %+v %v", d, err)
		}
		d, err = st.Delivery(ctx, retry.ID)
		if err != nil || d.Status != alerts.StatusRetrying || d.Attempts != 1 || d.LastError == "" || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(when) {
			t.Errorf("retrying: %+v %v", d, err)
		}
		if a := get(t, st, "al_a"); a.LastDeliveryStatus != alerts.StatusRetrying {
			t.Errorf("the alert's last delivery status: %q, want retrying (the batch's last)", a.LastDeliveryStatus)
		}
		// The lease of each recorded one ended: the retry is leased at its
		// time, the completed one never; the untouched one stays leased.
		if got := lease(t, st, base.Add(30*time.Second), 10); len(got) != 0 {
			t.Errorf("leased %v: a recorded one before its time, or one still leased", got)
		}
		if got := lease(t, st, when, 10); !slices.Contains(got, retry.ID) || slices.Contains(got, done.ID) {
			t.Errorf("at the retry's time: leased %v, want %s and not %s", got, retry.ID, done.ID)
		}
		if n, _, err := st.Depth(ctx); err != nil || n != 2 {
			t.Errorf("depth %d %v, want 2 (the retrying and the untouched one)", n, err)
		}
	})
	t.Run("DeleteAlert", func(t *testing.T) {
		st, _, ds := setup(t, 2)
		if err := st.Delete(ctx, "al_a", 1); err != nil {
			t.Fatal(err)
		}
		if got := lease(t, st, base, 10); len(got) != 0 {
			t.Errorf("leased %v of a deleted alert", got)
		}
		if _, err := st.Delivery(ctx, ds[0].ID); news.ErrorCode(err) != news.ECodeNotFound {
			t.Errorf("a deleted alert's delivery: %v, want not found", err)
		}
	})
	t.Run("Reopen", func(t *testing.T) {
		st, reopen, ds := setup(t, 3)
		lease(t, st, base, 10)
		if err := st.Complete(ctx, ds[0].ID, alerts.Result{Status: alerts.StatusFailed, Attempts: 3, Err: "gone", At: base}); err != nil {
			t.Fatal(err)
		}
		when := base.Add(time.Minute)
		if err := st.RetryAt(ctx, ds[1].ID, when, alerts.Result{Status: alerts.StatusRetrying, Attempts: 1, At: base}); err != nil {
			t.Fatal(err)
		}
		st = reopen()
		if d, err := st.Delivery(ctx, ds[0].ID); err != nil || d.Status != alerts.StatusFailed || d.Attempts != 3 {
			t.Errorf("a failed delivery after reopening: %+v %v", d, err)
		}
		// Leases may or may not survive a restart; after their expiry
		// both queued ones are handed out, the completed one never.
		got := lease(t, st, when.Add(2*time.Minute), 10)
		slices.Sort(got)
		want := []string{ds[1].ID, ds[2].ID}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("after reopening: leased %v, want %v", got, want)
		}
		if got := sent(t, st, "al_a"); len(got) != 3 {
			t.Errorf("the alert's delivery log after reopening: %v", got)
		}
	})
	t.Run("Prune", func(t *testing.T) {
		st, _, ds := setup(t, 2)
		if err := st.Complete(ctx, ds[0].ID, alerts.Result{Status: alerts.StatusSucceeded, Attempts: 1, At: base}); err != nil {
			t.Fatal(err)
		}
		all := func(_ context.Context, ids []string) ([]bool, error) {
			out := make([]bool, len(ids))
			for i := range out {
				out[i] = true
			}
			return out, nil
		}
		keep := 24 * time.Hour
		if res, err := st.Prune(ctx, base.Add(time.Hour), keep, all); err != nil || res.Deliveries != 0 {
			t.Errorf("prune within the retention: %+v %v, want nothing", res, err)
		}
		res, err := st.Prune(ctx, base.Add(keep+time.Hour), keep, all)
		if err != nil || res.Deliveries != 1 {
			t.Errorf("prune after the retention: %+v %v, want the finished delivery", res, err)
		}
		if _, err := st.Delivery(ctx, ds[1].ID); err != nil {
			t.Errorf("the pending delivery was pruned: %v", err)
		}
	})
}
