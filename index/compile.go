package index

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/lang"
	"github.com/watchword/watchword/internal/news"
)

// Bleve stores datetimes as Unix nanoseconds in an int64.
var (
	minDate = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Compile turns a parsed query into a Bleve query. Terms without a field
// search title and body (one field holding both); facet fields search their analysed twins; id
// matches document ids exactly. A purely negative query matches every
// document except the negated ones. A word that is only a stop word
// ("the") is neutral: it is dropped from AND and OR, and a query of
// nothing else matches nothing.
//
// Compile also checks the part of the budget lim (zero fields: defaults)
// that needs the analysers and the index: words per phrase and prefix
// length after analysis, the terms all prefixes expand to and the
// postings of every term read, counted in the term dictionaries (see
// budget). Over it, the error is news.ECodeQueryBroad with the offset of
// the term that blew it.
func (ix *Index) Compile(ctx context.Context, n query.Node, lim query.Limits) (bq.Query, error) {
	b := &budget{ctx: ctx, ix: ix, lim: lim.WithDefaults()}
	defer b.close()
	q, err := ix.compile(n, b)
	if err != nil {
		return nil, err
	}
	if q == nil {
		return bleve.NewMatchNoneQuery(), nil
	}
	return q, nil
}

// compile returns a nil query for a neutral node.

func (ix *Index) compile(n query.Node, b *budget) (bq.Query, error) {
	switch n := n.(type) {
	case nil, *query.All:
		return bleve.NewMatchAllQuery(), nil
	case *query.Term:
		switch {
		case n.Field == query.FieldLanguage:
			return compileLanguage(n.Text, n.Prefix || n.Wildcard || n.Fuzzy > 0, n.Pos)
		case n.Field == query.FieldStory:
			return compileStory(n.Text, n.Prefix || n.Wildcard || n.Fuzzy > 0, n.Pos)
		case n.Fuzzy > 0:
			return ix.compileFuzzy(n, b)
		case n.Wildcard:
			return ix.compileWildcard(n, b)
		}
		return ix.compileTerm(n.Field, n.Text, n.Prefix, 0, n.Pos, b)
	case *query.Phrase:
		if n.Field == query.FieldLanguage {
			return compileLanguage(n.Text, n.Slop > 0, n.Pos)
		}
		if n.Field == query.FieldStory {
			return compileStory(n.Text, n.Slop > 0, n.Pos)
		}
		return ix.compileTerm(n.Field, n.Text, false, n.Slop, n.Pos, b)
	case *query.Boost:
		inner, err := ix.compile(n.Child, b)
		if err != nil || inner == nil {
			return nil, err
		}
		return &boostQuery{q: inner, boost: n.Factor}, nil
	case *query.DateRange:
		if b.spent += query.DateRangeExpansions; b.spent > b.lim.MaxExpansions {
			return nil, query.TooBroad(n.Pos, "the prefixes and date ranges of this query match more than %d terms (a date range counts %d)", b.lim.MaxExpansions, query.DateRangeExpansions)
		}
		return compileDate(n.From, n.To, n.Pos)
	case *query.Not:
		if inner, ok := n.Child.(*query.Not); ok {
			// NOT NOT x is x: each NOT would walk every document.
			return ix.compile(inner.Child, b)
		}
		inner, err := ix.compile(n.Child, b)
		if err != nil || inner == nil {
			return nil, err
		}
		b := bleve.NewBooleanQuery()
		b.AddMust(bleve.NewMatchAllQuery())
		b.AddMustNot(inner)
		return b, nil
	case *query.Or:
		qs := make([]bq.Query, 0, len(n.Children))
		for _, c := range n.Children {
			q, err := ix.compile(c, b)
			if err != nil {
				return nil, err
			}
			if q != nil {
				qs = append(qs, q)
			}
		}
		if len(qs) == 0 {
			return nil, nil
		}
		return bleve.NewDisjunctionQuery(qs...), nil
	case *query.And:
		var must, not []bq.Query
		for _, c := range n.Children {
			neg, isNot := c.(*query.Not)
			target := c
			if isNot {
				target = neg.Child
			}
			q, err := ix.compile(target, b)
			if err != nil {
				return nil, err
			}
			if q == nil {
				continue
			}
			if isNot {
				not = append(not, q)
			} else {
				must = append(must, q)
			}
		}
		if len(not) == 0 {
			if len(must) == 0 {
				return nil, nil
			}
			return newAnd(must...), nil
		}
		b := bleve.NewBooleanQuery()
		if len(must) == 0 {
			must = append(must, bleve.NewMatchAllQuery())
		}
		b.Must = newAnd(must...)
		b.AddMustNot(not...)
		return b, nil
	default:
		return nil, news.Errorf(news.ECodeQuerySyntax, "unsupported query node %T", n)
	}
}

// compileLanguage matches the articles in one language: language:ru,
// language:pt-BR (its language, pt). The articles' language subtags are
// terms of the facet field.
func compileLanguage(text string, pattern bool, pos int) (bq.Query, error) {
	tag, ok := lang.Parse(text)
	if pattern || !ok || tag == "" {
		return nil, news.ErrorAt(news.ECodeQuerySyntax, pos, "language: takes a language tag such as en, ru or pt-BR, not %q", text)
	}
	q := bleve.NewTermQuery(prefixLanguage + lang.Base(tag))
	q.SetField(fFacets)
	return q, nil
}

// compileStory matches the copies of one story by its id.
func compileStory(text string, pattern bool, pos int) (bq.Query, error) {
	id := strings.ToLower(strings.TrimSpace(text))
	if _, ok := parseHex([]byte(id)); pattern || !ok || len(id) != 16 {
		return nil, news.ErrorAt(news.ECodeQuerySyntax, pos, "story: takes a story id of 16 hex digits, as a search hit's story.id, not %q", news.Clip(text))
	}
	q := bleve.NewTermQuery(id)
	q.SetField(fStory)
	return q, nil
}

func compileDate(from, to time.Time, pos int) (bq.Query, error) {
	for _, t := range []time.Time{from, to} {
		if !t.IsZero() && (t.Before(minDate) || !t.Before(maxDate)) {
			return nil, news.ErrorAt(news.ECodeQuerySyntax, pos, "date %s is outside the supported range 1678–2261", t.Format("2006-01-02"))
		}
	}
	yes, no := true, false
	q := bleve.NewDateRangeInclusiveQuery(from, to, &yes, &no)
	q.SetField(fDate)
	return q, nil
}

// textField maps a query-language field to the index field and analyzer.
func (ix *Index) textField(field string) (string, analysis.Analyzer) {
	switch field {
	case query.FieldTitle:
		return fTitle, ix.textAn
	case query.FieldBody:
		// The body is searched in the text field, which also holds the
		// title (see fText).
		return fText, ix.textAn
	case query.FieldSpeaker:
		return fSpeakers + textSuffix, ix.nameAn
	case query.FieldCountry:
		return fCountries + textSuffix, ix.nameAn
	case query.FieldMainCountry:
		return fMain + textSuffix, ix.nameAn
	case query.FieldTopic:
		return fTopics + textSuffix, ix.nameAn
	case query.FieldSource:
		return fSource + textSuffix, ix.nameAn
	}
	return "", ix.textAn
}

// compileTerm returns nil when text is only stop words. pos is the
// term's offset in the query, for budget errors; slop is a phrase's.
func (ix *Index) compileTerm(field, text string, prefix bool, slop, pos int, b *budget) (bq.Query, error) {
	if field == query.FieldID {
		if prefix {
			if err := b.expand("_id", text, pos); err != nil {
				return nil, err
			}
			q := bleve.NewPrefixQuery(text)
			q.SetField("_id")
			return q, nil
		}
		return bleve.NewDocIDQuery([]string{text}), nil
	}
	if field == "" {
		field = query.FieldBody // the text field: title and body
	}
	name, an := ix.textField(field)
	if prefix {
		// A prefix is folded and lower-cased but not stemmed.
		toks := tokens(ix.nameAn, text)
		if len(toks) == 0 {
			return bleve.NewMatchNoneQuery(), nil
		}
		if len(toks) > b.lim.MaxPhraseWords {
			return nil, query.TooBroad(pos, "a phrase may hold at most %d words", b.lim.MaxPhraseWords)
		}
		stem := toks[len(toks)-1]
		if err := b.prefixLength(stem, pos+len(text)); err != nil {
			return nil, err
		}
		if err := b.expand(name, stem, pos); err != nil {
			return nil, err
		}
		last := bleve.NewPrefixQuery(stem)
		last.SetField(name)
		if len(toks) == 1 {
			return last, nil
		}
		head := make([][]string, 0, len(toks)-1)
		for _, t := range toks[:len(toks)-1] {
			head = append(head, []string{t})
		}
		if err := b.read(name, head, pos); err != nil {
			return nil, err
		}
		return newAnd(phraseOrTerm(head, name), last), nil
	}
	slots := phraseSlots(an, text)
	if len(slots) == 0 {
		return nil, nil // only stop words: neutral
	}
	if len(slots) > b.lim.MaxPhraseWords {
		return nil, query.TooBroad(pos, "a phrase may hold at most %d words", b.lim.MaxPhraseWords)
	}
	if err := b.read(name, slots, pos); err != nil {
		return nil, err
	}
	var q bq.Query
	if slop > 0 && len(slots) > 1 {
		for _, s := range slots {
			if len(s) > 1 {
				return nil, news.ErrorAt(news.ECodeQuerySyntax, pos, "this phrase has two words at one position, which ~N cannot take; drop the ~")
			}
		}
		q = newSloppyPhrase(slots, name, slop)
	} else {
		q = phraseOrTerm(slots, name)
	}
	if field != query.FieldTitle && field != query.FieldBody {
		return q, nil
	}
	return ix.inLanguages(q, field, text, slop, pos, b)
}

// inLanguages adds to q, the query of a word or phrase in the title or
// the text, the same words analysed as each language with articles in its
// own fields would analyse them, searched in those fields: any of them
// matches (see langs.go). A language in which the words are only stop
// words, or a phrase its analyser cannot take with ~N, or whose articles
// have none of a word's forms, adds nothing.
func (ix *Index) inLanguages(q bq.Query, field, text string, slop, pos int, b *budget) (bq.Query, error) {
	langs := ix.languages()
	if len(langs) == 0 {
		return q, nil
	}
	prefix := fLangText + "."
	if field == query.FieldTitle {
		prefix = fLangTitle + "."
	}
	alts := []bq.Query{q}
	for _, l := range langs {
		slots := phraseSlots(ix.langAn[l], text)
		if len(slots) == 0 || len(slots) > b.lim.MaxPhraseWords {
			continue
		}
		name := prefix + l
		// A language whose articles lack one of the words adds nothing,
		// not even a searcher: an English query over an archive with a
		// few articles in other languages stays a term query.
		if ok, err := b.mayMatch(name, slots); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		if err := b.read(name, slots, pos); err != nil {
			return nil, err
		}
		if slop > 0 && len(slots) > 1 {
			if slices.ContainsFunc(slots, func(s []string) bool { return len(s) > 1 }) {
				continue
			}
			alts = append(alts, newSloppyPhrase(slots, name, slop))
			continue
		}
		alts = append(alts, phraseOrTerm(slots, name))
	}
	if len(alts) == 1 {
		return q, nil
	}
	return bleve.NewDisjunctionQuery(alts...), nil
}

// phraseOrTerm builds a term query for one word, else a phrase whose nil
// slots stand for dropped stop words (any word matches there).
func phraseOrTerm(slots [][]string, field string) bq.Query {
	if len(slots) == 1 && len(slots[0]) == 1 {
		q := bleve.NewTermQuery(slots[0][0])
		q.SetField(field)
		return q
	}
	return newPhrase(slots, field)
}

// phraseSlots analyses text and places each term at its position relative
// to the first; positions of dropped words stay nil.
func phraseSlots(an analysis.Analyzer, text string) [][]string {
	ts := an.Analyze([]byte(text))
	if len(ts) == 0 {
		return nil
	}
	first, last := ts[0].Position, ts[0].Position
	for _, t := range ts {
		first, last = min(first, t.Position), max(last, t.Position)
	}
	if last-first > 4*len(ts)+16 {
		last = first + 4*len(ts) + 16 // positions are ours; keep it bounded all the same
	}
	slots := make([][]string, last-first+1)
	for _, t := range ts {
		if p := t.Position - first; p < len(slots) {
			slots[p] = append(slots[p], string(t.Term))
		}
	}
	return slots
}

func tokens(an analysis.Analyzer, text string) []string {
	ts := an.Analyze([]byte(text))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}
