package index

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	index "github.com/blevesearch/bleve_index_api"
	"github.com/watchword/watchword/index/query"
)

// budget is what a query has spent of its Limits while it is compiled,
// before anything runs. Two things make a query expensive:
//
//   - its prefixes: Bleve turns each into a disjunction of every term it
//     expands to, so `co* OR co* OR …` asks for hundreds of thousands of
//     term searchers. Expansions are counted in the term dictionaries
//     (FieldDictPrefix), each prefix stopping at the budget left, so
//     counting reads at most MaxExpansions entries per shard;
//   - the postings it reads: a disjunction of a thousand common words
//     walks tens of millions of postings. Each term the query reads (a
//     word, a word of a phrase, each expansion of a prefix) adds its
//     document frequency, read from the dictionaries too.
//
// Each occurrence is counted again: each builds its own searcher.
type budget struct {
	ctx      context.Context
	ix       *Index
	lim      query.Limits // with defaults
	spent    int          // expansions so far
	postings int64        // document frequencies so far, all shards
	readers  []index.IndexReader
	openErr  error                   // from opening the readers
	prefixes map[[2]string]dictCount // (field, prefix) → its expansions and postings
	terms    map[[2]string]int64     // (field, term) → document frequency
}

// dictCount is what a prefix expands to: n terms (in the shard that has
// most) with postings documents in all.
type dictCount struct {
	n        int
	postings int64
}

// close releases the shard snapshots the budget read.
func (b *budget) close() {
	for _, r := range b.readers {
		_ = r.Close()
	}
	b.readers = nil
}

// open opens a snapshot of every shard, once.
func (b *budget) open() error {
	if b.readers == nil && b.openErr == nil {
		for _, bi := range b.ix.shards {
			r, err := shardReader(bi)
			if err != nil {
				b.openErr = err
				break
			}
			b.readers = append(b.readers, r)
		}
	}
	return b.openErr
}

// prefixLength refuses a prefix shorter than MinPrefix characters after
// analysis (`x.*` is `x*`). A single Han, Hiragana or Katakana character
// is a word of its own to the tokenizer, so as a prefix it can only
// match itself: it is allowed. starPos is the offset of the *.
func (b *budget) prefixLength(stem string, starPos int) error {
	n := utf8.RuneCountInString(stem)
	if n >= b.lim.MinPrefix {
		return nil
	}
	if r, _ := utf8.DecodeRuneInString(stem); n == 1 && ideographic(r) {
		return nil
	}
	return query.TooBroad(starPos, "a prefix needs at least %d letters or digits before *", b.lim.MinPrefix)
}

// addPostings adds n postings read by the term at pos.
func (b *budget) addPostings(n int64, pos int) error {
	b.postings += n
	if b.postings > int64(b.lim.MaxPostings) {
		return query.TooBroad(pos, "the words of this query occur in more than %d documents together (each word counted apart); use rarer words or fewer of them", b.lim.MaxPostings)
	}
	return nil
}

// expand counts the terms prefix expands to in field and the postings
// they hold, and refuses the query when either total goes over its limit.
// pos is the offset of the prefix in the query.
func (b *budget) expand(field, prefix string, pos int) error {
	key := [2]string{field, prefix}
	c, ok := b.prefixes[key]
	if !ok {
		// A count that stops at the budget left is exact below it, and
		// over it in any later occurrence too, since the budget left
		// only shrinks.
		var err error
		if c, err = b.countPrefix(field, prefix, b.lim.MaxExpansions-b.spent+1); err != nil {
			return err
		}
		if b.prefixes == nil {
			b.prefixes = map[[2]string]dictCount{}
		}
		b.prefixes[key] = c
	}
	b.spent += c.n
	if b.spent > b.lim.MaxExpansions {
		return query.TooBroad(pos, "the prefixes of this query match more than %d words; make them longer or use fewer", b.lim.MaxExpansions)
	}
	return b.addPostings(c.postings, pos)
}

