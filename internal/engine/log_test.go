package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

func dated(id, body string) *news.Article {
	return &news.Article{ID: id, Body: body, Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
}

// TestReingestUnchanged: ingesting an article again exactly as it is
// stored appends nothing to the log (so alerts do not see it again) and
// leaves it searchable; an edit gets a new sequence.
func TestReingestUnchanged(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	ctx := context.Background()
	if _, _, err := e.Ingest(ctx, []*news.Article{dated("u1", "walrus report"), dated("u2", "otter report")}); err != nil {
		t.Fatal(err)
	}
	before := e.IndexedSeq()
	ids, _, err := e.Ingest(ctx, []*news.Article{dated("u1", "walrus report")})
	if err != nil || len(ids) != 1 || ids[0] != "u1" {
		t.Fatalf("re-ingest = %v, %v", ids, err)
	}
	if got := e.IndexedSeq(); got != before {
		t.Errorf("an unchanged re-ingest moved the indexed seq from %d to %d", before, got)
	}
	if last, _ := e.articles.LastSeq(ctx); last != before {
		t.Errorf("an unchanged re-ingest moved the log's last seq from %d to %d", before, last)
	}
	if n := total(t, e, "walrus"); n != 1 {
		t.Errorf("walrus: %d hits after the re-ingest, want 1", n)
	}
	if _, _, err := e.Ingest(ctx, []*news.Article{dated("u1", "walrus report, corrected")}); err != nil {
		t.Fatal(err)
	}
	if got := e.IndexedSeq(); got != before+1 {
		t.Errorf("an edit: indexed seq %d, want %d", got, before+1)
	}
	if n := total(t, e, "corrected"); n != 1 {
		t.Errorf("corrected: %d hits after the edit, want 1", n)
	}
}

// TestReingestSameIDAcrossBatches: one call holding an id twice, edited
// in an early batch and unchanged (against that edit) in a later one,
// still indexes the edit: the later copy is the one the index gets, and
// it must not be skipped as "unchanged".
func TestReingestSameIDAcrossBatches(t *testing.T) {
	e := open(t, t.TempDir(), nil) // batches of 7
	defer e.Close()
	ctx := context.Background()
	if _, _, err := e.Ingest(ctx, []*news.Article{dated("x", "old narwhal text")}); err != nil {
		t.Fatal(err)
	}
	in := []*news.Article{dated("x", "new beluga text")}
	for i := 0; i < 8; i++ {
		in = append(in, dated("filler-"+string(rune('a'+i)), "filler"))
	}
	in = append(in, dated("x", "new beluga text")) // batch 2, same as the edit in batch 1
	if _, _, err := e.Ingest(ctx, in); err != nil {
		t.Fatal(err)
	}
	if n := total(t, e, "beluga"); n != 1 {
		t.Errorf("beluga: %d hits, want 1 (the edit was not indexed)", n)
	}
	if n := total(t, e, "narwhal"); n != 0 {
		t.Errorf("narwhal: %d hits, want 0", n)
	}
}

// countingLog wraps an ArticleLog and counts the calls that reach it.
type countingLog struct {
	ArticleLog
	appends, gets, deletes, reads int
}

func (c *countingLog) Append(ctx context.Context, arts []*news.Article) (uint64, error) {
	c.appends++
	return c.ArticleLog.Append(ctx, arts)
}

func (c *countingLog) Get(ctx context.Context, ids []string) ([]*news.Article, error) {
	c.gets++
	return c.ArticleLog.Get(ctx, ids)
}

func (c *countingLog) Delete(ctx context.Context, ids []string) ([]string, uint64, error) {
	c.deletes++
	return c.ArticleLog.Delete(ctx, ids)
}

func (c *countingLog) ReadFrom(ctx context.Context, after, upTo uint64, batch int, fn func([]news.Change) error) error {
	c.reads++
	return c.ArticleLog.ReadFrom(ctx, after, upTo, batch, fn)
}

// TestEngineOnAnotherLog: with Config.Log the engine stores, reads,
// deletes and replays articles through that log, not the store file's.
func TestEngineOnAnotherLog(t *testing.T) {
	dir := t.TempDir()
	other, err := store.Open(filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	l := &countingLog{ArticleLog: other.Log()}
	e, err := Open(Config{DataDir: dir, Logger: quiet, Log: l})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := e.Ingest(ctx, []*news.Article{dated("o1", "puffin count"), dated("o2", "gannet count")}); err != nil {
		t.Fatal(err)
	}
	if res, err := e.Search(ctx, SearchParams{Q: "puffin", Size: 5}); err != nil || len(res.Hits) != 1 || res.Hits[0].ID != "o1" {
		t.Fatalf("search = %+v, %v", res, err)
	}
	if err := e.Delete(ctx, "o2"); err != nil {
		t.Fatal(err)
	}
	if l.appends != 1 || l.gets != 1 || l.deletes != 1 {
		t.Errorf("calls reaching the log: %d appends, %d gets, %d deletes; want 1 each", l.appends, l.gets, l.deletes)
	}
	if n, _ := e.store.Count(); n != 0 {
		t.Errorf("the data directory's own store holds %d articles; the log was given", n)
	}
	if n, _ := other.Count(); n != 1 {
		t.Errorf("the given log holds %d articles, want 1", n)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened on the same log after losing its index, the engine
	// rebuilds the index from that log.
	if err := os.RemoveAll(IndexPath(dir)); err != nil {
		t.Fatal(err)
	}
	e, err = Open(Config{DataDir: dir, Logger: quiet, Log: l})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if l.reads == 0 || total(t, e, "puffin") != 1 || total(t, e, "gannet") != 0 {
		t.Errorf("after a rebuild from the log (%d reads): puffin %d, gannet %d", l.reads, total(t, e, "puffin"), total(t, e, "gannet"))
	}
}
