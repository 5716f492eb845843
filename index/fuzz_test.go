package index

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// FuzzSearch parses, compiles and runs any query against a small real
// index: a query either runs or fails with a positioned query_syntax or
// query_too_broad error, never another error (a 5xx) or a panic. It
// covers what the parser's fuzzer cannot: the dictionary walks of fuzzy
// and wildcard terms, sloppy phrases and boosts.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{
		`organization~1 ru?sia "quick fox"~3^2`,
		`(russia OR ukraine)^0.5 title:tal?s country:ukrane~1`,
		`qu*k* ab??????????????????????????????????????????????`,
		`date:[now-30d/d TO now] -fox~2 "a a a"~64`,
		`ée?* 日本?語 x\ y~ "the of"~3`,
	} {
		f.Add(s)
	}
	ix := luceneCorpusF(f)
	now := time.Date(2025, 3, 8, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		n, err := query.ParseWith(q, query.Options{Now: now})
		if err == nil {
			_, err = ix.Search(context.Background(), Request{Query: n, Size: 10, Sort: SortRelevance})
		}
		if err == nil {
			return
		}
		var e *news.Error
		if !errors.As(err, &e) || (e.Code != news.ECodeQuerySyntax && e.Code != news.ECodeQueryBroad) || e.Position == nil ||
			*e.Position < 0 || *e.Position > len(q) {
			t.Fatalf("%q: %v (%T)", q, err, err)
		}
	})
}
