package index

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// openCorpus opens an index of n shards holding arts (sequences
// assigned).
func openCorpus(t testing.TB, n int, arts []*news.Article) *Index {
	t.Helper()
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), n, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	for i, a := range arts {
		a.Seq = uint64(i + 1)
	}
	if err := ix.Apply(arts, nil, uint64(len(arts))); err != nil {
		t.Fatal(err)
	}
	return ix
}

// prefixCorpus holds the 100 words co0 … co99 in three articles each,
// the speakers Coco0 … Coco9, and a few others, in one shard, so that
// the expansions of a prefix are known exactly.
func prefixCorpus(t *testing.T) *Index {
	var arts []*news.Article
	for i := range 100 {
		for k := range 3 {
			arts = append(arts, &news.Article{
				ID: fmt.Sprintf("d%d-%d", i, k), Title: "t", Date: day("2025-01-01"),
				Body:     fmt.Sprintf("co%d word other x.y 日本語 plain", i),
				Speakers: []string{fmt.Sprintf("Coco%d", i%10)},
			})
		}
	}
	return openCorpus(t, 1, arts)
}

func wantBroad(t *testing.T, err error, pos int, msg string) {
	t.Helper()
	var e *news.Error
	if !errors.As(err, &e) || e.Code != news.ECodeQueryBroad || e.Position == nil {
		t.Fatalf("error %v, want a positioned query_too_broad error", err)
	}
	if *e.Position != pos || !strings.Contains(e.Message, msg) {
		t.Fatalf("error %v (at %d), want %q at %d", err, *e.Position, msg, pos)
	}
}

