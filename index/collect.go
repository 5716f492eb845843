package index

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
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
	story uint64 // docMeta.story
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
	// only matches with seqAfter < seq <= seqUpTo count (zero: open)
	seqAfter, seqUpTo uint64
	// filters are the values each facet is restricted to (Filters.byGroup)
	filters [numGroups][]string
	// collapse: one hit per story (collapse.go); stories tells which
	// stories may have more than one copy (nil: any)
	collapse bool
	stories  *storyFilter
}

// collected is the outcome of one pass.
type collected struct {
	total  uint64
	hits   []Hit
	refs   []ref   // the hits' sort keys, for merging shards
	counts []int32 // by facet id; nil unless asked
	terms  []string
	months map[int]int // month index → matches; nil unless asked
	col    *collapser  // a collapsed search's matches by story, before the merge
}

func shardReader(bi bleve.Index) (index.IndexReader, error) {
	adv, err := bi.Advanced()
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("index: search: open reader: %w", err)
	}
	if is, ok := r.(*scorch.IndexSnapshot); !ok || is == nil {
		// A closed scorch index hands out a nil snapshot.
		return nil, fmt.Errorf("index: search: %w", bleve.ErrorIndexClosed)
	}
	return r, nil
}

// collect runs q on every shard at once and merges the outcomes: with
// the collector, or with Bleve's after a failed self-check (guard.go).
func (ix *Index) collect(ctx context.Context, q bq.Query, spec collectSpec) (*collected, error) {
	if spec.collapse {
		if !ix.FastCollector() {
			return nil, errNoCollapse
		}
		return ix.collapseFast(ctx, q, spec)
	}
	if !ix.FastCollector() {
		return ix.collectBleve(ctx, q, spec)
	}
	return ix.collectFast(ctx, q, spec)
}

func (ix *Index) collectFast(ctx context.Context, q bq.Query, spec collectSpec) (*collected, error) {
	ix.meta.used.Store(true)
	parts := make([]*collected, len(ix.shards))
	err := ix.eachShard(func(i int, bi bleve.Index) error {
		var err error
		parts[i], err = ix.collectShard(ctx, i, bi, q, spec)
		return err
	})
	if err != nil {
		return nil, err
	}
	return mergeParts(parts, spec), nil
}

// mergeParts merges the outcomes of the shards, whose counts index one
// shared dictionary (the longest terms).
func mergeParts(parts []*collected, spec collectSpec) *collected {
	if len(parts) == 1 {
		return parts[0]
	}
	out := &collected{}
	var refs []ref
	var hits []Hit
	for _, p := range parts {
		out.total += p.total
		refs = append(refs, p.refs...)
		hits = append(hits, p.hits...)
		if len(p.terms) > len(out.terms) {
			out.terms = p.terms // the dictionary only grows
		}
		if p.months != nil {
			if out.months == nil {
				out.months = map[int]int{}
			}
			for m, n := range p.months {
				out.months[m] += n
			}
		}
	}
	if spec.facets {
		out.counts = make([]int32, len(out.terms))
		for _, p := range parts {
			for id, n := range p.counts {
				out.counts[id] += n
			}
		}
	}
	idx := make([]int, len(refs))
	for i := range idx {
		idx[i] = i
	}
	if spec.order != unordered {
		sort.Slice(idx, func(a, b int) bool { return spec.order.before(&refs[idx[a]], &refs[idx[b]]) })
	}
	if len(idx) > spec.size {
		idx = idx[:spec.size]
	}
	out.hits = make([]Hit, 0, len(idx))
	for _, i := range idx {
		out.hits = append(out.hits, hits[i])
		out.refs = append(out.refs, refs[i])
	}
	return out
}

// collectShard runs q over a snapshot of one shard. It stops with ctx's
// error once ctx is done, checked every batch of matches.
func (ix *Index) collectShard(ctx context.Context, shard int, bi bleve.Index, q bq.Query, spec collectSpec) (*collected, error) {
	r, err := shardReader(bi)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return ix.collectShardReader(ctx, shard, r, nil, q, spec)
}

