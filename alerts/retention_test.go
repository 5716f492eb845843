package alerts

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/testutil"
)

const day = 24 * time.Hour

// deliveryIDs lists an alert's deliveries (newest first) as "status"
// strings, to compare what the chain shows.
func (e *env) statuses(t *testing.T, alertID string) []string {
	t.Helper()
	var out []string
	for _, d := range e.deliveries(t, alertID) {
		out = append(out, d.Status)
	}
	return out
}

// requests counts every request a hook got, answered with an error too.
func requests(h *hook) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func (e *env) prune(t *testing.T) PruneResult {
	t.Helper()
	res, err := e.svc.Prune(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDeliveryRetention: with a fake clock, a succeeded delivery is
// deleted once it finished more than the retention ago and a recent one
// is kept; a failed one is kept for the same time, and a redelivery
// starts it again; a retrying one is never deleted, and it holds back the
// newer deliveries of its alert so that the list has no hole.
func TestDeliveryRetention(t *testing.T) {
	clock := testutil.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *Config) {
		c.Clock = clock.Now
		c.RetrySchedule = []time.Duration{0, 24 * time.Hour} // a failed attempt waits a (real) day
		c.DeliveryRetention = 30 * day
		c.PruneEvery = 24 * time.Hour // only the test prunes
	})
	ok, gone, flaky := newHook(t), newHook(t), newHook(t)
	gone.respond = func(int, http.ResponseWriter) int { return http.StatusGone } // failed at once
	flaky.respond = func(n int, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusInternalServerError // retrying, due in a day
		}
		return 0
	}
	a := e.create(t, ok, "grain", nil)
	b := e.create(t, gone, "grain", nil)
	c := e.create(t, flaky, "grain", nil)
	e.ingest(t, art("x1", "Grain prices."))
	if res, err := e.svc.RunAll(context.Background()); err != nil || res.Deliveries != 3 {
		t.Fatalf("first round: %+v %v", res, err)
	}
	testutil.WaitFor(t, "first deliveries", 10*time.Second, func() bool {
		return slices.Equal(e.statuses(t, a.ID), []string{StatusSucceeded}) &&
			slices.Equal(e.statuses(t, b.ID), []string{StatusFailed}) &&
			slices.Equal(e.statuses(t, c.ID), []string{StatusRetrying})
	})
	b1 := e.deliveries(t, b.ID)[0].ID

	// Day 20: a second delivery for a and c (both succeed), and b's
	// failed delivery is redelivered (and fails again).
	clock.Add(20 * day)
	e.ingest(t, art("x2", "Grain exports."))
	for _, id := range []string{a.ID, c.ID} {
		if res, err := e.svc.RunNow(context.Background(), id); err != nil || res.Deliveries != 1 {
			t.Fatalf("second round of %s: %+v %v", id, res, err)
		}
	}
	if _, err := e.svc.Redeliver(context.Background(), b1); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "second deliveries", 10*time.Second, func() bool {
		return slices.Equal(e.statuses(t, a.ID), []string{StatusSucceeded, StatusSucceeded}) &&
			slices.Equal(e.statuses(t, c.ID), []string{StatusSucceeded, StatusRetrying}) &&
			requests(gone) == 2 && e.deliveries(t, b.ID)[0].Status == StatusFailed
	})
	if res := e.prune(t); res.Deliveries != 0 {
		t.Fatalf("day 20: pruned %+v, want nothing (all within 30 days)", res)
	}

	// Day 31: a's first delivery is 31 days old and goes; b's redelivery
	// failed 11 days ago and stays; c's retrying one stays, and so does
	// c's newer succeeded one.
	clock.Add(11 * day)
	if res := e.prune(t); res.Deliveries != 1 {
		t.Fatalf("day 31: pruned %+v, want 1 delivery", res)
	}
	wantIDs(t, "a after day 31", e.statuses(t, a.ID), StatusSucceeded)
	wantIDs(t, "b after day 31", e.statuses(t, b.ID), StatusFailed)
	wantIDs(t, "c after day 31", e.statuses(t, c.ID), StatusSucceeded, StatusRetrying)

	// Day 51: everything finished is past 30 days; c's retrying delivery
	// is still kept, and with it c's newer one.
	clock.Add(20 * day)
	if res := e.prune(t); res.Deliveries != 2 {
		t.Fatalf("day 51: pruned %+v, want 2 deliveries (a's and b's)", res)
	}
	wantIDs(t, "a after day 51", e.statuses(t, a.ID))
	wantIDs(t, "b after day 51", e.statuses(t, b.ID))
	wantIDs(t, "c after day 51", e.statuses(t, c.ID), StatusSucceeded, StatusRetrying)
	if _, err := e.svc.Redeliver(context.Background(), b1); err == nil {
		t.Error("a pruned delivery can still be redelivered")
	}
	// The queue still holds c's retry; nothing else is left in the outbox.
	if n := e.svc.outboxLen(t); n != 2 {
		t.Errorf("outbox holds %d deliveries, want 2", n)
	}
}

