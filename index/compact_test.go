package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// loadInBatches applies n random articles in batches of per, each batch
// a segment of its own in each shard, and returns the last sequence.
func loadInBatches(t *testing.T, ix *Index, rng *rand.Rand, from, n, per int) uint64 {
	t.Helper()
	seq := uint64(from)
	for i := from; i < from+n; i += per {
		var arts []*news.Article
		for j := i; j < min(i+per, from+n); j++ {
			seq++
			a := randomArticle(rng, fmt.Sprintf("c%05d", j))
			a.Seq = seq
			arts = append(arts, a)
		}
		if err := ix.Apply(arts, nil, seq); err != nil {
			t.Fatal(err)
		}
		// Persisted one by one: the persister merges the batches still
		// in memory into one segment.
		if err := ix.Flush(time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	return seq
}

func maxSegments(t *testing.T, ix *Index) int {
	t.Helper()
	segs, err := ix.Segments()
	if err != nil {
		t.Fatal(err)
	}
	return slices.Max(segs)
}

// The loop compacts only once writes have been idle: with a threshold of
// no segments at all, any idle check would compact, and none does while
// writes go on every 50 ms for more than the idle time; once they stop,
// it does.
func TestCompactionWaitsForIdle(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	policy := &compactPolicy{idle: 300 * time.Millisecond, above: 0, every: 20 * time.Millisecond}
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 2, quiet, metaHooks{compact: policy, manySegments: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	seq := uint64(0)
	for range 20 {
		seq = loadInBatches(t, ix, rng, int(seq), 5, 5)
		time.Sleep(50 * time.Millisecond) // the pace of the writes under test, not a wait for a condition
	}
	if n := ix.compactions.Load(); n != 0 {
		t.Fatalf("%d compactions while writes went on every 50 ms (idle is %s)", n, policy.idle)
	}
	deadline := time.Now().Add(30 * time.Second)
	for ix.compactions.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no compaction 30 s after the last write")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A shard that stays above the threshold while writes never stop for
// the idle time is compacted all the same once it has been above for the
// busy time (a server fed all day), and the writes go on meanwhile.
func TestCompactionUnderSteadyWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	policy := &compactPolicy{idle: time.Hour, busy: 300 * time.Millisecond, above: 3, every: 20 * time.Millisecond}
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 1, quiet, metaHooks{compact: policy, manySegments: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	deadline := time.Now().Add(30 * time.Second)
	seq := uint64(0)
	for ix.compactions.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no compaction in 30 s of steady writes; segments %v", mustSegments(t, ix))
		}
		seq = loadInBatches(t, ix, rng, int(seq), 5, 5) // a segment each
	}
	// Writes during and after the compaction are all there.
	seq = loadInBatches(t, ix, rng, int(seq), 20, 5)
	if n, err := ix.DocCount(); err != nil || n != seq {
		t.Fatalf("%d documents (%v), want %d", n, err, seq)
	}
}

// An index left with many small segments is compacted once idle and
// answers every search the same afterwards: same totals, hits, scores and
// facet counts. A shard that compaction cannot bring lower is not merged
// again until it has new segments.
func TestCompactionKeepsAnswers(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	policy := &compactPolicy{idle: 300 * time.Millisecond, above: 3, every: 20 * time.Millisecond}
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 2, quiet, metaHooks{compact: policy, manySegments: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	loadInBatches(t, ix, rng, 0, 600, 20)
	reqs := []Request{
		{Query: mustParse(t, "oil OR gas"), Size: 10, FacetSize: 10, Months: true},
		{Query: mustParse(t, "talks AND NOT strike"), Size: 5, FacetSize: 5, Sort: SortNewest},
		{Query: mustParse(t, `"peace talks"`), Size: 20},
	}
	before := make([]*Result, len(reqs))
	for i, r := range reqs {
		if before[i], err = ix.Search(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		before[i].Took = 0
	}
	if got := maxSegments(t, ix); got <= policy.above && ix.compactions.Load() == 0 {
		t.Fatalf("the load left at most %d segments in a shard; the test needs more than %d", got, policy.above)
	}

	deadline := time.Now().Add(30 * time.Second)
	for ix.compactions.Load() < 2 || maxSegments(t, ix) > policy.above {
		if time.Now().After(deadline) {
			t.Fatalf("not compacted 30 s after the last write: %d compactions, segments %v", ix.compactions.Load(), mustSegments(t, ix))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, r := range reqs {
		after, err := ix.Search(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		after.Took = 0
		// Scores are TF-IDF over the live documents, which a merge does
		// not change here (nothing was deleted).
		if !reflect.DeepEqual(after, before[i]) {
			t.Errorf("query %d after compaction:\n got %+v\nwant %+v", i, after, before[i])
		}
	}
	n := ix.compactions.Load()
	time.Sleep(10 * policy.every) // several checks of the loop, in which nothing may happen
	if got := ix.compactions.Load(); got != n {
		t.Errorf("%d further compactions of an index that did not change", got-n)
	}
}

// Close stops a compaction under way rather than waiting for it, and
// leaves an index that opens with every document.
func TestCloseDuringCompaction(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 4))
	dir := filepath.Join(t.TempDir(), "idx")
	policy := &compactPolicy{idle: time.Hour, above: 2, every: time.Hour}
	ix, _, err := open(dir, 1, quiet, metaHooks{compact: policy, manySegments: true})
	if err != nil {
		t.Fatal(err)
	}
	seq := loadInBatches(t, ix, rng, 0, 300, 20)
	if got := maxSegments(t, ix); got <= policy.above {
		t.Fatalf("the load left %d segments; the test needs more than %d", got, policy.above)
	}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _, err := ix.Compact(ctx); done <- err }()
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, fresh, err := open(dir, 1, quiet, metaHooks{compact: policy, manySegments: true})
	if err != nil || fresh {
		t.Fatalf("reopen: fresh %v, %v", fresh, err)
	}
	defer ix.Close()
	if n, err := ix.DocCount(); err != nil || n != seq {
		t.Fatalf("reopened with %d documents (%v), want %d", n, err, seq)
	}
	if _, after, err := ix.Compact(context.Background()); err != nil || slices.Max(after) > policy.above {
		t.Fatalf("compact after reopen: segments %v, %v", after, err)
	}
}

func mustSegments(t *testing.T, ix *Index) []int {
	t.Helper()
	s, err := ix.Segments()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustParse(t *testing.T, q string) query.Node {
	t.Helper()
	n, err := query.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A compaction asked for with a context that has ended does nothing: no
// force merge starts, the segments stay as they are. (The loop, once Close
// had cancelled it, went on to start a force merge of the next shard.)
func TestCompactWithEndedContextDoesNothing(t *testing.T) {
	logs, log := newLogBuffer()
	policy := &compactPolicy{idle: time.Hour, above: 2, every: time.Hour}
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 2, log, metaHooks{compact: policy, manySegments: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	loadInBatches(t, ix, rand.New(rand.NewPCG(4, 4)), 0, 400, 20)
	before := mustSegments(t, ix)
	if slices.Max(before) <= policy.above {
		t.Fatalf("the load left segments %v; the test needs more than %d in a shard", before, policy.above)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := ix.Compact(ctx); err == nil {
		t.Error("Compact with an ended context returned no error")
	}
	if after := mustSegments(t, ix); !slices.Equal(after, before) {
		t.Errorf("segments %v after a cancelled compaction, %v before", after, before)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if strings.Contains(logs.buf.String(), "index: compacting") {
		t.Errorf("a compaction started with an ended context:\n%s", logs.buf.String())
	}
}
