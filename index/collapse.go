package index

// Collapsing hits by story (Request.Collapse): one hit per story, its
// best-ranked copy, with the number of matching copies and their
// sources. Counts count stories: the total is the number of stories with
// a match, a facet value counts each story once (a story counts toward a
// value if one of its counted copies has it), a month counts the story
// under the date of its shown copy. A story's copies can be in every
// shard (articles are sharded by id), so the shards gather per story and
// the merge decides; the shards' snapshots stay open until the hits'
// ids are read.
//
// Most stories have one copy. Which ones may have more is known from
// the segments (storyFilter: the stories of the articles that joined
// one); every other match is counted as a plain search counts it, and
// only the best of them become stories for the page. Only the others
// are gathered by story id.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/watchword/watchword/internal/news"
)

// MaxStorySources bounds the sources listed per collapsed hit.
const MaxStorySources = 50

type storyAgg struct {
	story   uint64 // 0: an article without a story, a story of its own
	best    ref
	shard   int
	month   uint16
	hit     bool     // a copy passes every filter
	merged  bool     // folded into the first shard's story of the same id
	single  bool     // a story of its own, counted by the collector already
	copies  int32    // copies that pass
	sources []uint32 // facet ids of their sources
	fids    []uint32 // facet ids the story counts toward (facets only)
}

// collapser gathers one shard's matches of the stories that can have
// copies (storyFilter; every other match, and one without a story id, is
// counted by the collector as a story of its own). The stories are values
// in one slice, found by id through a table of their positions. The first
// copy's facet ids and sources are cut from one shared array (with their
// capacity cut too, so a further copy's append copies them out): a story
// costs no allocation of its own unless it has copies that add values.
// Collapsers are reused from a pool: a search over most of a large
// archive gathers hundreds of thousands of stories, and growing the
// slices and the table again on every search was a third of a collapsed
// search's cost.
type collapser struct {
	shard  int
	order  order
	facets bool
	at     storyTable
	aggs   []storyAgg
	arena  []uint32
	ids    []uint32 // scratch: the facet ids a match counts toward

	// What the stories of their own (storyFilter) added up to, counted
	// as a plain search counts matches; the ones that can be on the page
	// are among the aggs, marked single.
	total          uint64
	counts, months []int32
}

var collapsers = sync.Pool{New: func() any { return &collapser{} }}

// maxPooledStories: a collapser that gathered more is not kept.
const maxPooledStories = 1 << 20

func newCollapser(shard int, spec collectSpec) *collapser {
	c := collapsers.Get().(*collapser)
	c.shard, c.order, c.facets = shard, spec.order, spec.facets
	return c
}

// release empties c and returns it to the pool; nothing may use c or
// its stories afterwards.
func (c *collapser) release() {
	if c == nil {
		return
	}
	if cap(c.aggs) > maxPooledStories || cap(c.arena) > 8*maxPooledStories {
		return
	}
	c.at.reset()
	// The stories are not cleared: the next search overwrites each one
	// it appends whole, and clearing megabytes of them on the search's
	// path cost more than the slices they keep reachable until then.
	c.aggs, c.arena, c.ids = c.aggs[:0], c.arena[:0], c.ids[:0]
	c.total, c.counts, c.months = 0, nil, nil
	collapsers.Put(c)
}

