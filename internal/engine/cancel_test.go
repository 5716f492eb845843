package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A cancelled ingest stops between batches: the batches stored before the
// cancellation are whole, durable, searchable and acknowledged by their
// ids; nothing of the later batches is written.
func TestIngestCancelledBetweenBatches(t *testing.T) {
	const batch, n, cutAt = 7, 30, 14 // article 14 opens the third batch
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var e *Engine
	var once sync.Once
	ext := func(title, body string) Extracted {
		if body == fmt.Sprintf("alpha story number %d.", cutAt) {
			once.Do(func() {
				// Cancel once the first two batches are stored (the
				// preparer runs ahead of the writer).
				want := make([]string, cutAt)
				for i := range want {
					want[i] = fmt.Sprintf("alpha-%d", i)
				}
				deadline := time.Now().Add(10 * time.Second)
				for {
					ok, err := e.Exist(context.Background(), want)
					if err == nil && ok[cutAt-1] {
						break
					}
					if time.Now().After(deadline) {
						t.Error("the first two batches were never stored")
						break
					}
					time.Sleep(time.Millisecond)
				}
				cancel()
			})
		}
		return Extracted{}
	}
	dir := t.TempDir()
	e, err := Open(Config{DataDir: dir, Logger: quiet, Extract: ext, BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	ids, rejected, err := e.Ingest(ctx, articles(n, "alpha"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if len(rejected) != 0 {
		t.Fatalf("rejected %v", rejected)
	}
	if len(ids) != cutAt {
		t.Fatalf("acknowledged %d ids, want %d (two whole batches)", len(ids), cutAt)
	}
	all := make([]string, n)
	for i := range all {
		all[i] = fmt.Sprintf("alpha-%d", i)
	}
	for i, id := range ids {
		if id != all[i] {
			t.Fatalf("ids[%d] = %q, want %q", i, id, all[i])
		}
	}
	check := func(e *Engine) {
		t.Helper()
		ok, err := e.Exist(context.Background(), all)
		if err != nil {
			t.Fatal(err)
		}
		for i, stored := range ok {
			if stored != (i < cutAt) {
				t.Fatalf("article %d stored=%v after a cancel at %d", i, stored, cutAt)
			}
		}
		if got := total(t, e, "alpha"); got != cutAt {
			t.Fatalf("searchable %d, want %d", got, cutAt)
		}
	}
	check(e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	// Durable, and the index agrees with the store after a reopen.
	e2 := open(t, dir, nil)
	defer e2.Close()
	check(e2)
	if _, _, err := e2.Ingest(context.Background(), articles(n, "alpha")); err != nil {
		t.Fatal(err)
	}
	if got := total(t, e2, "alpha"); got != n {
		t.Fatalf("searchable %d after the retry, want %d", got, n)
	}
}

// An ingest whose ctx is already done writes nothing.
func TestIngestCancelledBeforehand(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ids, _, err := e.Ingest(ctx, articles(10, "beta"))
	if !errors.Is(err, context.Canceled) || len(ids) != 0 {
		t.Fatalf("ids %v err %v", ids, err)
	}
	if got := total(t, e, "beta"); got != 0 {
		t.Fatalf("searchable %d", got)
	}
	if err := e.Delete(ctx, "beta-1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Delete with a done ctx: %v", err)
	}
}
