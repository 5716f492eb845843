package index

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/numeric"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Bleve counts facets and sorts by reading doc values per hit: for each
// hit it finds the doc-value chunk the document falls in and
// snappy-decodes it. A query whose hits are spread over a large archive
// decodes nearly every chunk, on every search, so the cost follows the
// archive rather than the hits (at 1M articles: about 60 ms of an 85 ms
// search).
//
// Segments never change once written, so what the collector needs of a
// document (its sequence, date, month and facet values) is read once per
// segment, in order, into flat arrays, and every later search looks hits
// up there. Merged segments are new segments; entries of segments that
// left the index are dropped when the cache next changes.

// segMeta is the per-document data of one segment, by local doc number.
// What a hit needs is packed in one docMeta of 64 bytes (8 facet ids inline since the story id joined it), a cache line,
// so the collector touches one line per hit for its sort keys and most
// documents' facet values.
type segMeta struct {
	docs []docMeta
	more []uint32 // facet ids beyond the inline ones
	// joined are the story ids of the segment's documents (deleted ones
	// too) that joined a story another article started: every story
	// with more than one copy has one here, in some segment.
	joined []uint64
}

// inlineFacets is how many facet ids a docMeta holds itself.
const inlineFacets = 8

type docMeta struct {
	seq   uint64
	story uint64               // the story id's 16 hex digits as a number; 0: none
	date  int64                // Unix nanoseconds
	month uint16               // months since January of monthEpoch, for histograms
	nf    uint16               // number of facet ids
	more  uint32               // ids past the first inlineFacets: segMeta.more[more : more+nf-inlineFacets]
	fids  [inlineFacets]uint32 // ids index metaCache.terms
}

// facetIDs returns the facet ids of d: the inline ones and the rest.
func (m *segMeta) facetIDs(d *docMeta) (inline, more []uint32) {
	n := int(d.nf)
	inline = d.fids[:min(n, inlineFacets)]
	if n > inlineFacets {
		more = m.more[d.more : int(d.more)+n-inlineFacets]
	}
	return inline, more
}

// countFacets adds one to the count of each facet value of d.
func (m *segMeta) countFacets(d *docMeta, counts []int32) {
	n := int(d.nf)
	for _, f := range d.fids[:min(n, inlineFacets)] {
		counts[f]++
	}
	if n > inlineFacets {
		for _, f := range m.more[d.more : int(d.more)+n-inlineFacets] {
			counts[f]++
		}
	}
}

// monthEpoch is the first year a month index counts from; article dates
// are limited to 1700–2200 by news.ParseDate.
const monthEpoch = 1700

// monthSlots is the number of months a histogram can count: monthEpoch
// to 2200.
const monthSlots = (2201 - monthEpoch) * 12

// monthIndex is the month of t counted from January monthEpoch.
func monthIndex(t time.Time) int {
	t = t.UTC()
	return (t.Year()-monthEpoch)*12 + int(t.Month()) - 1
}

// monthStart is the inverse of monthIndex.
func monthStart(i int) time.Time {
	return time.Date(monthEpoch+i/12, time.Month(i%12+1), 1, 0, 0, 0, 0, time.UTC)
}

type segEntry struct {
	once sync.Once
	meta *segMeta
	err  error
}

// metaCache holds the segMeta of the segments of one index, and the
// dictionary of facet terms ("c:Russia") shared by all of them.
type metaCache struct {
	mu     sync.Mutex
	segs   map[segKey]*segEntry
	terms  []string // facet id → term
	groups []uint8  // facet id → the bit of its facet (groupBit)
	ids    map[string]uint32

	// folded maps the folded form of the terms[:nFolded] (facet prefix +
	// FoldFacet of the value) to their ids; filled when a filter first
	// needs it, so neither ingest nor unfiltered searches pay for it.
	// foldMu guards both; folding runs outside mu.
	foldMu  sync.Mutex
	folded  map[string][]uint32
	nFolded int

	used atomic.Bool // a search has run: worth warming new segments

	// stories is the story filter a collapsed search built last
	// (collapse.go).
	stories atomic.Pointer[storyFilter]

	hooks metaHooks
}

// segKey names a segment: segment ids are unique within one shard.
type segKey struct {
	shard int
	id    uint64
}

func newMetaCache() *metaCache {
	return &metaCache{segs: map[segKey]*segEntry{}, ids: map[string]uint32{}}
}

// snapshotMeta maps the global document numbers of one index snapshot to
// segment metadata.
type snapshotMeta struct {
	offsets []uint64 // global doc number of each segment's first document
	metas   []*segMeta
	keys    []segKey // the segments' names
	terms   []string // the facet dictionary, at least as long as any id in metas
	groups  []uint8  // facet id → its facet's bit, as long as terms
}

