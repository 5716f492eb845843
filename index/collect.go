package index

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// The collector replaces Bleve's top-N collector. Bleve still parses
// nothing of ours and still does all the matching and scoring (the
// searcher tree built from the compiled query); the collector takes each
// match, looks its sequence, date and facet values up in the segment
// metadata (docmeta.go) instead of decoding doc values, counts facets and
// months, and keeps the best hits in a bounded heap.

// order is a total order of hits: ties on score or date are broken by the
// ingest sequence, which is unique, so search_after pages neither skip
// nor repeat.
type order int

const (
	byRelevance order = iota // score desc, seq desc
	byNewest                 // date desc, seq desc
	byOldest                 // date asc, seq asc
	unordered                // search order, no scores
)

// ref is one match as the collector keeps it.
type ref struct {
	g     uint64 // global document number in the snapshot
	score float64
	seq   uint64
	date  int64
}

// before reports whether a sorts strictly before b.
func (o order) before(a, b *ref) bool {
	switch o {
	case byRelevance:
		if a.score != b.score {
			return a.score > b.score
		}
		return a.seq > b.seq
	case byNewest:
		if a.date != b.date {
			return a.date > b.date
		}
		return a.seq > b.seq
	case byOldest:
		if a.date != b.date {
			return a.date < b.date
		}
		return a.seq < b.seq
	}
	return a.g < b.g
}

// topN keeps the n best refs: a heap whose root is the worst kept.
type topN struct {
	o    order
	n    int
	refs []ref
}

func (t *topN) worse(i, j int) bool { return t.o.before(&t.refs[j], &t.refs[i]) }

func (t *topN) offer(r ref) {
	if t.n == 0 {
		return
	}
	if len(t.refs) < t.n {
		t.refs = append(t.refs, r)
		for i := len(t.refs) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.worse(i, p) {
				break
			}
			t.refs[i], t.refs[p] = t.refs[p], t.refs[i]
			i = p
		}
		return
	}
	if !t.o.before(&r, &t.refs[0]) {
		return
	}
	t.refs[0] = r
	for i := 0; ; {
		l, w := 2*i+1, i
		if l < len(t.refs) && t.worse(l, w) {
			w = l
		}
		if r := l + 1; r < len(t.refs) && t.worse(r, w) {
			w = r
		}
		if w == i {
			break
		}
		t.refs[i], t.refs[w] = t.refs[w], t.refs[i]
		i = w
	}
}

func (t *topN) sorted() []ref {
	sort.Slice(t.refs, func(i, j int) bool { return t.o.before(&t.refs[i], &t.refs[j]) })
	return t.refs
}

// collectSpec is what one pass over the matches gathers.
type collectSpec struct {
	order  order
	size   int
	after  *ref // only matches sorting after this one are kept (search_after)
	facets bool
	months bool
}

// collected is the outcome of one pass.
type collected struct {
	total  uint64
	hits   []Hit
	counts []int32 // by facet id; nil unless asked
	terms  []string
	months map[int]int // month index → matches; nil unless asked
}

// collect runs q over a snapshot of the index.
func (ix *Index) collect(q bq.Query, spec collectSpec) (*collected, error) {
	adv, err := ix.bi.Advanced()
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("index: search: open reader: %w", err)
	}
	defer r.Close()
	ix.meta.used.Store(true)
	sm, err := ix.meta.forSnapshot(r)
	if err != nil {
		return nil, err
	}
	opts := search.SearcherOptions{Score: "none"}
	if spec.order == byRelevance {
		opts.Score = ""
	}
	s, err := q.Searcher(context.Background(), r, ix.mapping, opts)
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	defer s.Close()
	sctx := &search.SearchContext{
		DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       r,
	}

	out := &collected{terms: sm.terms}
	if spec.facets {
		out.counts = make([]int32, len(sm.terms))
	}
	var months []int32
	if spec.months {
		months = make([]int32, monthSlots)
	}
	top := topN{o: spec.order, n: spec.size}
	seg := 0
	for {
		dm, err := s.Next(sctx)
		if err != nil {
			return nil, fmt.Errorf("index: search: %w", err)
		}
		if dm == nil {
			break
		}
		g := dm.IndexInternalID.Value()
		seg = sm.locate(g, seg)
		if seg < 0 {
			return nil, fmt.Errorf("index: search: document %d outside the snapshot", g)
		}
		m, l := sm.metas[seg], g-sm.offsets[seg]
		h := ref{g: g, score: dm.Score, seq: m.seq[l], date: m.date[l]}
		sctx.DocumentMatchPool.Put(dm)
		out.total++
		if out.counts != nil {
			for _, f := range m.fids[m.foff[l]:m.foff[l+1]] {
				out.counts[f]++
			}
		}
		if months != nil {
			months[m.month[l]]++
		}
		if spec.after != nil && !spec.order.before(spec.after, &h) {
			continue
		}
		if spec.order == unordered {
			if len(top.refs) < top.n {
				top.refs = append(top.refs, h)
			}
			continue
		}
		top.offer(h)
	}
	refs := top.refs
	if spec.order != unordered {
		refs = top.sorted()
	}
	out.hits = make([]Hit, 0, len(refs))
	var iid index.IndexInternalID
	for _, h := range refs {
		iid = index.NewIndexInternalID(iid[:0], h.g)
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, fmt.Errorf("index: search: id of document %d: %w", h.g, err)
		}
		hit := Hit{ID: id, Score: h.score}
		switch spec.order {
		case byRelevance:
			hit.Cursor = []string{formatScore(h.score), seqKey(h.seq)}
		case byNewest, byOldest:
			hit.Cursor = []string{time.Unix(0, h.date).UTC().Format(time.RFC3339Nano), seqKey(h.seq)}
		}
		out.hits = append(out.hits, hit)
	}
	if months != nil {
		out.months = map[int]int{}
		for i, n := range months {
			if n > 0 {
				out.months[i] = int(n)
			}
		}
	}
	return out, nil
}

// facetLists splits the counts of the combined facet field into the four
// facets, each sorted by count, then value, and cut to size.
func (c *collected) facetLists(size int) map[string][]FacetValue {
	out := make(map[string][]FacetValue, len(facetFields))
	for _, f := range facetFields {
		out[f[0]] = []FacetValue{}
	}
	for id, n := range c.counts {
		if n == 0 {
			continue
		}
		t := c.terms[id]
		for _, f := range facetFields {
			if v, ok := strings.CutPrefix(t, f[1]); ok {
				out[f[0]] = append(out[f[0]], FacetValue{Value: v, Count: int(n)})
				break
			}
		}
	}
	for k, vs := range out {
		sort.Slice(vs, func(i, j int) bool {
			if vs[i].Count != vs[j].Count {
				return vs[i].Count > vs[j].Count
			}
			return vs[i].Value < vs[j].Value
		})
		if len(vs) > size {
			out[k] = vs[:size]
		}
	}
	return out
}
