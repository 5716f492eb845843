package engine

import (
	"context"
	"testing"
)

// TestOnIndexed: a watcher is told after an ingest that stored articles,
// with a sequence at which they are already searchable, before Ingest
// returns; not after an ingest that stored nothing; and no more once
// cancelled.
func TestOnIndexed(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	var got []uint64
	var searchable []uint64
	cancel := e.OnIndexed(func(seq uint64) {
		got = append(got, seq)
		// Searchable by the time the watcher hears of it.
		searchable = append(searchable, total(t, e, "alpha"))
	})
	if _, _, err := e.Ingest(context.Background(), articles(10, "alpha")); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != e.IndexedSeq() || got[0] == 0 || searchable[0] != 10 {
		t.Fatalf("told %v (searchable %v), want once at %d with 10 searchable", got, searchable, e.IndexedSeq())
	}
	if _, rej, err := e.Ingest(context.Background(), articles(0, "none")); err != nil || len(rej) != 0 {
		t.Fatal(err, rej)
	}
	if len(got) != 1 {
		t.Fatalf("told %v after an empty ingest", got)
	}
	cancel()
	if _, _, err := e.Ingest(context.Background(), articles(3, "beta")); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("told %v after cancel", got)
	}
}
