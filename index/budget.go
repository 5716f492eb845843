package index

import (
	"fmt"
	"unicode/utf8"

	index "github.com/blevesearch/bleve_index_api"
	"github.com/watchword/watchword/index/query"
)

// budget is what a query has spent of its Limits while it is compiled,
// before anything runs. The expensive part of a query is its prefixes:
// Bleve turns each into a disjunction of every term it expands to, so
// `co* OR co* OR …` asks for hundreds of thousands of term searchers.
// Expansions are counted in the term dictionaries (FieldDictPrefix), each
// prefix stopping at the budget left, so counting costs at most
// MaxExpansions dictionary entries per shard however broad the query.
type budget struct {
	ix  *Index
	lim query.Limits // with defaults
	// spent is the expansions counted so far, each occurrence of a
	// prefix counted again (each builds its own searcher).
	spent   int
	readers []index.IndexReader // one per shard, opened at the first prefix
	counted map[[2]string]int   // (field, prefix) → terms, read once per query
	openErr error               // from opening the readers
}

// close releases the shard snapshots the budget read.
func (b *budget) close() {
	for _, r := range b.readers {
		_ = r.Close()
	}
	b.readers = nil
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

// expand counts the terms prefix expands to in field and refuses the
// query when the total goes over MaxExpansions. pos is the offset of the
// prefix in the query.
func (b *budget) expand(field, prefix string, pos int) error {
	key := [2]string{field, prefix}
	n, ok := b.counted[key]
	if !ok {
		// A count that stops at the budget left is exact below it, and
		// over it in any later occurrence too, since the budget left
		// only shrinks.
		var err error
		if n, err = b.count(field, prefix, b.lim.MaxExpansions-b.spent+1); err != nil {
			return err
		}
		if b.counted == nil {
			b.counted = map[[2]string]int{}
		}
		b.counted[key] = n
	}
	b.spent += n
	if b.spent > b.lim.MaxExpansions {
		return query.TooBroad(pos, "the prefixes of this query match more than %d words; make them longer or use fewer", b.lim.MaxExpansions)
	}
	return nil
}

// count returns the number of distinct terms of field starting with
// prefix in the shard that has most, reading at most upTo of them per
// shard.
func (b *budget) count(field, prefix string, upTo int) (int, error) {
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
	if b.openErr != nil {
		return 0, b.openErr
	}
	most := 0
	for i, r := range b.readers {
		n, err := countPrefix(r, field, prefix, upTo)
		if err != nil {
			return 0, fmt.Errorf("index: count the terms of %s* in shard %d: %w", prefix, i, err)
		}
		most = max(most, n)
	}
	return most, nil
}

func countPrefix(r index.IndexReader, field, prefix string, upTo int) (n int, err error) {
	d, err := r.FieldDictPrefix(field, []byte(prefix))
	if err != nil {
		return 0, err
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
			return n, err
		}
		if e == nil {
			break
		}
		if n == 0 || e.Term != last {
			n++
			last = e.Term
		}
	}
	return n, nil
}
