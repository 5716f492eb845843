package alerts

import (
	"context"
	"testing"
)

// TestResyncFollowsTheStore: alerts created, rescheduled, paused and
// deleted by another service on the same store (another node of a
// cluster, whose writes reach this node's store through the fold) get,
// change and lose their cron entries here at Resync, and only then.
func TestResyncFollowsTheStore(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	mine := e.create(t, h, "ukraine", nil)
	other, err := New(e.svc.cfg) // not started: writes the store, schedules nothing
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := &Input{Name: strp("remote"), Query: strp("peskov"), Schedule: strp("@hourly"), WebhookURL: strp(h.srv.URL + "/hook")}
	remote, err := other.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	scheduled := func() map[string]uint64 {
		e.svc.schedMu.Lock()
		defer e.svc.schedMu.Unlock()
		return e.svc.entries.Scheduled()
	}
	if s := scheduled(); len(s) != 1 || s[mine.ID] == 0 {
		t.Fatalf("before the resync: %v", s)
	}
	if err := e.svc.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	s := scheduled()
	if len(s) != 2 || s[remote.ID] == 0 {
		t.Fatalf("after the resync: %v, want %s scheduled too", s, remote.ID)
	}
	before := s[remote.ID]
	if _, err := other.Update(ctx, remote.ID, &Input{Schedule: strp("@daily")}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	if s := scheduled(); s[remote.ID] == before || s[remote.ID] == 0 {
		t.Fatalf("a changed schedule kept its entry: %v", s)
	}
	off := false
	if _, err := other.Update(ctx, mine.ID, &Input{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(ctx, remote.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	if s := scheduled(); len(s) != 0 {
		t.Fatalf("a paused and a deleted alert still scheduled: %v", s)
	}
}
