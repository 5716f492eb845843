package index

import (
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// Bleve stores datetimes as Unix nanoseconds in an int64.
var (
	minDate = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Compile turns a parsed query into a Bleve query. Terms without a field
// search title and body; facet fields search their analysed twins; id
// matches document ids exactly. A purely negative query matches every
// document except the negated ones.
func (ix *Index) Compile(n query.Node) (bq.Query, error) {
	return ix.compile(n)
}

func (ix *Index) compile(n query.Node) (bq.Query, error) {
	switch n := n.(type) {
	case nil, *query.All:
		return bleve.NewMatchAllQuery(), nil
	case *query.Term:
		return ix.compileTerm(n.Field, n.Text, n.Prefix, false), nil
	case *query.Phrase:
		return ix.compileTerm(n.Field, n.Text, false, true), nil
	case *query.DateRange:
		return compileDate(n.From, n.To, n.Pos)
	case *query.Not:
		inner, err := ix.compile(n.Child)
		if err != nil {
			return nil, err
		}
		b := bleve.NewBooleanQuery()
		b.AddMust(bleve.NewMatchAllQuery())
		b.AddMustNot(inner)
		return b, nil
	case *query.Or:
		qs := make([]bq.Query, 0, len(n.Children))
		for _, c := range n.Children {
			q, err := ix.compile(c)
			if err != nil {
				return nil, err
			}
			qs = append(qs, q)
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
			q, err := ix.compile(target)
			if err != nil {
				return nil, err
			}
			if isNot {
				not = append(not, q)
			} else {
				must = append(must, q)
			}
		}
		if len(not) == 0 {
			return bleve.NewConjunctionQuery(must...), nil
		}
		b := bleve.NewBooleanQuery()
		if len(must) == 0 {
			must = append(must, bleve.NewMatchAllQuery())
		}
		b.AddMust(must...)
		b.AddMustNot(not...)
		return b, nil
	default:
		return nil, news.Errorf(news.ECodeQuerySyntax, "unsupported query node %T", n)
	}
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
		return fBody, ix.textAn
	case query.FieldSpeaker:
		return fSpeakers + textSuffix, ix.nameAn
	case query.FieldCountry:
		return fCountries + textSuffix, ix.nameAn
	case query.FieldTopic:
		return fTopics + textSuffix, ix.nameAn
	case query.FieldSource:
		return fSource + textSuffix, ix.nameAn
	}
	return "", ix.textAn
}

func (ix *Index) compileTerm(field, text string, prefix, phrase bool) bq.Query {
	if field == query.FieldID {
		if prefix {
			q := bleve.NewPrefixQuery(text)
			q.SetField("_id")
			return q
		}
		return bleve.NewDocIDQuery([]string{text})
	}
	if field == "" {
		return bleve.NewDisjunctionQuery(
			ix.compileTerm(query.FieldTitle, text, prefix, phrase),
			ix.compileTerm(query.FieldBody, text, prefix, phrase),
		)
	}
	name, an := ix.textField(field)
	if prefix {
		// A prefix is folded and lower-cased but not stemmed.
		toks := tokens(ix.nameAn, text)
		if len(toks) == 0 {
			return bleve.NewMatchNoneQuery()
		}
		last := bleve.NewPrefixQuery(toks[len(toks)-1])
		last.SetField(name)
		if len(toks) == 1 {
			return last
		}
		head := phraseOrTerm(tokens(an, text)[:len(toks)-1], name)
		return bleve.NewConjunctionQuery(head, last)
	}
	toks := tokens(an, text)
	if len(toks) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	return phraseOrTerm(toks, name)
}

func phraseOrTerm(toks []string, field string) bq.Query {
	if len(toks) == 1 {
		q := bleve.NewTermQuery(toks[0])
		q.SetField(field)
		return q
	}
	return bleve.NewPhraseQuery(toks, field)
}

func tokens(an analysis.Analyzer, text string) []string {
	ts := an.Analyze([]byte(text))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}
