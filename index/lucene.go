package index

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// Fuzzy and wildcard terms are matched against the words of the index,
// which for title and body are stems (organisation is indexed as
// organis): see compileFuzzy. Both are expanded, before anything runs,
// into the index terms they match, counted against the query's budget
// like the expansions of a prefix; each counts at least
// query.PatternExpansions for its walk of the dictionaries.

// compileFuzzy compiles text~N (N is 1 or 2): a disjunction of the index
// terms it matches, as Lucene rewrites a fuzzy query. In the facet fields,
// whose words are not stemmed, those are the words within N edits of the
// word (Bleve's Levenshtein automaton over the dictionary, with a swap of
// two adjacent letters counted as one edit at distance 1, as in Lucene).
// Title and body hold stems, so a fuzzy term there matches, besides the
// index words within N edits of the word, the stems of every word one edit
// away: organization~1 finds organisation (stem organis, two edits from
// organization's stem, organ). Fuzzy matching the stem itself would
// over-reach (organ~2 matches ran); so at two edits a word whose stem
// differs from it is found only through its stem or a word one edit away:
// organizaton~2 misses organisation, which Lucene on unstemmed text finds.
func (ix *Index) compileFuzzy(t *query.Term, b *budget) (bq.Query, error) {
	field := t.Field
	if field == "" {
		field = query.FieldBody
	}
	name, an := ix.textField(field)
	stemmed := an == ix.textAn
	toks := tokens(ix.nameAn, t.Text)
	switch {
	case len(toks) == 0:
		return nil, nil // punctuation only: neutral, as the plain word is
	case len(toks) > 1:
		return nil, news.ErrorAt(news.ECodeQuerySyntax, t.Pos, "a fuzzy term is one word; %q is %d", t.Text, len(toks))
	}
	word := toks[0]
	if err := b.pattern(t.Pos, fuzzyLeast(t.Fuzzy)); err != nil {
		return nil, err
	}
	var near []string
	for _, w := range neighbours(word) {
		if stemmed {
			st := tokens(ix.textAn, w)
			if len(st) != 1 {
				continue
			}
			w = st[0]
		}
		near = append(near, w)
	}
	slices.Sort(near)
	near = slices.Compact(near)
	terms, err := b.fuzzy(name, []string{word}, t.Fuzzy, near, t.Pos)
	if err != nil {
		return nil, err
	}
	return anyTerm(terms, name), nil
}

// neighbours returns the words one edit from w: a letter deleted,
// replaced or inserted (letters and digits of ASCII, and those of w),
// or two adjacent letters swapped.
func neighbours(w string) []string {
	rs := []rune(w)
	alphabet := []rune("abcdefghijklmnopqrstuvwxyz0123456789")
	for _, r := range rs {
		if !slices.Contains(alphabet, r) {
			alphabet = append(alphabet, r)
		}
	}
	out := make([]string, 0, len(rs)*(2*len(alphabet)+2)+len(alphabet))
	buf := make([]rune, 0, len(rs)+1)
	emit := func(parts ...[]rune) {
		buf = buf[:0]
		for _, p := range parts {
			buf = append(buf, p...)
		}
		out = append(out, string(buf))
	}
	for i := 0; i <= len(rs); i++ {
		for _, a := range alphabet {
			emit(rs[:i], []rune{a}, rs[i:]) // insert
		}
		if i == len(rs) {
			break
		}
		emit(rs[:i], rs[i+1:]) // delete
		for _, a := range alphabet {
			if a != rs[i] {
				emit(rs[:i], []rune{a}, rs[i+1:]) // replace
			}
		}
		if i+1 < len(rs) && rs[i] != rs[i+1] {
			emit(rs[:i], []rune{rs[i+1], rs[i]}, rs[i+2:]) // swap
		}
	}
	return out
}

