// Package feedstest is the conformance suite of feeds.Store: every
// implementation runs it from its own tests (as boltstore does), so the
// next one is held to the same contract.
//
//	func TestConformance(t *testing.T) {
//		feedstest.TestStore(t, func(t *testing.T) feeds.Store { return openEmpty(t) })
//	}
//
// open must return a new, empty store each time, closed by t.Cleanup.
// The store (or a test wrapper of it) must implement Reopener, so the
// suite can check that what was written survives a reopen.
package feedstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/feeds"
)

// Reopener is a store that can be closed and opened again on the same
// data.
type Reopener interface {
	feeds.Store
	// Reopen closes the store and returns a new one on its data.
	Reopen(t *testing.T) feeds.Store
}

// TestStore runs the conformance suite against the stores open makes.
func TestStore(t *testing.T, open func(t *testing.T) feeds.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s feeds.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateTwice", testCreateTwice},
		{"DuplicateURL", testDuplicateURL},
		{"UpdateCAS", testUpdateCAS},
		{"DeleteCAS", testDeleteCAS},
		{"ListOrder", testListOrder},
		{"SeenRoundTrip", testSeenRoundTrip},
		{"SeenForget", testSeenForget},
		{"RecordPollAtomic", testRecordPollAtomic},
		{"DeleteDropsSeen", testDeleteDropsSeen},
		{"Cancelled", testCancelled},
		{"Reopen", testReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var ctx = context.Background()

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// feed is a feed as the service makes one, with every field set.
func feed(id, url string, created time.Time) *feeds.Feed {
	polled, until := t0.Add(time.Hour), t0.Add(2*time.Hour)
	return &feeds.Feed{
		Info: feeds.Info{
			ID: id, URL: url, Schedule: "@every 1h", Source: "Wire " + id, Enabled: true, CreatedAt: created,
			Title: "Title " + id, SiteURL: "https://site.example/" + id, LastPolledAt: &polled, LastSuccessAt: &polled,
			LastStatus: feeds.StatusError, LastError: "HTTP 503", LastHTTPStatus: 503, ItemsIngested: 7, ItemsUpdated: 2,
			ConsecutiveFailures: 1, BackoffUntil: &until,
		},
		ETag: `"e-` + id + `"`, LastModified: "Sun, 01 Mar 2026 12:00:00 GMT",
	}
}

func create(t *testing.T, s feeds.Store, f *feeds.Feed) *feeds.Feed {
	t.Helper()
	if err := s.Create(ctx, f); err != nil {
		t.Fatalf("create %s: %v", f.ID, err)
	}
	return f
}

func get(t *testing.T, s feeds.Store, id string) *feeds.Feed {
	t.Helper()
	f, err := s.Get(ctx, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return f
}

func js(t *testing.T, f *feeds.Feed) string {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// same fails unless got is want, field for field.
func same(t *testing.T, what string, got, want *feeds.Feed) {
	t.Helper()
	if g, w := js(t, got), js(t, want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func copyOf(f *feeds.Feed) *feeds.Feed { g := *f; return &g }

func testCreateGet(t *testing.T, s feeds.Store) {
	f := feed("fd_a", "https://a.example/rss", t0)
	f.Version = 0
	create(t, s, f)
	if f.Version != 1 {
		t.Errorf("create set version %d, want 1", f.Version)
	}
	same(t, "get after create", get(t, s, "fd_a"), f)
	if _, err := s.Get(ctx, "fd_none"); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("get of an unknown feed: %v, want ErrNotFound", err)
	}
}

func testCreateTwice(t *testing.T, s feeds.Store) {
	f := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	again := feed("fd_a", "https://other.example/rss", t0.Add(time.Minute))
	if err := s.Create(ctx, again); !errors.Is(err, feeds.ErrConflict) {
		t.Errorf("second create of fd_a: %v, want ErrConflict", err)
	}
	same(t, "fd_a after the refused create", get(t, s, "fd_a"), f)
}

func testDuplicateURL(t *testing.T, s feeds.Store) {
	a := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	b := create(t, s, feed("fd_b", "https://b.example/rss", t0))
	var taken *feeds.URLTakenError
	if err := s.Create(ctx, feed("fd_c", a.URL, t0)); !errors.As(err, &taken) || taken.ID != "fd_a" {
		t.Errorf("create with fd_a's URL: %v, want URLTakenError naming fd_a", err)
	}
	if _, err := s.Get(ctx, "fd_c"); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("the refused feed was stored: %v", err)
	}
	moved := copyOf(b)
	moved.URL = a.URL
	if err := s.Update(ctx, moved); !errors.As(err, &taken) || taken.ID != "fd_a" {
		t.Errorf("update to fd_a's URL: %v, want URLTakenError naming fd_a", err)
	}
	same(t, "fd_b after the refused update", get(t, s, "fd_b"), b)
	// A feed keeps its own URL through an update.
	b.Title = "renamed"
	if err := s.Update(ctx, b); err != nil {
		t.Errorf("update keeping the URL: %v", err)
	}
}

func testUpdateCAS(t *testing.T, s feeds.Store) {
	create(t, s, feed("fd_a", "https://a.example/rss", t0))
	first, second := get(t, s, "fd_a"), get(t, s, "fd_a")
	first.Schedule = "@every 2h"
	if err := s.Update(ctx, first); err != nil {
		t.Fatal(err)
	}
	if first.Version != 2 {
		t.Errorf("update set version %d, want 2", first.Version)
	}
	same(t, "after update", get(t, s, "fd_a"), first)
	second.Source = "stale"
	if err := s.Update(ctx, second); !errors.Is(err, feeds.ErrConflict) {
		t.Errorf("update at a stale version: %v, want ErrConflict", err)
	}
	if second.Version != 1 {
		t.Errorf("a refused update changed the caller's version to %d", second.Version)
	}
	same(t, "after the stale update", get(t, s, "fd_a"), first)
	if err := s.Update(ctx, feed("fd_none", "https://n.example/", t0)); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("update of an unknown feed: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "fd_none"); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("update created a feed: %v", err)
	}
	// A poll record bumps the version too: an edit read before it is stale.
	edit := get(t, s, "fd_a")
	poll := get(t, s, "fd_a")
	poll.LastStatus = feeds.StatusOK
	if err := s.RecordPoll(ctx, poll, nil); err != nil {
		t.Fatal(err)
	}
	if poll.Version != 3 {
		t.Errorf("poll record set version %d, want 3", poll.Version)
	}
	edit.Enabled = false
	if err := s.Update(ctx, edit); !errors.Is(err, feeds.ErrConflict) {
		t.Errorf("update read before a poll record: %v, want ErrConflict", err)
	}
	same(t, "after the poll record", get(t, s, "fd_a"), poll)
}

func testDeleteCAS(t *testing.T, s feeds.Store) {
	f := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	g := copyOf(f)
	if err := s.Update(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "fd_a", f.Version); !errors.Is(err, feeds.ErrConflict) {
		t.Errorf("delete at a stale version: %v, want ErrConflict", err)
	}
	same(t, "after the stale delete", get(t, s, "fd_a"), g)
	if err := s.Delete(ctx, "fd_a", g.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "fd_a"); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("get after delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "fd_a", g.Version); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	// The URL is free again.
	create(t, s, feed("fd_b", f.URL, t0))
}

func testListOrder(t *testing.T, s feeds.Store) {
	all, err := s.List(ctx)
	if err != nil || len(all) != 0 {
		t.Fatalf("empty store lists %d feeds, %v", len(all), err)
	}
	// Created out of order; two share a creation time (then by id).
	for i, spec := range []struct {
		id      string
		created time.Duration
	}{{"fd_m", 2}, {"fd_z", 0}, {"fd_b", 2}, {"fd_k", 1}, {"fd_a", 3}} {
		create(t, s, feed(spec.id, fmt.Sprintf("https://%d.example/", i), t0.Add(spec.created*time.Minute)))
	}
	all, err = s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range all {
		ids = append(ids, f.ID)
	}
	if got, want := strings.Join(ids, " "), "fd_z fd_k fd_b fd_m fd_a"; got != want {
		t.Errorf("list order %q, want %q (by creation time, then id)", got, want)
	}
	for _, f := range all {
		same(t, "listed "+f.ID, f, get(t, s, f.ID))
	}
}

// keys are entry keys of every kind a feed has: a link, a GUID, one
// longer than any sane key, one with bytes that need no escaping.
var keys = []string{
	"https://a.example/story/1",
	"urn:uuid:7f1d1c1e-0000-4000-8000-000000000001",
	"https://a.example/" + strings.Repeat("long/", 100),
	"tag:a.example,2026:\x01 ü",
}

func seen(t *testing.T, s feeds.Store, id string, keys ...string) []*feeds.Seen {
	t.Helper()
	got, err := s.Seen(ctx, id, keys)
	if err != nil {
		t.Fatalf("seen of %s: %v", id, err)
	}
	if len(got) != len(keys) {
		t.Fatalf("seen of %s: %d records for %d keys", id, len(got), len(keys))
	}
	return got
}

func record(t *testing.T, s feeds.Store, f *feeds.Feed, u *feeds.SeenUpdate) {
	t.Helper()
	if err := s.RecordPoll(ctx, f, u); err != nil {
		t.Fatalf("record poll of %s: %v", f.ID, err)
	}
}

func seenAt(i int, at time.Time) feeds.Seen {
	return feeds.Seen{Hash: fmt.Sprintf("hash-%d", i), ArticleID: fmt.Sprintf("art-%d", i), LastSeen: at}
}

func sameSeen(t *testing.T, what string, got *feeds.Seen, want feeds.Seen) {
	t.Helper()
	if got == nil || got.Hash != want.Hash || got.ArticleID != want.ArticleID || !got.LastSeen.Equal(want.LastSeen) {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func testSeenRoundTrip(t *testing.T, s feeds.Store) {
	a := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	b := create(t, s, feed("fd_b", "https://b.example/rss", t0))
	if got := seen(t, s, "fd_a", keys...); got[0] != nil || got[3] != nil {
		t.Errorf("a new feed has seen records: %+v", got)
	}
	put := map[string]feeds.Seen{}
	for i, k := range keys {
		put[k] = seenAt(i, t0.Add(time.Duration(i)*time.Second))
	}
	a.ItemsIngested = 99
	record(t, s, a, &feeds.SeenUpdate{Put: put, Present: keys})
	if a.Version != 2 {
		t.Errorf("record poll set version %d, want 2", a.Version)
	}
	same(t, "feed after the poll record", get(t, s, "fd_a"), a)
	// The same key in another feed is another record.
	record(t, s, b, &feeds.SeenUpdate{Put: map[string]feeds.Seen{keys[0]: seenAt(100, t0)}})
	got := seen(t, s, "fd_a", append([]string{"never"}, keys...)...)
	if got[0] != nil {
		t.Errorf("a key never put: %+v", got[0])
	}
	for i, k := range keys {
		sameSeen(t, "fd_a "+k, got[i+1], put[k])
	}
	sameSeen(t, "fd_b's record of the same key", seen(t, s, "fd_b", keys[0])[0], seenAt(100, t0))
	// A put replaces the record; the others stay.
	record(t, s, a, &feeds.SeenUpdate{Put: map[string]feeds.Seen{keys[1]: seenAt(7, t0.Add(time.Hour))}})
	got = seen(t, s, "fd_a", keys...)
	sameSeen(t, "replaced", got[1], seenAt(7, t0.Add(time.Hour)))
	sameSeen(t, "kept", got[2], put[keys[2]])
	// A record of the feed alone leaves the seen-set as it is.
	record(t, s, a, nil)
	sameSeen(t, "after a record without seen changes", seen(t, s, "fd_a", keys[3])[0], put[keys[3]])
}

func testSeenForget(t *testing.T, s feeds.Store) {
	f := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	old, recent := t0, t0.Add(10*time.Second)
	record(t, s, f, &feeds.SeenUpdate{Put: map[string]feeds.Seen{
		keys[0]: seenAt(0, old), keys[1]: seenAt(1, old), keys[2]: seenAt(2, recent), keys[3]: seenAt(3, old),
	}})
	// Zero ForgetBefore forgets nothing.
	record(t, s, f, &feeds.SeenUpdate{})
	for i, g := range seen(t, s, "fd_a", keys...) {
		if g == nil {
			t.Errorf("key %d forgotten without ForgetBefore", i)
		}
	}
	// keys[0] is in the document, keys[3] is put again, keys[1] is
	// gone and old, keys[2] is gone but recent.
	record(t, s, f, &feeds.SeenUpdate{
		Put:          map[string]feeds.Seen{keys[3]: seenAt(3, old)},
		Present:      []string{keys[0]},
		ForgetBefore: recent,
	})
	got := seen(t, s, "fd_a", keys...)
	sameSeen(t, "present in the document", got[0], seenAt(0, old))
	if got[1] != nil {
		t.Errorf("gone and last seen before ForgetBefore, not forgotten: %+v", got[1])
	}
	sameSeen(t, "gone, last seen at ForgetBefore", got[2], seenAt(2, recent))
	sameSeen(t, "put in the same record", got[3], seenAt(3, old))
}

func testRecordPollAtomic(t *testing.T, s feeds.Store) {
	f := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	record(t, s, copyOf(f), nil) // the store is at version 2 now
	stored := get(t, s, "fd_a")
	stale := copyOf(f)
	stale.ItemsIngested = 1000
	err := s.RecordPoll(ctx, stale, &feeds.SeenUpdate{Put: map[string]feeds.Seen{keys[0]: seenAt(0, t0)}})
	if !errors.Is(err, feeds.ErrConflict) {
		t.Errorf("record at a stale version: %v, want ErrConflict", err)
	}
	if got := seen(t, s, "fd_a", keys[0])[0]; got != nil {
		t.Errorf("a refused poll record wrote its seen record: %+v", got)
	}
	same(t, "feed after the refused poll record", get(t, s, "fd_a"), stored)

	// Deleted during the poll: nothing is written.
	if err := s.Delete(ctx, "fd_a", stored.Version); err != nil {
		t.Fatal(err)
	}
	err = s.RecordPoll(ctx, stored, &feeds.SeenUpdate{Put: map[string]feeds.Seen{keys[1]: seenAt(1, t0)}})
	if !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("record of a deleted feed: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "fd_a"); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("a poll record brought a deleted feed back: %v", err)
	}
	if got := seen(t, s, "fd_a", keys[1])[0]; got != nil {
		t.Errorf("a poll record of a deleted feed wrote its seen record: %+v", got)
	}
}

func testDeleteDropsSeen(t *testing.T, s feeds.Store) {
	a := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	// fd_a0 starts with fd_a: a prefix scan must not take it along.
	b := create(t, s, feed("fd_a0", "https://b.example/rss", t0))
	put := map[string]feeds.Seen{}
	for i, k := range keys {
		put[k] = seenAt(i, t0)
	}
	record(t, s, a, &feeds.SeenUpdate{Put: put})
	record(t, s, b, &feeds.SeenUpdate{Put: put})
	if err := s.Delete(ctx, "fd_a", a.Version); err != nil {
		t.Fatal(err)
	}
	for i, g := range seen(t, s, "fd_a", keys...) {
		if g != nil {
			t.Errorf("key %d of the deleted feed still seen: %+v", i, g)
		}
	}
	for i, g := range seen(t, s, "fd_a0", keys...) {
		sameSeen(t, fmt.Sprintf("key %d of the other feed", i), g, put[keys[i]])
	}
	// A feed created again with the id starts with an empty seen-set.
	create(t, s, feed("fd_a", "https://a.example/rss", t0))
	if g := seen(t, s, "fd_a", keys[0])[0]; g != nil {
		t.Errorf("a recreated feed inherits a seen record: %+v", g)
	}
}

func testCancelled(t *testing.T, s feeds.Store) {
	f := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Create(cctx, feed("fd_b", "https://b.example/rss", t0)); !errors.Is(err, context.Canceled) {
		t.Errorf("create with a cancelled context: %v", err)
	}
	g := copyOf(f)
	g.Title = "changed"
	if err := s.Update(cctx, g); !errors.Is(err, context.Canceled) {
		t.Errorf("update with a cancelled context: %v", err)
	}
	if err := s.RecordPoll(cctx, copyOf(f), &feeds.SeenUpdate{Put: map[string]feeds.Seen{keys[0]: seenAt(0, t0)}}); !errors.Is(err, context.Canceled) {
		t.Errorf("record with a cancelled context: %v", err)
	}
	if err := s.Delete(cctx, "fd_a", f.Version); !errors.Is(err, context.Canceled) {
		t.Errorf("delete with a cancelled context: %v", err)
	}
	if _, err := s.Get(cctx, "fd_a"); !errors.Is(err, context.Canceled) {
		t.Errorf("get with a cancelled context: %v", err)
	}
	if _, err := s.List(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("list with a cancelled context: %v", err)
	}
	if _, err := s.Seen(cctx, "fd_a", keys); !errors.Is(err, context.Canceled) {
		t.Errorf("seen with a cancelled context: %v", err)
	}
	same(t, "after the cancelled writes", get(t, s, "fd_a"), f)
	if _, err := s.Get(ctx, "fd_b"); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("a cancelled create stored the feed: %v", err)
	}
	if g := seen(t, s, "fd_a", keys[0])[0]; g != nil {
		t.Errorf("a cancelled record wrote a seen record: %+v", g)
	}
}

func testReopen(t *testing.T, s feeds.Store) {
	r, ok := s.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement feedstest.Reopener: surviving a reopen is part of the contract", s)
	}
	a := create(t, s, feed("fd_a", "https://a.example/rss", t0))
	b := create(t, s, feed("fd_b", "https://b.example/rss", t0.Add(-time.Minute)))
	put := map[string]feeds.Seen{}
	for i, k := range keys {
		put[k] = seenAt(i, t0.Add(time.Duration(i)*time.Hour))
	}
	a.LastStatus = feeds.StatusOK
	record(t, s, a, &feeds.SeenUpdate{Put: put})
	if err := s.Delete(ctx, "fd_b", b.Version); err != nil {
		t.Fatal(err)
	}
	c := create(t, s, feed("fd_c", "https://c.example/rss", t0.Add(time.Minute)))

	s = r.Reopen(t)
	all, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("after reopen %d feeds, want 2", len(all))
	}
	same(t, "fd_a after reopen", all[0], a)
	same(t, "fd_c after reopen", all[1], c)
	for i, g := range seen(t, s, "fd_a", keys...) {
		sameSeen(t, fmt.Sprintf("key %d after reopen", i), g, put[keys[i]])
	}
	// The versions carry on: a write at the version read before still
	// passes, and a stale one still fails.
	stale := copyOf(a)
	stale.Version--
	if err := s.Update(ctx, stale); !errors.Is(err, feeds.ErrConflict) {
		t.Errorf("stale update after reopen: %v, want ErrConflict", err)
	}
	if err := s.Update(ctx, a); err != nil {
		t.Errorf("update after reopen: %v", err)
	}
}
