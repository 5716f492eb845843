package alerts

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/testutil"
)

// sentIDs returns the article ids of all an alert's deliveries, sorted.
func (e *env) sentIDs(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, d := range e.deliveries(t, id) {
		out = append(out, d.ArticleIDs...)
	}
	slices.Sort(out)
	return out
}

// distinct counts the different webhook-ids in ids.
func distinct(ids []string) int {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}

func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// TestReingestNeverSentTwicePerAlert covers the sent-set per article:
// an article id that comes back with a new sequence (re-ingested, or
// deleted and ingested again) is not sent again to an alert that got it,
// but is sent to an alert that matches it for the first time.
func TestReingestNeverSentTwicePerAlert(t *testing.T) {
	e := newEnv(t, nil)
	ha, hb, hc := newHook(t), newHook(t), newHook(t)
	a := e.create(t, ha, "ukraine", nil)
	b := e.create(t, hb, "grain", nil)
	e.ingest(t, art("x1", "Ukraine story."), art("x2", "Grain from Ukraine."), art("x3", "Weather."))
	// Both alerts in one round: one transaction records x2 for both.
	res, err := e.svc.RunAll(context.Background())
	if err != nil || res.Matches != 3 {
		t.Fatalf("first round: %+v %v", res, err)
	}
	wantIDs(t, "alert a, first round", e.sentIDs(t, a.ID), "x1", "x2")
	wantIDs(t, "alert b, first round", e.sentIDs(t, b.ID), "x2")
	// The first deliveries must have been received before x2 is deleted:
	// a delivery is built when it is sent, and one whose articles are all
	// gone by then sends nothing (under load the sender lost that race and
	// b never got x2).
	testutil.WaitFor(t, "first deliveries", 15*time.Second, func() bool {
		return len(ha.got()) == 2 && len(hb.got()) == 1
	})

	// x1 now also matches b; x2 is deleted and ingested again; x3 now
	// matches a.
	e.ingest(t, art("x1", "Ukraine grain story."))
	if err := e.eng.Delete(context.Background(), "x2"); err != nil {
		t.Fatal(err)
	}
	e.ingest(t, art("x2", "Grain from Ukraine, again."), art("x3", "Weather in Ukraine."))
	c := e.create(t, hc, "story", nil) // created after x1's first ingest
	e.ingest(t, art("x1", "Ukraine grain story, third version."))
	if res, err = e.svc.RunAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "alert a, second round", e.sentIDs(t, a.ID), "x1", "x2", "x3")
	wantIDs(t, "alert b, second round", e.sentIDs(t, b.ID), "x1", "x2")
	wantIDs(t, "alert c (new), second round", e.sentIDs(t, c.ID), "x1")
	if res.Matches != 3 {
		t.Errorf("second round: %d new matches, want 3 (x3 to a, x1 to b, x1 to c)", res.Matches)
	}

	// Everything again, once more: nothing is new to anyone.
	e.ingest(t, art("x1", "Ukraine grain story."), art("x2", "Grain from Ukraine."), art("x3", "Weather in Ukraine."))
	if p, err := e.svc.Preview(context.Background(), a.ID); err != nil || p.TotalNew != 0 {
		t.Fatalf("preview after re-ingest: %+v %v", p, err)
	}
	if res, err = e.svc.RunAll(context.Background()); err != nil || res.Matches != 0 {
		t.Fatalf("third round re-sent: %+v %v", res, err)
	}
	// And the receivers saw each article in one delivery per alert (a
	// retried delivery may arrive twice, with the same webhook-id).
	testutil.WaitFor(t, "deliveries", 15*time.Second, func() bool {
		return len(ha.got()) == 3 && len(hb.got()) == 2 && len(hc.got()) == 1
	})
	for name, h := range map[string]*hook{"a": ha, "b": hb, "c": hc} {
		for id, hooks := range h.got() {
			if n := distinct(hooks); n != 1 {
				t.Errorf("alert %s got %s in %d deliveries", name, id, n)
			}
		}
	}
}