// countPrefix returns the number of distinct terms of field starting
// with prefix in the shard that has most, reading at most upTo of them
// per shard, and their postings in all shards.
func (b *budget) countPrefix(field, prefix string, upTo int) (dictCount, error) {
	if err := b.open(); err != nil {
		return dictCount{}, err
	}
	var c dictCount
	for i, r := range b.readers {
		n, postings, err := countPrefix(r, field, prefix, upTo)
		if err != nil {
			return dictCount{}, fmt.Errorf("index: count the terms of %s* in shard %d: %w", prefix, i, err)
		}
		c.n = max(c.n, n)
		c.postings += postings
	}
	return c, nil
}

func countPrefix(r index.IndexReader, field, prefix string, upTo int) (n int, postings int64, err error) {
	d, err := r.FieldDictPrefix(field, []byte(prefix))
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}()
	last := ""
	for n < upTo {
		e, err := d.Next()
		if err != nil {
			return n, postings, err
		}
		if e == nil {
			break
		}
		if n == 0 || e.Term != last {
			n++
			last = e.Term
		}
		postings += int64(e.Count)
	}
	return n, postings, nil
}

// read counts the postings of the exact terms a term or phrase at pos
// reads in field.
func (b *budget) read(field string, slots [][]string, pos int) error {
	if err := b.open(); err != nil {
		return err
	}
	for _, slot := range slots {
		for _, t := range slot {
			n, err := b.docFreq(field, t)
			if err != nil {
				return err
			}
			if err := b.addPostings(n, pos); err != nil {
				return err
			}
		}
	}
	return nil
}

// docFreq is the number of documents with term in field, all shards.
func (b *budget) docFreq(field, term string) (int64, error) {
	if err := b.open(); err != nil {
		return 0, err
	}
	key := [2]string{field, term}
	n, ok := b.terms[key]
	if !ok {
		for i, r := range b.readers {
			df, err := docFreq(b.ctx, r, field, term)
			if err != nil {
				return 0, fmt.Errorf("index: document frequency of %q in shard %d: %w", term, i, err)
			}
			n += df
		}
		if b.terms == nil {
			b.terms = map[[2]string]int64{}
		}
		b.terms[key] = n
	}
	return n, nil
}

