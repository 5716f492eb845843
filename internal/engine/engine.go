// Package engine is Watchword's core service. It owns the write pipeline
// (normalize → extract → store → index), keeps the derived index caught up
// with the store, and answers searches by joining index hits with stored
// articles. The web and alerts layers use it; it knows nothing of them.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/lang"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
	"github.com/watchword/watchword/internal/stories"
)

// Extracted is what an extractor found in one article.
type Extracted struct {
	Speakers, Countries, Topics []string
	// MainCountries are the countries the article is about, a subset of
	// Countries (which holds every country it names or implies).
	MainCountries []string
}

// facets is x as the article's extracted facets.
func (x Extracted) facets() news.Facets {
	return news.Facets{Speakers: x.Speakers, Countries: x.Countries, MainCountries: x.MainCountries, Topics: x.Topics}
}

// ExtractFunc finds entities in an article's title and body. It must be
// safe for concurrent use.
type ExtractFunc func(title, body string) Extracted

// LangExtractFunc is an ExtractFunc that also reads the article's
// language: its BCP 47 tag as supplied or detected ("" when unknown),
// so an extractor with rules per language need not detect it again.
type LangExtractFunc func(language, title, body string) Extracted

// langExtract returns the extractor of cfg: ExtractLang, or Extract
// (which ignores the language), or nil.
func (cfg *Config) langExtract() LangExtractFunc {
	if cfg.ExtractLang != nil {
		return cfg.ExtractLang
	}
	if ext := cfg.Extract; ext != nil {
		return func(_, title, body string) Extracted { return ext(title, body) }
	}
	return nil
}

// Config configures an Engine.
type Config struct {
	DataDir string
	Extract ExtractFunc // nil: no extraction
	// ExtractLang, when set, is used instead of Extract.
	ExtractLang LangExtractFunc
	BatchSize   int // documents per store transaction and index batch; default 1000
	Logger      *slog.Logger
	Now         func() time.Time // default time.Now
	// Limits is the budget of every search's query (zero fields: the
	// defaults of the query package).
	Limits query.Limits
	// Log is the article log the engine writes to and the index is
	// derived from. nil: the bbolt store in DataDir (store.Log). A log
	// given here is the caller's to close.
	Log ArticleLog
	// Stories configures the near-duplicate detector that groups articles
	// into stories (zero fields: the defaults of internal/stories).
	Stories stories.Config
	// IndexPersisterNap is index.Options.PersisterNap: how long the
	// index waits for more batches before writing what it has. A server
	// sets it; zero writes each batch at once.
	IndexPersisterNap time.Duration
}

// Engine is an open article log plus its index. It is the only door to
// both: the layers above (web, alerts, feeds, the commands) go through
// its methods.
type Engine struct {
	store    *store.Store // the bbolt file: the node's own state (held mark, backup, other packages' buckets)
	articles ArticleLog   // the source of truth for articles; the store's Log unless Config.Log
	index    *index.Index
	extract  LangExtractFunc
	batch    int
	log      *slog.Logger
	now      func() time.Time
	limits   query.Limits // with defaults

	writeMu    sync.Mutex    // serialises writes so sequence order is index order
	indexedSeq atomic.Uint64 // highest sequence applied to the index

	// stories groups near copies into stories (stories.go); guarded by
	// writeMu, fed in sequence order.
	stories  *stories.Detector
	storyCfg stories.Config

	// apply writes one batch to the index: index.Apply, replaced by tests
	// to make a batch fail.
	apply func(puts []*news.Article, dels []string, lastSeq uint64) error

	// After a failed index batch a background repair replays the changes
	// the index missed, so the server catches up (and /readyz turns
	// ready) even when no write comes to do it.
	// follow is set when the log is a Follower (a replicated log that
	// other nodes append to): the index replays the log after every
	// change of it instead of indexing a write's batch directly.
	follow bool

	repairing  bool          // a repair goroutine is running; guarded by writeMu
	repairWait time.Duration // first wait of the repair's backoff
	closing    chan struct{}
	closeOnce  sync.Once
	bg         sync.WaitGroup

	watch watchers // told after each write that made articles searchable (OnIndexed)
}