// add takes one match (within the sequence bounds) whose story (not 0)
// can have copies.
func (c *collapser) add(h *ref, m *segMeta, doc *docMeta, ff *facetFilter, groups []uint8) {
	var a *storyAgg
	if i, ok := c.at.getOrPut(doc.story, int32(len(c.aggs))); ok {
		a = &c.aggs[i]
	} else {
		c.aggs = append(c.aggs, storyAgg{story: doc.story})
		a = &c.aggs[len(c.aggs)-1]
	}
	inline, more := m.facetIDs(doc)
	pass := true
	if ff != nil {
		var ids []uint32
		ids, pass = ff.counted(m, doc, c.ids[:0], c.facets)
		c.ids = ids
		c.addFacets(a, ids, nil)
	} else if c.facets {
		c.addFacets(a, inline, more)
	}
	if !pass {
		return
	}
	a.copies++
	if !a.hit || c.order.before(h, &a.best) {
		a.best, a.shard, a.month = *h, c.shard, doc.month
	}
	a.hit = true
	if len(a.sources) >= MaxStorySources {
		return
	}
	first := a.sources == nil
	start := len(c.arena)
	for _, ids := range [2][]uint32{inline, more} {
		for _, id := range ids {
			if !isSource(groups, id) {
				continue
			}
			if first {
				c.arena = append(c.arena, id)
			} else if !slices.Contains(a.sources, id) {
				a.sources = append(a.sources, id)
			}
		}
	}
	if first && len(c.arena) > start {
		a.sources = c.arena[start:len(c.arena):len(c.arena)]
	}
}

// singles takes what the collector counted of the shard's stories of
// their own (out's total and counts, months) and makes stories of the
// best of them, refs (at most a page: no other can be on it).
func (c *collapser) singles(out *collected, months []int32, refs []ref, sm *snapshotMeta) {
	c.total, c.counts, c.months = out.total, out.counts, months
	seg := 0
	for _, h := range refs {
		seg = sm.locate(h.g, seg)
		m := sm.metas[seg]
		doc := &m.docs[h.g-sm.offsets[seg]]
		a := storyAgg{story: h.story, best: h, shard: c.shard, month: doc.month, hit: true, single: true, copies: 1}
		inline, more := m.facetIDs(doc)
		for _, ids := range [2][]uint32{inline, more} {
			for _, id := range ids {
				if isSource(sm.groups, id) && len(a.sources) < MaxStorySources {
					a.sources = append(a.sources, id)
				}
			}
		}
		c.aggs = append(c.aggs, a)
	}
}

// addFacets adds to a's facet ids those of one copy, given in two parts.
// The first copy's are cut from the arena: a document's facet ids are
// distinct (one per doc-value term of the document, which Bleve writes
// once each), so they need no check for repeats.
func (c *collapser) addFacets(a *storyAgg, x, y []uint32) {
	if len(x)+len(y) == 0 {
		return
	}
	if a.fids == nil {
		start := len(c.arena)
		c.arena = append(append(c.arena, x...), y...)
		a.fids = c.arena[start:len(c.arena):len(c.arena)]
		return
	}
	for _, ids := range [2][]uint32{x, y} {
		for _, id := range ids {
			if !slices.Contains(a.fids, id) {
				a.fids = append(a.fids, id)
			}
		}
	}
}

// sourceBit is the bit of the source facet (groupBit of "o:...").
var sourceBit = groupBit(prefixSource)

// isSource reports whether facet id is a source ("o:...").
func isSource(groups []uint8, id uint32) bool {
	return int(id) < len(groups) && groups[id] == sourceBit
}

// merge folds b's story into a.
func (o order) merge(a, b *storyAgg) {
	if b.hit && (!a.hit || o.before(&b.best, &a.best)) {
		a.best, a.shard, a.month = b.best, b.shard, b.month
	}
	a.hit = a.hit || b.hit
	a.copies += b.copies
	for _, id := range b.sources {
		if len(a.sources) < MaxStorySources && !slices.Contains(a.sources, id) {
			a.sources = append(a.sources, id)
		}
	}
	for _, id := range b.fids {
		if !slices.Contains(a.fids, id) {
			a.fids = append(a.fids, id)
		}
	}
}

