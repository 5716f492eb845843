// Package importer migrates a single node's data directory into an empty
// cluster (issue #15 item 6): `watchword serve --node n1 --cluster … --data
// NEW --import OLD` runs it on one node before that node serves.
//
// The articles are published through the cluster's article log
// (artlog.Append) in the old sequence order, with their ids, content and
// ingested_at, so each gets a new sequence in the same order; the alerts,
// deliveries, sent records, feeds, keys and saved searches go through the
// replicated stores' command streams (their import commands, or Create),
// so every node applies them. Each alert's watermark is mapped onto the
// new sequences: the largest new sequence whose old one is at most the
// old watermark, so no alert sees an old article again as new.
//
// A replicated marker (KV bucket ww_import, key "import") records the
// import: started, from which source, and done with its counts. An
// import that failed part way is resumed by running it again with the
// same source: every write it makes only adds what is absent (an
// article stored already with the same content keeps its sequence and
// publishes nothing), so nothing is doubled. A finished import is not
// run again, and a cluster that holds anything but an unfinished import
// of the same source is refused before anything is written.
package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/alerts"
	alertsbolt "github.com/watchword/watchword/alerts/boltstore"
	alertsjs "github.com/watchword/watchword/alerts/jsstore"
	"github.com/watchword/watchword/internal/cluster/artlog"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	feedsbolt "github.com/watchword/watchword/internal/feeds/boltstore"
	feedsjs "github.com/watchword/watchword/internal/feeds/jsstore"
	"github.com/watchword/watchword/internal/keys"
	keysbolt "github.com/watchword/watchword/internal/keys/boltstore"
	keysjs "github.com/watchword/watchword/internal/keys/jsstore"
	"github.com/watchword/watchword/internal/news"
	savedbolt "github.com/watchword/watchword/internal/saved/boltstore"
	savedjs "github.com/watchword/watchword/internal/saved/jsstore"
	"github.com/watchword/watchword/internal/store"
)

// Errors an import is refused with (wrapped, with what to do).
var (
	ErrClusterDir = errors.New("a cluster node's data directory")
	ErrHeld       = errors.New("held by a running server")
	ErrNotEmpty   = errors.New("the cluster is not empty")
	ErrDone       = errors.New("the import is done")
	ErrOtherSrc   = errors.New("an unfinished import of another source")
)

// LockTimeout is how long OpenSource waits for the store file's lock.
const LockTimeout = 2 * time.Second

// Source is a single node's data directory, open read-only.
type Source struct {
	Dir string
	// ID identifies the source's content (see sourceID): a resumed
	// import must name the same one.
	ID     string
	st     *store.Store
	alerts *alertsbolt.Store // nil: the store never held alerts
	feeds  *feedsbolt.Store
	keys   *keysbolt.Store
	saved  *savedbolt.Store
	close  sync.Once
}