// locate returns the segment index holding global document number g,
// starting the search at hint (hits come in increasing order).
func (sm *snapshotMeta) locate(g uint64, hint int) int {
	if hint < len(sm.offsets) && sm.offsets[hint] <= g && (hint+1 == len(sm.offsets) || g < sm.offsets[hint+1]) {
		return hint
	}
	return sort.Search(len(sm.offsets), func(i int) bool { return sm.offsets[i] > g }) - 1
}

// forSnapshot returns the metadata of every segment of the snapshot,
// reading the segments it has not seen yet.
func (mc *metaCache) forSnapshot(shard int, r index.IndexReader) (*snapshotMeta, error) {
	is, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("index: reader is %T, not a scorch snapshot", r)
	}
	segs := is.Segments()
	sm := &snapshotMeta{offsets: mc.offsets(segs), metas: make([]*segMeta, len(segs)), keys: make([]segKey, len(segs))}
	entries := make([]*segEntry, len(segs))
	mc.mu.Lock()
	for i, ss := range segs {
		k := segKey{shard, ss.Id()}
		sm.keys[i] = k
		e := mc.segs[k]
		if e == nil {
			e = &segEntry{}
			mc.segs[k] = e
		}
		entries[i] = e
	}
	mine := 0
	for k := range mc.segs {
		if k.shard == shard {
			mine++
		}
	}
	if mine > len(segs) {
		// Segments merged away. (A concurrent search on a newer snapshot
		// may lose an entry here and read its segment again: wasted work,
		// never a wrong answer.)
		live := make(map[segKey]bool, len(segs))
		for _, ss := range segs {
			live[segKey{shard, ss.Id()}] = true
		}
		for k := range mc.segs {
			if k.shard == shard && !live[k] {
				delete(mc.segs, k)
			}
		}
	}
	mc.mu.Unlock()

	for i, ss := range segs {
		e := entries[i]
		e.once.Do(func() { e.meta, e.err = mc.read(ss) })
		if e.err != nil {
			return nil, e.err
		}
		sm.metas[i] = e.meta
	}
	mc.mu.Lock()
	sm.terms, sm.groups = mc.terms, mc.groups
	mc.mu.Unlock()
	return sm, nil
}

// read decodes the doc values of one segment into a segMeta, in document
// order, so each doc-value chunk is decoded once.
func (mc *metaCache) read(ss *scorch.SegmentSnapshot) (*segMeta, error) {
	seg := ss.Segment()
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("index: segment %d has no doc values", ss.Id())
	}
	n := seg.Count()
	m := &segMeta{docs: make([]docMeta, n)}
	local := map[string]uint32{} // this segment's terms → global ids, resolved below
	var localTerms []string
	var state segment.DocVisitState
	for d := uint64(0); d < n; d++ {
		var err error
		doc := &m.docs[d]
		joined := false
		state, err = mc.visitDoc(ss, dv, d, doc, &joined, state, func(term []byte) {
			id, ok := local[string(term)]
			if !ok {
				id = uint32(len(localTerms))
				t := string(term)
				local[t] = id
				localTerms = append(localTerms, t)
			}
			if doc.nf == math.MaxUint16 {
				return // beyond any real article (a 1 MiB body cannot name so many)
			}
			if doc.nf < inlineFacets {
				doc.fids[doc.nf] = id
			} else {
				if doc.nf == inlineFacets {
					doc.more = uint32(len(m.more))
				}
				m.more = append(m.more, id)
			}
			doc.nf++
		})
		if err != nil {
			return nil, err
		}
		if joined && doc.story != 0 {
			m.joined = append(m.joined, doc.story)
		}
		if mi := monthIndex(time.Unix(0, doc.date)); mi >= 0 && mi < monthSlots {
			doc.month = uint16(mi)
		}
	}
	// Map the segment's term numbers to the shared dictionary.
	mc.mu.Lock()
	remap := make([]uint32, len(localTerms))
	for i, t := range localTerms {
		id, ok := mc.ids[t]
		if !ok {
			id = uint32(len(mc.terms))
			mc.ids[t] = id
			mc.terms = append(mc.terms, t)
			mc.groups = append(mc.groups, groupBit(t))
		}
		remap[i] = id
	}
	mc.mu.Unlock()
	for i := range m.docs {
		d := &m.docs[i]
		for k := range min(int(d.nf), inlineFacets) {
			d.fids[k] = remap[d.fids[k]]
		}
	}
	for i, id := range m.more {
		m.more[i] = remap[id]
	}
	return m, nil
}