// collectShardReader is collectShard on an open snapshot. A collapsed
// search returns its matches by story (collected.col) and no hits: the
// merge picks them (collapse.go).
func (ix *Index) collectShardReader(ctx context.Context, shard int, r index.IndexReader, sm *snapshotMeta, q bq.Query, spec collectSpec) (*collected, error) {
	if sm == nil {
		var err error
		if sm, err = ix.meta.forSnapshot(shard, r); err != nil {
			return nil, err
		}
	}
	var ff *facetFilter
	q, ff = ix.applyFilters(q, sm, &spec)
	opts := search.SearcherOptions{Score: "none"}
	if spec.order == byRelevance {
		opts.Score = ""
	}
	s, err := q.Searcher(ctx, r, ix.mapping, opts)
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
	var col *collapser
	if spec.collapse {
		col = newCollapser(shard, spec)
	}
	seg := 0
	// Matches are taken from the searcher in batches and only then looked
	// up in the metadata: in a short loop the lookups of successive hits
	// (cache misses, hits are far apart in a large segment) overlap
	// instead of waiting one by one between calls into the searcher.
	var batch [256]ref
	var docs [256]*docMeta
	var segs [256]*segMeta
	flush := func(hs []ref) error {
		if f := ix.onCollect.Load(); f != nil {
			(*f)(ctx)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("index: search: %w", err)
		}
		// First only find each hit's metadata and read its sort keys, in
		// a loop short enough for the misses to overlap...
		for i := range hs {
			h := &hs[i]
			seg = sm.locate(h.g, seg)
			if seg < 0 {
				return fmt.Errorf("index: search: document %d outside the snapshot", h.g)
			}
			m := sm.metas[seg]
			segs[i], docs[i] = m, &m.docs[h.g-sm.offsets[seg]]
			h.seq, h.date, h.story = docs[i].seq, docs[i].date, docs[i].story
		}
		// ...then count and rank.
		for i := range hs {
			h, m, doc := &hs[i], segs[i], docs[i]
			if h.seq <= spec.seqAfter || (spec.seqUpTo > 0 && h.seq > spec.seqUpTo) {
				continue
			}
			if col != nil && h.story != 0 && (spec.stories == nil || spec.stories.shared(h.story)) {
				col.add(h, m, doc, ff, sm.groups)
				continue
			}
			// Not collapsed, or a story of its own: counted here as a
			// match, and offered to the page (of stories) as one.
			if ff != nil && !ff.pass(m, doc, out.counts) {
				continue
			}
			out.total++
			if out.counts != nil && ff == nil {
				m.countFacets(doc, out.counts)
			}
			if months != nil {
				months[doc.month]++
			}
			if spec.after != nil && !spec.order.before(spec.after, h) {
				continue
			}
			if spec.order == unordered {
				if len(top.refs) < top.n {
					top.refs = append(top.refs, *h)
				}
				continue
			}
			top.offer(*h)
		}
		return nil
	}
	n := 0
	add := func(g uint64, score float64) error {
		batch[n] = ref{g: g, score: score}
		if n++; n == len(batch) {
			n = 0
			return flush(batch[:])
		}
		return nil
	}
	if _, all := q.(*bq.MatchAllQuery); all {
		// Browsing: every live document matches, with one score. The
		// score is taken from the searcher's first match; the documents
		// are then walked segment by segment, without a match each.
		dm, err := s.Next(sctx)
		if err != nil {
			return nil, fmt.Errorf("index: search: %w", err)
		}
		if dm != nil {
			score := dm.Score
			var nums [256]uint32
			for i, ss := range r.(*scorch.IndexSnapshot).Segments() {
				it := ss.DocNumbersLive().ManyIterator()
				for k := it.NextMany(nums[:]); k > 0; k = it.NextMany(nums[:]) {
					for _, l := range nums[:k] {
						if err := add(sm.offsets[i]+uint64(l), score); err != nil {
							return nil, err
						}
					}
				}
			}
		}
	} else {
		for {
			dm, err := s.Next(sctx)
			if err != nil {
				return nil, fmt.Errorf("index: search: %w", err)
			}
			if dm == nil {
				break
			}
			g, score := dm.IndexInternalID.Value(), dm.Score
			sctx.DocumentMatchPool.Put(dm)
			if err := add(g, score); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(batch[:n]); err != nil {
		return nil, err
	}
	if col != nil {
		col.singles(out, months, top.refs, sm)
		out.col, out.counts = col, nil
		return out, nil
	}
	refs := top.refs
	if spec.order != unordered {
		refs = top.sorted()
	}
	out.hits = make([]Hit, 0, len(refs))
	out.refs = refs
	var iid index.IndexInternalID
	for _, h := range refs {
		iid = index.NewIndexInternalID(iid[:0], h.g)
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, fmt.Errorf("index: search: id of document %d: %w", h.g, err)
		}
		hit := Hit{ID: id, Score: h.score, Story: storyString(h.story)}
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
