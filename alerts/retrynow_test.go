package alerts

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/schedule"
	"github.com/watchword/watchword/internal/testutil"
)

// A retrying delivery waits for its next attempt; RetryNow makes that
// attempt at once, as one of its series and with the same webhook-id.
// Redeliver refuses it (409) and says to use retry; every state but
// retrying is a 409 for RetryNow, naming what to do instead.
func TestRetryNow(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.RetrySchedule = []time.Duration{0, time.Hour, time.Hour}
		c.Timeout = 20 * time.Second
	})
	h := newHook(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the receiver closes: no handler stays held
	h.respond = func(n int, w http.ResponseWriter) int {
		switch n {
		case 1:
			return http.StatusInternalServerError
		case 2, 3:
			<-release // held open: the attempt is in progress
		}
		return 0
	}
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("r1", "Ukraine retry now."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	var d *Delivery
	testutil.WaitFor(t, "retrying", 5*time.Second, func() bool {
		d = e.deliveries(t, a.ID)[0]
		return d.Status == StatusRetrying
	})
	if d.NextAttemptAt == nil || time.Until(*d.NextAttemptAt) < 50*time.Minute || d.Attempts != 1 {
		t.Fatalf("after the first failure: %+v, want the next attempt in about an hour", d)
	}

	_, err := e.svc.Redeliver(context.Background(), d.ID)
	if news.ErrorCode(err) != news.ECodeConflict || !strings.Contains(news.ErrorMessage(err), "/retry") {
		t.Fatalf("redeliver a retrying delivery: %v, want a conflict pointing to retry", err)
	}
	r, err := e.svc.RetryNow(context.Background(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusRetrying || r.NextAttemptAt == nil || time.Since(*r.NextAttemptAt) > 5*time.Second || time.Until(*r.NextAttemptAt) > 0 {
		t.Fatalf("retry now answered %+v", r)
	}
	// The sender takes it at once; while that attempt is open, another
	// retry is a conflict.
	testutil.WaitFor(t, "the second attempt", 5*time.Second, func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.n == 2 })
	if _, err := e.svc.RetryNow(context.Background(), d.ID); news.ErrorCode(err) != news.ECodeConflict || !strings.Contains(news.ErrorMessage(err), "right now") {
		t.Fatalf("retry during an attempt: %v", err)
	}
	release <- struct{}{}
	testutil.WaitFor(t, "succeeded", 5*time.Second, func() bool { return e.deliveries(t, a.ID)[0].Status == StatusSucceeded })
	d = e.deliveries(t, a.ID)[0]
	h.mu.Lock()
	ids := append([]string(nil), h.ids...)
	h.mu.Unlock()
	if d.Attempts != 2 || d.NextAttemptAt != nil || len(ids) != 1 || ids[0] != d.ID {
		t.Fatalf("after retry now: %+v, webhook ids %v", d, ids)
	}

	// Finished: retry says to redeliver.
	if _, err := e.svc.RetryNow(context.Background(), d.ID); news.ErrorCode(err) != news.ECodeConflict || !strings.Contains(news.ErrorMessage(err), "redeliver") {
		t.Fatalf("retry a succeeded delivery: %v", err)
	}
	if _, err := e.svc.RetryNow(context.Background(), "msg_nope"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Fatalf("retry unknown: %v", err)
	}

	// Pending (its first attempt under way): a conflict for both.
	e.ingest(t, art("r2", "Ukraine again."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the first attempt of the second delivery", 5*time.Second, func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.n == 3 })
	p := e.deliveries(t, a.ID)[0]
	if p.Status != StatusPending {
		t.Fatalf("second delivery %+v, want pending", p)
	}
	if _, err := e.svc.RetryNow(context.Background(), p.ID); news.ErrorCode(err) != news.ECodeConflict || !strings.Contains(news.ErrorMessage(err), "pending") {
		t.Fatalf("retry a pending delivery: %v", err)
	}
	if _, err := e.svc.Redeliver(context.Background(), p.ID); news.ErrorCode(err) != news.ECodeConflict {
		t.Fatalf("redeliver a pending delivery: %v", err)
	}
	release <- struct{}{}
	testutil.WaitFor(t, "second delivery succeeded", 5*time.Second, func() bool { return e.deliveries(t, a.ID)[0].Status == StatusSucceeded })
}

// While the senders are held (a restored store) nothing is sent, so a
// retry "now" is refused rather than promised.
func TestRetryNowHeld(t *testing.T) {
	hold := schedule.NewHold("restored")
	e := newEnv(t, func(c *Config) { c.Hold = hold })
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("h1", "Ukraine while held."))
	all, err := e.svc.Alerts(context.Background(), []string{a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RunAlerts(context.Background(), all); err != nil { // the scheduler's path; RunNow is refused while held
		t.Fatal(err)
	}
	d := e.deliveries(t, a.ID)[0]
	// Make it a delivery waiting for its second attempt, as a failed
	// first attempt before the backup would have left it.
	later := time.Now().Add(time.Hour).UTC()
	if _, err := e.svc.store.Modify(context.Background(), d.ID, func(d *Delivery) error {
		d.Status, d.Attempts, d.NextAttemptAt = StatusRetrying, 1, &later
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RetryNow(context.Background(), d.ID); news.ErrorCode(err) != news.ECodeConflict || !strings.Contains(news.ErrorMessage(err), "held") {
		t.Fatalf("retry while held: %v", err)
	}
	if got := e.deliveries(t, a.ID)[0]; got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(later) {
		t.Fatalf("a refused retry moved the delivery: %+v", got)
	}
}
