package engine

import (
	"context"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
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
