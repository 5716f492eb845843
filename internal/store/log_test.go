package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/engine/logtest"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

// TestLogConformance runs the article log's conformance suite on the
// bbolt store; reopening means opening the same file again.
func TestLogConformance(t *testing.T) {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	logtest.TestLog(t, func(t *testing.T) engine.ArticleLog {
		mu.Lock()
		p, ok := paths[t]
		if !ok {
			p = filepath.Join(t.TempDir(), "watchword.db")
			paths[t] = p
		}
		mu.Unlock()
		s, err := store.Open(p)
		if err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		return s.Log()
	})
}

// TestApplyAt folds changes at the sequences they carry: gaps are kept,
// the marker goes to applied, an edit replaces, an unchanged put keeps
// its sequence, a deletion leaves a tombstone even for an id never seen,
// and a change out of order stores nothing.
func TestApplyAt(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(filepath.Join(t.TempDir(), "watchword.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := s.Log()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mk := func(id, body string, ing time.Time) *news.Article {
		return &news.Article{ID: id, Title: id, Body: body, Date: t0, IngestedAt: ing,
			Speakers: []string{}, Countries: []string{}, Topics: []string{}}
	}
	put := func(seq uint64, a *news.Article) news.Change { return news.Change{Seq: seq, ID: a.ID, Article: a} }
	summary := func() []string {
		var out []string
		if err := l.ReadFrom(ctx, 0, 0, 100, func(chs []news.Change) error {
			for _, c := range chs {
				if c.Deleted {
					out = append(out, fmt.Sprintf("%d:-%s", c.Seq, c.ID))
				} else {
					out = append(out, fmt.Sprintf("%d:%s:%s", c.Seq, c.ID, c.Article.Body))
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(step string, wantLast uint64, want ...string) {
		t.Helper()
		if got := summary(); !slices.Equal(got, want) {
			t.Errorf("%s: changes %v, want %v", step, got, want)
		}
		if last, err := l.LastSeq(ctx); err != nil || last != wantLast {
			t.Errorf("%s: LastSeq %d, %v; want %d", step, last, err, wantLast)
		}
	}

	if err := l.ApplyAt(ctx, []news.Change{put(5, mk("a", "one", t0)), put(7, mk("b", "two", t0))}, 9); err != nil {
		t.Fatal(err)
	}
	check("first", 9, "5:a:one", "7:b:two")

	later := t0.Add(time.Hour)
	edit := mk("a", "one, edited", later)
	if err := l.ApplyAt(ctx, []news.Change{put(10, edit)}, 10); err != nil {
		t.Fatal(err)
	}
	check("edit", 10, "7:b:two", "10:a:one, edited")
	if got := get1(t, l, "a"); got == nil || got.Seq != 10 || !got.IngestedAt.Equal(later) {
		t.Errorf("after the edit Get(a) = %+v; want seq 10 and the change's ingested_at", got)
	}

	same := mk("a", "one, edited", later.Add(time.Hour))
	if err := l.ApplyAt(ctx, []news.Change{put(11, same)}, 11); err != nil {
		t.Fatal(err)
	}
	check("unchanged", 11, "7:b:two", "10:a:one, edited")
	if same.Seq != 10 {
		t.Errorf("unchanged put: seq written into it %d, want 10", same.Seq)
	}

	if err := l.ApplyAt(ctx, []news.Change{{Seq: 12, ID: "b", Deleted: true}, {Seq: 13, ID: "never", Deleted: true}}, 13); err != nil {
		t.Fatal(err)
	}
	check("delete", 13, "10:a:one, edited", "12:-b", "13:-never")
	if n, _ := l.Count(ctx); n != 1 {
		t.Errorf("Count after deleting b = %d, want 1", n)
	}

	for _, bad := range []struct {
		chs     []news.Change
		applied uint64
	}{
		{[]news.Change{put(13, mk("c", "x", t0))}, 14},                            // not above the last
		{[]news.Change{put(15, mk("c", "x", t0)), put(14, mk("d", "y", t0))}, 15}, // decreasing
		{[]news.Change{put(16, mk("c", "x", t0))}, 15},                            // above applied
		{nil, 12}, // applied below the last
	} {
		if err := l.ApplyAt(ctx, bad.chs, bad.applied); err == nil {
			t.Errorf("ApplyAt(%v, %d) accepted", bad.chs, bad.applied)
		}
	}
	check("after refused changes", 13, "10:a:one, edited", "12:-b", "13:-never")

	// The store's own Append goes on above the applied marker.
	if last, err := l.Append(ctx, []*news.Article{mk("e", "local", t0)}); err != nil || last != 14 {
		t.Errorf("Append after ApplyAt = %d, %v; want 14", last, err)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.ApplyAt(ctx2, []news.Change{put(20, mk("f", "z", t0))}, 20); err == nil {
		t.Error("ApplyAt with a done context succeeded")
	}
}

func get1(t *testing.T, l *store.Log, id string) *news.Article {
	t.Helper()
	arts, err := l.Get(context.Background(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return arts[0]
}

// TestCheckOrigin: the first origin is recorded, kept across a reopen,
// and any other is refused.
func TestCheckOrigin(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "watchword.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Log().CheckOrigin(ctx, "stream A created 1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Log().CheckOrigin(ctx, "stream A created 1"); err != nil {
		t.Errorf("the same origin again: %v", err)
	}
	s.Close()
	if s, err = store.Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Log().CheckOrigin(ctx, "stream A created 2"); err == nil {
		t.Error("another origin after a reopen accepted")
	}
	if err := s.Log().CheckOrigin(ctx, "stream A created 1"); err != nil {
		t.Errorf("the recorded origin after a reopen: %v", err)
	}
}
