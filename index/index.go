package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Internal (non-document) keys kept in the index.
var (
	keyLastSeq        = []byte("ww_last_seq")
	keyMappingVersion = []byte("ww_mapping_version")
)

// Index is the open index: DefaultShards Bleve indexes, each holding the
// articles whose id hashes to it. A search runs on every shard at once
// and merges their hits, counts and months, so one search uses every
// core: Bleve runs a search on one goroutine.
type Index struct {
	shards  []bleve.Index
	path    string
	mapping mapping.IndexMapping
	textAn  analysis.Analyzer
	nameAn  analysis.Analyzer
	langAn  map[string]analysis.Analyzer // language → its analyser (langs.go)

	// present lists the languages (sorted) whose fields hold articles in
	// this index: a query searches those; it only grows while open.
	present   atomic.Pointer[[]string]
	presentMu sync.Mutex

	meta     *metaCache
	tokens   *tokenCache // analysed texts, for snippets
	stopWarm chan struct{}
	warmDone chan struct{}

	onCollect atomic.Pointer[func(context.Context)] // see OnCollect

	lastApply   atomic.Int64 // Unix nanoseconds of the last Apply (compact.go)
	compactions atomic.Int64 // shards compacted since open
	compactMu   sync.Mutex   // one compaction at a time
	compact     compactPolicy
	stopCompact context.CancelFunc
	compactDone chan struct{}

	log     *slog.Logger
	guard   atomic.Int32 // guardUnchecked, guardFast or guardFallback (guard.go)
	guardMu sync.Mutex   // one self-check at a time
}

// DefaultShards is the number of shards of an on-disk index: the cores
// of the machines Watchword is sized for. It is part of the layout; an
// index with another number is rebuilt (see MappingVersion).
const DefaultShards = 2

// scorchConfig: the store is the source of truth and the last applied
// sequence is written in the same batch as the documents, so the index
// need not fsync every batch (unsafe_batch). After a crash it reopens at a
// consistent older snapshot and the caller replays the store from there.
//
// The merge plan merges less than Bleve's default while articles arrive,
// because merging was a quarter of a bulk load's CPU:
//   - merged segments are capped at maxSegmentDocs documents: merging a
//     shard into ever larger segments makes the last merges of a large
//     load read and rebuild hundreds of megabytes at once, which is
//     where its memory peaked;
//   - a tier holds up to 20 segments before they are merged (default 10);
//   - segments are rounded up to 200 documents when the plan sizes them
//     (default 2,000): a batch's segment in one shard holds about 500,
//     and the default counted each as 2,000, so the planner saw four
//     times the documents and merged them early and often.
//
// That leaves about 43 segments per shard at 1M articles, and a search
// pays for each (at 1M, 45 segments per shard cost a third more CPU a
// search than 7): once writes are idle, compaction (compact.go) merges
// them down under the same cap.
//
// With Options.PersisterNap the persister naps between writes (Bleve's
// advice for unsafe batches; its default is not to), so the batches that
// arrive meanwhile are merged in memory and written as one segment.
// Without it a feed-fed server writing 10 articles every 200 ms wrote
// each batch as a segment of its own, with a new snapshot record, and
// merged them again and again: at 1M, 10 MB/s written for 50
// articles/s. The batches stay searchable while unwritten; a crash loses
// at most the nap, which the store replays.
func scorchConfig(hooks metaHooks) map[string]any {
	perTier, floor, nap := 20, 200, hooks.persisterNap
	if hooks.manySegments {
		perTier, floor, nap = 100, 1, 0
	}
	return map[string]any{
		"unsafe_batch": true,
		"scorchMergePlanOptions": map[string]any{
			"MaxSegmentSize":     maxSegmentDocs,
			"MaxSegmentsPerTier": perTier,
			"FloorSegmentSize":   floor,
		},
		"scorchPersisterOptions": map[string]any{
			"PersisterNapTimeMSec": int(nap / time.Millisecond),
		},
	}
}

// maxSegmentDocs caps the documents of a merged segment.
const maxSegmentDocs = 150_000

func shardDir(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("shard-%d", i)) }

// layoutVersion is what each shard records: the mapping version and the
// shard count, both of which decide where a document is and how.
func layoutVersion(shards int) string { return fmt.Sprintf("%d/%d", MappingVersion, shards) }

// Open opens the index in dir. When the index is missing, unreadable or
// built with another MappingVersion or shard count, it is removed and
// created empty, and fresh is true: the caller must then rebuild it from
// the store.
func Open(dir string, log *slog.Logger) (ix *Index, fresh bool, err error) {
	return OpenWith(dir, log, Options{})
}

// Options are an on-disk index's settings beyond its directory.
type Options struct {
	// PersisterNap is how long Bleve's persister waits for more batches
	// before it writes what it has: the batches that arrive meanwhile are
	// merged in memory and written as one segment (scorchConfig). Zero:
	// each batch is written as it comes, and Close is quicker (it waits
	// for the last write, up to one nap).
	PersisterNap time.Duration
}