// TestBudgetExpansions checks that the terms every prefix expands to are
// counted in the dictionaries, each occurrence again, and that a query
// over MaxExpansions is refused before it runs with the offset of the
// prefix that went over.
func TestBudgetExpansions(t *testing.T) {
	ix := prefixCorpus(t)
	lim := query.Limits{MaxExpansions: 250}
	search := func(q string, lim query.Limits) (*Result, error) {
		return ix.Search(context.Background(), Request{Query: parse(t, q), Size: 10, Limits: lim})
	}
	for _, q := range []string{"co*", "co* OR co*", "co1* co2* co3*", "zz*", "speaker:coc* OR co*", "id:d1*"} {
		if _, err := search(q, lim); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	if res, err := search("co1*", lim); err != nil || res.Total != 11*3 {
		t.Errorf("co1*: %v, %v", res, err)
	}
	_, err := search("co* OR co* OR co*", lim) // 300 > 250: the third goes over
	wantBroad(t, err, 14, "more than 250 words")
	_, err = search("(co* speaker:coc*) OR NOT co*", lim) // 100 + 10 + 100
	if err != nil {
		t.Errorf("210 expansions: %v", err)
	}
	_, err = search("co* OR speaker:coc* OR co* OR co*", lim) // 100 + 10 + 100 + 100
	wantBroad(t, err, 30, "more than 250 words")
	// id: prefixes expand over document ids: d1* is d1-*, d10-* … d19-*,
	// 33 ids; the fourth goes over 100.
	_, err = search("id:d1* OR id:d1* OR id:d1* OR id:d1* OR id:d1*", query.Limits{MaxExpansions: 100})
	wantBroad(t, err, 33, "more than 100 words")

	// The default budget: co* 256 times is 25,600 expansions.
	q := strings.Repeat("co* OR ", 255) + "co*"
	_, err = search(q, query.Limits{})
	wantBroad(t, err, 10*7, fmt.Sprintf("more than %d words", query.DefaultMaxExpansions))
}

// TestBudgetCountStops checks that counting a prefix reads no more of the
// dictionary than the budget left needs.
func TestBudgetCountStops(t *testing.T) {
	ix := prefixCorpus(t)
	b := &budget{ctx: context.Background(), ix: ix, lim: query.Limits{}.WithDefaults()}
	defer b.close()
	for _, tc := range []struct {
		upTo, want int
	}{{1000, 100}, {100, 100}, {7, 7}, {1, 1}} {
		c, err := b.countPrefix(fText, "co", tc.upTo)
		// Each word is in three documents.
		if err != nil || c.n != tc.want || c.postings != int64(3*tc.want) {
			t.Errorf("countPrefix(co, %d) = %+v, %v; want %d terms", tc.upTo, c, err, tc.want)
		}
	}
}

// TestBudgetAfterAnalysis checks the limits that depend on analysis: a
// prefix is measured as folded (x.* is x*), and a word the analyser
// splits into many counts as a phrase of them.
func TestBudgetAfterAnalysis(t *testing.T) {
	ix := prefixCorpus(t)
	search := func(q string) error {
		_, err := ix.Search(context.Background(), Request{Query: parse(t, q), Size: 10})
		return err
	}
	wantBroad(t, search("plain x.*"), 8, "at least 2 letters")
	wantBroad(t, search("co1 OR title:x.*"), 15, "at least 2 letters")
	wantBroad(t, search("a-b-x*"), 5, "at least 2 letters") // a, b and the prefix x
	hyphens := strings.TrimSuffix(strings.Repeat("ab-", 33), "-")
	wantBroad(t, search("plain "+hyphens), 6, "at most 32 words")
	wantBroad(t, search(`"`+hyphens+`"`), 0, "at most 32 words")
	wantBroad(t, search(hyphens+"*"), 0, "at most 32 words")
	for _, q := range []string{"x.y", "日本*", "co-op*", strings.TrimSuffix(strings.Repeat("ab-", 32), "-")} {
		if err := search(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	if _, err := ix.Search(context.Background(), Request{Query: parse(t, "abc*"), Size: 10, Limits: query.Limits{MinPrefix: 4}}); err == nil {
		t.Error("abc* passed MinPrefix 4")
	}
}

// TestSearchCancel cancels a running search: the collector is held (by
// the OnCollect seam) until the context is done, and the search must
// return the context's error within 100 ms of the cancellation.
func TestSearchCancel(t *testing.T) {
	ix := prefixCorpus(t)
	running := make(chan struct{}, 2)
	ix.OnCollect(func(ctx context.Context) {
		running <- struct{}{}
		<-ctx.Done()
	})
	for _, tc := range []struct {
		name string
		want error
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"cancel", context.Canceled, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }},
		{"deadline", context.DeadlineExceeded, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			type outcome struct {
				err error
				at  time.Time
			}
			done := make(chan outcome, 1)
			go func() {
				_, err := ix.Search(ctx, Request{Query: parse(t, "co*"), Size: 10, FacetSize: 10})
				done <- outcome{err, time.Now()}
			}()
			<-running
			if tc.want == context.Canceled {
				cancel()
			}
			<-ctx.Done()
			stopped := time.Now()
			select {
			case o := <-done:
				if !errors.Is(o.err, tc.want) {
					t.Fatalf("search returned %v, want %v", o.err, tc.want)
				}
				if d := o.at.Sub(stopped); d > 100*time.Millisecond {
					t.Fatalf("search returned %s after the context ended", d)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("search still running 5 s after the context ended")
			}
		})
	}
	ix.OnCollect(nil)
	if _, err := ix.Search(context.Background(), Request{Query: parse(t, "co*"), Size: 10}); err != nil {
		t.Fatal(err)
	}
}

// TestPhraseCheckCancel checks that the phrase searcher, which may reject
// candidates for long between two matches, stops on a done context: here
// 3,000 documents (about 1,500 a shard) hold both words, none as the
// phrase.
func TestPhraseCheckCancel(t *testing.T) {
	arts := make([]*news.Article, 3000)
	for i := range arts {
		arts[i] = &news.Article{ID: fmt.Sprintf("p%d", i), Title: "t", Body: "alpha gap beta", Date: day("2025-01-01")}
	}
	ix := openCorpus(t, 2, arts)
	q, err := ix.Compile(context.Background(), parse(t, `"alpha beta"`), query.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i, bi := range ix.shards {
		r, err := shardReader(bi)
		if err != nil {
			t.Fatal(err)
		}
		s, err := q.Searcher(ctx, r, ix.mapping, search.SearcherOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0), IndexReader: r}
		dm, err := s.Next(sctx)
		if dm != nil || !errors.Is(err, context.Canceled) {
			t.Errorf("shard %d: Next on a cancelled context = %v, %v; want context.Canceled", i, dm, err)
		}
		s.Close()
		r.Close()
	}
}

// TestBudgetPostings checks that every term a query reads adds its
// document frequency (a word, each word of a phrase, each expansion of a
// prefix, each occurrence again), and that a query reading more than
// MaxPostings is refused at the term that went over.
func TestBudgetPostings(t *testing.T) {
	ix := prefixCorpus(t) // plain and word are in all 300 documents, co7 in 3
	lim := query.Limits{MaxPostings: 1000}
	search := func(q string) error {
		_, err := ix.Search(context.Background(), Request{Query: parse(t, q), Size: 10, Limits: lim})
		return err
	}
	for _, q := range []string{"plain", "plain word co7", `"plain word" OR plain`, "co* OR co* OR co*", "plain NOT co7"} {
		if err := search(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	wantBroad(t, search("plain OR word OR co7 OR plain OR word"), 33, "more than 1000 documents") // 300 + 300 + 3 + 300 + 300
	wantBroad(t, search(`co7 "plain word plain word"`), 4, "more than 1000 documents")            // 3 + 4×300
	wantBroad(t, search("co* OR co* OR co* OR co*"), 21, "more than 1000 documents")              // 4×300
	wantBroad(t, search("plain-word-plain-word-co7*"), 0, "more than 1000 documents")             // 1200 + co7*: 3
	if err := search("plain-word-co7*"); err != nil {
		t.Errorf("600 + 3: %v", err)
	}
}

// TestBudgetDateRanges checks that a date range counts against the
// expansions (Bleve reads it as numeric terms), so a thousand of them do
// not run.
func TestBudgetDateRanges(t *testing.T) {
	ix := prefixCorpus(t)
	n := query.DefaultMaxExpansions / query.DateRangeExpansions
	ok := strings.TrimSuffix(strings.Repeat("date:2025 OR ", n), " OR ")
	if _, err := ix.Search(context.Background(), Request{Query: parse(t, ok), Size: 10}); err != nil {
		t.Errorf("%d date ranges: %v", n, err)
	}
	_, err := ix.Search(context.Background(), Request{Query: parse(t, ok+" OR date:2024"), Size: 10})
	wantBroad(t, err, len(ok)+len(" OR date:"), "more than 1000 terms")
}

// TestDoubleNegation checks that NOT NOT x is compiled as x, not as
// walks over every document nested in each other.
func TestDoubleNegation(t *testing.T) {
	ix := openFixture(t)
	for q, want := range map[string]string{
		"NOT NOT Peskov":                      "a1 a5",
		"NOT NOT NOT Peskov":                  "a2 a3 a4 a6",
		strings.Repeat("NOT ", 64) + "Peskov": "a1 a5",
		"-(NOT Peskov)":                       "a1 a5",
	} {
		if got := strings.Join(ids(t, ix, Request{Query: parse(t, q)}), " "); got != want {
			t.Errorf("%.30s: %s, want %s", q, got, want)
		}
	}
	q, err := ix.Compile(context.Background(), parse(t, strings.Repeat("NOT ", 64)+"Peskov"), query.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := q.(*bq.TermQuery); !ok {
		t.Errorf("NOT ×64 Peskov compiled to %T, want the term query", q)
	}
}
