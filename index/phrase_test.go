package index

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// bleveTree rewrites Watchword's phrase and conjunction queries as
// Bleve's own, the reference they are checked against.
func bleveTree(t *testing.T, q bq.Query) bq.Query {
	switch q := q.(type) {
	case *phraseQuery:
		slots := make([][]string, len(q.slots))
		for i, s := range q.slots {
			if s != "" {
				slots[i] = []string{s}
			}
		}
		return bq.NewMultiPhraseQuery(slots, q.field)
	case *andQuery:
		qs := make([]bq.Query, len(q.must))
		for i, c := range q.must {
			qs[i] = bleveTree(t, c)
		}
		return bleve.NewConjunctionQuery(qs...)
	case *bq.BooleanQuery:
		b := bleve.NewBooleanQuery()
		if q.Must != nil {
			b.Must = bleveTree(t, q.Must)
		}
		if q.MustNot != nil {
			b.MustNot = bleveTree(t, q.MustNot)
		}
		if q.Should != nil {
			b.Should = bleveTree(t, q.Should)
		}
		return b
	case *bq.DisjunctionQuery:
		qs := make([]bq.Query, len(q.Disjuncts))
		for i, c := range q.Disjuncts {
			qs[i] = bleveTree(t, c)
		}
		return bleve.NewDisjunctionQuery(qs...)
	case *bq.ConjunctionQuery:
		qs := make([]bq.Query, len(q.Conjuncts))
		for i, c := range q.Conjuncts {
			qs[i] = bleveTree(t, c)
		}
		return bleve.NewConjunctionQuery(qs...)
	case *bq.TermQuery, *bq.PrefixQuery, *bq.MatchAllQuery, *bq.MatchNoneQuery, *bq.DateRangeQuery, *bq.DocIDQuery:
		return q
	}
	t.Fatalf("bleveTree: unexpected %T", q)
	return nil
}

// TestPhraseAgreesWithBleve checks the two-phase phrase matching against
// Bleve's phrase searcher: the same documents with the same scores, for
// phrases with repeated words and dropped stop words, alone and inside
// conjunctions, negations and disjunctions, unscored too.
func TestPhraseAgreesWithBleve(t *testing.T) {
	ix := openOneShard(t)
	rng := rand.New(rand.NewPCG(3, 5))
	words := []string{"oil", "gas", "bank", "rates", "england", "of", "the", "new", "york", "west"}
	sentence := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(ws, " ")
	}
	var arts []*news.Article
	for i := range 800 {
		arts = append(arts, &news.Article{
			ID: fmt.Sprintf("p%d", i), Seq: uint64(i + 1),
			Title: sentence(3), Body: sentence(8 + rng.IntN(40)),
			Date: time.Date(2020, 1, 1+i%28, 0, 0, 0, 0, time.UTC),
			// Several speakers: a phrase must not run from one into the next.
			Speakers: [][]string{{"Dmitry Peskov"}, {"Peskov Dmitry"}, {"Dmitry Medvedev", "Alexei Peskov"}, {"Anna Dmitry", "Peskov Ivan"}}[i%4],
		})
	}
	if err := ix.Apply(arts, nil, uint64(len(arts))); err != nil {
		t.Fatal(err)
	}
	phrase := func() string { return `"` + sentence(2+rng.IntN(3)) + `"` }
	queries := []string{`"bank of england"`, `"new york new"`, `"oil oil"`, `"the bank"`, `speaker:"dmitry peskov"`, `speaker:"medvedev alexei"`,
		`title:"gas rates"`, `"england oil" AND "bank rates"`, `"west york" NOT gas`, `"rates gas" OR "oil bank"`,
		`("new york" OR west) AND "of england"`, `NOT "oil gas"`}
	for range 60 {
		switch rng.IntN(4) {
		case 0:
			queries = append(queries, phrase())
		case 1:
			queries = append(queries, phrase()+" AND "+words[rng.IntN(5)])
		case 2:
			queries = append(queries, phrase()+" NOT "+words[rng.IntN(5)])
		default:
			queries = append(queries, phrase()+" "+phrase())
		}
	}
	matched := 0
	for _, qs := range queries {
		q, err := ix.Compile(context.Background(), parse(t, qs), query.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, score := range []string{"", "none"} {
			run := func(q bq.Query) map[string]float64 {
				req := bleve.NewSearchRequestOptions(q, len(arts), 0, false)
				req.Score = score
				res, err := ix.shards[0].Search(req)
				if err != nil {
					t.Fatalf("%s: %v", qs, err)
				}
				out := map[string]float64{}
				for _, h := range res.Hits {
					out[h.ID] = h.Score
				}
				if int(res.Total) != len(out) {
					t.Fatalf("%s: total %d, %d hits", qs, res.Total, len(out))
				}
				return out
			}
			got, want := run(q), run(bleveTree(t, q))
			if len(got) != len(want) {
				t.Fatalf("%s (score %q): %d matches, Bleve %d", qs, score, len(got), len(want))
			}
			for id, w := range want {
				g, ok := got[id]
				if !ok {
					t.Fatalf("%s (score %q): %s missing", qs, score, id)
				}
				if math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
					t.Fatalf("%s: %s scores %v, Bleve %v", qs, id, g, w)
				}
			}
			if score == "" && len(want) > 0 {
				matched++
			}
		}
	}
	// The check means something only if most queries match documents.
	if matched < len(queries)/2 {
		t.Fatalf("only %d of %d queries matched anything", matched, len(queries))
	}
}
