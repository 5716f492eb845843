package index

import (
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
)

// DateBucket is one bucket of a date histogram: the matches dated in
// [Start, End).
type DateBucket struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Count int       `json:"count"`
}

// DateBounds returns the dates of the oldest and newest match of r
// (ignoring its sort, size and cursor); ok is false when nothing matches.
func (ix *Index) DateBounds(r Request) (oldest, newest time.Time, ok bool, err error) {
	q, err := ix.matchQuery(r)
	if err != nil {
		return oldest, newest, false, err
	}
	one := func(desc bool) (time.Time, bool, error) {
		req := bleve.NewSearchRequestOptions(q, 1, 0, false)
		req.SortByCustom(search.SortOrder{&search.SortField{Field: fDate, Type: search.SortFieldAsDate, Desc: desc}})
		req.Score = "none"
		res, err := ix.bi.Search(req)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("index: date bounds: %w", err)
		}
		if len(res.Hits) == 0 || len(res.Hits[0].DecodedSort) == 0 {
			return time.Time{}, false, nil
		}
		t, err := time.Parse(time.RFC3339Nano, res.Hits[0].DecodedSort[0])
		if err != nil {
			return time.Time{}, false, fmt.Errorf("index: date bounds: %w", err)
		}
		return t, true, nil
	}
	if oldest, ok, err = one(false); err != nil || !ok {
		return oldest, newest, ok, err
	}
	newest, ok, err = one(true)
	return oldest, newest, ok, err
}

// DateHistogram counts the matches of r (ignoring its sort, size, cursor
// and facets) in each of the given buckets with one search that carries a
// date range facet. Buckets keep their order; their Count is filled in.
func (ix *Index) DateHistogram(r Request, buckets []DateBucket) ([]DateBucket, error) {
	if len(buckets) == 0 {
		return buckets, nil
	}
	q, err := ix.matchQuery(r)
	if err != nil {
		return nil, err
	}
	req := bleve.NewSearchRequestOptions(q, 0, 0, false)
	req.Score = "none"
	fr := bleve.NewFacetRequest(fDate, len(buckets))
	for i, b := range buckets {
		fr.AddDateTimeRange(fmt.Sprint(i), b.Start, b.End)
	}
	req.AddFacet("date", fr)
	res, err := ix.bi.Search(req)
	if err != nil {
		return nil, fmt.Errorf("index: date histogram: %w", err)
	}
	out := make([]DateBucket, len(buckets))
	copy(out, buckets)
	for i := range out {
		out[i].Count = 0
	}
	if f := res.Facets["date"]; f != nil {
		for _, d := range f.DateRanges {
			var i int
			if _, err := fmt.Sscan(d.Name, &i); err == nil && i >= 0 && i < len(out) {
				out[i].Count = d.Count
			}
		}
	}
	return out, nil
}
