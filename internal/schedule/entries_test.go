package schedule

import (
	"log/slog"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestEntries: Put replaces an id's entry instead of adding a second,
// Remove and RemoveAll take out only this set's entries and leave the
// other jobs on a shared scheduler, and a nil scheduler is ignored.
func TestEntries(t *testing.T) {
	c := NewCron(slog.New(slog.DiscardHandler))
	other, err := c.AddFunc("@every 1h", func() {})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	every := func(d time.Duration) cron.Schedule { return cron.Every(d) }
	var e Entries
	e.Put(c, "a", every(time.Minute), func() {})
	e.Put(c, "a", every(2*time.Minute), func() {}) // replaces
	e.Put(c, "b", every(time.Minute), func() {})
	if n := len(c.Entries()); n != 3 {
		t.Fatalf("%d entries, want the other job, a and b", n)
	}
	c.Start()
	defer c.Stop()
	if next := e.Next(c, "a"); next.IsZero() || next.Before(now) {
		t.Fatalf("next firing of a: %v", next)
	}
	e.Remove(c, "a")
	if !e.Next(c, "a").IsZero() || len(c.Entries()) != 2 {
		t.Fatalf("a still scheduled: %d entries", len(c.Entries()))
	}
	e.RemoveAll(c)
	if got := c.Entries(); len(got) != 1 || got[0].ID != other {
		t.Fatalf("entries left: %+v, want only the other job", got)
	}
	e.Put(nil, "c", every(time.Minute), func() {}) // no scheduler: nothing
	e.Remove(nil, "c")
	if !e.Next(c, "c").IsZero() {
		t.Fatal("an entry without a scheduler")
	}
}