// mayMatch reports whether every slot of a term or phrase has a term
// that some document of field holds: if not, it matches nothing there.
func (b *budget) mayMatch(field string, slots [][]string) (bool, error) {
	for _, slot := range slots {
		if len(slot) == 0 {
			continue // a dropped stop word: any word
		}
		found := false
		for _, t := range slot {
			n, err := b.docFreq(field, t)
			if err != nil {
				return false, err
			}
			if n > 0 {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

func docFreq(ctx context.Context, r index.IndexReader, field, term string) (int64, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0, err
	}
	n := tfr.Count()
	return int64(n), tfr.Close()
}

// pattern charges the least a fuzzy or wildcard term costs (least:
// query.PatternExpansions, or query.FuzzyTwoExpansions for two edits),
// before its dictionary walk and any other work for it.
func (b *budget) pattern(pos, least int) error {
	if b.spent += least; b.spent > b.lim.MaxExpansions {
		return query.TooBroad(pos, "the prefixes, wildcards and fuzzy terms of this query match more than %d words (a fuzzy or wildcard term counts at least %d); use fewer", b.lim.MaxExpansions, least)
	}
	return nil
}

// fuzzyLeast is what a fuzzy term of edits counts at least.
func fuzzyLeast(edits int) int {
	if edits >= 2 {
		return query.FuzzyTwoExpansions
	}
	return query.FuzzyOneExpansions
}

// spend adds n expansions of the pattern at pos.
func (b *budget) spend(n, pos int) error {
	if b.spent += n; b.spent > b.lim.MaxExpansions {
		return query.TooBroad(pos, "the prefixes, wildcards and fuzzy terms of this query match more than %d words; make them longer or use fewer", b.lim.MaxExpansions)
	}
	return nil
}

// fuzzy returns the terms of field within edits of any of seeds, and those
// of near that the index holds, in every shard together, sorted; it
// charges them to the budget and their postings too. pos is the offset
// of the fuzzy term in the query.
//
// The caller has charged fuzzyLeast(edits) already (b.pattern), before
// it made near.
func (b *budget) fuzzy(field string, seeds []string, edits int, near []string, pos int) ([]string, error) {
	least := fuzzyLeast(edits)
	if err := b.open(); err != nil {
		return nil, err
	}
	found := map[string]bool{}
	left := b.lim.MaxExpansions - b.spent + least + 1
	for i, r := range b.readers {
		fr, ok := r.(index.IndexReaderFuzzy)
		if !ok {
			return nil, fmt.Errorf("index: shard %d cannot match fuzzy terms", i)
		}
		for _, seed := range seeds {
			d, err := fr.FieldDictFuzzy(field, seed, edits, "")
			if err != nil {
				return nil, fmt.Errorf("index: fuzzy terms of %s~%d in shard %d: %w", seed, edits, i, err)
			}
			err = eachTerm(d, func(t string) bool {
				found[t] = true
				return len(found) < left
			})
			if err != nil {
				return nil, fmt.Errorf("index: fuzzy terms of %s~%d in shard %d: %w", seed, edits, i, err)
			}
		}
		if len(near) == 0 || len(found) >= left {
			continue
		}
		cr, ok := r.(index.IndexReaderContains)
		if !ok {
			return nil, fmt.Errorf("index: shard %d cannot look terms up", i)
		}
		c, err := cr.FieldDictContains(field)
		if err != nil {
			return nil, fmt.Errorf("index: look up the neighbours of a fuzzy term in shard %d: %w", i, err)
		}
		for _, t := range near {
			if found[t] {
				continue
			}
			has, err := c.Contains([]byte(t))
			if err != nil {
				return nil, fmt.Errorf("index: look up %q in shard %d: %w", t, i, err)
			}
			if has {
				if found[t] = true; len(found) >= left {
					break
				}
			}
		}
	}
	terms := make([]string, 0, len(found))
	for t := range found {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	if err := b.spend(max(0, len(terms)-least), pos); err != nil {
		return nil, err
	}
	if err := b.read(field, [][]string{terms}, pos); err != nil {
		return nil, err
	}
	return terms, nil
}

// wildcard returns the terms of field, in every shard together, sorted,
// that match the regular expression re and that accept takes, and
// charges them and their postings to the budget. pos is the offset of
// the wildcard term in the query.
func (b *budget) wildcard(field, re string, accept func(string) bool, pos int) ([]string, error) {
	if err := b.pattern(pos, query.PatternExpansions); err != nil {
		return nil, err
	}
	if err := b.open(); err != nil {
		return nil, err
	}
	found := map[string]bool{}
	left := b.lim.MaxExpansions - b.spent + query.PatternExpansions + 1
	for i, r := range b.readers {
		rr, ok := r.(index.IndexReaderRegexp)
		if !ok {
			return nil, fmt.Errorf("index: shard %d cannot match wildcards", i)
		}
		d, err := rr.FieldDictRegexp(field, re)
		if err != nil {
			if strings.Contains(err.Error(), "more than") && strings.Contains(err.Error(), "states") {
				// vellum's automaton limit: the pattern is too complex.
				return nil, query.TooBroad(pos, "this wildcard is too complex to match; use fewer ? after *")
			}
			return nil, fmt.Errorf("index: terms matching %s in shard %d: %w", re, i, err)
		}
		err = eachTerm(d, func(t string) bool {
			if !found[t] && accept(t) {
				found[t] = true
			}
			return len(found) < left
		})
		if err != nil {
			return nil, fmt.Errorf("index: terms matching %s in shard %d: %w", re, i, err)
		}
	}
	terms := make([]string, 0, len(found))
	for t := range found {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	if err := b.spend(max(0, len(terms)-query.PatternExpansions), pos); err != nil {
		return nil, err
	}
	if err := b.read(field, [][]string{terms}, pos); err != nil {
		return nil, err
	}
	return terms, nil
}

// eachTerm calls f with each distinct term of d until f returns false,
// and closes d.
func eachTerm(d index.FieldDict, f func(string) bool) error {
	last := ""
	first := true
	return eachEntry(d, func(e *index.DictEntry) bool {
		if !first && e.Term == last {
			return true
		}
		first, last = false, e.Term
		return f(e.Term)
	})
}

// eachEntry calls f with each entry of d until f returns false, and
// closes d.
func eachEntry(d index.FieldDict, f func(*index.DictEntry) bool) (err error) {
	defer func() {
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}()
	for {
		e, err := d.Next()
		if err != nil || e == nil {
			return err
		}
		if !f(e) {
			return nil
		}
	}
}
