package index

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
)

// collectBleve is collect on Bleve's own top-N collector and facet
// builders, reading nothing of the segment metadata: the search the
// index falls back to when the self-check fails (guard.go). It gives the
// collector's answers (hits in the same total order, cursors, totals,
// disjunctive facet counts, months, sequence windows) at Bleve's speed:
// one search, plus one per filtered facet for that facet's counts, plus
// three for the months.
func (ix *Index) collectBleve(ctx context.Context, q bq.Query, spec collectSpec) (*collected, error) {
	parts := make([]*collected, len(ix.shards))
	counts := make([]map[string]int, len(ix.shards))
	err := ix.eachShard(func(i int, bi bleve.Index) error {
		var err error
		parts[i], counts[i], err = ix.bleveShard(ctx, bi, q, spec)
		return err
	})
	if err != nil {
		return nil, err
	}
	if spec.facets {
		// One dictionary for all shards, as mergeParts expects.
		ids := map[string]int{}
		var terms []string
		for _, c := range counts {
			for t := range c {
				if _, ok := ids[t]; !ok {
					ids[t] = len(terms)
					terms = append(terms, t)
				}
			}
		}
		for i, p := range parts {
			p.terms = terms
			p.counts = make([]int32, len(terms))
			for t, n := range counts[i] {
				p.counts[ids[t]] = int32(n)
			}
		}
	}
	return mergeParts(parts, spec), nil
}

// bleveShard runs one shard's part of collectBleve; the facet counts are
// by term.
func (ix *Index) bleveShard(ctx context.Context, bi bleve.Index, q bq.Query, spec collectSpec) (*collected, map[string]int, error) {
	filters, err := resolveFilters(bi, &spec.filters)
	if err != nil {
		return nil, nil, err
	}
	var seqRange bq.Query
	if spec.seqAfter > 0 || spec.seqUpTo > 0 {
		// Sequence keys are fixed-width hex: their order is the
		// sequences'.
		hi, incl, excl := "", true, false
		if spec.seqUpTo > 0 {
			hi = seqKey(spec.seqUpTo)
		}
		rq := bleve.NewTermRangeInclusiveQuery(seqKey(spec.seqAfter), hi, &excl, &incl)
		rq.SetField(fSeqKey)
		seqRange = rq
	}
	// restrict is q within the sequence window and every facet's filter
	// but skip's (-1: all).
	restrict := func(skip int) bq.Query {
		var must []bq.Query
		if seqRange != nil {
			must = append(must, seqRange)
		}
		for g, f := range filters {
			if f != nil && g != skip {
				must = append(must, f)
			}
		}
		if len(must) == 0 {
			return q
		}
		return filteredQuery{q: q, filter: newAnd(must...)}
	}
	run := func(req *bleve.SearchRequest) (*bleve.SearchResult, error) {
		if f := ix.onCollect.Load(); f != nil {
			(*f)(ctx)
		}
		res, err := bi.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("index: search (Bleve's collector): %w", err)
		}
		return res, nil
	}

	req := bleve.NewSearchRequestOptions(restrict(-1), spec.size, 0, false)
	bySeq := &search.SortField{Field: fSeqKey, Type: search.SortFieldAsString, Desc: true}
	byDate := &search.SortField{Field: fDate, Type: search.SortFieldAsDate, Desc: true}
	switch spec.order {
	case byRelevance:
		req.SortByCustom(search.SortOrder{&search.SortScore{Desc: true}, bySeq})
	case byNewest:
		req.SortByCustom(search.SortOrder{byDate, bySeq})
		req.Score = "none"
	case byOldest:
		byDate.Desc, bySeq.Desc = false, false
		req.SortByCustom(search.SortOrder{byDate, bySeq})
		req.Score = "none"
	case unordered:
		req.Score = "none"
	}
	if a := spec.after; a != nil {
		switch spec.order {
		case byRelevance:
			req.SearchAfter = []string{formatScore(a.score), seqKey(a.seq)}
		case byNewest, byOldest:
			req.SearchAfter = []string{time.Unix(0, a.date).UTC().Format(time.RFC3339Nano), seqKey(a.seq)}
		}
	}
	facetReq := func() *bleve.FacetRequest { return bleve.NewFacetRequest(fFacets, 1<<30) }
	if spec.facets {
		req.AddFacet(fFacets, facetReq())
	}
	res, err := run(req)
	if err != nil {
		return nil, nil, err
	}
	out := &collected{total: res.Total}
	for _, h := range res.Hits {
		r := ref{score: h.Score}
		hit := Hit{ID: h.ID, Score: h.Score}
		if spec.order != unordered {
			if len(h.DecodedSort) != 2 {
				return nil, nil, fmt.Errorf("index: search (Bleve's collector): hit %q has sort keys %q", h.ID, h.DecodedSort)
			}
			if r.seq, err = strconv.ParseUint(h.DecodedSort[1], 16, 64); err != nil {
				return nil, nil, fmt.Errorf("index: search (Bleve's collector): sequence of %q: %w", h.ID, err)
			}
			if spec.order == byRelevance {
				hit.Cursor = []string{formatScore(h.Score), h.DecodedSort[1]}
			} else {
				if d, err := time.Parse(time.RFC3339Nano, h.DecodedSort[0]); err == nil {
					r.date = d.UnixNano()
				}
				hit.Cursor = []string{h.DecodedSort[0], h.DecodedSort[1]}
			}
		}
		out.hits = append(out.hits, hit)
		out.refs = append(out.refs, r)
	}

	var counts map[string]int
	if spec.facets {
		// Disjunctive counts: a facet's values count the matches of
		// every other facet's filter, its own aside.
		counts = map[string]int{}
		for g := range numGroups {
			from := res
			if filters[g] != nil {
				fr := bleve.NewSearchRequestOptions(restrict(g), 0, 0, false)
				fr.Score = "none"
				fr.AddFacet(fFacets, facetReq())
				if from, err = run(fr); err != nil {
					return nil, nil, err
				}
			}
			if f := from.Facets[fFacets]; f != nil && f.Terms != nil {
				for _, tf := range f.Terms.Terms() {
					if strings.HasPrefix(tf.Term, facetFields[g][1]) {
						counts[tf.Term] += tf.Count
					}
				}
			}
		}
	}
	if spec.months && res.Total > 0 {
		if out.months, err = bleveMonths(run, restrict(-1)); err != nil {
			return nil, nil, err
		}
	}
	return out, counts, nil
}

