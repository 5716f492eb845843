package index

// Writing articles into the index: the document Bleve indexes for an
// article and the batch that applies puts and deletes.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/watchword/watchword/internal/lang"
	"github.com/watchword/watchword/internal/news"
)

// document is what Bleve indexes for an article. Nothing is stored in the
// index: hits are joined with the store for display.
type document struct {
	Title string `json:"title"`
	Text  string `json:"text"` // title, fieldGap, body
	// The title and text again, under the article's language, for an
	// article in a language with an analyser (see langs.go).
	LangTitle map[string]string `json:"ltitle,omitempty"`
	LangText  map[string]string `json:"ltext,omitempty"`
	Speakers  []string          `json:"speakers_text"`
	Countries []string          `json:"countries_text"`
	Main      []string          `json:"main_countries_text"`
	Topics    []string          `json:"topics_text"`
	Source    []string          `json:"source_text"`
	Facets    []string          `json:"facets"`
	Date      time.Time         `json:"date"`
	SeqKey    string            `json:"seq_key"`
	// Story is the article's story id (16 hex digits), "" when none was
	// assigned (the alert runner's in-memory index).
	Story string `json:"story,omitempty"`
	// Joined is "1" when the article joined a story another started,
	// else empty (which Bleve indexes too: omitempty is JSON's only).
	Joined string `json:"story_joined,omitempty"`
}

// Prefixes of the values in the combined facet field.
const (
	prefixSpeaker = "s:"
	prefixCountry = "c:"
	prefixTopic   = "t:"
	prefixSource  = "o:"
	// prefixLanguage is the language subtag of the article's language:
	// "l:pt" for pt-BR.
	prefixLanguage = "l:"
	// prefixMainCountry marks the countries an article is about; each is
	// also under prefixCountry.
	prefixMainCountry = "m:"
)

// BleveType names the document mapping to use.
func (document) BleveType() string { return docType }

func newDocument(a *news.Article) document {
	d := document{
		Title:     a.Title,
		Text:      a.Title + string(fieldGap) + a.Body,
		Speakers:  a.Speakers,
		Countries: a.Countries,
		Main:      a.Main(),
		Topics:    a.Topics,
		Date:      a.Date,
		SeqKey:    seqKey(a.Seq),
		Story:     strings.ToLower(a.Story),
	}
	if a.StoryJoined && d.Story != "" {
		d.Joined = "1"
	}
	if a.Source != "" {
		d.Source = []string{a.Source}
	}
	d.Facets = make([]string, 0, len(a.Speakers)+len(a.Countries)+len(a.Main())+len(a.Topics)+2)
	for _, f := range []struct {
		prefix string
		values []string
	}{{prefixSpeaker, a.Speakers}, {prefixCountry, a.Countries}, {prefixTopic, a.Topics}, {prefixSource, d.Source}, {prefixMainCountry, a.Main()}} {
		for _, v := range f.values {
			d.Facets = append(d.Facets, f.prefix+v)
		}
	}
	if a.Language != "" {
		l := lang.Base(a.Language)
		d.Facets = append(d.Facets, prefixLanguage+l)
		if _, ok := langFilters[l]; ok {
			d.LangTitle = map[string]string{l: d.Title}
			d.LangText = map[string]string{l: d.Text}
		}
	}
	return d
}

// Apply indexes puts and removes deletes, and records lastSeq as the
// highest store sequence covered, atomically with the documents in each
// shard; the shards' batches run at once. It takes no context on
// purpose: it runs after the store has committed the same changes, and
// a batch given up half-way would only have to be replayed (the engine's
// catch-up), so no caller's cancellation should stop it; what bounds it
// is the batch size.
func (ix *Index) Apply(puts []*news.Article, deletes []string, lastSeq uint64) error {
	ix.lastApply.Store(time.Now().UnixNano())
	defer ix.lastApply.Store(time.Now().UnixNano())
	batches := make([]*bleve.Batch, len(ix.shards))
	for i, bi := range ix.shards {
		batches[i] = bi.NewBatch()
	}
	for _, id := range deletes {
		batches[ix.shardOf(id)].Delete(id)
	}
	var langs []string
	for _, a := range puts {
		d := newDocument(a)
		for l := range d.LangText {
			if !slices.Contains(langs, l) {
				langs = append(langs, l)
			}
		}
		if err := batches[ix.shardOf(a.ID)].Index(a.ID, d); err != nil {
			return fmt.Errorf("index: add %q: %w", a.ID, err)
		}
	}
	// Before the batch is searchable, so no search misses its articles.
	ix.addPresent(langs)
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], lastSeq)
	// The shards' batches are applied one after the other: Bleve already
	// analyses a batch's documents in parallel, and two batches built at
	// once raised the peak memory of a 1M bulk load from 1.5 to 2.1 GB.
	var errs []error
	for i, bi := range ix.shards {
		batches[i].SetInternal(keyLastSeq, v[:])
		if err := bi.Batch(batches[i]); err != nil {
			errs = append(errs, fmt.Errorf("index: apply batch up to seq %d to shard %d: %w", lastSeq, i, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	ix.checkOnce(context.Background())
	return nil
}

// languages returns the languages with articles in their own fields.
func (ix *Index) languages() []string { return *ix.present.Load() }

// addPresent records languages whose fields now hold articles.
func (ix *Index) addPresent(langs []string) {
	cur := ix.languages()
	missing := false
	for _, l := range langs {
		if !slices.Contains(cur, l) {
			missing = true
		}
	}
	if !missing {
		return
	}
	ix.presentMu.Lock()
	defer ix.presentMu.Unlock()
	next := slices.Clone(ix.languages())
	for _, l := range langs {
		if !slices.Contains(next, l) {
			next = append(next, l)
		}
	}
	slices.Sort(next)
	ix.present.Store(&next)
}