// collectCollapsed is collectFast for a collapsed search. The other
// shards' stories that the first shard also has are folded into its
// story (in shard order) and marked merged; every other story is counted
// where it is, without being copied. The page is picked with a heap of
// its size rather than by sorting every story.
func (ix *Index) collectCollapsed(ctx context.Context, parts []*collected, readers []index.IndexReader, spec collectSpec) (*collected, error) {
	out := &collected{}
	base := parts[0].col
	for _, p := range parts {
		if len(p.terms) > len(out.terms) {
			out.terms = p.terms
		}
	}
	// Stories of a later shard that an earlier one (not the first) has
	// are folded there: the first holder of a story id keeps it (with two
	// shards, the first shard is the only earlier one).
	var holder map[uint64]*storyAgg
	if len(parts) > 2 {
		holder = map[uint64]*storyAgg{}
	}
	for _, p := range parts[1:] {
		for i := range p.col.aggs {
			b := &p.col.aggs[i]
			if b.single { // as is every story without an id
				continue
			}
			if j, ok := base.at.get(b.story); ok {
				spec.order.merge(&base.aggs[j], b)
				b.merged = true
				continue
			}
			if holder == nil {
				continue
			}
			if a, ok := holder[b.story]; ok {
				spec.order.merge(a, b)
				b.merged = true
				continue
			}
			holder[b.story] = b
		}
	}
	// A story is named by its shard part and position: part<<24 would
	// bound the stories per shard, so the parts' positions are
	// concatenated instead.
	offsets := make([]int32, len(parts)+1)
	for i, p := range parts {
		offsets[i+1] = offsets[i] + int32(len(p.col.aggs))
	}
	agg := func(x int32) *storyAgg {
		pi := 0
		for x >= offsets[pi+1] {
			pi++
		}
		return &parts[pi].col.aggs[x-offsets[pi]]
	}
	// first reports whether story x goes before story y on the page.
	first := func(x, y int32) bool {
		a, b := agg(x), agg(y)
		if spec.order == unordered {
			if a.shard != b.shard {
				return a.shard < b.shard
			}
			return a.best.g < b.best.g
		}
		return spec.order.before(&a.best, &b.best)
	}
	// Each part's stories are counted and offered to a page of its own,
	// on every core (this runs after the shards' searches, on the path
	// of the answer), and the partial counts and pages are then summed.
	type partial struct {
		counts, months []int32
		total          uint64
		page           pageHeap
	}
	partials := make([]partial, len(parts))
	var wg sync.WaitGroup
	for pi, p := range parts {
		wg.Go(func() {
			r := &partials[pi]
			r.page = pageHeap{n: spec.size, first: first}
			if spec.facets {
				r.counts = make([]int32, len(out.terms))
				copy(r.counts, p.col.counts)
			}
			if spec.months {
				r.months = make([]int32, monthSlots)
				copy(r.months, p.col.months)
			}
			r.total = p.col.total
			for i := range p.col.aggs {
				a := &p.col.aggs[i]
				if a.merged {
					continue
				}
				if !a.single {
					for _, id := range a.fids {
						r.counts[id]++
					}
					if !a.hit {
						continue
					}
					r.total++
					if r.months != nil {
						r.months[a.month]++
					}
				}
				if spec.after != nil && !spec.order.before(spec.after, &a.best) {
					continue
				}
				r.page.offer(offsets[pi] + int32(i))
			}
		})
	}
	wg.Wait()
	page := pageHeap{n: spec.size, first: first}
	var months []int32
	for i := range partials {
		r := &partials[i]
		out.total += r.total
		if i == 0 {
			out.counts, months = r.counts, r.months
		} else {
			for k, n := range r.counts {
				out.counts[k] += n
			}
			for k, n := range r.months {
				months[k] += n
			}
		}
		for _, x := range r.page.idx {
			page.offer(x)
		}
	}
	if months != nil {
		out.months = map[int]int{}
		for i, n := range months {
			if n > 0 {
				out.months[i] = int(n)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	var iid index.IndexInternalID
	for _, i := range page.sorted() {
		a := agg(i)
		h := a.best
		iid = index.NewIndexInternalID(iid[:0], h.g)
		id, err := readers[a.shard].ExternalID(iid)
		if err != nil {
			return nil, fmt.Errorf("index: search: id of document %d: %w", h.g, err)
		}
		hit := Hit{ID: id, Score: h.score, Copies: int(a.copies), Story: storyString(a.story)}
		for _, fid := range a.sources {
			if int(fid) < len(out.terms) {
				hit.Sources = append(hit.Sources, strings.TrimPrefix(out.terms[fid], prefixSource))
			}
		}
		switch spec.order {
		case byRelevance:
			hit.Cursor = []string{formatScore(h.score), seqKey(h.seq)}
		case byNewest, byOldest:
			hit.Cursor = []string{time.Unix(0, h.date).UTC().Format(time.RFC3339Nano), seqKey(h.seq)}
		}
		out.hits = append(out.hits, hit)
		out.refs = append(out.refs, h)
	}
	return out, nil
}

// pageHeap keeps the n stories that go first: a heap whose root is the
// last of them. The order is total (stories' best copies differ), so the
// page is the one a full sort would cut.
type pageHeap struct {
	n     int
	first func(x, y int32) bool
	idx   []int32
}

func (p *pageHeap) offer(i int32) {
	if p.n <= 0 {
		return
	}
	if len(p.idx) < p.n {
		p.idx = append(p.idx, i)
		for j := len(p.idx) - 1; j > 0; {
			parent := (j - 1) / 2
			if !p.first(p.idx[parent], p.idx[j]) {
				break
			}
			p.idx[parent], p.idx[j] = p.idx[j], p.idx[parent]
			j = parent
		}
		return
	}
	if !p.first(i, p.idx[0]) {
		return
	}
	p.idx[0] = i
	for j := 0; ; {
		l := 2*j + 1
		if l >= len(p.idx) {
			break
		}
		w := l
		if r := l + 1; r < len(p.idx) && p.first(p.idx[l], p.idx[r]) {
			w = r
		}
		if !p.first(p.idx[j], p.idx[w]) {
			break
		}
		p.idx[j], p.idx[w] = p.idx[w], p.idx[j]
		j = w
	}
}

func (p *pageHeap) sorted() []int32 {
	sort.Slice(p.idx, func(a, b int) bool { return p.first(p.idx[a], p.idx[b]) })
	return p.idx
}

// storyString is a story id as the query language and the API spell it.
func storyString(story uint64) string {
	if story == 0 {
		return ""
	}
	return fmt.Sprintf("%016x", story)
}

// StoriesOf returns the story id of each of ids that is indexed with one.
func (ix *Index) StoriesOf(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), maxIndexSize)]
		ids = ids[len(chunk):]
		c, err := ix.collect(ctx, bq.NewDocIDQuery(chunk), collectSpec{order: unordered, size: len(chunk)})
		if err != nil {
			return nil, err
		}
		for _, h := range c.hits {
			if h.Story != "" {
				out[h.ID] = h.Story
			}
		}
	}
	return out, nil
}

