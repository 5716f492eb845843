package index

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/lang"
	"github.com/watchword/watchword/internal/news"
)

// Sort orders.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortOldest    = "oldest"
	// SortUnordered returns hits in no particular order, without scores
	// or cursors, for a caller that takes every hit in one request (the
	// alert runner over its small in-memory index): no per-hit sort keys.
	SortUnordered = "unordered"
)

// MaxSize is the largest page of hits a client may ask for.
const MaxSize = 100

// maxIndexSize bounds one index request.
const maxIndexSize = 10_000

// Filters restrict a search to facet values: values within one facet are
// ORed, facets are ANDed. A value matches a stored value when both fold to
// the same words (FoldFacet): case, accents and punctuation aside, the
// whole value.
type Filters struct {
	Speakers  []string `json:"speaker,omitempty"`
	Countries []string `json:"country,omitempty"`
	Topics    []string `json:"topic,omitempty"`
	Sources   []string `json:"source,omitempty"`
	// Languages are language subtags ("ru"); a tag with a region
	// ("pt-BR") filters by its language.
	Languages []string `json:"language,omitempty"`
	// MainCountries matches the countries an article is about (the
	// main_country facet); Countries matches every country it mentions.
	MainCountries []string `json:"main_country,omitempty"`
}

// byGroup returns the values of each facet, in facetFields order.
func (f Filters) byGroup() [numGroups][]string {
	langs := f.Languages
	if len(langs) > 0 {
		langs = make([]string, len(f.Languages))
		for i, v := range f.Languages {
			langs[i] = lang.Base(strings.ToLower(strings.TrimSpace(v)))
		}
	}
	return [numGroups][]string{f.Speakers, f.Countries, f.Topics, f.Sources, langs, f.MainCountries}
}

// Request is one search.
type Request struct {
	Query   query.Node
	Filters Filters
	// From (inclusive) and To (exclusive) bound the article date; zero is open.
	From, To time.Time
	// SeqAfter (exclusive) and SeqUpTo (inclusive) bound the ingest
	// sequence; zero is open. Alerts use them to find new articles.
	SeqAfter, SeqUpTo uint64
	Sort              string
	Size              int
	After             []string // the sort key of the last hit of the previous page
	FacetSize         int      // 0: no facets
	Months            bool     // count the matches per calendar month (UTC)
	// Limits is the query's budget, checked before it runs (zero
	// fields: the defaults).
	Limits query.Limits
	// Collapse returns one hit per story, its best-ranked copy; Total,
	// facet and month counts then count stories (collapse.go).
	Collapse bool
}

// Hit is one matching document.
type Hit struct {
	ID    string
	Score float64
	// Cursor is the sort key of this hit, for Request.After.
	Cursor []string
	// Story is the hit's story id ("" for an article indexed without
	// one). Of a collapsed search: the number of the story's copies that
	// match and their sources (at most MaxStorySources).
	Story   string
	Copies  int
	Sources []string
}

// FacetValue is one value of a facet with its exact document count.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Result is the outcome of a search.
type Result struct {
	Total  uint64
	Hits   []Hit
	Facets map[string][]FacetValue
	Months []MonthCount // months with matches, oldest first, when asked
	Took   time.Duration
}

// MonthCount is the number of matches dated in one calendar month (UTC).
type MonthCount struct {
	Month time.Time // first instant of the month
	Count int
}

// Facet names in results, with the prefix of their values in fFacets, in
// the order of Filters.byGroup.
var facetFields = [numGroups][2]string{
	{"speakers", prefixSpeaker},
	{"countries", prefixCountry},
	{"topics", prefixTopic},
	{"sources", prefixSource},
	{"languages", prefixLanguage},
	{"main_countries", prefixMainCountry},
}

// numGroups is the number of facets.
const numGroups = 6

// groupBit is the bit of the facet of a term of fFacets ("c:Russia"), 0
// for a term of no facet.
func groupBit(term string) uint8 {
	for g, f := range facetFields {
		if strings.HasPrefix(term, f[1]) {
			return 1 << g
		}
	}
	return 0
}

// matchQuery composes the query with the date bounds of r. Filters are
// applied by the collector, which resolves them against the facet
// dictionary and needs the matches outside a facet's own filter for its
// counts; sequence bounds too, from the segment metadata (the index has
// no sequence field to query).
func (ix *Index) matchQuery(ctx context.Context, r Request) (bq.Query, error) {
	q, err := ix.Compile(ctx, r.Query, r.Limits)
	if err != nil {
		return nil, err
	}
	if r.From.IsZero() && r.To.IsZero() {
		return q, nil
	}
	dq, err := compileDate(r.From, r.To, 0)
	if err != nil {
		return nil, news.Errorf(news.ECodeInvalid, "from/to: %s", news.ErrorMessage(err))
	}
	return newAnd(q, dq), nil
}