// OpenWith is Open with opts.
func OpenWith(dir string, log *slog.Logger, opts Options) (ix *Index, fresh bool, err error) {
	return open(dir, DefaultShards, log, metaHooks{persisterNap: opts.PersisterNap})
}

func open(dir string, n int, log *slog.Logger, hooks metaHooks) (ix *Index, fresh bool, err error) {
	im, err := NewMapping()
	if err != nil {
		return nil, false, err
	}
	want := layoutVersion(n)
	shards, reason := openShards(dir, n, want, hooks)
	if shards != nil {
		ix, err := newIndex(shards, dir, im, log, hooks)
		if err != nil {
			return nil, false, err
		}
		// An index with documents is checked now; an empty one after
		// its first batch (Apply).
		ix.checkOnce(context.Background())
		return ix, false, nil
	}
	if _, serr := os.Stat(dir); errors.Is(serr, os.ErrNotExist) {
		log.Info("index: none found, creating", "path", dir)
	} else {
		log.Warn("index: rebuilding", "path", dir, "reason", reason)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, false, fmt.Errorf("index: remove %s: %w", dir, err)
	}
	shards = make([]bleve.Index, 0, n)
	fail := func(err error) (*Index, bool, error) {
		for _, bi := range shards {
			bi.Close()
		}
		return nil, false, err
	}
	for i := range n {
		bi, err := bleve.NewUsing(shardDir(dir, i), im, scorch.Name, scorch.Name, scorchConfig(hooks))
		if err != nil {
			return fail(fmt.Errorf("index: create %s: %w", shardDir(dir, i), err))
		}
		shards = append(shards, bi)
		if err := bi.SetInternal(keyMappingVersion, []byte(want)); err != nil {
			return fail(fmt.Errorf("index: write mapping version in %s: %w", shardDir(dir, i), err))
		}
	}
	ix, err = newIndex(shards, dir, im, log, hooks)
	return ix, true, err
}

// openShards opens the n shards of dir if all are there with the wanted
// layout version; otherwise it closes what it opened and says why.
func openShards(dir string, n int, want string, hooks metaHooks) ([]bleve.Index, string) {
	var shards []bleve.Index
	for i := range n {
		bi, err := bleve.OpenUsing(shardDir(dir, i), scorchConfig(hooks))
		if err != nil {
			for _, bi := range shards {
				bi.Close()
			}
			return nil, fmt.Sprintf("shard %d: %v", i, err)
		}
		shards = append(shards, bi)
		if v, err := bi.GetInternal(keyMappingVersion); err != nil || string(v) != want {
			for _, bi := range shards {
				bi.Close()
			}
			return nil, fmt.Sprintf("shard %d has layout %q, want %q", i, v, want)
		}
	}
	if _, err := os.Stat(shardDir(dir, n)); err == nil {
		for _, bi := range shards {
			bi.Close()
		}
		return nil, "more shards than expected"
	}
	return shards, ""
}

// OpenMemory creates an empty in-memory index with the same mapping and
// analysers, in one shard. The alert runner indexes only the articles that
// are new since the alerts' watermarks into one, so matching thousands of
// saved queries costs in proportion to the new articles, not to the
// archive.
func OpenMemory(log *slog.Logger) (*Index, error) {
	im, err := NewMapping()
	if err != nil {
		return nil, err
	}
	// Scorch with an empty path keeps its segments in memory only; it
	// searches far faster than the upsidedown/gtreap NewMemOnly index.
	bi, err := bleve.NewUsing("", im, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("index: create in-memory index: %w", err)
	}
	return newIndex([]bleve.Index{bi}, ":memory:", im, log, metaHooks{})
}

func newIndex(shards []bleve.Index, dir string, im mapping.IndexMapping, log *slog.Logger, hooks metaHooks) (*Index, error) {
	ix := &Index{shards: shards, path: dir, mapping: im, meta: newMetaCache(), tokens: newTokenCache(8 << 20), log: log}
	ix.meta.hooks = hooks
	ix.compact = defaultCompaction
	if hooks.compact != nil {
		ix.compact = *hooks.compact
	}
	ix.textAn = im.AnalyzerNamed(AnalyzerText)
	ix.nameAn = im.AnalyzerNamed(AnalyzerName)
	ix.langAn = make(map[string]analysis.Analyzer, len(langFilters))
	for _, l := range analysedLanguages() {
		an := im.AnalyzerNamed(langAnalyzerName(l))
		if an == nil {
			ix.textAn = nil
			break
		}
		ix.langAn[l] = an
	}
	var present []string
	for _, bi := range shards {
		fields, err := bi.Fields()
		if err != nil {
			for _, bi := range shards {
				bi.Close()
			}
			return nil, fmt.Errorf("index: list fields in %s: %w", dir, err)
		}
		for _, f := range fields {
			if l, ok := strings.CutPrefix(f, fLangText+"."); ok && !slices.Contains(present, l) {
				present = append(present, l)
			}
		}
	}
	slices.Sort(present)
	ix.present.Store(&present)
	if ix.textAn == nil || ix.nameAn == nil {
		for _, bi := range shards {
			bi.Close()
		}
		return nil, fmt.Errorf("index: analyzers missing from mapping in %s", dir)
	}
	if dir != ":memory:" {
		ix.stopWarm, ix.warmDone = make(chan struct{}), make(chan struct{})
		go ix.warm(time.Second)
		ix.lastApply.Store(time.Now().UnixNano())
		ctx, cancel := context.WithCancel(context.Background())
		ix.stopCompact, ix.compactDone = cancel, make(chan struct{})
		go ix.compactLoop(ctx)
	}
	return ix, nil
}