// metaFields are the doc-value fields the metadata is read from.
var metaFields = []string{fFacets, fDate, fSeqKey, fStory, fJoined}

// visitDoc decodes the doc values of local document d of ss: its date
// and sequence into doc, each facet term to facet, whether it joined a
// story to *joined. Both the metadata and the self-check (guard.go)
// decode through it.
func (mc *metaCache) visitDoc(ss *scorch.SegmentSnapshot, dv segment.DocValueVisitable, d uint64, doc *docMeta, joined *bool, state segment.DocVisitState, facet func(term []byte)) (segment.DocVisitState, error) {
	var visitErr error
	state, err := dv.VisitDocValues(d, metaFields, func(field string, term []byte) {
		switch field {
		case fFacets:
			facet(term)
		case fDate:
			if v, ok := mc.decodeDate(term); ok {
				doc.date = v
			}
		case fSeqKey:
			v, ok := parseHex(term)
			if !ok {
				visitErr = fmt.Errorf("index: segment %d doc %d: bad seq key %q", ss.Id(), d, term)
			}
			doc.seq = v
		case fStory:
			// A story id that is not 16 hex digits (none is) leaves the
			// document without a story: it collapses alone.
			if v, ok := parseHex(term); ok && len(term) == 16 {
				doc.story = v
			}
		case fJoined:
			// Bleve indexes the empty value of an article that did not
			// join one.
			*joined = *joined || string(term) == "1"
		}
	}, state)
	if err != nil {
		return state, fmt.Errorf("index: read doc values of segment %d: %w", ss.Id(), err)
	}
	return state, visitErr
}

// parseHex parses lower-case hex digits.
func parseHex(term []byte) (uint64, bool) {
	var v uint64
	for _, c := range term {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// decodeDate decodes one doc-value term of the date field: Bleve indexes
// a date as several prefix-coded terms, one per precision; the full
// precision one (shift 0) is the date in Unix nanoseconds.
func (mc *metaCache) decodeDate(term []byte) (int64, bool) {
	if mc.hooks.decodeDate != nil {
		return mc.hooks.decodeDate(term)
	}
	pc := numeric.PrefixCoded(term)
	if shift, err := pc.Shift(); err != nil || shift != 0 {
		return 0, false
	}
	v, err := pc.Int64()
	return v, err == nil
}

// offsets returns the global document number of the first document of
// each segment of a snapshot. Scorch numbers documents globally by
// concatenating its segments in snapshot order, each counting all its
// documents, deleted ones included (see its introducer).
func (mc *metaCache) offsets(segs []*scorch.SegmentSnapshot) []uint64 {
	out := make([]uint64, len(segs))
	running := mc.hooks.shift
	for i, ss := range segs {
		out[i] = running
		running += ss.Segment().Count()
	}
	return out
}

// metaHooks replace the decoding of the metadata, for tests that make
// it disagree with Bleve (guard_test.go), and carry what an index is
// opened with down to its parts (compaction policy, merge plan, persister
// nap); a server leaves the hooks nil.
type metaHooks struct {
	decodeDate func(term []byte) (int64, bool)
	shift      uint64         // added to every global document number
	compact    *compactPolicy // nil: defaultCompaction
	// manySegments makes the merge plan leave many small segments, for
	// the tests of compaction.
	manySegments bool
	// persisterNap is Options.PersisterNap, passed down to scorchConfig.
	persisterNap time.Duration
}

// resolve returns, for each facet group, the ids of the dictionary terms
// whose folded form equals that of one of the group's values: what a
// filter value matches.
func (mc *metaCache) resolve(values *[numGroups][]string) [numGroups][]uint32 {
	mc.foldMu.Lock()
	defer mc.foldMu.Unlock()
	mc.mu.Lock()
	terms := mc.terms // append-only: its first len(terms) entries never change
	mc.mu.Unlock()
	if mc.folded == nil {
		mc.folded = map[string][]uint32{}
	}
	for id := mc.nFolded; id < len(terms); id++ {
		t := terms[id]
		if len(t) < 2 {
			continue
		}
		k := t[:2] + FoldFacet(t[2:])
		mc.folded[k] = append(mc.folded[k], uint32(id))
	}
	mc.nFolded = len(terms)
	var out [numGroups][]uint32
	for g, vs := range values {
		seen := map[string]bool{}
		for _, v := range vs {
			k := facetFields[g][1] + FoldFacet(v)
			if seen[k] {
				continue
			}
			seen[k] = true
			out[g] = append(out[g], mc.folded[k]...)
		}
	}
	return out
}
