package index

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/numeric"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/watchword/watchword/internal/news"
)

// logBuffer collects log lines, for tests that check what was logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// errors returns the ERROR lines logged so far.
func (b *logBuffer) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return out
}

func newLogBuffer() (*logBuffer, *slog.Logger) {
	b := &logBuffer{}
	return b, slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestSelfCheckPasses: on an intact index the self-check runs after the
// first batch of an empty index and at open of a non-empty one, passes,
// and leaves the collector on.
func TestSelfCheckPasses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	logs, log := newLogBuffer()
	ix, _, err := open(dir, 2, log, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	if g := ix.guard.Load(); g != guardUnchecked {
		t.Fatalf("empty index: guard %d, want unchecked", g)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var puts []*news.Article
	for i := range 300 {
		a := randomArticle(rng, fmt.Sprintf("a%d", i))
		a.Seq = uint64(i + 1)
		puts = append(puts, a)
	}
	if err := ix.Apply(puts, nil, 300); err != nil {
		t.Fatal(err)
	}
	if g := ix.guard.Load(); g != guardFast {
		t.Fatalf("after the first batch: guard %d, want fast; log:\n%s", g, logs.buf.String())
	}
	if err := ix.Apply(puts[:50], []string{"a60", "a61"}, 301); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, _, err = open(dir, 2, log, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if g := ix.guard.Load(); g != guardFast || !ix.FastCollector() {
		t.Fatalf("reopened: guard %d, want fast", g)
	}
	if e := logs.errors(); len(e) > 0 {
		t.Fatalf("errors logged: %q", e)
	}

	mem, err := OpenMemory(log)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if err := mem.Apply(puts[:20], nil, 20); err != nil {
		t.Fatal(err)
	}
	if g := mem.guard.Load(); g != guardFast {
		t.Fatalf("in-memory index: guard %d, want fast", g)
	}
}

// brokenDecodings make the segment metadata disagree with Bleve the way
// a Bleve upgrade could.
var brokenDecodings = []struct {
	name  string
	hooks metaHooks
	says  string // in the logged error
}{
	{"date", metaHooks{decodeDate: func(term []byte) (int64, bool) {
		// A date decoding off by an hour, as if the encoding changed.
		pc := numeric.PrefixCoded(term)
		if shift, err := pc.Shift(); err != nil || shift != 0 {
			return 0, false
		}
		v, err := pc.Int64()
		return v + int64(time.Hour), err == nil
	}}, "date of"},
	{"numbering", metaHooks{shift: 1}, "numbering"},
}

// TestSelfCheckFallsBack corrupts the date decoding or the document
// numbering of one index and loads it and an intact one with the same
// articles: the self-check finds the disagreement after the first batch
// (and at open), logs one error, and from then on every search of the
// broken index (hits in order, cursors, totals, facet counts with and
// without filters, months, sequence windows) equals the intact index's.
func TestSelfCheckFallsBack(t *testing.T) {
	for _, tc := range brokenDecodings {
		t.Run(tc.name, func(t *testing.T) {
			okDir, badDir := filepath.Join(t.TempDir(), "ok"), filepath.Join(t.TempDir(), "bad")
			good, _, err := open(okDir, 2, quiet, metaHooks{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if good != nil {
					good.Close()
				}
			}()
			logs, log := newLogBuffer()
			bad, _, err := open(badDir, 2, log, tc.hooks)
			if err != nil {
				t.Fatal(err)
			}
			defer bad.Close()
			if !bad.FastCollector() {
				t.Fatal("an empty index fell back before any check")
			}

			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 3))
			var seq uint64
			batch := func() []*news.Article {
				var puts []*news.Article
				for range 200 {
					seq++
					a := randomArticle(rng, fmt.Sprintf("n%d", seq))
					a.Seq = seq
					puts = append(puts, a)
				}
				return puts
			}
			apply := func(puts []*news.Article, dels []string) {
				t.Helper()
				for _, ix := range []*Index{good, bad} {
					if err := ix.Apply(puts, dels, seq); err != nil {
						t.Fatal(err)
					}
				}
			}
			apply(batch(), nil)
			if bad.FastCollector() {
				t.Fatal("the self-check did not notice the broken " + tc.name)
			}
			if !good.FastCollector() {
				t.Fatal("the intact index fell back")
			}
			apply(batch(), nil)
			apply(batch(), nil)
			errs := logs.errors()
			if len(errs) != 1 || !strings.Contains(errs[0], tc.says) {
				t.Fatalf("want one error naming %q, got %q", tc.says, errs)
			}

			// Without the fallback the broken metadata gives wrong
			// answers: the test corrupts something that matters.
			r := Request{Query: parse(t, ""), Sort: SortNewest, Size: 10, FacetSize: 5}
			want, err := good.Search(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			wrong, err := bad.search(context.Background(), r, bad.collectFast)
			if err == nil {
				wrong.Took, want.Took = 0, 0
				if reflect.DeepEqual(wrong, want) {
					t.Fatal("the broken metadata gives the right answer: the test proves nothing")
				}
			}

			sameAnswers(t, good, bad, true)

			// Updates and deletes: scores then depend on which segments
			// Bleve has merged, so relevance is left out.
			var dels []string
			for i := 0; i < 40; i++ {
				dels = append(dels, fmt.Sprintf("n%d", 1+rng.IntN(int(seq))))
			}
			upd := batch()
			for i, a := range upd[:50] {
				a.ID = fmt.Sprintf("n%d", 1+i*7)
			}
			apply(upd, dels)
			sameAnswers(t, good, bad, false)

			// At open: the intact directory opened with the broken
			// decoding falls back at once.
			if err := good.Close(); err != nil {
				t.Fatal(err)
			}
			good = nil
			logs2, log2 := newLogBuffer()
			reopened, _, err := open(okDir, 2, log2, tc.hooks)
			if err != nil {
				t.Fatal(err)
			}
			defer reopened.Close()
			if reopened.FastCollector() || len(logs2.errors()) != 1 {
				t.Fatalf("reopened with the broken %s: fast %v, errors %q", tc.name, reopened.FastCollector(), logs2.errors())
			}
			sameAnswers(t, bad, reopened, false)
		})
	}
}

// sameAnswers checks that two indexes of the same articles answer the
// same searches alike: pages walked with cursors, totals, facets,
// months, and the sequence windows alert runs use.
func sameAnswers(t *testing.T, a, b *Index, relevance bool) {
	t.Helper()
	ctx := context.Background()
	sorts := []string{SortNewest, SortOldest}
	if relevance {
		sorts = append(sorts, SortRelevance)
	}
	filters := []Filters{{}, {Countries: []string{"ukraine", "Chad"}}, {Sources: []string{"Wire"}, Speakers: []string{"Dmitry Peskov"}}, {Topics: []string{"none such"}}}
	for _, qs := range []string{"", "oil OR gas", "talks AND NOT peace", "\"market bank\""} {
		for fi, f := range filters {
			for _, so := range sorts {
				r := Request{Query: parse(t, qs), Filters: f, Sort: so, Size: 9, FacetSize: 4, Months: true}
				if fi == 1 {
					r.From, r.To = day("2020-06-01"), day("2023-01-01")
				}
				for page := 0; page < 3; page++ {
					x, err := a.Search(ctx, r)
					if err != nil {
						t.Fatal(err)
					}
					y, err := b.Search(ctx, r)
					if err != nil {
						t.Fatal(err)
					}
					x.Took, y.Took = 0, 0
					if !reflect.DeepEqual(x, y) {
						t.Fatalf("%q filters %d %s page %d:\n%+v\n%+v", qs, fi, so, page, x, y)
					}
					if len(x.Hits) < r.Size {
						break
					}
					r.After = x.Hits[len(x.Hits)-1].Cursor
				}
			}
		}
	}
	// Sequence windows, as an alert run asks: every hit in one request.
	last, err := a.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range [][2]uint64{{0, 100}, {100, 350}, {350, 0}, {last - 20, last}} {
		for _, so := range []string{SortUnordered, SortNewest} {
			r := Request{Query: parse(t, "oil OR talks"), SeqAfter: w[0], SeqUpTo: w[1], Sort: so, Size: maxIndexSize}
			x, err := a.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			y, err := b.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if x.Total == 0 {
				t.Fatalf("window %v matches nothing: the test proves little", w)
			}
			ids := func(res *Result) []string {
				var out []string
				for _, h := range res.Hits {
					out = append(out, h.ID)
				}
				if so == SortUnordered {
					slices.Sort(out)
				}
				return out
			}
			if x.Total != y.Total || !slices.Equal(ids(x), ids(y)) {
				t.Fatalf("window %v %s: %d %v\n%d %v", w, so, x.Total, ids(x), y.Total, ids(y))
			}
		}
	}
}

// TestSelfCheckCost measures the self-check on an existing index, named
// by WW_SELFCHECK_INDEX (a copy: opening may write), e.g.
//
//	WW_SELFCHECK_INDEX=/tmp/copy/index.bleve go test -run TestSelfCheckCost -v ./index/
func TestSelfCheckCost(t *testing.T) {
	dir := os.Getenv("WW_SELFCHECK_INDEX")
	if dir == "" {
		t.Skip("WW_SELFCHECK_INDEX not set")
	}
	start := time.Now()
	ix, fresh, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	opened := time.Since(start)
	if fresh {
		t.Fatal("the index was rebuilt: wrong layout")
	}
	if !ix.FastCollector() {
		t.Fatal("the self-check failed on this index")
	}
	docs, _ := ix.DocCount()
	var took []time.Duration
	n := 0
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	cpu0 := cpu()
	for range 7 {
		s := time.Now()
		if n, err = ix.selfCheck(context.Background()); err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(s))
	}
	perCheck := (cpu() - cpu0) / time.Duration(len(took))
	slices.Sort(took)
	t.Logf("%d documents: Open (with the first self-check) %s; self-check of %d samples: min %s, median %s, max %s, CPU %s per check",
		docs, opened, n, took[0], took[len(took)/2], took[len(took)-1], perCheck)

	// What the fallback costs: the median of a few searches each way.
	reqs := []Request{
		{Query: parse(t, "oil OR gas"), Sort: SortRelevance, Size: 20, FacetSize: 10},
		{Query: parse(t, "oil OR gas"), Sort: SortNewest, Size: 20, FacetSize: 10, Months: true, Filters: Filters{Countries: []string{"Russia"}}},
		{Query: parse(t, ""), Sort: SortNewest, Size: 20, FacetSize: 10},
	}
	for _, r := range reqs {
		median := func(collect func(context.Context, bq.Query, collectSpec) (*collected, error)) (time.Duration, uint64) {
			var ds []time.Duration
			var total uint64
			for range 5 {
				s := time.Now()
				res, err := ix.search(context.Background(), r, collect)
				if err != nil {
					t.Fatal(err)
				}
				ds = append(ds, time.Since(s))
				total = res.Total
			}
			slices.Sort(ds)
			return ds[len(ds)/2], total
		}
		fast, n1 := median(ix.collectFast)
		slow, n2 := median(ix.collectBleve)
		t.Logf("%v sort %s filters %v months %v: %d hits; collector %s, fallback %s", r.Query, r.Sort, r.Filters, r.Months, n1, fast, slow)
		if n1 != n2 {
			t.Errorf("totals differ: %d and %d", n1, n2)
		}
	}
}
