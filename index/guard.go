package index

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// The collector (collect.go) and the segment metadata (docmeta.go) rely
// on what Bleve does not promise: that a scorch snapshot numbers its
// documents by concatenating its segments, each counting its deleted
// documents too, and how a date is encoded in doc values. A Bleve
// upgrade that changes either would make hits, sort orders, facet
// counts and the sequence windows of alerts silently wrong. So once an
// index has documents (at open, or after the first batch applied to an
// empty one) the self-check compares, for a few documents of every
// segment, what the metadata says of them with what Bleve answers
// through its public API; if anything disagrees it logs an error once
// and every later search runs on Bleve's own collector (fallback.go):
// slower, still right.

// Guard states.
const (
	guardUnchecked int32 = iota // no documents seen yet
	guardFast                   // the self-check passed: the collector runs
	guardFallback               // it failed: Bleve's collector runs
)

// FastCollector reports whether searches run on Watchword's collector
// (true) or, after a failed self-check, on Bleve's (false).
func (ix *Index) FastCollector() bool { return ix.guard.Load() != guardFallback }

// checkOnce runs the self-check if it has not run yet and the index has
// documents; it switches to the fallback when the check fails.
func (ix *Index) checkOnce(ctx context.Context) {
	if ix.guard.Load() != guardUnchecked {
		return
	}
	ix.guardMu.Lock()
	defer ix.guardMu.Unlock()
	if ix.guard.Load() != guardUnchecked {
		return
	}
	start := time.Now()
	n, err := ix.selfCheck(ctx)
	switch {
	case err != nil:
		ix.log.Error("index: the collector disagrees with Bleve on this index; every search now runs on Bleve's collector (slower, still right). Re-check the Bleve version against index/guard.go",
			"path", ix.path, "err", err)
		ix.guard.Store(guardFallback)
	case n > 0:
		ix.log.Debug("index: collector self-check passed", "path", ix.path, "documents", n, "took", time.Since(start))
		ix.guard.Store(guardFast)
	}
}

// selfCheck compares the metadata of a few live documents of every
// segment of every shard with Bleve's answers and returns how many it
// compared, or what disagreed.
func (ix *Index) selfCheck(ctx context.Context) (int, error) {
	total := 0
	for i, bi := range ix.shards {
		n, err := ix.checkShard(ctx, i, bi)
		if err != nil {
			return total, fmt.Errorf("shard %d: %w", i, err)
		}
		total += n
	}
	return total, nil
}

// sample is one document as the metadata sees it.
type sample struct {
	g      uint64 // global number, from the metadata's numbering
	id     string // from the segment itself
	values bool   // doc and facets are read and compared too
	doc    docMeta
	facets []string
}

// deepSegments picks the segments whose doc values the self-check
// compares: the first and the last, and the first of each segment format
// (zap version), since the encoding is the format's. (Reading doc values
// costs a chunk decode per field and document far apart: about a quarter
// of a millisecond each at 1M; the numbering of every segment is checked
// without them.)
func deepSegments(segs []*scorch.SegmentSnapshot) []bool {
	deep := make([]bool, len(segs))
	if len(segs) == 0 {
		return deep
	}
	deep[0], deep[len(segs)-1] = true, true
	formats := map[string]bool{}
	for i, ss := range segs {
		if f := fmt.Sprintf("%T", ss.Segment()); !formats[f] {
			formats[f] = true
			deep[i] = true
		}
	}
	return deep
}