// OpenSource opens dir, a single node's data directory, read-only: its
// store file under a shared lock (a running single node holds it
// exclusively: ErrHeld), through the bbolt owners of each kind of state.
// A cluster node's directory is ErrClusterDir. Nothing in dir is written.
func OpenSource(ctx context.Context, dir string, log *slog.Logger) (*Source, error) {
	if _, err := os.Stat(filepath.Join(dir, "cluster.json")); err == nil {
		return nil, fmt.Errorf("import: %s is %w (it holds cluster.json): --import takes a single node's --data", dir, ErrClusterDir)
	}
	path := engine.StorePath(dir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("import: %s holds no %s: not a single node's data directory", dir, filepath.Base(path))
	}
	st, err := store.OpenReadOnly(path, LockTimeout)
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("import: %s is %w: stop the single node first (%v)", dir, ErrHeld, err)
	}
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	s := &Source{Dir: dir, st: st}
	if err := s.open(ctx, log); err != nil {
		st.Close()
		return nil, err
	}
	if s.ID, err = sourceID(st); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func (s *Source) open(ctx context.Context, log *slog.Logger) error {
	skip := func(err error) bool { return errors.Is(err, store.ErrNoSchema) }
	var err error
	if s.alerts, err = alertsbolt.New(ctx, s.st, log); skip(err) {
		s.alerts = nil
	} else if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if s.feeds, err = feedsbolt.New(ctx, s.st); skip(err) {
		s.feeds = nil
	} else if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if s.keys, err = keysbolt.New(ctx, s.st); skip(err) {
		s.keys = nil
	} else if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if s.saved, err = savedbolt.New(ctx, s.st); skip(err) {
		s.saved = nil
	} else if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// sourceID is a digest of what identifies a single node's store and
// does not change while it is stopped: its last assigned sequence, its
// article count and its first log record. The same directory moved
// elsewhere keeps it; a store that ingested more since has another.
func sourceID(st *store.Store) (string, error) {
	last, err := st.LastSeq()
	if err != nil {
		return "", err
	}
	n, err := st.Count()
	if err != nil {
		return "", err
	}
	var first string
	errStop := errors.New("stop")
	err = st.Changes(0, 0, 1, func(chs []store.Change) error {
		first = fmt.Sprintf("%d/%s/%t", chs[0].Seq, chs[0].ID, chs[0].Deleted)
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return "", err
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "watchword store\x00%d\x00%d\x00%s", last, n, first))
	return hex.EncodeToString(sum[:12]), nil
}

// Close closes the source's store file (again: nothing).
func (s *Source) Close() error {
	var err error
	s.close.Do(func() { err = s.st.Close() })
	return err
}

// Target is the cluster, as this node sees it.
type Target struct {
	JS       jetstream.JetStream
	Articles *artlog.Log
	Alerts   *alertsjs.Store
	Feeds    *feedsjs.Store
	Keys     *keysjs.Store
	Saved    *savedjs.Store
	Replicas int // of the marker's KV bucket
}

// Options tune an import.
type Options struct {
	// Batch is the articles of one Append; default 500.
	Batch  int
	Logger *slog.Logger
	// afterBatch, when set (tests), runs after each article batch with
	// its number from 1; an error stops the import there.
	afterBatch func(n int) error
}

// Summary is what an import did.
type Summary struct {
	Source      string        `json:"source"`
	Articles    int           `json:"articles"`
	Alerts      int           `json:"alerts"`
	Deliveries  int           `json:"deliveries"`
	SentRecords int           `json:"sent_records"`
	Feeds       int           `json:"feeds"`
	SeenRecords int           `json:"seen_records"`
	Keys        int           `json:"keys"`
	Saved       int           `json:"saved_searches"`
	Resumed     bool          `json:"resumed"`
	Took        time.Duration `json:"took"`
}

// Marker is the replicated record of an import.
type Marker struct {
	State     string    `json:"state"` // "started" or "done"
	Source    string    `json:"source"`
	SourceDir string    `json:"source_dir"`
	Started   time.Time `json:"started"`
	Done      time.Time `json:"done,omitzero"`
	Summary   *Summary  `json:"summary,omitempty"`
}

// Marker states.
const (
	StateStarted = "started"
	StateDone    = "done"
)

// MarkerBucket and MarkerKey name the marker in the cluster's KV.
const (
	MarkerBucket = "ww_import"
	MarkerKey    = "import"
)

// Run imports src into the cluster t (see the package doc).
func Run(ctx context.Context, src *Source, t Target, opts Options) (Summary, error) {
	start := time.Now()
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger
	sum := Summary{Source: src.ID}
	kv, err := openMarkerBucket(ctx, t.JS, t.Replicas)
	if err != nil {
		return sum, err
	}
	rev, marker, err := readMarker(ctx, kv)
	if err != nil {
		return sum, err
	}
	switch {
	case marker != nil && marker.State == StateDone:
		return sum, fmt.Errorf("import: %w: this cluster imported %s (source %s) at %s; start the node without --import", ErrDone, marker.SourceDir, marker.Source, marker.Done.Format(time.RFC3339))
	case marker != nil && marker.Source != src.ID:
		return sum, fmt.Errorf("import: %w: the cluster holds an unfinished import of %s (source %s), not of %s (source %s): give that directory to --import to finish it",
			ErrOtherSrc, marker.SourceDir, marker.Source, src.Dir, src.ID)
	case marker != nil:
		sum.Resumed = true
		log.Warn("import: resuming an unfinished import of the same source", "source", src.ID, "started", marker.Started)
	default:
		if err := checkEmpty(ctx, t); err != nil {
			return sum, err
		}
		marker = &Marker{State: StateStarted, Source: src.ID, SourceDir: src.Dir, Started: time.Now().UTC()}
		raw, _ := json.Marshal(marker)
		rev, err = kvRetry(ctx, func(ctx context.Context) (uint64, error) { return kv.Create(ctx, MarkerKey, raw) })
		if errors.Is(err, jetstream.ErrKeyExists) {
			// An earlier try whose answer was lost, or another import
			// that began meanwhile: the marker tells.
			var got *Marker
			if rev, got, err = readMarker(ctx, kv); err == nil && (got == nil || got.Source != src.ID || !got.Started.Equal(marker.Started)) {
				err = errors.New("another import began meanwhile")
			}
		}
		if err != nil {
			return sum, fmt.Errorf("import: record the start: %w", err)
		}
	}
	log.Info("import: articles", "from", src.Dir, "source", src.ID)
	m, err := importArticles(ctx, src, t, opts, &sum)
	if err != nil {
		return sum, err
	}
	if err := importAlerts(ctx, src, t, m, &sum); err != nil {
		return sum, err
	}
	if err := importFeeds(ctx, src, t, &sum); err != nil {
		return sum, err
	}
	if err := importKeys(ctx, src, t, &sum); err != nil {
		return sum, err
	}
	if err := importSaved(ctx, src, t, &sum); err != nil {
		return sum, err
	}
	sum.Took = time.Since(start)
	marker.State, marker.Done, marker.Summary = StateDone, time.Now().UTC(), &sum
	raw, _ := json.Marshal(marker)
	_, err = kvRetry(ctx, func(ctx context.Context) (uint64, error) { return kv.Update(ctx, MarkerKey, raw, rev) })
	if err != nil {
		// An earlier try whose answer was lost: the marker says done.
		if _, got, rerr := readMarker(ctx, kv); rerr != nil || got == nil || got.State != StateDone || got.Source != src.ID {
			return sum, fmt.Errorf("import: record the end: %w", err)
		}
	}
	return sum, nil
}

// kvRetry runs a KV request with each attempt bounded, again while the
// answer is a failure to reach the bucket's leader (a cluster still
// forming, an election: "no responders", a timeout), until ctx ends or
// two minutes have passed. An answer (not found, exists, a wrong
// revision) is returned at once.
func kvRetry[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := fn(actx)
		acancel()
		var apiErr *jetstream.APIError
		if err == nil || errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyExists) || errors.As(err, &apiErr) && apiErr.Code < 500 && apiErr.Code != 0 {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, errors.Join(err, context.Cause(ctx))
		case <-time.After(wait):
		}
	}
}

