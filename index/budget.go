package index

import (
	"context"
	"fmt"
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
			key := [2]string{field, t}
			n, ok := b.terms[key]
			if !ok {
				for i, r := range b.readers {
					df, err := docFreq(b.ctx, r, field, t)
					if err != nil {
						return fmt.Errorf("index: document frequency of %q in shard %d: %w", t, i, err)
					}
					n += df
				}
				if b.terms == nil {
					b.terms = map[[2]string]int64{}
				}
				b.terms[key] = n
			}
			if err := b.addPostings(n, pos); err != nil {
				return err
			}
		}
	}
	return nil
}

func docFreq(ctx context.Context, r index.IndexReader, field, term string) (int64, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0, err
	}
	n := tfr.Count()
	return int64(n), tfr.Close()
}
