package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/watchword/watchword/internal/testutil"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// TestPruneArticlesByAge deletes, with a fake clock, the articles dated
// past the retention (and past a shorter one for one source) from the
// store and the index, in several batches, and keeps the others.
func TestPruneArticlesByAge(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	e, err := Open(Config{DataDir: dir, Logger: quiet, BatchSize: 100, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { e.Close() }()
	var arts []*news.Article
	add := func(n int, prefix, source string, age time.Duration) {
		for i := range n {
			arts = append(arts, &news.Article{ID: fmt.Sprintf("%s-%d", prefix, i),
				Title: prefix, Body: "grain story " + prefix, Source: source, Date: now.Add(-age)})
		}
	}
	add(1200, "old", "wire", 400*24*time.Hour) // past 365d: more than two batches
	add(3, "recent", "wire", 10*24*time.Hour)
	add(4, "agency", "agency", 40*24*time.Hour) // past the agency's 30d
	add(2, "agencynew", "agency", 20*24*time.Hour)
	if _, rej, err := e.Ingest(context.Background(), arts); err != nil || len(rej) > 0 {
		t.Fatalf("ingest: %v %v", err, rej)
	}
	n, err := e.PruneArticles(context.Background(), Retention{MaxAge: 365 * 24 * time.Hour, Sources: map[string]time.Duration{"agency": 30 * 24 * time.Hour}})
	if err != nil || n != 1204 {
		t.Fatalf("pruned %d, %v; want 1204", n, err)
	}
	for q, want := range map[string]uint64{"grain": 5, "old": 0, "agency": 0, "recent": 3, "agencynew": 2} {
		if got := total(t, e, q); got != want {
			t.Errorf("search %q after prune: %d hits, want %d", q, got, want)
		}
	}
	if c, _ := e.Store().Count(); c != 5 {
		t.Errorf("store holds %d articles, want 5", c)
	}
	if _, err := e.Article(context.Background(), "old-0"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("old article still stored: %v", err)
	}
	// Nothing more to do: a second pass deletes nothing.
	if n, err := e.PruneArticles(context.Background(), Retention{MaxAge: 365 * 24 * time.Hour}); err != nil || n != 0 {
		t.Errorf("second pass: %d, %v", n, err)
	}
	// The index agrees with the store after a reopen (the deletions are
	// in the change log as tombstones).
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if e, err = Open(Config{DataDir: dir, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	if got := total(t, e, "grain"); got != 5 {
		t.Errorf("after reopen: %d hits, want 5", got)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"365d": 365 * 24 * time.Hour, "0d": 0, "720h": 720 * time.Hour, " 90m ": 90 * time.Minute} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "1.5d", "-1d", "x", "-5h", "3 d", "+3d"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) accepted", in)
		}
	}
	if s := (Retention{MaxAge: 365 * 24 * time.Hour, Sources: map[string]time.Duration{"b": time.Hour, "a": 48 * time.Hour}}).String(); s != "365d, a=2d, b=1h0m0s" {
		t.Errorf("String: %q", s)
	}
}

// TestRunRetentionStopsOnClose runs the background pass and checks it
// deletes, then that Close waits for it and it stops.
func TestRunRetentionStopsOnClose(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e, err := Open(Config{DataDir: t.TempDir(), Logger: quiet, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Ingest(context.Background(), []*news.Article{{ID: "a", Body: "x", Date: now.Add(-48 * time.Hour)}, {ID: "b", Body: "x", Date: now}}); err != nil {
		t.Fatal(err)
	}
	e.RunRetention(context.Background(), Retention{MaxAge: 24 * time.Hour}, 10*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := e.Article(context.Background(), "a"); news.ErrorCode(err) == news.ECodeNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background retention did not delete the old article")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := e.Article(context.Background(), "b"); err != nil {
		t.Errorf("recent article: %v", err)
	}
	done := make(chan error)
	go func() { done <- e.Close() }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the retention loop")
	}
}

// TestRunRetentionOnlyOnTheLeader: while Retention.Leader answers false
// (another cluster node holds the scheduler lease) the background passes
// delete nothing; once it answers true they do.
func TestRunRetentionOnlyOnTheLeader(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	e, err := Open(Config{DataDir: t.TempDir(), Logger: quiet, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, _, err := e.Ingest(context.Background(), []*news.Article{{ID: "old", Body: "x", Date: now.Add(-48 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	var leads atomic.Bool
	var asked atomic.Int64
	e.RunRetention(context.Background(), Retention{MaxAge: 24 * time.Hour, Leader: func() bool { asked.Add(1); return leads.Load() }}, 10*time.Millisecond)
	testutil.WaitFor(t, "five passes asked whether this node leads", 10*time.Second, func() bool { return asked.Load() >= 5 })
	if _, err := e.Article(context.Background(), "old"); err != nil {
		t.Fatalf("a follower's pass deleted the old article: %v", err)
	}
	leads.Store(true)
	testutil.WaitFor(t, "the leader's pass deletes the old article", 10*time.Second, func() bool {
		_, err := e.Article(context.Background(), "old")
		return news.ErrorCode(err) == news.ECodeNotFound
	})
}