func openMarkerBucket(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, error) {
	if replicas <= 0 {
		replicas = 1
	}
	cfg := jetstream.KeyValueConfig{Bucket: MarkerBucket, Description: "Watchword: the import of a single node into this cluster",
		Replicas: replicas, Storage: jetstream.FileStorage, History: 1}
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		kv, err := js.KeyValue(actx, MarkerBucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateKeyValue(actx, cfg)
			if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				kv, err = js.KeyValue(actx, MarkerBucket)
			}
		}
		cancel()
		if err == nil {
			return kv, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("import: marker bucket: %w", errors.Join(err, ctx.Err()))
		case <-time.After(wait):
		}
	}
}

// ReadMarker returns the cluster's import marker (nil: none).
func ReadMarker(ctx context.Context, js jetstream.JetStream) (*Marker, error) {
	kv, err := js.KeyValue(ctx, MarkerBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	_, m, err := readMarker(ctx, kv)
	return m, err
}

func readMarker(ctx context.Context, kv jetstream.KeyValue) (uint64, *Marker, error) {
	e, err := kvRetry(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return kv.Get(ctx, MarkerKey) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("import: read the marker: %w", err)
	}
	m := new(Marker)
	if err := json.Unmarshal(e.Value(), m); err != nil {
		return 0, nil, fmt.Errorf("import: the marker is damaged: %w", err)
	}
	return e.Revision(), m, nil
}

// checkEmpty refuses a cluster that holds anything: an article message
// (a tombstone too), an alert, a feed, a key or a saved search, each
// read once this node's replica has applied what its stream held.
func checkEmpty(ctx context.Context, t Target) error {
	last, err := kvRetry(ctx, func(ctx context.Context) (uint64, error) {
		_, last, err := t.Articles.Lag(ctx)
		return last, err
	})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	var what []string
	if last > 0 {
		what = append(what, fmt.Sprintf("the article log ends at sequence %d", last))
	}
	type waiter interface {
		LastSeq(context.Context) (uint64, error)
		WaitApplied(context.Context, uint64) error
	}
	for _, w := range []waiter{t.Alerts, t.Feeds, t.Keys, t.Saved} {
		seq, err := kvRetry(ctx, w.LastSeq)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if err := w.WaitApplied(ctx, seq); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	if as, err := t.Alerts.List(ctx); err != nil {
		return err
	} else if len(as) > 0 {
		what = append(what, fmt.Sprintf("%d alerts", len(as)))
	}
	if fs, err := t.Feeds.List(ctx); err != nil {
		return err
	} else if len(fs) > 0 {
		what = append(what, fmt.Sprintf("%d feeds", len(fs)))
	}
	if ks, err := t.Keys.List(ctx); err != nil {
		return err
	} else if len(ks) > 0 {
		what = append(what, fmt.Sprintf("%d API keys", len(ks)))
	}
	if ss, err := t.Saved.List(ctx, ""); err != nil {
		return err
	} else if len(ss) > 0 {
		what = append(what, fmt.Sprintf("%d saved searches", len(ss)))
	}
	if len(what) > 0 {
		return fmt.Errorf("import: %w (%v): an import goes into a new cluster only; nothing was written", ErrNotEmpty, what)
	}
	return nil
}

// seqMap maps old sequences onto new ones. The articles are appended
// in old order, so the new sequences normally ascend with the old ones;
// a publish retried in a leader election can land after the next ones,
// so the map keeps, per position in old order, the largest new sequence
// up to it and the smallest from it on (24 bytes per article: 24 MB for
// a million, in memory).
//
// Other nodes may take writes while the import runs (docs/cluster.md asks
// operators to wait, nothing enforces it): such an article's sequence is
// one the import did not produce, below the last it produced. No old
// alert covered it, so no watermark is mapped as far as the first of
// them (firstForeign); the imported articles after it that an alert had
// covered are evaluated again and their sent records keep them from
// being delivered twice, as for a publish out of order.
type seqMap struct {
	old, new     []uint64
	pmax, smin   []uint64 // by finish
	outOfOrder   int
	firstForeign uint64 // by finish: the first sequence below the last new one the import did not produce; 0 none
}

func (m *seqMap) add(old, new uint64) {
	if len(m.new) > 0 && new < m.new[len(m.new)-1] {
		m.outOfOrder++
	}
	m.old, m.new = append(m.old, old), append(m.new, new)
}

func (m *seqMap) finish() {
	n := len(m.new)
	m.pmax, m.smin = make([]uint64, n), make([]uint64, n)
	for i, v := range m.new {
		m.pmax[i] = v
		if i > 0 {
			m.pmax[i] = max(v, m.pmax[i-1])
		}
	}
	for i := n - 1; i >= 0; i-- {
		m.smin[i] = m.new[i]
		if i < n-1 {
			m.smin[i] = min(m.new[i], m.smin[i+1])
		}
	}
	// The stream was empty when the import began, so every sequence from
	// 1 to the last new one is the import's unless another node wrote it.
	sorted := slices.Clone(m.new)
	slices.Sort(sorted)
	next := uint64(1)
	for _, v := range sorted {
		if v > next {
			m.firstForeign = next
			break
		}
		if v == next {
			next++
		}
	}
	m.new = nil
}

// at maps an alert's old watermark: the largest new sequence whose old
// one is at most old (0 when none is), and never as far as the new
// sequence of an article whose old one is after it (which could only
// happen out of order), so the alert misses no article it had not
// covered. An article it covered that ends up after the mapped
// watermark is evaluated again, and its sent record keeps it from
// being delivered twice.
func (m *seqMap) at(old uint64) uint64 {
	i := sort.Search(len(m.old), func(i int) bool { return m.old[i] > old })
	var w uint64
	if i > 0 {
		w = m.pmax[i-1]
	}
	if i < len(m.old) && m.smin[i] <= w {
		w = m.smin[i] - 1
	}
	if m.firstForeign > 0 && w >= m.firstForeign {
		w = m.firstForeign - 1
	}
	return w
}

// importArticles publishes the source's current articles in old
// sequence order, in batches, and returns the sequence map.
func importArticles(ctx context.Context, src *Source, t Target, opts Options, sum *Summary) (*seqMap, error) {
	n, err := src.st.Count()
	if err != nil {
		return nil, err
	}
	m := &seqMap{old: make([]uint64, 0, n), new: make([]uint64, 0, n)}
	batchNo := 0
	err = src.st.Changes(0, 0, opts.Batch, func(chs []store.Change) error {
		var arts []*news.Article
		var olds []uint64
		for _, ch := range chs {
			if ch.Deleted || ch.Article == nil {
				continue // a deletion's record: the article is gone
			}
			a := ch.Article
			olds = append(olds, ch.Seq)
			a.Seq = 0
			arts = append(arts, a)
		}
		if len(arts) == 0 {
			return nil
		}
		if _, err := t.Articles.Append(ctx, arts); err != nil {
			return fmt.Errorf("import: articles after old sequence %d: %w", m.lastOld(), err)
		}
		for i, a := range arts {
			if a.Seq == 0 {
				return fmt.Errorf("import: article %q (old sequence %d) has no new sequence", a.ID, olds[i])
			}
			m.add(olds[i], a.Seq)
		}
		sum.Articles += len(arts)
		batchNo++
		if opts.afterBatch != nil {
			return opts.afterBatch(batchNo)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m.outOfOrder > 0 {
		opts.Logger.Warn("import: some articles got new sequences out of the old order (a publish retried in an election); the watermarks are mapped so that no alert misses one", "articles", m.outOfOrder)
	}
	m.finish()
	if m.firstForeign > 0 {
		opts.Logger.Warn("import: another node took writes during the import; no alert watermark is mapped past the first of them, so none misses one", "first_foreign_seq", m.firstForeign)
	}
	return m, nil
}

func (m *seqMap) lastOld() uint64 {
	if len(m.old) == 0 {
		return 0
	}
	return m.old[len(m.old)-1]
}

// importAlerts copies the sent records, then each alert with its
// watermark mapped and its deliveries under their own ids: the queued
// ones (pending, retrying) with the alert in one command, the history
// after it.
func importAlerts(ctx context.Context, src *Source, t Target, m *seqMap, sum *Summary) error {
	if src.alerts == nil {
		return nil
	}
	numbered, err := src.alerts.Numbered(ctx)
	if err != nil {
		return err
	}
	var part []alertsbolt.SentRecord
	size, sentAny := 0, false
	flush := func() error {
		if len(part) == 0 && sentAny {
			return nil
		}
		sentAny = true
		if err := t.Alerts.ImportSent(ctx, part, numbered); err != nil {
			return fmt.Errorf("import: sent records: %w", err)
		}
		sum.SentRecords += len(part)
		part, size = nil, 0
		return nil
	}
	err = src.alerts.SentRecords(ctx, 5000, func(recs []alertsbolt.SentRecord) error {
		for _, r := range recs {
			n := len(r.ArticleID) + 16 + 8*len(r.Nums)
			if size+n > alertsjs.MaxImportBytes {
				if err := flush(); err != nil {
					return err
				}
			}
			part = append(part, r)
			size += n
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	as, err := src.alerts.List(ctx)
	if err != nil {
		return err
	}
	for _, a := range as {
		ds, err := src.alerts.Deliveries(ctx, a.ID, math.MaxInt)
		if err != nil {
			return fmt.Errorf("import: deliveries of alert %s: %w", a.ID, err)
		}
		var queued, history []*alerts.Delivery
		for _, d := range ds {
			if d.Status == alerts.StatusPending || d.Status == alerts.StatusRetrying {
				queued = append(queued, d)
			} else {
				history = append(history, d)
			}
		}
		old := a.Watermark
		a.Watermark = m.at(old)
		first := true
		for _, group := range [][]*alerts.Delivery{queued, history} {
			for len(group) > 0 || first {
				n, size := 0, 0
				for n < len(group) && (n == 0 || size+deliverySize(group[n]) <= alertsjs.MaxImportBytes) {
					size += deliverySize(group[n])
					n++
				}
				var with *alerts.Alert
				if first {
					with = a
				}
				if _, err := t.Alerts.ImportAlert(ctx, with, group[:n]); err != nil {
					return fmt.Errorf("import: alert %s: %w", a.ID, err)
				}
				first = false
				group = group[n:]
			}
		}
		sum.Alerts++
		sum.Deliveries += len(ds)
	}
	return nil
}

func deliverySize(d *alerts.Delivery) int {
	n := 1024 + len(d.LastError)
	for _, id := range d.ArticleIDs {
		n += len(id) + 3
	}
	return n
}

// importFeeds copies each feed with its seen-set: the seen records
// first, the feed in the last command, so the feed is polled only once
// its seen-set is in.
func importFeeds(ctx context.Context, src *Source, t Target, sum *Summary) error {
	if src.feeds == nil {
		return nil
	}
	fs, err := src.feeds.List(ctx)
	if err != nil {
		return err
	}
	for _, f := range fs {
		seen, err := src.feeds.AllSeen(ctx, f.ID)
		if err != nil {
			return err
		}
		sum.SeenRecords += len(seen)
		for {
			n, size := 0, 0
			for n < len(seen) && size < alertsjs.MaxImportBytes {
				size += len(seen[n].Key) + len(seen[n].ArticleID) + len(seen[n].Hash) + 48
				n++
			}
			var with *feeds.Feed
			if n == len(seen) {
				with = f
			}
			if _, err := t.Feeds.Import(ctx, f.ID, with, seen[:n]); err != nil {
				return fmt.Errorf("import: feed %s: %w", f.ID, err)
			}
			seen = seen[n:]
			if with != nil {
				break
			}
		}
		sum.Feeds++
	}
	return nil
}

// importKeys creates each key as it was (its hash, scope, creator and
// revocation; its version starts again at 1); one present is left.
func importKeys(ctx context.Context, src *Source, t Target, sum *Summary) error {
	if src.keys == nil {
		return nil
	}
	ks, err := src.keys.List(ctx)
	if err != nil {
		return err
	}
	for _, k := range ks {
		if err := t.Keys.Create(ctx, k); err != nil && !keys.IsConflict(err) {
			return fmt.Errorf("import: key %s: %w", k.ID, err)
		}
		sum.Keys++
	}
	return nil
}

// importSaved creates each saved search as it was (its version starts
// again at 1); one present is left.
func importSaved(ctx context.Context, src *Source, t Target, sum *Summary) error {
	if src.saved == nil {
		return nil
	}
	ss, err := src.saved.List(ctx, "")
	if err != nil {
		return err
	}
	for _, s := range ss {
		if err := t.Saved.Create(ctx, s, 0); err != nil && news.ErrorCode(err) != news.ECodeConflict {
			return fmt.Errorf("import: saved search %s: %w", s.ID, err)
		}
		sum.Saved++
	}
	return nil
}