// collapseFast runs a collapsed search on every shard at once.
func (ix *Index) collapseFast(ctx context.Context, q bq.Query, spec collectSpec) (*collected, error) {
	ix.meta.used.Store(true)
	parts := make([]*collected, len(ix.shards))
	readers := make([]index.IndexReader, len(ix.shards))
	defer func() {
		for _, r := range readers {
			if r != nil {
				r.Close()
			}
		}
	}()
	// Every shard's snapshot and segment metadata first: which stories
	// can have copies is a question about all of them.
	sms := make([]*snapshotMeta, len(ix.shards))
	err := ix.eachShard(func(i int, bi bleve.Index) error {
		r, err := shardReader(bi)
		if err != nil {
			return err
		}
		readers[i] = r
		sms[i], err = ix.meta.forSnapshot(i, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	spec.stories = ix.meta.storyFilterFor(sms)
	err = ix.eachShard(func(i int, _ bleve.Index) error {
		var err error
		parts[i], err = ix.collectShardReader(ctx, i, readers[i], sms[i], q, spec)
		return err
	})
	defer func() {
		for _, p := range parts {
			if p != nil {
				p.col.release()
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	return ix.collectCollapsed(ctx, parts, readers, spec)
}

// errNoCollapse: the fallback collector (after a failed self-check,
// guard.go) cannot collapse.
var errNoCollapse = news.Errorf(news.ECodeUnavailable, "collapse=story is unavailable while the index runs on its fallback collector; search without it")

// storyTable maps story ids (never 0) to positions: open addressing with
// linear probing, at most half full, each id next to its position (one
// cache line a look-up). It replaces a Go map on the hot path of a
// collapsed search (one look-up per match, a tenth of the search's CPU
// with a map) and is kept, emptied, with its collapser.
type storyTable struct {
	slots []storySlot
	n     int
}

type storySlot struct {
	key uint64 // 0: empty
	val int32
}

func (t *storyTable) slot(key uint64) uint64 {
	return (key * 0x9e3779b97f4a7c15) >> 32 & uint64(len(t.slots)-1)
}

// get returns the position of key.
func (t *storyTable) get(key uint64) (int32, bool) {
	if t.n == 0 {
		return 0, false
	}
	for i := t.slot(key); ; i = (i + 1) & uint64(len(t.slots)-1) {
		switch s := &t.slots[i]; s.key {
		case key:
			return s.val, true
		case 0:
			return 0, false
		}
	}
}

// getOrPut returns the position of key and true, or stores v as its
// position and returns v and false.
func (t *storyTable) getOrPut(key uint64, v int32) (int32, bool) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	for i := t.slot(key); ; i = (i + 1) & uint64(len(t.slots)-1) {
		switch s := &t.slots[i]; s.key {
		case key:
			return s.val, true
		case 0:
			s.key, s.val = key, v
			t.n++
			return v, false
		}
	}
}

func (t *storyTable) grow() {
	old := t.slots
	t.slots, t.n = make([]storySlot, max(1024, 2*len(old))), 0
	for _, s := range old {
		if s.key != 0 {
			t.getOrPut(s.key, s.val)
		}
	}
}

// reset empties t. A table much larger than its last use is dropped
// rather than cleared, so one broad search does not make every later one
// clear megabytes.
func (t *storyTable) reset() {
	if len(t.slots) > 1024 && 16*t.n < len(t.slots) {
		t.slots, t.n = nil, 0
		return
	}
	clear(t.slots)
	t.n = 0
}

// storyFilter answers, for the segments of one search, whether a story
// can have more than one copy there: a bit per hashed story id, set for
// the stories of the documents that joined one (segMeta.joined). Every
// story with two copies has such a document (only the article that
// started a story carries its own id's story), so a story whose bit is
// clear has one copy and is collapsed as a plain search counts a match;
// a set bit that belongs to another story only sends a story of its own
// the long way. At 32 bits per joined document about 3% of them do.
type storyFilter struct {
	from  []segKey // the segments it covers, every shard's in order
	bits  []uint64
	shift uint
}

// bit returns the word of f.bits that holds story's bit, and the bit.
func (f *storyFilter) bit(story uint64) (*uint64, uint64) {
	h := (story * 0x9e3779b97f4a7c15) >> f.shift
	return &f.bits[h>>6], 1 << (h & 63)
}

// shared reports whether story may have more than one copy.
func (f *storyFilter) shared(story uint64) bool {
	w, b := f.bit(story)
	return *w&b != 0
}

// storyFilterFor returns the filter of the segments of sms, the one a
// search on the same segments built last when there is one: a filter is
// rebuilt only when the index changes.
func (mc *metaCache) storyFilterFor(sms []*snapshotMeta) *storyFilter {
	var from []segKey
	for _, sm := range sms {
		from = append(from, sm.keys...)
	}
	if f := mc.stories.Load(); f != nil && slices.Equal(f.from, from) {
		return f
	}
	n := 0
	for _, sm := range sms {
		for _, m := range sm.metas {
			n += len(m.joined)
		}
	}
	logBits := uint(16)
	for 1<<logBits < 32*n && logBits < 28 { // 32 MiB at most
		logBits++
	}
	f := &storyFilter{from: from, bits: make([]uint64, 1<<(logBits-6)), shift: 64 - logBits}
	for _, sm := range sms {
		for _, m := range sm.metas {
			for _, story := range m.joined {
				w, b := f.bit(story)
				*w |= b
			}
		}
	}
	mc.stories.Store(f)
	return f
}