// bleveMonths counts the matches of q per month: the first and last
// dates of the matches bound the months, one date range facet each.
func bleveMonths(run func(*bleve.SearchRequest) (*bleve.SearchResult, error), q bq.Query) (map[int]int, error) {
	var bounds [2]int
	for i, desc := range []bool{false, true} {
		req := bleve.NewSearchRequestOptions(q, 1, 0, false)
		req.Score = "none"
		req.SortByCustom(search.SortOrder{&search.SortField{Field: fDate, Type: search.SortFieldAsDate, Desc: desc}})
		res, err := run(req)
		if err != nil {
			return nil, err
		}
		if len(res.Hits) == 0 {
			return map[int]int{}, nil
		}
		d, err := time.Parse(time.RFC3339Nano, res.Hits[0].DecodedSort[0])
		if err != nil {
			d = time.Unix(0, 0) // no date: the collector counts it as 1970
		}
		bounds[i] = min(max(monthIndex(d), 0), monthSlots-1)
	}
	req := bleve.NewSearchRequestOptions(q, 0, 0, false)
	req.Score = "none"
	fr := bleve.NewFacetRequest(fDate, bounds[1]-bounds[0]+1)
	for m := bounds[0]; m <= bounds[1]; m++ {
		fr.AddDateTimeRange(strconv.Itoa(m), monthStart(m), monthStart(m+1))
	}
	req.AddFacet(fDate, fr)
	res, err := run(req)
	if err != nil {
		return nil, err
	}
	out := map[int]int{}
	if f := res.Facets[fDate]; f != nil {
		for _, dr := range f.DateRanges {
			if m, err := strconv.Atoi(dr.Name); err == nil && dr.Count > 0 {
				out[m] = dr.Count
			}
		}
	}
	return out, nil
}

// resolveFilters turns the filter values of each facet into a query for
// the terms of fFacets whose folded form equals one of them (FoldFacet),
// read from Bleve's term dictionary; nil for a facet without a filter.
func resolveFilters(bi bleve.Index, values *[numGroups][]string) ([numGroups]bq.Query, error) {
	var out [numGroups]bq.Query
	anyFilter := false
	for _, vs := range values {
		anyFilter = anyFilter || len(vs) > 0
	}
	if !anyFilter {
		return out, nil
	}
	r, err := shardReader(bi)
	if err != nil {
		return out, err
	}
	defer r.Close()
	for g, vs := range values {
		if len(vs) == 0 {
			continue
		}
		want := map[string]bool{}
		for _, v := range vs {
			want[FoldFacet(v)] = true
		}
		prefix := facetFields[g][1]
		dict, err := r.FieldDictPrefix(fFacets, []byte(prefix))
		if err != nil {
			return out, fmt.Errorf("index: search: facet dictionary: %w", err)
		}
		var terms []string
		for {
			e, err := dict.Next()
			if err != nil {
				dict.Close()
				return out, fmt.Errorf("index: search: facet dictionary: %w", err)
			}
			if e == nil {
				break
			}
			if want[FoldFacet(strings.TrimPrefix(e.Term, prefix))] {
				terms = append(terms, e.Term)
			}
		}
		dict.Close()
		sort.Strings(terms)
		if len(terms) == 0 {
			out[g] = bleve.NewMatchNoneQuery()
			continue
		}
		or := make([]bq.Query, 0, len(terms))
		for _, t := range terms {
			tq := bleve.NewTermQuery(t)
			tq.SetField(fFacets)
			or = append(or, tq)
		}
		out[g] = bleve.NewDisjunctionQuery(or...)
	}
	return out, nil
}
