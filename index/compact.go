package index

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

// Compaction. The merge plan used while articles arrive (scorchConfig)
// merges little, to keep a bulk load's CPU and memory down: a shard of a
// 1M archive is left with about 45 segments. A search pays for every
// segment of every term it reads (a dictionary look-up and a postings
// iterator each, and a conjunction steps through them in turn): at 1M the
// same queries took 13 ms of CPU a search over 45 segments per shard and
// 8.7 ms over 6 (docs/benchmarks.md, "Compaction"). So once writes have
// stopped for a while (or have gone on for long: compactPolicy), a shard
// with more than compactPolicy.above segments is force-merged into
// segments of at most maxSegmentDocs documents, the same cap as the
// merges during a load (which is what bounds a merge's memory).
// One shard at a time; a write during a merge does not stop it (it is a
// new segment), a Close does.

// compactPolicy says when a shard is compacted: when it holds more than
// above segments, after idle without an Apply, or once it has held more
// for busy even though writes go on (0: never while writes go on). A
// server fed all day by feeds may never be idle for 10 s, and its
// searches would pay for the segments for good; a bulk load, at a few
// thousand articles a second, is over before busy (a 1M load takes
// about 5 minutes), so its memory is not raised by a compaction beside
// it.
type compactPolicy struct {
	idle  time.Duration
	busy  time.Duration
	above int
	every time.Duration // how often the condition is checked
}

var defaultCompaction = compactPolicy{idle: 10 * time.Second, busy: 15 * time.Minute, above: 12, every: 2 * time.Second}

// compactOptions is the plan of a compaction: merge everything mergeable
// (one segment per tier), ten segments per merge task, under the cap.
func compactOptions() *mergeplan.MergePlanOptions {
	o := mergeplan.DefaultMergePlanOptions
	o.MaxSegmentSize = maxSegmentDocs
	o.MaxSegmentsPerTier = 1
	o.SegmentsPerMergeTask = 10
	o.FloorSegmentSize = 200
	return &o
}

// segments is the number of segments in a shard's current snapshot.
func segments(bi bleve.Index) (int, error) {
	r, err := shardReader(bi)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return len(r.(*scorch.IndexSnapshot).Segments()), nil
}

// Segments returns the number of segments of each shard, for /metrics
// and the benchmarks.
func (ix *Index) Segments() ([]int, error) {
	out := make([]int, len(ix.shards))
	for i, bi := range ix.shards {
		n, err := segments(bi)
		if err != nil {
			return nil, fmt.Errorf("index: segments of shard %d: %w", i, err)
		}
		out[i] = n
	}
	return out, nil
}

// Compactions is the number of shard compactions since the index opened.
func (ix *Index) Compactions() int64 { return ix.compactions.Load() }

// compactLoop runs until ctx ends; see compactPolicy.
func (ix *Index) compactLoop(ctx context.Context) {
	defer close(ix.compactDone)
	p := ix.compact
	t := time.NewTicker(p.every)
	defer t.Stop()
	stuck := make([]int, len(ix.shards))
	aboveSince := make([]time.Time, len(ix.shards))
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for i, bi := range ix.shards {
			if ctx.Err() != nil {
				return
			}
			// Segments at the cap are not merged again: a shard of a large
			// archive can stay above the threshold for good. It is tried
			// again only once it has more segments than it was left with.
			limit := max(p.above, stuck[i])
			n, err := segments(bi)
			if err != nil || n <= limit {
				aboveSince[i] = time.Time{}
				continue
			}
			if aboveSince[i].IsZero() {
				aboveSince[i] = time.Now()
			}
			idle := time.Since(time.Unix(0, ix.lastApply.Load())) >= p.idle
			if !idle && (p.busy <= 0 || time.Since(aboveSince[i]) < p.busy) {
				continue
			}
			after, err := ix.compactShard(ctx, i, bi, limit)
			if err != nil && ctx.Err() == nil {
				ix.log.Warn("index: compaction failed", "shard", i, "err", err)
			}
			stuck[i], aboveSince[i] = after, time.Time{}
		}
	}
}

// compactShard force-merges shard i when it holds more than above
// segments. It returns the segments the shard has after it (0 when it
// did not compact).
func (ix *Index) compactShard(ctx context.Context, i int, bi bleve.Index, above int) (int, error) {
	// One compaction at a time, the loop's or Compact's: Bleve refuses a
	// second force merge of a shard, and two at once would double the
	// memory they take.
	ix.compactMu.Lock()
	defer ix.compactMu.Unlock()
	if ctx.Err() != nil {
		return 0, nil
	}
	before, err := segments(bi)
	if err != nil || before <= above {
		return 0, err
	}
	adv, err := bi.Advanced()
	if err != nil {
		return 0, fmt.Errorf("index: compact shard %d: %w", i, err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return 0, fmt.Errorf("index: compact shard %d: not a scorch index", i)
	}
	start := time.Now()
	ix.log.Info("index: compacting", "shard", i, "segments", before)
	if err := s.ForceMerge(ctx, compactOptions()); err != nil {
		return 0, fmt.Errorf("index: compact shard %d: %w", i, err)
	}
	if ctx.Err() != nil {
		return 0, nil
	}
	after, err := segments(bi)
	if errors.Is(err, bleve.ErrorIndexClosed) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	ix.compactions.Add(1)
	// The merged segments' metadata is read now, as the warm loop would
	// within a second, so that the next search does not pay for it.
	if ix.meta.used.Load() && ix.FastCollector() {
		if r, err := shardReader(bi); err == nil {
			_, _ = ix.meta.forSnapshot(i, r)
			r.Close()
		}
	}
	ix.log.Info("index: compacted", "shard", i, "segments_before", before, "segments_after", after, "took", time.Since(start).Round(time.Millisecond))
	return after, nil
}

// Compact compacts now every shard with more than the policy's segments,
// whether or not writes are idle, and returns the segments of each shard
// before and after. The benchmarks call it to measure searches on the
// index a server would have after its first idle moment.
func (ix *Index) Compact(ctx context.Context) (before, after []int, err error) {
	if before, err = ix.Segments(); err != nil {
		return nil, nil, err
	}
	for i, bi := range ix.shards {
		if _, err := ix.compactShard(ctx, i, bi, ix.compact.above); err != nil {
			return nil, nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("index: compact: %w", err)
	}
	after, err = ix.Segments()
	return before, after, err
}
