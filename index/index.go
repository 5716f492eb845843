package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/watchword/watchword/internal/news"
)

// Internal (non-document) keys kept in the index.
var (
	keyLastSeq        = []byte("ww_last_seq")
	keyMappingVersion = []byte("ww_mapping_version")
)

// Index is an open Bleve index.
type Index struct {
	bi      bleve.Index
	path    string
	mapping mapping.IndexMapping
	textAn  analysis.Analyzer
	nameAn  analysis.Analyzer

	meta     *metaCache
	stopWarm chan struct{}
	warmDone chan struct{}
}

// scorchConfig: the store is the source of truth and the last applied
// sequence is written in the same batch as the documents, so the index
// need not fsync every batch (unsafe_batch). After a crash it reopens at a
// consistent older snapshot and the caller replays the store from there.
func scorchConfig() map[string]any {
	return map[string]any{"unsafe_batch": true}
}

// Open opens the index in dir. When the index is missing, unreadable or
// built with another MappingVersion, it is removed and created empty, and
// fresh is true: the caller must then rebuild it from the store.
func Open(dir string, log *slog.Logger) (ix *Index, fresh bool, err error) {
	im, err := NewMapping()
	if err != nil {
		return nil, false, err
	}
	bi, err := bleve.OpenUsing(dir, scorchConfig())
	switch {
	case err == nil:
		v, verr := bi.GetInternal(keyMappingVersion)
		if verr == nil && string(v) == strconv.Itoa(MappingVersion) {
			ix, err := newIndex(bi, dir, im)
			return ix, false, err
		}
		log.Warn("index: mapping version changed, rebuilding", "path", dir, "have", string(v), "want", MappingVersion)
		bi.Close()
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
		log.Info("index: none found, creating", "path", dir)
	default:
		log.Warn("index: unreadable, rebuilding", "path", dir, "err", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, false, fmt.Errorf("index: remove %s: %w", dir, err)
	}
	bi, err = bleve.NewUsing(dir, im, scorch.Name, scorch.Name, scorchConfig())
	if err != nil {
		return nil, false, fmt.Errorf("index: create %s: %w", dir, err)
	}
	if err := bi.SetInternal(keyMappingVersion, []byte(strconv.Itoa(MappingVersion))); err != nil {
		bi.Close()
		return nil, false, fmt.Errorf("index: write mapping version in %s: %w", dir, err)
	}
	ix, err = newIndex(bi, dir, im)
	return ix, true, err
}

// OpenMemory creates an empty in-memory index with the same mapping and
// analysers. The alert runner indexes only the articles that are new since
// the alerts' watermarks into one, so matching thousands of saved queries
// costs in proportion to the new articles, not to the archive.
func OpenMemory() (*Index, error) {
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
	return newIndex(bi, ":memory:", im)
}

func newIndex(bi bleve.Index, dir string, im mapping.IndexMapping) (*Index, error) {
	ix := &Index{bi: bi, path: dir, mapping: im, meta: newMetaCache()}
	ix.textAn = im.AnalyzerNamed(AnalyzerText)
	ix.nameAn = im.AnalyzerNamed(AnalyzerName)
	if ix.textAn == nil || ix.nameAn == nil {
		bi.Close()
		return nil, fmt.Errorf("index: analyzers missing from mapping in %s", dir)
	}
	if dir != ":memory:" {
		ix.stopWarm, ix.warmDone = make(chan struct{}), make(chan struct{})
		go ix.warm(time.Second)
	}
	return ix, nil
}

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
		if !ix.meta.used.Load() {
			continue
		}
		adv, err := ix.bi.Advanced()
		if err != nil {
			continue
		}
		r, err := adv.Reader()
		if err != nil {
			continue
		}
		// Errors surface again, with context, in the next search.
		_, _ = ix.meta.forSnapshot(r)
		r.Close()
	}
}

