package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// bleveSearch runs r on Bleve's own top-N collector and facet builders
// (collectBleve, the fallback of a failed self-check): the reference the
// collector is checked against.
func bleveSearch(t *testing.T, ix *Index, r Request) *Result {
	t.Helper()
	res, err := ix.search(context.Background(), r, ix.collectBleve)
	if err != nil {
		t.Fatal(err)
	}
	res.Took = 0
	return res
}

// searchBoth runs r with the collector and with Bleve's collector on the
// same snapshot. Scores depend on the snapshot (a merge purges deleted
// documents from the term statistics), and Bleve merges in the
// background, so the pair is taken again until the collector gives the
// same answer before and after Bleve's search.
func searchBoth(t *testing.T, ix *Index, r Request) (got, want *Result) {
	t.Helper()
	for range 50 {
		got, err := ix.search(context.Background(), r, ix.collectFast)
		if err != nil {
			t.Fatal(err)
		}
		want = bleveSearch(t, ix, r)
		again, err := ix.search(context.Background(), r, ix.collectFast)
		if err != nil {
			t.Fatal(err)
		}
		got.Took, again.Took = 0, 0
		if reflect.DeepEqual(got, again) {
			return got, want
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the index kept changing under the search")
	return nil, nil
}

// randomArticle draws an article from small vocabularies, so queries
// match many documents, scores tie often and facet values repeat.
func randomArticle(rng *rand.Rand, id string) *news.Article {
	words := []string{"oil", "gas", "talks", "peace", "market", "bank", "rates", "strike", "harbour", "grain", "court", "vote"}
	var body []string
	for range 5 + rng.IntN(20) {
		body = append(body, words[rng.IntN(len(words))])
	}
	pick := func(vals []string) []string {
		var out []string
		for _, v := range vals {
			if rng.IntN(3) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	a := &news.Article{
		ID:        id,
		Title:     words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))],
		Body:      strings.Join(body, " "),
		Date:      time.Date(2019+rng.IntN(6), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, time.UTC),
		Speakers:  pick([]string{"Dmitry Peskov", "Ursula von der Leyen", "Ana Brnabić"}),
		Countries: pick([]string{"Russia", "Ukraine", "Türkiye", "United States", "Chad"}),
		Topics:    pick([]string{"politics", "economy, business and finance"}),
	}
	if rng.IntN(4) > 0 {
		a.Source = []string{"Wire", "Ledger", "Post"}[rng.IntN(3)]
	}
	// Some articles quote many people: more facet values than the
	// segment metadata keeps inline (inlineFacets).
	if rng.IntN(8) == 0 {
		for i := range 8 + rng.IntN(10) {
			a.Speakers = append(a.Speakers, fmt.Sprintf("Speaker %d", i))
		}
	}
	// A third of the articles share a date, so date sorts tie and the
	// sequence decides.
	if rng.IntN(3) == 0 {
		a.Date = time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	}
	return a
}

// openOneShard opens an empty index of one shard, whose searches Bleve's
// own collector can run as a reference.
func openOneShard(t *testing.T) *Index {
	t.Helper()
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 1, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// TestCollectorAgreesWithBleve checks the collector (hits in order,
// totals, facet counts, cursors, month counts) against Bleve's own
// collector on an index written in many batches, with updates and
// deletes, and searched between batches so that the segment metadata
// is read before and after Bleve merges segments.
func TestCollectorAgreesWithBleve(t *testing.T) {
	ix := openOneShard(t)
	rng := rand.New(rand.NewPCG(7, 11))
	live := map[string]*news.Article{}
	var seq uint64
	queries := []string{"", "oil", "oil OR gas", "talks AND NOT peace", "\"market bank\"", "rates OR strike OR harbour", "country:russia", "NOT grain", "ha*"}
	filters := []Filters{{}, {Countries: []string{"Ukraine", "Chad"}}, {Sources: []string{"Wire"}, Speakers: []string{"Dmitry Peskov"}}}
	sorts := []string{SortRelevance, SortNewest, SortOldest}
	check := func(round int) {
		for qi, qs := range queries {
			for fi, f := range filters {
				for _, so := range sorts {
					name := fmt.Sprintf("round %d %q filters %d %s", round, qs, fi, so)
					r := Request{Query: parse(t, qs), Filters: f, Sort: so, Size: 7, FacetSize: 3, Months: true}
					if qi%3 == 1 { // "" stays unbounded: browsing has a path of its own
						r.From, r.To = day("2020-06-01"), day("2023-01-01")
					}
					// Walk the first pages with cursors in both.
					for page := 0; page < 4; page++ {
						got, want := searchBoth(t, ix, r)
						if got.Total != want.Total {
							t.Fatalf("%s page %d: total %d, Bleve %d", name, page, got.Total, want.Total)
						}
						if len(got.Hits) != len(want.Hits) {
							t.Fatalf("%s page %d: %d hits, Bleve %d", name, page, len(got.Hits), len(want.Hits))
						}
						for i := range got.Hits {
							g, w := got.Hits[i], want.Hits[i]
							if g.ID != w.ID || !reflect.DeepEqual(g.Cursor, w.Cursor) {
								t.Fatalf("%s page %d hit %d: %s %v, Bleve %s %v", name, page, i, g.ID, g.Cursor, w.ID, w.Cursor)
							}
						}
						if page == 0 && (!reflect.DeepEqual(got.Facets, want.Facets) || !reflect.DeepEqual(got.Months, want.Months)) {
							t.Fatalf("%s: facets\n%v\n%v\nBleve\n%v\n%v", name, got.Facets, got.Months, want.Facets, want.Months)
						}
						if len(got.Hits) < r.Size {
							break
						}
						r.After = got.Hits[len(got.Hits)-1].Cursor
					}
				}
			}
		}
	}
	for round := range 12 {
		var puts []*news.Article
		for range 150 {
			seq++
			id := fmt.Sprintf("n%d", seq)
			if len(live) > 0 && rng.IntN(5) == 0 {
				// re-ingest an existing article: same id, new sequence
				for k := range live {
					id = k
					break
				}
			}
			a := randomArticle(rng, id)
			a.Seq = seq
			puts = append(puts, a)
		}
		var dels []string
		for k := range live {
			if len(dels) == 10 {
				break
			}
			dels = append(dels, k)
		}
		// Bleve applies a batch's deletes before its puts; keep the
		// model the same.
		for _, id := range dels {
			delete(live, id)
		}
		for _, a := range puts {
			live[a.ID] = a
		}
		if err := ix.Apply(puts, dels, seq); err != nil {
			t.Fatal(err)
		}
		if round%4 == 3 {
			check(round)
		}
	}

	// Month counts against the model.
	res, err := ix.Search(context.Background(), Request{Query: parse(t, ""), Months: true, Sort: SortNewest})
	if err != nil {
		t.Fatal(err)
	}
	want := map[time.Time]int{}
	for _, a := range live {
		want[time.Date(a.Date.Year(), a.Date.Month(), 1, 0, 0, 0, 0, time.UTC)]++
	}
	got := map[time.Time]int{}
	for i, m := range res.Months {
		if i > 0 && !res.Months[i-1].Month.Before(m.Month) {
			t.Fatalf("months out of order: %v", res.Months)
		}
		got[m.Month] = m.Count
	}
	if !reflect.DeepEqual(got, want) || int(res.Total) != len(live) {
		t.Fatalf("months %v (total %d), want %v (%d live)", got, res.Total, want, len(live))
	}
}

// TestShardsAgreeWithOneIndex loads the same articles into a sharded and
// a one-shard index: totals, facet counts and months are identical, and
// so are the pages of a date-sorted search walked with cursors. (Relevance
// scores differ a little between the two, since each shard has its own
// term statistics, as in any sharded engine.)
func TestShardsAgreeWithOneIndex(t *testing.T) {
	one, _, err := open(filepath.Join(t.TempDir(), "one"), 1, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	many, _, err := open(filepath.Join(t.TempDir(), "many"), 3, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer many.Close()
	rng := rand.New(rand.NewPCG(3, 5))
	var seq uint64
	for round := range 6 {
		var puts []*news.Article
		for range 200 {
			seq++
			id := fmt.Sprintf("n%d", seq)
			if seq > 50 && rng.IntN(6) == 0 {
				id = fmt.Sprintf("n%d", 1+rng.IntN(int(seq)-1)) // update
			}
			a := randomArticle(rng, id)
			a.Seq = seq
			puts = append(puts, a)
		}
		dels := []string{fmt.Sprintf("n%d", 1+rng.IntN(int(seq))), fmt.Sprintf("n%d", 1+rng.IntN(int(seq)))}
		for _, ix := range []*Index{one, many} {
			if err := ix.Apply(puts, dels, seq); err != nil {
				t.Fatal(err)
			}
		}
		if last, err := many.LastSeq(); err != nil || last != seq {
			t.Fatalf("round %d: last seq %d, %v; want %d", round, last, err, seq)
		}
	}
	n1, _ := one.DocCount()
	n3, _ := many.DocCount()
	if n1 != n3 || n1 == 0 {
		t.Fatalf("doc counts %d and %d", n1, n3)
	}
	for _, qs := range []string{"", "oil OR gas", "talks AND NOT peace", "\"market bank\"", "country:ukraine"} {
		for _, so := range []string{SortNewest, SortOldest, SortRelevance} {
			r := Request{Query: parse(t, qs), Sort: so, Size: 9, FacetSize: 5, Months: true}
			for page := 0; ; page++ {
				a, err := one.Search(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				b, err := many.Search(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				if a.Total != b.Total || !reflect.DeepEqual(a.Facets, b.Facets) || !reflect.DeepEqual(a.Months, b.Months) {
					t.Fatalf("%q %s page %d: total %d vs %d, facets %v vs %v", qs, so, page, a.Total, b.Total, a.Facets, b.Facets)
				}
				if so == SortRelevance {
					break
				}
				if !reflect.DeepEqual(a.Hits, b.Hits) {
					t.Fatalf("%q %s page %d: hits differ:\n%v\n%v", qs, so, page, a.Hits, b.Hits)
				}
				if len(a.Hits) < r.Size || page > 20 {
					break
				}
				r.After = a.Hits[len(a.Hits)-1].Cursor
			}
		}
	}
}
