// Package index is Watchword's derived full-text index: an explicit Bleve
// mapping, batched writes that record the last applied ingest sequence,
// compilation of the query language into Bleve queries, faceted search and
// snippets. The store is the source of truth; this index can always be
// rebuilt from it.
//
// Bleve's version is pinned in go.mod (github.com/blevesearch/bleve/v2
// v2.6.3, scorch with zapx v17 segments). The collector (collect.go) and
// the segment metadata (docmeta.go) use what Bleve does not promise:
// *scorch.IndexSnapshot and its SegmentSnapshots, scorch's global
// document numbering (segments concatenated in snapshot order, each
// counting its deleted documents, see metaCache.offsets), and the doc
// values of the date field (numeric.PrefixCoded, shift 0, Unix
// nanoseconds, see metaCache.decodeDate). The self-check (guard.go)
// compares both with Bleve's public API at open and falls back to
// Bleve's collector (fallback.go) if they disagree. On a Bleve upgrade,
// re-check those three against scorch's introducer and Bleve's date
// field, then run TestSelfCheckFallsBack, TestCollectorAgreesWithBleve
// and TestShardsAgreeWithOneIndex, and TestSelfCheckCost on a copy of a
// large index: a failed self-check at open shows as an ERROR log line
// and searches 10 to 50 times slower.
package index

