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

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/watchword/watchword/internal/news"
)

// MaxStorySources bounds the sources listed per collapsed hit.
const MaxStorySources = 50

// storyKey identifies a story in a search: its id, or for an article
// without one (story 0), the article's sequence.
type storyKey struct{ story, seq uint64 }

type storyAgg struct {
	best    ref
	shard   int
	month   uint16
	hit     bool     // a copy passes every filter
	copies  int32    // copies that pass
	sources []uint32 // facet ids of their sources
	fids    []uint32 // facet ids the story counts toward (facets only)
}

// collapser gathers one shard's matches by story.
type collapser struct {
	shard   int
	order   order
	facets  bool
	stories map[storyKey]*storyAgg
}

func newCollapser(shard int, spec collectSpec) *collapser {
	return &collapser{shard: shard, order: spec.order, facets: spec.facets, stories: map[storyKey]*storyAgg{}}
}

// add takes one match (within the sequence bounds).
func (c *collapser) add(h *ref, m *segMeta, doc *docMeta, ff *facetFilter, groups []uint8) {
	k := storyKey{story: doc.story}
	if k.story == 0 {
		k.seq = h.seq
	}
	a := c.stories[k]
	if a == nil {
		a = &storyAgg{}
		c.stories[k] = a
	}
	var count func(id uint32)
	if c.facets {
		count = func(id uint32) {
			if !slices.Contains(a.fids, id) {
				a.fids = append(a.fids, id)
			}
		}
	}
	pass := true
	if ff != nil {
		pass = ff.each(m, doc, count)
	} else if count != nil {
		inline, more := m.facetIDs(doc)
		for _, id := range inline {
			count(id)
		}
		for _, id := range more {
			count(id)
		}
	}
	if !pass {
		return
	}
	a.copies++
	if !a.hit || c.order.before(h, &a.best) {
		a.best, a.shard, a.month = *h, c.shard, doc.month
	}
	a.hit = true
	if len(a.sources) < MaxStorySources {
		inline, more := m.facetIDs(doc)
		for _, ids := range [][]uint32{inline, more} {
			for _, id := range ids {
				if int(id) < len(groups) && groups[id] == sourceBit && !slices.Contains(a.sources, id) {
					a.sources = append(a.sources, id)
				}
			}
		}
	}
}

// sourceBit is the bit of the source facet (groupBit of "o:...").
var sourceBit = groupBit(prefixSource)

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

// collectCollapsed is collectFast for a collapsed search.
func (ix *Index) collectCollapsed(ctx context.Context, parts []*collected, readers []index.IndexReader, spec collectSpec) (*collected, error) {
	out := &collected{}
	stories := map[storyKey]*storyAgg{}
	for _, p := range parts {
		if len(p.terms) > len(out.terms) {
			out.terms = p.terms
		}
		for k, a := range p.col.stories {
			if cur := stories[k]; cur != nil {
				spec.order.merge(cur, a)
			} else {
				stories[k] = a
			}
		}
	}
	if spec.facets {
		out.counts = make([]int32, len(out.terms))
	}
	if spec.months {
		out.months = map[int]int{}
	}
	type pick struct {
		k storyKey
		a *storyAgg
	}
	var picks []pick
	for k, a := range stories {
		for _, id := range a.fids {
			out.counts[id]++
		}
		if !a.hit {
			continue
		}
		out.total++
		if out.months != nil {
			out.months[int(a.month)]++
		}
		if spec.after != nil && !spec.order.before(spec.after, &a.best) {
			continue
		}
		picks = append(picks, pick{k, a})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	sort.Slice(picks, func(i, j int) bool {
		if spec.order == unordered {
			a, b := picks[i].a, picks[j].a
			if a.shard != b.shard {
				return a.shard < b.shard
			}
			return a.best.g < b.best.g
		}
		return spec.order.before(&picks[i].a.best, &picks[j].a.best)
	})
	if len(picks) > spec.size {
		picks = picks[:spec.size]
	}
	var iid index.IndexInternalID
	for _, p := range picks {
		h := p.a.best
		iid = index.NewIndexInternalID(iid[:0], h.g)
		id, err := readers[p.a.shard].ExternalID(iid)
		if err != nil {
			return nil, fmt.Errorf("index: search: id of document %d: %w", h.g, err)
		}
		hit := Hit{ID: id, Score: h.score, Copies: int(p.a.copies), Story: storyString(p.k.story)}
		for _, fid := range p.a.sources {
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
	err := ix.eachShard(func(i int, bi bleve.Index) error {
		r, err := shardReader(bi)
		if err != nil {
			return err
		}
		readers[i] = r
		parts[i], err = ix.collectShardReader(ctx, i, r, q, spec)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ix.collectCollapsed(ctx, parts, readers, spec)
}

// errNoCollapse: the fallback collector (after a failed self-check,
// guard.go) cannot collapse.
var errNoCollapse = news.Errorf(news.ECodeUnavailable, "collapse=story is unavailable while the index runs on its fallback collector; search without it")