// OnCollect sets a function the collector calls, with the search's
// context, before it takes each batch of matches (every 256 and at the
// end); nil removes it. It is a seam for tests that need a search to be
// running, to cancel it or let it time out; a server leaves it unset.
func (ix *Index) OnCollect(f func(ctx context.Context)) {
	if f == nil {
		ix.onCollect.Store(nil)
		return
	}
	ix.onCollect.Store(&f)
}

// shardOf is the shard an article id lives in.
func (ix *Index) shardOf(id string) int {
	if len(ix.shards) == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(len(ix.shards)))
}

// eachShard runs fn on every shard at once and joins the errors.
func (ix *Index) eachShard(fn func(i int, bi bleve.Index) error) error {
	if len(ix.shards) == 1 {
		return fn(0, ix.shards[0])
	}
	errs := make([]error, len(ix.shards))
	var wg sync.WaitGroup
	for i, bi := range ix.shards {
		wg.Go(func() { errs[i] = fn(i, bi) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Warm makes the index read the segment metadata of every shard now, in
// the background, and keep it current, so even the first search is fast.
// (Without it, the metadata is read at the first search.) A server calls
// it after opening; a bulk load does not, since it would read segments
// that merging soon replaces.
func (ix *Index) Warm() { ix.meta.used.Store(true) }

// warm reads the metadata of new segments (from batches and from
// merges) in the background once searches have started, so a search
// rarely pays for it.
func (ix *Index) warm(every time.Duration) {
	defer close(ix.warmDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ix.stopWarm:
			return
		case <-t.C:
		}
		if !ix.meta.used.Load() || !ix.FastCollector() {
			continue
		}
		for i, bi := range ix.shards {
			r, err := shardReader(bi)
			if err != nil {
				continue
			}
			// Errors surface again, with context, in the next search.
			_, _ = ix.meta.forSnapshot(i, r)
			r.Close()
		}
	}
}

// Flush waits until everything applied so far is persisted on disk. With
// unsafe_batch, batches are searchable before they are persisted; Close
// calls Flush so a clean stop leaves nothing to replay.
func (ix *Index) Flush(timeout time.Duration) error {
	return ix.eachShard(func(i int, bi bleve.Index) error {
		v, err := bi.GetInternal(keyLastSeq)
		if err != nil {
			return fmt.Errorf("index: flush shard %d: %w", i, err)
		}
		done := make(chan error, 1)
		b := bi.NewBatch()
		b.SetInternal(keyLastSeq, v)
		b.SetPersistedCallback(func(err error) { done <- err })
		if err := bi.Batch(b); err != nil {
			return fmt.Errorf("index: flush shard %d: %w", i, err)
		}
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("index: flush shard %d: %w", i, err)
			}
			return nil
		case <-time.After(timeout):
			return fmt.Errorf("index: flush shard %d: not persisted after %s", i, timeout)
		}
	})
}

// Close persists what is pending and closes the index.
func (ix *Index) Close() error {
	if ix.stopCompact != nil {
		ix.stopCompact()
		<-ix.compactDone
	}
	if ix.stopWarm != nil {
		close(ix.stopWarm)
		<-ix.warmDone
	}
	var ferr error
	if ix.path != ":memory:" {
		ferr = ix.Flush(time.Minute)
	}
	cerr := ix.eachShard(func(_ int, bi bleve.Index) error { return bi.Close() })
	if err := errors.Join(ferr, cerr); err != nil {
		return fmt.Errorf("index: close %s: %w", ix.path, err)
	}
	return nil
}

// LastSeq returns the highest store sequence applied to every shard.
// (After a crash one shard may be ahead of another; replaying from the
// lowest is harmless, since putting an article again replaces it.)
func (ix *Index) LastSeq() (uint64, error) {
	var last uint64
	for i, bi := range ix.shards {
		v, err := bi.GetInternal(keyLastSeq)
		if err != nil {
			return 0, fmt.Errorf("index: read last seq of shard %d: %w", i, err)
		}
		var seq uint64
		if len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		if i == 0 || seq < last {
			last = seq
		}
	}
	return last, nil
}

// DocCount returns the number of indexed documents.
func (ix *Index) DocCount() (uint64, error) {
	var total uint64
	for i, bi := range ix.shards {
		n, err := bi.DocCount()
		if err != nil {
			return 0, fmt.Errorf("index: count shard %d: %w", i, err)
		}
		total += n
	}
	return total, nil
}