// compileWildcard compiles a term with * and ? inside: each run of
// literal characters is folded and lower-cased as a prefix is (not
// stemmed), and the pattern is matched against whole index terms. In
// title and body, whose terms are stems, a term also matches when it is
// the stem of a word the pattern matches, the stemmer having cut some of
// the pattern's last literal characters: ukr?ine finds ukrain (Ukraine),
// organi?ation finds organis (organisation), tal?s finds talk (talks).
func (ix *Index) compileWildcard(t *query.Term, b *budget) (bq.Query, error) {
	field := t.Field
	if field == "" {
		field = query.FieldBody
	}
	name, an := ix.textField(field)
	var head strings.Builder // the pattern up to its last wildcard
	first, last := "", ""    // the first and the last literal run, folded
	wilds := 0
	fold := func(seg string) (string, error) {
		toks := tokens(ix.nameAn, seg)
		switch len(toks) {
		case 0:
			return "", nil
		case 1:
			return toks[0], nil
		}
		return "", news.ErrorAt(news.ECodeQuerySyntax, t.Pos, "a wildcard term is one word; %q is %d", seg, len(toks))
	}
	seg := 0
	for i := 0; i < len(t.Text); i++ {
		c := t.Text[i]
		if c != '*' && c != '?' {
			continue
		}
		lit, err := fold(t.Text[seg:i])
		if err != nil {
			return nil, err
		}
		head.WriteString(regexp.QuoteMeta(lit))
		if wilds == 0 {
			first = lit
			if utf8.RuneCountInString(first) < b.lim.MinPrefix {
				return nil, query.TooBroad(t.Pos+i, "a wildcard needs at least %d letters or digits before its first * or ?", b.lim.MinPrefix)
			}
		}
		wilds++
		if c == '*' {
			head.WriteString(".*")
		} else {
			head.WriteByte('.')
		}
		seg = i + 1
	}
	last, err := fold(t.Text[seg:])
	if err != nil {
		return nil, err
	}
	full := head.String() + regexp.QuoteMeta(last)
	re, accept := full, func(string) bool { return true }
	if an == ix.textAn && last != "" {
		// Any prefix of the last literal run may follow the head; a
		// term that stops short is kept only if it is the stem of the
		// word completed with the rest of that run.
		headRe := regexp.MustCompile("^(?:" + head.String() + ")$")
		fullRe := regexp.MustCompile("^(?:" + full + ")$")
		re = head.String() + optionalPrefixes(last)
		accept = func(term string) bool {
			if fullRe.MatchString(term) {
				return true
			}
			for j := len(last) - 1; j >= 0; j-- {
				if !utf8.RuneStart(last[j]) && j > 0 || !strings.HasSuffix(term, last[:j]) {
					continue
				}
				if !headRe.MatchString(term[:len(term)-j]) {
					continue
				}
				if st := tokens(ix.textAn, term+last[j:]); len(st) == 1 && st[0] == term {
					return true
				}
			}
			return false
		}
	}
	terms, err := b.wildcard(name, re, accept, t.Pos)
	if err != nil {
		return nil, err
	}
	return anyTerm(terms, name), nil
}

// optionalPrefixes returns a regular expression matching every prefix of
// s, the empty one included: (a(b(c)?)?)? for abc.
func optionalPrefixes(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		b.WriteByte('(')
		b.WriteString(regexp.QuoteMeta(string(r)))
		n++
	}
	for range n {
		b.WriteString(")?")
	}
	return b.String()
}

// anyTerm is a disjunction of the terms of field, or match-none.
func anyTerm(terms []string, field string) bq.Query {
	if len(terms) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	qs := make([]bq.Query, len(terms))
	for i, t := range terms {
		tq := bleve.NewTermQuery(t)
		tq.SetField(field)
		qs[i] = tq
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// boostQuery multiplies the scores of q by boost (query.Boost).
type boostQuery struct {
	q     bq.Query
	boost float64
}

func (q *boostQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	s, err := q.q.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	return &boostSearcher{Searcher: s, boost: q.boost}, nil
}

type boostSearcher struct {
	search.Searcher
	boost float64
}

func (s *boostSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	if dm != nil {
		dm.Score *= s.boost
	}
	return dm, err
}

func (s *boostSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	if dm != nil {
		dm.Score *= s.boost
	}
	return dm, err
}
