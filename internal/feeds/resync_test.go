package feeds

import (
	"context"
	"testing"
)

// TestResyncFollowsTheStore: feeds created, rescheduled and deleted by
// another service on the same store (another node of a cluster) get,
// change and lose their cron entries here at Resync; a poll's status
// write (a new version, same schedule) leaves the entry alone.
func TestResyncFollowsTheStore(t *testing.T) {
	e := newEnv(t, nil, nil)
	if err := e.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := newOrigin(t)
	o.serve("application/rss+xml", rss("Resync", itemA), "")
	other, err := New(e.svc.cfg) // not started: writes the store, schedules nothing
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	remote, err := other.Create(ctx, &Input{URL: strp(o.url("/remote"))})
	if err != nil {
		t.Fatal(err)
	}
	scheduled := func() map[string]uint64 {
		e.svc.schedMu.Lock()
		defer e.svc.schedMu.Unlock()
		return e.svc.entries.Scheduled()
	}
	if s := scheduled(); len(s) != 0 {
		t.Fatalf("before the resync: %v", s)
	}
	if err := e.svc.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	s := scheduled()
	if len(s) != 1 || s[remote.ID] == 0 {
		t.Fatalf("after the resync: %v", s)
	}
	key := s[remote.ID]
	if _, err := other.Poll(ctx, remote.ID); err != nil { // a status write
		t.Fatal(err)
	}
	if err := e.svc.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	if s := scheduled(); s[remote.ID] != key {
		t.Fatalf("a poll's status write changed the entry: %v", s)
	}
	if _, err := other.Update(ctx, remote.ID, &Input{Schedule: strp("@every 2h")}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	if s := scheduled(); s[remote.ID] == key {
		t.Fatalf("a new schedule kept the old entry: %v", s)
	}
	if err := other.Delete(ctx, remote.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	if s := scheduled(); len(s) != 0 {
		t.Fatalf("a deleted feed still scheduled: %v", s)
	}
}
