package index

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/watchword/watchword/index/query"
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
const maxIndexSize = 10 * MaxSize

// Filters restrict a search to exact facet values: values within one facet
// are ORed, facets are ANDed.
type Filters struct {
	Speakers  []string `json:"speaker,omitempty"`
	Countries []string `json:"country,omitempty"`
	Topics    []string `json:"topic,omitempty"`
	Sources   []string `json:"source,omitempty"`
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
}

// Hit is one matching document.
type Hit struct {
	ID    string
	Score float64
	// Cursor is the sort key of this hit, for Request.After.
	Cursor []string
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
	Took   time.Duration
}

// Facet names in results, with the prefix of their values in fFacets.
var facetFields = [][2]string{
	{"speakers", prefixSpeaker},
	{"countries", prefixCountry},
	{"topics", prefixTopic},
	{"sources", prefixSource},
}

// allFacetValues asks Bleve for every value of the combined facet field;
// the split into four top-N lists happens here. Bleve counts and sorts
// every value it sees whatever the requested size, so this costs nothing
// extra.
const allFacetValues = 1 << 30

// matchQuery composes the query with the filters and the date and
// sequence bounds of r: the match set, for Search and for histograms.
func (ix *Index) matchQuery(r Request) (bq.Query, error) {
	q, err := ix.Compile(r.Query)
	if err != nil {
		return nil, err
	}
	must := []bq.Query{q}
	for _, f := range []struct {
		prefix string
		values []string
	}{{prefixSpeaker, r.Filters.Speakers}, {prefixCountry, r.Filters.Countries}, {prefixTopic, r.Filters.Topics}, {prefixSource, r.Filters.Sources}} {
		if len(f.values) == 0 {
			continue
		}
		or := make([]bq.Query, 0, len(f.values))
		for _, v := range f.values {
			t := bleve.NewTermQuery(f.prefix + v)
			t.SetField(fFacets)
			or = append(or, t)
		}
		must = append(must, bleve.NewDisjunctionQuery(or...))
	}
	if !r.From.IsZero() || !r.To.IsZero() {
		dq, err := compileDate(r.From, r.To, 0)
		if err != nil {
			return nil, news.Errorf(news.ECodeInvalid, "from/to: %s", news.ErrorMessage(err))
		}
		must = append(must, dq)
	}
	if r.SeqAfter > 0 || r.SeqUpTo > 0 {
		var lo, hi *float64
		yes, no := true, false
		if r.SeqAfter > 0 {
			v := float64(r.SeqAfter)
			lo = &v
		}
		if r.SeqUpTo > 0 {
			v := float64(r.SeqUpTo)
			hi = &v
		}
		sq := bleve.NewNumericRangeInclusiveQuery(lo, hi, &no, &yes)
		sq.SetField(fSeq)
		must = append(must, sq)
	}
	if len(must) == 1 {
		return q, nil
	}
	return bleve.NewConjunctionQuery(must...), nil
}

// Search runs a request.
func (ix *Index) Search(r Request) (*Result, error) {
	start := time.Now()
	q, err := ix.matchQuery(r)
	if err != nil {
		return nil, err
	}

	// MaxSize is the API's page limit, checked by the engine; the index
	// only guards against nonsense (the engine asks for one hit more to
	// know whether there is a next page).
	size := r.Size
	if size < 0 || size > maxIndexSize {
		return nil, news.Errorf(news.ECodeInvalid, "size must be between 0 and %d", MaxSize)
	}
	req := bleve.NewSearchRequestOptions(q, size, 0, false)
	var order search.SortOrder
	// Ties are broken by ingest sequence (fSeqKey), which is unique, so the order is
	// total and search_after pages neither skip nor repeat. (Sorting on _id
	// would make Bleve load every hit's external id.)
	bySeq := &search.SortField{Field: fSeqKey, Type: search.SortFieldAsString, Desc: true}
	switch r.Sort {
	case "", SortRelevance:
		order = search.SortOrder{&search.SortScore{Desc: true}, bySeq}
	case SortNewest:
		order = search.SortOrder{&search.SortField{Field: fDate, Type: search.SortFieldAsDate, Desc: true}, bySeq}
	case SortOldest:
		bySeq.Desc = false
		order = search.SortOrder{&search.SortField{Field: fDate, Type: search.SortFieldAsDate}, bySeq}
	case SortUnordered:
		order = search.SortOrder{&search.SortScore{Desc: true}}
	default:
		return nil, news.Errorf(news.ECodeInvalid, "sort must be relevance, newest or oldest, not %q", r.Sort)
	}
	req.SortByCustom(order)
	if r.Sort == "" || r.Sort == SortRelevance {
		req.Score = ""
	} else {
		req.Score = "none" // no scoring work when sorting by date
	}
	if r.After != nil {
		if len(r.After) != 2 {
			return nil, news.Errorf(news.ECodeInvalid, "cursor does not fit this sort order")
		}
		if _, err := parseCursorKey(r.Sort, r.After[0]); err != nil {
			return nil, err
		}
		if _, err := strconv.ParseUint(r.After[1], 16, 64); err != nil || len(r.After[1]) != 16 {
			return nil, news.Errorf(news.ECodeInvalid, "cursor is malformed")
		}
		req.SearchAfter = r.After
	}
	if r.FacetSize > 0 {
		req.AddFacet(fFacets, bleve.NewFacetRequest(fFacets, allFacetValues))
	}
	res, err := ix.bi.Search(req)
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	out := &Result{Total: res.Total, Hits: make([]Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		hit := Hit{ID: h.ID, Score: h.Score}
		if len(h.DecodedSort) == 2 {
			hit.Cursor = []string{h.DecodedSort[0], h.DecodedSort[1]}
			if r.Sort == "" || r.Sort == SortRelevance {
				hit.Cursor[0] = strconv.FormatFloat(h.Score, 'g', -1, 64)
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	if r.FacetSize > 0 {
		out.Facets = make(map[string][]FacetValue, len(facetFields))
		for _, f := range facetFields {
			out.Facets[f[0]] = []FacetValue{}
		}
		if fr := res.Facets[fFacets]; fr != nil && fr.Terms != nil {
			// Terms come sorted by count, then value.
			for _, t := range fr.Terms.Terms() {
				for _, f := range facetFields {
					if v, ok := strings.CutPrefix(t.Term, f[1]); ok {
						if len(out.Facets[f[0]]) < r.FacetSize {
							out.Facets[f[0]] = append(out.Facets[f[0]], FacetValue{Value: v, Count: t.Count})
						}
						break
					}
				}
			}
		}
	}
	out.Took = time.Since(start)
	return out, nil
}

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