// TestPruneNeverSendsTwice: pruning deliveries and sent records never
// makes an article go twice to an alert that got it, checked at a real
// receiver: after a prune an updated article is not sent again; a deleted
// and re-ingested one is not sent again within the retention after its
// deletion; records of deleted alerts shrink. After the retention a
// deleted id that comes back counts as a new article (documented).
func TestPruneNeverSendsTwice(t *testing.T) {
	clock := testutil.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *Config) {
		c.Clock = clock.Now
		c.DeliveryRetention = 30 * day
		c.PruneEvery = 24 * time.Hour
	})
	ha, hb := newHook(t), newHook(t)
	a := e.create(t, ha, "grain", nil)
	b := e.create(t, hb, "grain", nil)
	e.ingest(t, art("x1", "Grain prices."), art("x2", "Grain exports."))
	if _, err := e.svc.RunAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The receivers answering is not enough: the delivery must be recorded
	// as succeeded (with the time it finished) before a prune can see it.
	testutil.WaitFor(t, "first deliveries recorded", 10*time.Second, func() bool {
		return ha.count() == 1 && hb.count() == 1 && slices.Equal(e.statuses(t, a.ID), []string{StatusSucceeded})
	})
	if err := e.svc.Delete(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}

	// Day 40: a's delivery is pruned; x1 and x2 are stored, so their
	// records stay, without the deleted alert b.
	clock.Add(40 * day)
	res := e.prune(t)
	if res.Deliveries != 1 || res.SentRemoved != 0 || res.SentShrunk != 2 {
		t.Errorf("day 40: %+v, want 1 delivery pruned and 2 records shrunk", res)
	}
	if len(e.deliveries(t, a.ID)) != 0 {
		t.Fatal("a's delivery was not pruned")
	}
	// x1 is updated (a new sequence, above a's watermark): not sent again.
	e.ingest(t, art("x1", "Grain prices, updated."))
	// x2 is deleted; a prune notes it gone; it comes back 10 days later.
	if err := e.eng.Delete(context.Background(), "x2"); err != nil {
		t.Fatal(err)
	}
	e.prune(t)
	clock.Add(10 * day)
	if res := e.prune(t); res.SentRemoved != 0 {
		t.Errorf("day 50: %+v: the record of a deleted article went before the retention", res)
	}
	e.ingest(t, art("x2", "Grain exports, again."))
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Matches != 0 {
		t.Errorf("after the prune, an update and a re-ingest were sent again: %+v %v", res, err)
	}

	// x2 is deleted again and stays away past the retention: its record
	// goes, and when the id comes back it is a new article to a.
	if err := e.eng.Delete(context.Background(), "x2"); err != nil {
		t.Fatal(err)
	}
	e.prune(t) // notes x2 gone (the earlier note was cleared when it came back)
	clock.Add(31 * day)
	if res := e.prune(t); res.SentRemoved != 1 {
		t.Fatalf("day 81: %+v, want x2's record removed", res)
	}
	// Nothing a prune did made x1 go again.
	e.ingest(t, art("x1", "Grain prices, updated twice."), art("x2", "Grain exports, a new story."))
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Matches != 1 {
		t.Fatalf("last round: %+v %v, want x2 only", res, err)
	}
	testutil.WaitFor(t, "the last delivery", 10*time.Second, func() bool { return ha.count() == 2 })
	for id, hooks := range ha.got() {
		want := 1
		if id == "x2" {
			want = 2 // once before its record went, once as a new article
		}
		if n := distinct(hooks); n != want {
			t.Errorf("a got %s in %d deliveries, want %d", id, n, want)
		}
	}
}

// TestPrunerRunsInBackgroundAndStops: the pruner runs on its own every
// PruneEvery and Stop ends it.
func TestPrunerRunsInBackgroundAndStops(t *testing.T) {
	clock := testutil.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *Config) {
		c.Clock = clock.Now
		c.DeliveryRetention = time.Hour
		c.PruneEvery = 20 * time.Millisecond
	})
	h := newHook(t)
	a := e.create(t, h, "grain", nil)
	e.ingest(t, art("x1", "Grain prices."))
	if _, err := e.svc.RunAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the delivery", 10*time.Second, func() bool { return h.count() == 1 })
	clock.Add(2 * time.Hour)
	testutil.WaitFor(t, "the background prune", 10*time.Second, func() bool { return len(e.deliveries(t, a.ID)) == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func (s *Service) outboxLen(t *testing.T) int {
	t.Helper()
	n, err := OutboxLen(s.store)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestArticleRetentionAlertsDoNotFire: articles deleted by the article
// retention (through the engine's delete path) are not matched by the
// next run; the recent one is delivered, at a real receiver.
func TestArticleRetentionAlertsDoNotFire(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "grain", nil)
	old := art("old", "Grain prices, long ago.")
	old.Date = time.Now().Add(-400 * day)
	agency := art("agency", "Grain exports, last month.")
	agency.Source, agency.Date = "agency", time.Now().Add(-40*day)
	e.ingest(t, old, agency, art("new", "Grain news today."))
	n, err := e.eng.PruneArticles(context.Background(), engine.Retention{MaxAge: 365 * day, Sources: map[string]time.Duration{"agency": 30 * day}})
	if err != nil || n != 2 {
		t.Fatalf("article retention deleted %d, %v; want 2", n, err)
	}
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Matches != 1 {
		t.Fatalf("run: %+v %v, want the recent article only", res, err)
	}
	testutil.WaitFor(t, "the delivery", 10*time.Second, func() bool { return h.count() == 1 })
	if got := h.got(); len(got) != 1 || got["new"] == nil {
		t.Errorf("the receiver got %v, want only the recent article", got)
	}
}