import (
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion changes whenever the mapping or the analysers change in a
// way that needs existing documents re-indexed. On open, an index built
// with another version is rebuilt from the store.
const MappingVersion = 11

// Analyzer names.
const (
	// AnalyzerText is for prose (title, body): words split and accents
	// folded by TokenizerName, English possessives stripped, lower-cased, a short
	// list of function words dropped, Porter-stemmed. Phrases keep the
	// positions of dropped words, so "bank of england" stays a phrase.
	AnalyzerText = "ww_text"
	// AnalyzerName is for the searchable twins of facet values: the same
	// words, lower-cased, no stop words, no stemming ("speaker:peskov" finds
	// "Dmitry Peskov").
	AnalyzerName = "ww_name"
)

// Index field names. Each facet (speakers, countries, topics, source) is
// indexed twice: its words in a *_text field for the query language, and
// its exact, case-preserved value, prefixed with the facet's letter, in the
// one keyword field fFacets ("c:Russia", "s:Dmitry Peskov"). Filters are
// term queries on fFacets and all four facet counts come from one facet
// request on it: Bleve reads one field's doc values per hit instead of
// four, which is most of the cost of faceted search over many hits.
const (
	fTitle     = "title"
	fText      = "text" // title and body: unfielded words and body:
	fSpeakers  = "speakers"
	fCountries = "countries"
	fMain      = "main_countries"
	fTopics    = "topics"
	fSource    = "source"
	fFacets    = "facets"
	fDate      = "date"
	fSeqKey    = "seq_key"
	fStory     = "story"
	fJoined    = "story_joined"
	textSuffix = "_text"
	docType    = "article"
)

// NewMapping builds the explicit index mapping. The default mapping is
// disabled, so nothing is indexed unless it is named here.
func NewMapping() (mapping.IndexMapping, error) {
	im := bleve.NewIndexMapping()
	words := make([]any, 0, len(stopWords()))
	for _, w := range stopWords() {
		words = append(words, w)
	}
	if err := im.AddCustomTokenMap(stopName, map[string]any{"type": tokenmap.Name, "tokens": words}); err != nil {
		return nil, fmt.Errorf("index: stop words: %w", err)
	}
	if err := im.AddCustomTokenFilter(stopName, map[string]any{"type": stop.Name, "stop_token_map": stopName}); err != nil {
		return nil, fmt.Errorf("index: stop filter: %w", err)
	}
	err := im.AddCustomAnalyzer(AnalyzerText, map[string]any{
		"type":          custom.Name,
		"tokenizer":     TokenizerName,
		"token_filters": []string{en.PossessiveName, lowercase.Name, stopName, porter.Name},
	})
	if err != nil {
		return nil, fmt.Errorf("index: analyzer %s: %w", AnalyzerText, err)
	}
	err = im.AddCustomAnalyzer(AnalyzerName, map[string]any{
		"type":          custom.Name,
		"tokenizer":     TokenizerName,
		"token_filters": []string{en.PossessiveName, lowercase.Name},
	})
	if err != nil {
		return nil, fmt.Errorf("index: analyzer %s: %w", AnalyzerName, err)
	}

	textWith := func(analyzer string) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = true // positions, for phrase queries
		f.DocValues = false
		return f
	}
	text := func() *mapping.FieldMapping { return textWith(AnalyzerText) }
	facetText := func() *mapping.FieldMapping {
		twin := bleve.NewTextFieldMapping()
		twin.Analyzer = AnalyzerName
		twin.Store = false
		twin.IncludeInAll = false
		twin.IncludeTermVectors = true // phrases: speaker:"Dmitry Peskov"
		twin.DocValues = false
		return twin
	}

	doc := bleve.NewDocumentStaticMapping()
	// Unfielded words search one field, fText, which holds the title and
	// the body with a gap of positions between them (fieldGap), instead of
	// a disjunction over two fields: one posting list per word, which
	// halves the work of the searchers. title: has its own small field.
	doc.AddFieldMappingsAt(fTitle, text())
	doc.AddFieldMappingsAt(fText, text())
	if err := addLanguages(im, doc, textWith); err != nil {
		return nil, err
	}
	for _, f := range []string{fSpeakers, fCountries, fMain, fTopics, fSource} {
		doc.AddFieldMappingsAt(f+textSuffix, facetText())
	}
	exact := bleve.NewKeywordFieldMapping()
	exact.Analyzer = keyword.Name
	exact.Store = false
	exact.IncludeInAll = false
	exact.IncludeTermVectors = false
	exact.DocValues = true // facet counts
	doc.AddFieldMappingsAt(fFacets, exact)
	date := bleve.NewDateTimeFieldMapping()
	date.Store = false
	date.IncludeInAll = false
	date.DocValues = true // sort by date
	doc.AddFieldMappingsAt(fDate, date)
	// The ingest sequence as 16 hex digits, one term per document, read
	// into the segment metadata (docmeta.go): the tie-break of every sort
	// and the sequence bounds of alert runs. There is no numeric seq
	// field: its precision-shifted terms cost indexing time and nothing
	// queries them.
	seqKey := bleve.NewKeywordFieldMapping()
	seqKey.Store = false
	seqKey.IncludeInAll = false
	seqKey.DocValues = true
	doc.AddFieldMappingsAt(fSeqKey, seqKey)
	// The story id (16 hex digits, internal/stories), one term per
	// document: story:ID queries it, and the collector reads it into the
	// segment metadata to collapse hits by story.
	story := bleve.NewKeywordFieldMapping()
	story.Store = false
	story.IncludeInAll = false
	story.DocValues = true
	doc.AddFieldMappingsAt(fStory, story)
	// "1" on an article that joined a story another started, empty on
	// the rest: the segment metadata lists those stories, so a collapsed
	// search knows which stories can have more than one copy and treats
	// every other match as a story of its own (collapse.go).
	joined := bleve.NewKeywordFieldMapping()
	joined.Store = false
	joined.IncludeInAll = false
	joined.DocValues = true
	doc.AddFieldMappingsAt(fJoined, joined)

	// No composite _all field: unfielded terms search title and body
	// explicitly, and an empty _all still costs a pass over every document.
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())

	im.DefaultMapping = bleve.NewDocumentDisabledMapping()
	im.AddDocumentMapping(docType, doc)
	im.DefaultAnalyzer = AnalyzerText
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	return im, nil
}

const stopName = "ww_stop"

// stopWords are dropped from prose before indexing: the commonest English
// function words, which are a third of the tokens of news copy and carry
// no meaning alone. Unlike Bleve's English list it keeps words that are
// also names in the news: us (US), who (WHO), may (May), will, can, it (IT).
func stopWords() []string {
	return []string{
		"a", "an", "the", "and", "or", "but", "if", "of", "at", "by", "for", "with", "about",
		"into", "to", "from", "in", "on", "as", "is", "are", "was", "were", "be", "been",
		"being", "am", "do", "does", "did", "have", "has", "had", "this", "that", "these",
		"those", "there", "which", "whose", "whom", "its", "he", "him", "his", "she", "her",
		"they", "them", "their", "we", "our", "i", "me", "my", "you", "your", "than", "then",
		"so", "not", "no", "nor", "s", "t",
	}
}
