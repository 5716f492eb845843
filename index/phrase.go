package index

import (
	"context"
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// Phrases and the conjunctions that hold them are matched in two phases,
// the way Lucene does: first every document holding all the words (one
// conjunction of the phrase's term searchers, reading positions, and the
// query's other parts, which scorch narrows by ANDing the postings
// bitmaps when all parts are terms), then, only for those, a check that
// the words sit at consecutive positions. Bleve's own phrase searcher checks positions
// before its conjunction with the rest of the query, on every document
// holding the phrase's words, and builds maps of locations for each; on
// `"interest rates" AND fed` at a million articles that is most of the
// time. Scores are the same as Bleve's: a phrase scores as the sum of its
// words, a conjunction as the sum of its parts.

// phraseQuery matches words at consecutive positions of one field. An
// empty slot stands for a dropped stop word: any word matches there.
type phraseQuery struct {
	field string
	slots []string
	slop  int // "a b"~N: see query.Phrase
}

// andQuery is a conjunction whose phrases are checked after the
// conjunction of all the words.
type andQuery struct {
	must []bq.Query
}

// newPhrase returns a phrase query, or Bleve's multi-phrase query when a
// position holds more than one term.
func newPhrase(slots [][]string, field string) bq.Query {
	flat := make([]string, len(slots))
	for i, s := range slots {
		switch len(s) {
		case 0:
		case 1:
			flat[i] = s[0]
		default:
			return bq.NewMultiPhraseQuery(slots, field)
		}
	}
	return &phraseQuery{field: field, slots: flat}
}

// newSloppyPhrase returns a phrase whose words may stand up to slop
// positions from their places (see query.Phrase). Every slot holds at
// most one word.
func newSloppyPhrase(slots [][]string, field string, slop int) bq.Query {
	flat := make([]string, len(slots))
	for i, s := range slots {
		if len(s) > 0 {
			flat[i] = s[0]
		}
	}
	return &phraseQuery{field: field, slots: flat, slop: slop}
}

// newAnd returns a conjunction of qs, nested conjunctions flattened.
func newAnd(qs ...bq.Query) bq.Query {
	a := &andQuery{}
	for _, q := range qs {
		if inner, ok := q.(*andQuery); ok {
			a.must = append(a.must, inner.must...)
		} else {
			a.must = append(a.must, q)
		}
	}
	return a
}

func (q *phraseQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	return (&andQuery{must: []bq.Query{q}}).Searcher(ctx, r, m, opts)
}

func (q *andQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	var ss []search.Searcher
	var checks []*phraseCheck
	closeAll := func() {
		for _, s := range ss {
			_ = s.Close()
		}
	}
	withVectors := opts
	withVectors.IncludeTermVectors = true
	for _, c := range q.must {
		p, ok := c.(*phraseQuery)
		if !ok {
			s, err := c.Searcher(ctx, r, m, opts)
			if err != nil {
				closeAll()
				return nil, err
			}
			ss = append(ss, s)
			continue
		}
		for _, t := range p.slots {
			if t == "" {
				continue
			}
			s, err := searcher.NewTermSearcher(ctx, r, t, p.field, 1.0, withVectors)
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("index: phrase term %q: %w", t, err)
			}
			ss = append(ss, s)
		}
		checks = append(checks, newPhraseCheck(p))
	}
	if len(ss) == 0 {
		return searcher.NewMatchNoneSearcher(r)
	}
	if len(checks) == 0 {
		if len(ss) == 1 {
			return ss[0], nil
		}
		return searcher.NewConjunctionSearcher(ctx, r, ss, opts)
	}
	// Term vectors also keep Bleve from replacing the conjunction by a
	// bare bitmap of document numbers, which would drop the positions.
	conj, err := searcher.NewConjunctionSearcher(ctx, r, ss, withVectors)
	if err != nil {
		closeAll()
		return nil, err
	}
	return &checkedSearcher{Searcher: conj, checks: checks, keepVectors: opts.IncludeTermVectors, ctx: ctx}, nil
}

// phraseCheck tells whether a candidate's term locations hold a phrase.
type phraseCheck struct {
	field string
	slots []string
	slop  int
	pos   [][]uint64 // scratch: positions per slot
	at    []int      // scratch: the sloppy check's place in each slot
}

