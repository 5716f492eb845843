package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// exportCorpus ingests n articles about word (and n/3 about "other"),
// with dates drawn from a logged seed, several sharing a day, and
// returns them by id.
func exportCorpus(t *testing.T, e *Engine, n int) map[string]*news.Article {
	t.Helper()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	byID := map[string]*news.Article{}
	var arts []*news.Article
	for i := range n + n/3 {
		word := "harbour"
		if i >= n {
			word = "other"
		}
		a := &news.Article{
			ID: fmt.Sprintf("%s-%03d", word, i), Title: fmt.Sprintf("%s %d", word, i),
			Body: fmt.Sprintf("%s story number %d.", word, i),
			Date: base.AddDate(0, 0, rng.IntN(n/4+1)),
		}
		arts = append(arts, a)
		if word == "harbour" {
			byID[a.ID] = a
		}
	}
	if _, rejected, err := e.Ingest(context.Background(), arts); err != nil || len(rejected) > 0 {
		t.Fatal(err, rejected)
	}
	return byID
}

func TestExportEveryHitOnceInDateOrder(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	want := exportCorpus(t, e, 95)
	for _, sort := range []string{"", "newest", "oldest"} {
		for _, page := range []int{0, 1, 7, 1000} {
			var got []*news.Article
			res, err := e.Export(context.Background(), SearchParams{Q: "harbour", Sort: sort, Size: page}, func(a *news.Article) error {
				got = append(got, a)
				return nil
			})
			if err != nil {
				t.Fatalf("sort %q page %d: %v", sort, page, err)
			}
			if res.Total != 95 || res.Exported != 95 || len(got) != 95 {
				t.Fatalf("sort %q page %d: total %d exported %d got %d, want 95", sort, page, res.Total, res.Exported, len(got))
			}
			seen := map[string]bool{}
			for i, a := range got {
				if want[a.ID] == nil || seen[a.ID] {
					t.Fatalf("sort %q page %d: %s not a match or twice", sort, page, a.ID)
				}
				seen[a.ID] = true
				if a.Body == "" || a.Seq == 0 {
					t.Fatalf("sort %q: %s exported without its stored fields", sort, a.ID)
				}
				if i == 0 {
					continue
				}
				prev := got[i-1]
				newer := prev.Date.After(a.Date) || (prev.Date.Equal(a.Date) && prev.Seq > a.Seq)
				if (sort == "oldest") == newer {
					t.Fatalf("sort %q page %d: %s (%s, seq %d) before %s (%s, seq %d)", sort, page,
						prev.ID, prev.Date.Format(time.DateOnly), prev.Seq, a.ID, a.Date.Format(time.DateOnly), a.Seq)
				}
			}
		}
	}
}

func TestExportRefusesRelevanceAndBadQueries(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	exportCorpus(t, e, 8)
	called := 0
	fn := func(*news.Article) error { called++; return nil }
	if _, err := e.Export(context.Background(), SearchParams{Q: "harbour", Sort: "relevance"}, fn); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("relevance sort: %v", err)
	}
	if _, err := e.Export(context.Background(), SearchParams{Q: "harbour AND ("}, fn); news.ErrorCode(err) != news.ECodeQuerySyntax {
		t.Fatalf("broken query: %v", err)
	}
	if called != 0 {
		t.Fatalf("the callback ran %d times for refused exports", called)
	}
}

func TestExportStopsWhenAskedAndSeesASnapshot(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	exportCorpus(t, e, 40)

	// The client leaves after 5 articles: the export stops within the
	// load it was writing, not at the end.
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	res, err := e.Export(ctx, SearchParams{Q: "harbour", Size: 3}, func(*news.Article) error {
		if n++; n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n > 6 {
		t.Fatalf("after cancel: err %v, %d articles handed over (exported %d)", err, n, res.Exported)
	}

	// A callback error stops it at once.
	boom := errors.New("disk full")
	n = 0
	_, err = e.Export(context.Background(), SearchParams{Q: "harbour"}, func(*news.Article) error { n++; return boom })
	if !errors.Is(err, boom) || n != 1 {
		t.Fatalf("callback error: %v after %d", err, n)
	}

	// Articles ingested or deleted while it runs: new ones are not in it
	// (the snapshot), deleted ones are skipped, nothing is handed twice.
	seen := map[string]int{}
	added := false
	res, err = e.Export(context.Background(), SearchParams{Q: "harbour", Size: 4}, func(a *news.Article) error {
		seen[a.ID]++
		if !added {
			added = true
			more := []*news.Article{{ID: "late-1", Body: "harbour late story", Date: time.Now()}}
			if _, _, err := e.Ingest(context.Background(), more); err != nil {
				return err
			}
			if err := e.Delete(context.Background(), "harbour-039"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen["late-1"] != 0 {
		t.Fatal("an article ingested during the export was exported")
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("%s exported %d times", id, c)
		}
	}
	if res.Total != 40 || (res.Exported != 39 && seen["harbour-039"] == 0) {
		t.Fatalf("total %d exported %d (harbour-039 seen %d)", res.Total, res.Exported, seen["harbour-039"])
	}
}