// StorePath and IndexPath name the files inside a data directory.
func StorePath(dataDir string) string { return filepath.Join(dataDir, "watchword.db") }

// IndexPath is the Bleve index directory inside a data directory.
func IndexPath(dataDir string) string { return filepath.Join(dataDir, "index.bleve") }

// Open is OpenContext without a caller's context.
func Open(cfg Config) (*Engine, error) { return OpenContext(context.Background(), cfg) }

// OpenContext opens the store and index in cfg.DataDir and brings the
// index up to date: a missing, unreadable or outdated index is rebuilt
// from the log; otherwise every change after the index's last sequence
// is replayed. The replay runs under ctx (checked between batches) and
// logs through the logger ctx carries, if any.
func OpenContext(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	st, err := store.Open(StorePath(cfg.DataDir))
	if err != nil {
		return nil, err
	}
	ix, _, err := index.OpenWith(IndexPath(cfg.DataDir), cfg.Logger, index.Options{PersisterNap: cfg.IndexPersisterNap})
	if err != nil {
		st.Close()
		return nil, err
	}
	articles := cfg.Log
	if articles == nil {
		articles = st.Log()
	}
	e := &Engine{store: st, articles: articles, index: ix, extract: cfg.langExtract(), batch: cfg.BatchSize, log: cfg.Logger, now: cfg.Now,
		limits: cfg.Limits.WithDefaults(), apply: ix.Apply, repairWait: time.Second, closing: make(chan struct{}),
		stories: stories.New(cfg.Stories), storyCfg: cfg.Stories.WithDefaults()}
	if err := e.catchUp(ctx); err != nil {
		e.Close()
		return nil, err
	}
	if f, ok := articles.(Follower); ok {
		e.follow = true
		e.bg.Add(1)
		go e.followLog(f.Changed())
	}
	return e, nil
}

// Store is the store file, for cmd/watchword to wire the bbolt
// implementations of the seams that share it (alerts/boltstore,
// internal/feeds' store, internal/keys/boltstore) and for their tests.
// Nothing else calls it: layering_test.go checks that alerts,
// internal/feeds and web never do.
func (e *Engine) Store() *store.Store { return e.store }

// Index gives access to the index (query compilation, highlighting).
//
// Deprecated: for alerts/feeds until their seams land; use the engine's
// methods (api_web.go, api_cmd.go).
func (e *Engine) Index() *index.Index { return e.index }

// Limits is the query budget searches run with.
func (e *Engine) Limits() query.Limits { return e.limits }

// IndexedSeq is the highest ingest sequence that is searchable.
func (e *Engine) IndexedSeq() uint64 { return e.indexedSeq.Load() }

// UnmatchedFilters returns the filter values of f that no indexed article
// has: a search or alert restricted to one of them finds nothing yet.
func (e *Engine) UnmatchedFilters(ctx context.Context, f index.Filters) ([]index.FilterValue, error) {
	return e.index.Unmatched(ctx, f)
}

// Close stops a running index repair and closes index and store.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() { close(e.closing) })
	e.bg.Wait()
	return errors.Join(e.index.Close(), e.store.Close())
}