func (ix *Index) checkShard(ctx context.Context, shard int, bi bleve.Index) (int, error) {
	r, err := shardReader(bi)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	is := r.(*scorch.IndexSnapshot)
	var samples []sample
	segs := is.Segments()
	offsets := ix.meta.offsets(segs)
	deep := deepSegments(segs)
	for i, ss := range segs {
		seg := ss.Segment()
		live := ss.DocNumbersLive()
		n := live.GetCardinality()
		if n == 0 {
			continue
		}
		// The numbering of every segment: its first and last live
		// documents (cheap). The doc values of a few segments: the
		// first two live documents, which share a doc-value chunk, so
		// each path decodes one chunk per field (the costly part).
		picks := []uint64{0, n - 1}
		if deep[i] {
			picks = []uint64{0, min(1, n-1), n - 1}
		}
		var state segment.DocVisitState
		var picked []uint32
		for k, pos := range picks {
			l, err := live.Select(uint32(pos))
			if err != nil {
				return 0, fmt.Errorf("segment %d: live document %d: %w", ss.Id(), pos, err)
			}
			if slices.Contains(picked, l) {
				continue
			}
			picked = append(picked, l)
			s := sample{g: offsets[i] + uint64(l)}
			id, err := seg.DocID(uint64(l))
			if err != nil {
				return 0, fmt.Errorf("segment %d: id of document %d: %w", ss.Id(), l, err)
			}
			s.id = string(id)
			if deep[i] && k < 2 {
				dv, ok := seg.(segment.DocValueVisitable)
				if !ok {
					return 0, fmt.Errorf("segment %d (%T) has no doc values", ss.Id(), seg)
				}
				s.values = true
				state, err = ix.meta.visitDoc(ss, dv, uint64(l), &s.doc, new(bool), state, func(term []byte) {
					s.facets = append(s.facets, string(term))
				})
				if err != nil {
					return 0, err
				}
			}
			samples = append(samples, s)
		}
	}
	if len(samples) == 0 {
		return 0, nil
	}

	// Numbering and facet values: Bleve's number for each id, its id for
	// each number, and the facet terms its doc-value reader visits.
	dvr, err := r.DocValueReader([]string{fFacets})
	if err != nil {
		return 0, fmt.Errorf("doc value reader: %w", err)
	}
	var ids []string
	byID := make(map[string]*sample, len(samples))
	var iid index.IndexInternalID
	for k := range samples {
		s := &samples[k]
		// Bleve's document at our number must be ours (ids are unique).
		iid = index.NewIndexInternalID(iid[:0], s.g)
		ext, err := r.ExternalID(iid)
		if err != nil || ext != s.id {
			return 0, fmt.Errorf("numbering: number %d is %q to the collector, %q to Bleve (%v)", s.g, s.id, ext, err)
		}
		if !s.values {
			continue
		}
		// And the other way, a term lookup in every segment: only for
		// the few documents whose values are compared.
		got, err := r.InternalID(s.id)
		if err != nil {
			return 0, fmt.Errorf("the number Bleve gives %q: %w", s.id, err)
		}
		if got == nil || got.Value() != s.g {
			return 0, fmt.Errorf("numbering: document %q is number %d to the collector, %v to Bleve", s.id, s.g, got)
		}
		ids = append(ids, s.id)
		byID[s.id] = s
		var facets []string
		err = dvr.VisitDocValues(iid, func(field string, term []byte) {
			if field == fFacets {
				facets = append(facets, string(term))
			}
		})
		if err != nil {
			return 0, fmt.Errorf("the facet values Bleve gives %q: %w", s.id, err)
		}
		slices.Sort(facets)
		mine := slices.Sorted(slices.Values(s.facets))
		if !slices.Equal(facets, mine) {
			return 0, fmt.Errorf("facets of %q: %q to the collector, %q to Bleve", s.id, mine, facets)
		}
	}

	// Dates and sequences: Bleve's own decoding of its sort values.
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), len(ids), 0, false)
	req.Score = "none"
	req.SortByCustom(search.SortOrder{
		&search.SortField{Field: fDate, Type: search.SortFieldAsDate},
		&search.SortField{Field: fSeqKey, Type: search.SortFieldAsString},
	})
	res, err := bi.SearchInContext(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("search the samples: %w", err)
	}
	if len(res.Hits) != len(ids) {
		return 0, fmt.Errorf("a search finds %d of the %d sampled documents", len(res.Hits), len(ids))
	}
	for _, h := range res.Hits {
		s := byID[h.ID]
		if s == nil || len(h.DecodedSort) != 2 {
			return 0, fmt.Errorf("unexpected hit %q (sort %q)", h.ID, h.DecodedSort)
		}
		date := time.Unix(0, s.doc.date).UTC().Format(time.RFC3339Nano)
		if _, perr := time.Parse(time.RFC3339Nano, h.DecodedSort[0]); perr != nil && s.doc.date == 0 {
			date = h.DecodedSort[0] // no date to either
		}
		if date != h.DecodedSort[0] {
			return 0, fmt.Errorf("date of %q: %s to the collector, %s to Bleve", s.id, date, h.DecodedSort[0])
		}
		if seq := seqKey(s.doc.seq); seq != h.DecodedSort[1] {
			return 0, fmt.Errorf("sequence of %q: %s to the collector, %s to Bleve", s.id, seq, h.DecodedSort[1])
		}
	}
	return len(samples), nil
}