// Search runs a request under ctx: once ctx is done the search stops
// within a few thousand documents and returns ctx's error (wrapped).
func (ix *Index) Search(ctx context.Context, r Request) (*Result, error) {
	return ix.search(ctx, r, ix.collect)
}

// search is Search with the given collector: ix.collect, or in tests
// ix.collectBleve or ix.collectFast.
func (ix *Index) search(ctx context.Context, r Request, collect func(context.Context, bq.Query, collectSpec) (*collected, error)) (*Result, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	q, err := ix.matchQuery(ctx, r)
	if err != nil {
		return nil, err
	}

	// MaxSize is the API's page limit, checked by the engine; the index
	// only guards against nonsense (the engine asks for one hit more to
	// know whether there is a next page).
	size := r.Size
	if size < 0 || size > maxIndexSize {
		return nil, news.Errorf(news.ECodeInvalid, "size must be between 0 and %d", maxIndexSize)
	}
	spec := collectSpec{size: size, facets: r.FacetSize > 0, months: r.Months, seqAfter: r.SeqAfter, seqUpTo: r.SeqUpTo, filters: r.Filters.byGroup(), collapse: r.Collapse}
	switch r.Sort {
	case "", SortRelevance:
		spec.order = byRelevance
	case SortNewest:
		spec.order = byNewest
	case SortOldest:
		spec.order = byOldest
	case SortUnordered:
		spec.order = unordered
	default:
		return nil, news.Errorf(news.ECodeInvalid, "sort must be relevance, newest or oldest, not %q", r.Sort)
	}
	if r.After != nil {
		if spec.order == unordered || len(r.After) != 2 {
			return nil, news.Errorf(news.ECodeInvalid, "cursor does not fit this sort order")
		}
		key, err := parseCursorKey(r.Sort, r.After[0])
		if err != nil {
			return nil, err
		}
		seq, err := strconv.ParseUint(r.After[1], 16, 64)
		if err != nil || len(r.After[1]) != 16 {
			return nil, news.Errorf(news.ECodeInvalid, "cursor is malformed")
		}
		after := &ref{seq: seq}
		switch k := key.(type) {
		case float64:
			after.score = k
		case time.Time:
			after.date = k.UnixNano()
		}
		spec.after = after
	}
	c, err := collect(ctx, q, spec)
	if err != nil {
		return nil, err
	}
	out := &Result{Total: c.total, Hits: c.hits}
	if r.FacetSize > 0 {
		out.Facets = c.facetLists(r.FacetSize)
	}
	if r.Months {
		out.Months = make([]MonthCount, 0, len(c.months))
		for i, n := range c.months {
			out.Months = append(out.Months, MonthCount{Month: monthStart(i), Count: n})
		}
		sort.Slice(out.Months, func(i, j int) bool { return out.Months[i].Month.Before(out.Months[j].Month) })
	}
	out.Took = time.Since(start)
	return out, nil
}

// formatScore writes a score so that it parses back to the same float.
func formatScore(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// seqKey is the sortable key of an ingest sequence: 16 hex digits.
func seqKey(seq uint64) string { return fmt.Sprintf("%016x", seq) }

func parseCursorKey(sort, v string) (any, error) {
	switch sort {
	case "", SortRelevance:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, news.Errorf(news.ECodeInvalid, "cursor is malformed")
		}
		return f, nil
	default:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, news.Errorf(news.ECodeInvalid, "cursor is malformed")
		}
		return t, nil
	}
}

// FilterValue is one value of one facet's filter; Facet is the filter's
// name: speaker, country, topic, source or main_country.
type FilterValue struct {
	Facet, Value string
}

// filterNames are the names of the filters, in Filters.byGroup order.
var filterNames = [numGroups]string{"speaker", "country", "topic", "source", "language", "main_country"}

// Unmatched returns the values of f that no indexed article has (after
// folding, see FoldFacet): a filter naming one of them finds nothing yet.
func (ix *Index) Unmatched(ctx context.Context, f Filters) ([]FilterValue, error) {
	var out []FilterValue
	for g, vs := range f.byGroup() {
		for _, v := range vs {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("index: unmatched filters: %w", err)
			}
			var one Filters
			switch g {
			case 0:
				one.Speakers = []string{v}
			case 1:
				one.Countries = []string{v}
			case 2:
				one.Topics = []string{v}
			case 3:
				one.Sources = []string{v}
			case 4:
				one.Languages = []string{v}
			case 5:
				one.MainCountries = []string{v}
			}
			c, err := ix.collect(ctx, bq.NewMatchAllQuery(), collectSpec{order: unordered, filters: one.byGroup()})
			if err != nil {
				return nil, err
			}
			if c.total == 0 {
				out = append(out, FilterValue{Facet: filterNames[g], Value: v})
			}
		}
	}
	return out, nil
}