// Flush waits until everything applied so far is persisted on disk. With
// unsafe_batch, batches are searchable before they are persisted; Close
// calls Flush so a clean stop leaves nothing to replay.
func (ix *Index) Flush(timeout time.Duration) error {
	last, err := ix.LastSeq()
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	b := ix.bi.NewBatch()
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], last)
	b.SetInternal(keyLastSeq, v[:])
	b.SetPersistedCallback(func(err error) { done <- err })
	if err := ix.bi.Batch(b); err != nil {
		return fmt.Errorf("index: flush: %w", err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("index: flush: %w", err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("index: flush: not persisted after %s", timeout)
	}
}

// Close persists what is pending and closes the index.
func (ix *Index) Close() error {
	if ix.stopWarm != nil {
		close(ix.stopWarm)
		<-ix.warmDone
	}
	var ferr error
	if ix.path != ":memory:" {
		ferr = ix.Flush(time.Minute)
	}
	if err := errors.Join(ferr, ix.bi.Close()); err != nil {
		return fmt.Errorf("index: close %s: %w", ix.path, err)
	}
	return nil
}

// LastSeq returns the highest store sequence applied to the index.
func (ix *Index) LastSeq() (uint64, error) {
	v, err := ix.bi.GetInternal(keyLastSeq)
	if err != nil {
		return 0, fmt.Errorf("index: read last seq: %w", err)
	}
	if len(v) != 8 {
		return 0, nil
	}
	return binary.BigEndian.Uint64(v), nil
}

// DocCount returns the number of indexed documents.
func (ix *Index) DocCount() (uint64, error) {
	n, err := ix.bi.DocCount()
	if err != nil {
		return 0, fmt.Errorf("index: count: %w", err)
	}
	return n, nil
}

// document is what Bleve indexes for an article. Nothing is stored in the
// index: hits are joined with the store for display.
type document struct {
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Speakers  []string  `json:"speakers_text"`
	Countries []string  `json:"countries_text"`
	Topics    []string  `json:"topics_text"`
	Source    []string  `json:"source_text"`
	Facets    []string  `json:"facets"`
	Date      time.Time `json:"date"`
	Seq       float64   `json:"seq"`
	SeqKey    string    `json:"seq_key"`
}

// Prefixes of the values in the combined facet field.
const (
	prefixSpeaker = "s:"
	prefixCountry = "c:"
	prefixTopic   = "t:"
	prefixSource  = "o:"
)

// BleveType names the document mapping to use.
func (document) BleveType() string { return docType }

// Apply indexes puts and removes deletes in one batch, and records lastSeq
// as the highest store sequence covered, atomically with the documents.
func (ix *Index) Apply(puts []*news.Article, deletes []string, lastSeq uint64) error {
	b := ix.bi.NewBatch()
	for _, id := range deletes {
		b.Delete(id)
	}
	for _, a := range puts {
		d := document{
			Title:     a.Title,
			Body:      a.Body,
			Speakers:  a.Speakers,
			Countries: a.Countries,
			Topics:    a.Topics,
			Date:      a.Date,
			Seq:       float64(a.Seq),
			SeqKey:    seqKey(a.Seq),
		}
		if a.Source != "" {
			d.Source = []string{a.Source}
		}
		d.Facets = make([]string, 0, len(a.Speakers)+len(a.Countries)+len(a.Topics)+1)
		for _, f := range []struct {
			prefix string
			values []string
		}{{prefixSpeaker, a.Speakers}, {prefixCountry, a.Countries}, {prefixTopic, a.Topics}, {prefixSource, d.Source}} {
			for _, v := range f.values {
				d.Facets = append(d.Facets, f.prefix+v)
			}
		}
		if err := b.Index(a.ID, d); err != nil {
			return fmt.Errorf("index: add %q: %w", a.ID, err)
		}
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], lastSeq)
	b.SetInternal(keyLastSeq, v[:])
	if err := ix.bi.Batch(b); err != nil {
		return fmt.Errorf("index: apply batch up to seq %d: %w", lastSeq, err)
	}
	return nil
}
