package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// applyProbe stands in for the index's Apply: while failing is set (or
// failOnce is armed) a batch fails. It remembers the sequences of the
// documents in failed batches until a later batch applies them, and on
// every successful batch checks that its marker passes none of them.
type applyProbe struct {
	t        *testing.T
	next     func([]*news.Article, []string, uint64) error
	failing  atomic.Bool
	failOnce atomic.Bool

	mu      sync.Mutex
	missing map[string]uint64 // article id -> sequence a failed batch left out
	failed  int
}

func probe(t *testing.T, e *Engine) *applyProbe {
	p := &applyProbe{t: t, next: e.apply, missing: map[string]uint64{}}
	e.apply = p.apply
	return p
}

func (p *applyProbe) apply(puts []*news.Article, dels []string, marker uint64) error {
	if p.failing.Load() || p.failOnce.CompareAndSwap(true, false) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.failed++
		for _, a := range puts {
			if s, ok := p.missing[a.ID]; !ok || a.Seq < s {
				p.missing[a.ID] = a.Seq
			}
		}
		return errors.New("injected index failure")
	}
	if err := p.next(puts, dels, marker); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range puts {
		delete(p.missing, a.ID)
	}
	for id, s := range p.missing {
		if marker >= s {
			p.t.Errorf("index marker moved to %d past seq %d (%s), which a failed batch left out", marker, s, id)
		}
	}
	return nil
}

// caughtUp checks that the engine, the index's marker and the store agree.
func caughtUp(t *testing.T, e *Engine) {
	t.Helper()
	last, err := e.store.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	marker, err := e.index.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	if e.IndexedSeq() != last || marker != last {
		t.Errorf("IndexedSeq %d, index marker %d, store seq %d: want all equal", e.IndexedSeq(), marker, last)
	}
}

func wantTotals(t *testing.T, e *Engine, want map[string]uint64) {
	t.Helper()
	for q, n := range want {
		if got := total(t, e, q); got != n {
			t.Errorf("%s: %d searchable, want %d", q, got, n)
		}
	}
}

// One index batch fails: the write that saw it replays from the last
// applied sequence, later writes move the marker only over indexed
// sequences, every stored article is searchable, and a reopened engine
// agrees.
func TestFailedIndexBatchIsReplayed(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir, nil) // batches of 7: 20 articles make three
	p := probe(t, e)
	if _, _, err := e.Ingest(context.Background(), articles(20, "alpha")); err != nil {
		t.Fatal(err)
	}
	p.failOnce.Store(true)
	_, _, err := e.Ingest(context.Background(), articles(20, "beta"))
	t.Logf("ingest with one failed index batch: err = %v", err)
	if p.failed != 1 {
		t.Fatalf("%d batches failed, want 1", p.failed)
	}
	if _, _, err := e.Ingest(context.Background(), articles(20, "gamma")); err != nil {
		t.Fatal(err)
	}
	wantTotals(t, e, map[string]uint64{"alpha": 20, "beta": 20, "gamma": 20})
	caughtUp(t, e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = open(t, dir, nil)
	defer e.Close()
	wantTotals(t, e, map[string]uint64{"alpha": 20, "beta": 20, "gamma": 20})
	caughtUp(t, e)
}

// While the index keeps failing, IndexedSeq stays at the last applied
// sequence, further writes and deletes are refused as unavailable (503)
// instead of moving the marker, and a reopened engine replays what was
// stored.
func TestIndexFailingRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir, nil)
	e.repairWait = time.Hour // no background repair in this test
	p := probe(t, e)
	if _, _, err := e.Ingest(context.Background(), articles(10, "alpha")); err != nil {
		t.Fatal(err)
	}
	before := e.IndexedSeq()
	p.failing.Store(true)
	if _, _, err := e.Ingest(context.Background(), articles(20, "beta")); news.ErrorCode(err) != news.ECodeUnavailable {
		t.Fatalf("ingest while the index fails: %v, want code %s", err, news.ECodeUnavailable)
	}
	if e.IndexedSeq() != before {
		t.Errorf("IndexedSeq moved from %d to %d over unindexed articles", before, e.IndexedSeq())
	}
	_, _, err := e.Ingest(context.Background(), articles(3, "gamma"))
	if news.ErrorCode(err) != news.ECodeUnavailable {
		t.Errorf("write behind a failed batch: %v, want code %s", err, news.ECodeUnavailable)
	}
	if err := e.Delete(context.Background(), "alpha-1"); news.ErrorCode(err) != news.ECodeUnavailable {
		t.Errorf("delete behind a failed batch: %v, want code %s", err, news.ECodeUnavailable)
	}
	if e.IndexedSeq() != before {
		t.Errorf("IndexedSeq moved from %d to %d", before, e.IndexedSeq())
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = open(t, dir, nil)
	defer e.Close()
	wantTotals(t, e, map[string]uint64{"alpha": 10, "beta": 20, "gamma": 0})
	caughtUp(t, e)
}

// After a failed batch the engine catches up by itself once the index
// works again, without waiting for another write, so /readyz turns ready.
func TestIndexRepairsInBackground(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	e.repairWait = 10 * time.Millisecond
	p := probe(t, e)
	p.failing.Store(true)
	if _, _, err := e.Ingest(context.Background(), articles(20, "beta")); err == nil {
		t.Fatal("ingest succeeded while the index fails")
	}
	if e.IndexedSeq() != 0 {
		t.Errorf("IndexedSeq = %d before anything was indexed", e.IndexedSeq())
	}
	p.failing.Store(false)
	last, _ := e.store.LastSeq()
	deadline := time.Now().Add(10 * time.Second)
	for e.IndexedSeq() != last {
		if time.Now().After(deadline) {
			t.Fatalf("IndexedSeq %d, store %d: no repair", e.IndexedSeq(), last)
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantTotals(t, e, map[string]uint64{"beta": 20})
	caughtUp(t, e)
}