func newPhraseCheck(p *phraseQuery) *phraseCheck {
	return &phraseCheck{field: p.field, slots: p.slots, slop: p.slop, pos: make([][]uint64, len(p.slots)), at: make([]int, len(p.slots))}
}

func (c *phraseCheck) matches(locs []search.FieldTermLocation) bool {
	for i := range c.pos {
		c.pos[i] = c.pos[i][:0]
	}
	for i := range locs {
		l := &locs[i]
		if l.Field != c.field {
			continue
		}
		// A multi-valued field (speakers) numbers positions within each
		// value: a phrase must sit in one value, so the value's index
		// goes above the position.
		key := l.Location.Pos
		if len(l.Location.ArrayPositions) > 0 {
			key |= l.Location.ArrayPositions[0] << 32
		}
		for k, t := range c.slots {
			if t == l.Term {
				c.pos[k] = append(c.pos[k], key)
			}
		}
	}
	for k := range c.pos {
		if c.slots[k] != "" && !slices.IsSorted(c.pos[k]) {
			slices.Sort(c.pos[k])
		}
	}
	if c.slop > 0 {
		return c.sloppy()
	}
	first := 0 // the first slot always holds a word
next:
	for _, p := range c.pos[first] {
		for k := first + 1; k < len(c.slots); k++ {
			if c.slots[k] == "" {
				continue
			}
			if _, ok := slices.BinarySearch(c.pos[k], p+uint64(k)); !ok {
				continue next
			}
		}
		return true
	}
	return false
}

// sloppy reports whether the words can be placed within slop of their
// places in the phrase: for each word take an occurrence p and its shift
// p-k from its place k; the occurrences match when the largest shift
// minus the smallest is at most slop, which is Lucene's sloppy phrase
// distance (a swap of two adjacent words shifts them by +1 and -1: 2).
// The smallest such spread is found by the usual k-way sweep over the
// sorted positions of each word: O(occurrences × words).
func (c *phraseCheck) sloppy() bool {
	for k := range c.at {
		c.at[k] = 0
		if c.slots[k] != "" && len(c.pos[k]) == 0 {
			return false
		}
	}
	for {
		var lo, hi int64
		loK := -1
		for k, t := range c.slots {
			if t == "" {
				continue
			}
			shift := int64(c.pos[k][c.at[k]]) - int64(k)
			switch {
			case loK < 0:
				lo, hi, loK = shift, shift, k
			case shift < lo:
				lo, loK = shift, k
			case shift > hi:
				hi = shift
			}
		}
		if hi-lo <= int64(c.slop) {
			return true
		}
		if c.at[loK]++; c.at[loK] == len(c.pos[loK]) {
			return false
		}
	}
}

// checkedSearcher passes on the conjunction's matches that hold every
// phrase.
type checkedSearcher struct {
	search.Searcher
	checks      []*phraseCheck
	keepVectors bool
	// ctx is the search's: Next checks it every rejectsPerCheck
	// candidates, since a phrase whose words are common but rarely
	// adjacent can reject candidates for long between two matches.
	ctx     context.Context
	rejects int
}

const rejectsPerCheck = 1024

func (s *checkedSearcher) accept(ctx *search.SearchContext, dm *search.DocumentMatch) bool {
	for _, c := range s.checks {
		if !c.matches(dm.FieldTermLocations) {
			ctx.DocumentMatchPool.Put(dm)
			return false
		}
	}
	if !s.keepVectors {
		dm.FieldTermLocations = dm.FieldTermLocations[:0]
	}
	return true
}

func (s *checkedSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	for {
		dm, err := s.Searcher.Next(ctx)
		if err != nil || dm == nil {
			return nil, err
		}
		if s.accept(ctx, dm) {
			return dm, nil
		}
		if s.rejects++; s.rejects%rejectsPerCheck == 0 && s.ctx != nil {
			if err := s.ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
}

func (s *checkedSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	if err != nil || dm == nil {
		return nil, err
	}
	if s.accept(ctx, dm) {
		return dm, nil
	}
	return s.Next(ctx)
}
