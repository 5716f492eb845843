package engine

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
	"github.com/watchword/watchword/internal/testutil"
)

// sharedLog is a Follower over a bbolt log that the test also appends to
// directly, standing in for another node of a replicated log.
type sharedLog struct {
	*store.Log
	changed chan struct{}
	// interleave, when set, is appended (as by another node, unsignalled)
	// just before the engine's next Append: a publish of another node
	// that lands between the engine's last read and its own batch.
	interleave []*news.Article
}

func (l *sharedLog) Append(ctx context.Context, arts []*news.Article) (uint64, error) {
	if err := l.interleaved(ctx); err != nil {
		return 0, err
	}
	return l.Log.Append(ctx, arts)
}

func (l *sharedLog) Delete(ctx context.Context, ids []string) ([]string, uint64, error) {
	if err := l.interleaved(ctx); err != nil {
		return nil, 0, err
	}
	return l.Log.Delete(ctx, ids)
}

func (l *sharedLog) interleaved(ctx context.Context) error {
	other := l.interleave
	l.interleave = nil
	if other == nil {
		return nil
	}
	_, err := l.Log.Append(ctx, other)
	return err
}

func (l *sharedLog) Changed() <-chan struct{} { return l.changed }

// other appends arts as another node would: to the log, not through the
// engine, then signals the change.
func (l *sharedLog) other(t *testing.T, arts ...*news.Article) {
	t.Helper()
	for _, a := range arts {
		a.Date, a.IngestedAt = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), time.Now().UTC()
	}
	if _, err := l.Append(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// TestFollowMode: an engine on a Follower indexes the articles others
// append when the log signals, and its own ingest indexes what others
// appended before it too (without follow mode the index's marker would
// move past them and they would never be searchable).
func TestFollowMode(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "shared.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	shared := &sharedLog{Log: st.Log(), changed: make(chan struct{}, 1)}
	e, err := Open(Config{DataDir: t.TempDir(), Logger: quiet, BatchSize: 7, Log: shared})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var told atomic.Uint64 // what OnIndexed was told last (the @realtime alerts' signal)
	cancel := e.OnIndexed(func(seq uint64) { told.Store(seq) })
	defer cancel()

	shared.other(t, articles(5, "remote")...)
	testutil.WaitFor(t, "articles another node appended searchable", 10*time.Second, func() bool {
		return total(t, e, "remote") == 5
	})
	testutil.WaitFor(t, "the watchers told of another node's articles", 10*time.Second, func() bool {
		return told.Load() == e.IndexedSeq() && told.Load() > 0
	})

	// Another node appends while nothing signals, before this node's
	// ingest and in the middle of it.
	if _, err := shared.Log.Append(context.Background(), []*news.Article{{ID: "quiet-1", Body: "unsignalled story", Date: time.Now(), IngestedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	shared.interleave = []*news.Article{{ID: "quiet-2", Body: "unsignalled story", Date: time.Now(), IngestedAt: time.Now()}}
	if _, _, err := e.Ingest(context.Background(), articles(10, "local")); err != nil {
		t.Fatal(err)
	}
	if n := total(t, e, "local"); n != 10 {
		t.Errorf("own ingest: %d searchable, want 10", n)
	}
	if n := total(t, e, "unsignalled"); n != 2 {
		t.Errorf("articles another node appended before and during this node's ingest: %d searchable, want 2", n)
	}
	last, _ := e.LastSeq(context.Background())
	if e.IndexedSeq() != last {
		t.Errorf("indexed seq %d, log's last %d", e.IndexedSeq(), last)
	}

	// Deletions by another node and by this one.
	if _, _, err := shared.Log.Delete(context.Background(), []string{"remote-0"}); err != nil {
		t.Fatal(err)
	}
	shared.interleave = []*news.Article{{ID: "quiet-3", Body: "unsignalled story", Date: time.Now(), IngestedAt: time.Now()}}
	if err := e.Delete(context.Background(), "local-0"); err != nil {
		t.Fatal(err)
	}
	shared.interleave = []*news.Article{{ID: "quiet-4", Body: "unsignalled story", Date: time.Now(), IngestedAt: time.Now()}}
	if n, err := e.DeleteMany(context.Background(), []string{"local-1"}); err != nil || n != 1 {
		t.Fatalf("DeleteMany = %d, %v", n, err)
	}
	if n := total(t, e, "unsignalled"); n != 4 {
		t.Errorf("articles another node appended during this node's deletes: %d of 4 searchable", n)
	}
	if n := total(t, e, "remote"); n != 4 {
		t.Errorf("after another node deleted remote-0: %d remote searchable, want 4", n)
	}
	if n := total(t, e, "local"); n != 8 {
		t.Errorf("after deleting local-0 and local-1: %d local searchable, want 8", n)
	}
}