// ForEach calls fn(i) for every i in [0, n) on workers goroutines, taking
// indexes in order as each worker frees up, and waits for all of them.
func ForEach(n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// ItemError reports one rejected article of a batch by its position.
type ItemError struct {
	Index   int    `json:"index"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Ingest normalizes, enriches, stores and indexes articles. Articles that
// fail validation are reported by position and the rest are written. It
// returns once every accepted article is durable and searchable.
//
// ctx is checked between batches (Config.BatchSize articles each): once it
// is done no further batch is stored, and Ingest returns ctx's error with
// the ids of the articles of the batches already stored, which are durable
// and searchable. A batch is stored whole or not at all. It logs through
// the logger ctx carries (see internal/logctx), if any.
func (e *Engine) Ingest(ctx context.Context, arts []*news.Article) (ids []string, rejected []ItemError, err error) {
	log := logctx.From(ctx, e.log)
	now := e.now()
	ok := make([]*news.Article, 0, len(arts))
	for i, a := range arts {
		if a == nil {
			rejected = append(rejected, ItemError{Index: i, Code: news.ECodeInvalid, Message: "article is null"})
			continue
		}
		if err := a.Normalize(now); err != nil {
			rejected = append(rejected, ItemError{Index: i, Code: news.ErrorCode(err), Message: news.ErrorMessage(err)})
			continue
		}
		ok = append(ok, a)
	}
	n, err := e.write(ctx, ok, e.enrich)
	if n > 0 {
		e.notifyIndexed(e.indexedSeq.Load())
	}
	ids = make([]string, n)
	for i, a := range ok[:n] {
		ids[i] = a.ID
	}
	if err != nil {
		log.Warn("engine: ingest stopped", "stored", n, "accepted", len(ok), "rejected", len(rejected), "err", err)
		return ids, rejected, err
	}
	log.Debug("engine: ingest", "stored", n, "rejected", len(rejected))
	return ids, rejected, nil
}

// enrich detects the language of the articles that came without one,
// runs the extractor over them on every core and merges supplied and
// extracted facets.
func (e *Engine) enrich(arts []*news.Article) {
	ForEach(len(arts), runtime.GOMAXPROCS(0), func(i int) {
		a := arts[i]
		detectLanguage(a)
		if e.extract != nil {
			x := e.extract(a.Language, a.Title, a.Body)
			a.Extracted = x.facets()
		}
	})
	for _, a := range arts {
		a.Merge()
	}
}

// detectLanguage sets the language of an article that has none supplied
// (or one detected earlier, which a newer detector may revise).
func detectLanguage(a *news.Article) {
	if a.Language == "" || a.LanguageConfidence > 0 {
		a.Language, a.LanguageConfidence = lang.Detect(a.Title, a.Body)
	}
}

// indexDepth is how many index batches may be in flight at once: the
// segment of one batch is built while the next batch is analysed.
const indexDepth = 2

// write stores and indexes articles in batches. Store commits run in
// sequence order; index batches overlap (indexDepth at a time). The
// index's last-seq marker written with each batch is the sequence up to
// which every earlier batch had finished when it started, so it is never
// ahead of the indexed content; after a crash at most indexDepth batches
// are replayed, which is harmless.
//
// prepare, when set, is run on each batch before it is stored, one batch
// ahead of the writer, so that extraction overlaps storing and indexing.
//
// ctx is checked before each batch is stored; once it is done write stops
// storing, waits for the batches in flight, and returns ctx's error. It
// returns how many articles (a prefix of arts, whole batches) were stored;
// on a nil error that is all of them.
func (e *Engine) write(ctx context.Context, arts []*news.Article, prepare func([]*news.Article)) (int, error) {
	if len(arts) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("engine: write %d articles: %w", len(arts), context.Cause(ctx))
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if err := e.syncLocked(); err != nil {
		return 0, err
	}
	if e.follow {
		return e.writeFollowing(ctx, arts, prepare)
	}
	log := logctx.From(ctx, e.log)
	// Articles the log keeps as they are (an unchanged re-ingest) keep
	// their sequence, at or below startSeq, and are not indexed again.
	startSeq, err := e.articles.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	prevSeq := startSeq

	// ready[k] is closed once batch k is prepared, its articles' story
	// signatures in sigs.
	sigs := make([]*stories.Signature, len(arts))
	nb := (len(arts) + e.batch - 1) / e.batch
	ready := make([]chan struct{}, nb)
	for k := range ready {
		ready[k] = make(chan struct{})
	}
	go func() {
		for k := range ready {
			if ctx.Err() == nil {
				lo, hi := k*e.batch, min((k+1)*e.batch, len(arts))
				if prepare != nil {
					prepare(arts[lo:hi])
				}
				copy(sigs[lo:hi], e.signStories(arts[lo:hi]))
			}
			close(ready[k])
		}
	}()
	// Wait for the preparer on every exit, so it never touches articles
	// after write returns.
	defer func() { <-ready[nb-1] }()

	// When one call holds the same id twice, only its last version goes to
	// the index: overlapping batches may land in either order.
	last := make(map[string]int, len(arts))
	for i, a := range arts {
		last[a.ID] = i
	}

	type flight struct {
		seq  uint64
		done chan error
	}
	var (
		pending  []flight
		settled  = e.indexedSeq.Load() // every batch up to here is searchable
		written  uint64                // highest marker sent to the index
		errs     []error
		indexErr bool  // a batch is stored but not indexed
		storeErr error // a batch could not be stored
		stored   int   // articles stored, whole batches
		ctxErr   error // ctx was done before a batch was stored
	)
	wait := func() {
		f := pending[0]
		pending = pending[1:]
		if err := <-f.done; err != nil {
			errs = append(errs, err)
			indexErr = true
			return
		}
		if len(errs) == 0 {
			settled = f.seq
			e.indexedSeq.Store(settled)
		}
	}
	for i := 0; i < len(arts) && len(errs) == 0; i += e.batch {
		chunk := arts[i:min(i+e.batch, len(arts))]
		<-ready[i/e.batch]
		if ctx.Err() != nil {
			// Stop between batches: what is stored stays whole.
			ctxErr = context.Cause(ctx)
			break
		}
		seq, err := e.articles.Append(ctx, chunk)
		if err != nil {
			errs = append(errs, err)
			storeErr = err
			break
		}
		stored += len(chunk)
		docs := make([]*news.Article, 0, len(chunk))
		docSigs := make([]*stories.Signature, 0, len(chunk))
		for k, a := range chunk {
			if last[a.ID] == i+k && a.Seq > startSeq {
				docs = append(docs, a)
				docSigs = append(docSigs, sigs[i+k])
			}
		}
		e.group(docs, nil, docSigs)
		if len(docs) == 0 && seq == prevSeq {
			continue // nothing new in this batch
		}
		prevSeq = seq
		if len(pending) == indexDepth {
			wait()
		}
		f := flight{seq: seq, done: make(chan error, 1)}
		marker := settled
		if len(pending) == 0 && i+e.batch >= len(arts) {
			marker = f.seq // the only batch in flight: it covers itself
		}
		written = max(written, marker)
		go func() { f.done <- e.apply(docs, nil, marker) }()
		pending = append(pending, f)
	}
	for len(pending) > 0 {
		wait()
	}
	if len(errs) == 0 && written < settled {
		// Everything is in: move the marker up to the last sequence.
		if err := e.apply(nil, nil, settled); err != nil {
			errs = append(errs, err)
			indexErr = true
		}
	}
	if indexErr {
		// Stored but not searchable: replay from the last applied
		// sequence now. When that works the write is complete after all;
		// otherwise it fails as unavailable (503) and the next write (or
		// the repair) replays.
		if err := e.syncLocked(); err != nil {
			errs = append([]error{err}, errs...)
		} else {
			log.Warn("index: a failed batch was replayed", "err", errors.Join(errs...))
			errs = nil
			if storeErr != nil {
				errs = []error{storeErr}
			}
		}
	}
	if ctxErr != nil {
		errs = append(errs, ctxErr)
	}
	if err := errors.Join(errs...); err != nil {
		return stored, fmt.Errorf("engine: write %d articles: %w", len(arts), err)
	}
	return stored, nil
}

// Delete removes an article from the store and the index. A ctx already
// done when the write lock is taken stops it before anything is written.
func (e *Engine) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("engine: delete %q: %w", id, context.Cause(ctx))
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if err := e.syncLocked(); err != nil {
		return err
	}
	deleted, seq, err := e.articles.Delete(ctx, []string{id})
	if err != nil {
		return err
	}
	if len(deleted) == 0 {
		return news.Errorf(news.ECodeNotFound, "article %q not found", id)
	}
	logctx.From(ctx, e.log).Debug("engine: delete", "id", id, "seq", seq)
	if e.follow {
		return e.syncLocked()
	}
	e.group(nil, []string{id}, nil)
	if err := e.apply(nil, []string{id}, seq); err != nil {
		if e.syncLocked() == nil {
			return nil
		}
		return fmt.Errorf("engine: delete %q: %w", id, err)
	}
	e.indexedSeq.Store(seq)
	return nil
}

// Article returns one stored article.
func (e *Engine) Article(ctx context.Context, id string) (*news.Article, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("engine: article %q: %w", id, context.Cause(ctx))
	}
	arts, err := e.articles.Get(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if arts[0] == nil {
		return nil, news.Errorf(news.ECodeNotFound, "article %q not found", id)
	}
	return arts[0], nil
}
