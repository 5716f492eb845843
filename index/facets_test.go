package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

func TestFoldFacet(t *testing.T) {
	for _, c := range [][2]string{
		{"Russia", "russia"},
		{"  RUSSIA ", "russia"},
		{"Türkiye", "turkiye"},
		{"Recep Tayyip Erdoğan", "recep tayyip erdogan"},
		{"U.S.", "us"},
		{"Bosnia-Herzegovina", "bosnia herzegovina"},
		{"economy, business and finance", "economy business and finance"},
		{"Côte d’Ivoire", "cote d'ivoire"},
		{"Côte d'Ivoire", "cote d'ivoire"},
		{"?!", "?!"},
	} {
		if got := FoldFacet(c[0]); got != c[1] {
			t.Errorf("FoldFacet(%q) = %q, want %q", c[0], got, c[1])
		}
	}
}

// facetVariant is a stored facet value or a way a user may type one: the
// values with the same key are one value to a filter.
type facetVariant struct{ value, key string }

// The stored spellings of each facet, and the filter spellings, with the
// key the model matches on. "Türkiye" and "Turkiye" are both stored: a
// filter for either matches both. "peskov" is a word of a value, not a
// value: it matches nothing.
var (
	storedFacets = [numGroups][]facetVariant{
		{{"Dmitry Peskov", "peskov"}, {"Ursula von der Leyen", "vdl"}, {"Ana Brnabić", "brnabic"}, {"Joe Biden", "biden"}},
		{{"Russia", "ru"}, {"Ukraine", "ua"}, {"Türkiye", "tr"}, {"Turkiye", "tr"}, {"United States", "us"}, {"Côte d'Ivoire", "ci"}, {"Chad", "td"}},
		{{"politics", "pol"}, {"Economy, business and finance", "eco"}, {"sport", "sport"}},
		{{"Wire", "wire"}, {"Ledger", "ledger"}, {"Post", "post"}},
		{{"ru", "ru"}, {"de", "de"}, {"pt", "pt"}},
	}
	filterFacets = [numGroups][]facetVariant{
		{{"dmitry peskov", "peskov"}, {"DMITRY  PESKOV", "peskov"}, {"ana brnabic", "brnabic"}, {"Joe Biden", "biden"}, {"peskov", "none"}, {"Ursula von der Leyen", "vdl"}},
		{{"russia", "ru"}, {"Russia", "ru"}, {"TURKIYE", "tr"}, {"türkiye", "tr"}, {"united states", "us"}, {"cote d’ivoire", "ci"}, {"chad", "td"}, {"Atlantis", "none"}},
		{{"Politics", "pol"}, {"economy business and finance", "eco"}, {"SPORT", "sport"}},
		{{"wire", "wire"}, {"LEDGER", "ledger"}, {"Post", "post"}, {"Gazette", "none"}},
		{{"ru", "ru"}, {"DE", "de"}, {"pt-BR", "pt"}, {"pt", "pt"}, {"it", "none"}},
	}
)

// TestDisjunctiveFacets checks filters and facet counts against a brute
// force over a model of the articles, on a real sharded index: the hits
// pass every filter (OR within a facet, AND across facets, values folded);
// the count beside a value of facet F is the number of matches of the
// query and the other facets' filters that have the value, whether F is
// filtered or not; and the search without facets finds the same hits.
func TestDisjunctiveFacets(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 3, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()

	type doc struct {
		a      *news.Article
		groups [numGroups][]facetVariant
	}
	model := map[string]*doc{}
	var seq uint64
	for batch := range 6 {
		var puts []*news.Article
		for range 120 {
			seq++
			id := fmt.Sprintf("d%d", seq)
			if seq > 40 && rng.IntN(8) == 0 {
				id = fmt.Sprintf("d%d", 1+rng.IntN(int(seq)-1)) // an update
			}
			a := randomArticle(rng, id)
			a.Seq = seq
			d := &doc{a: a}
			for g, vals := range storedFacets {
				for _, v := range vals {
					if rng.IntN(4) == 0 {
						d.groups[g] = append(d.groups[g], v)
					}
				}
			}
			// Many speakers now and then: past the inline facet ids.
			if rng.IntN(10) == 0 {
				for _, v := range storedFacets[0] {
					if !slices.Contains(d.groups[0], v) {
						d.groups[0] = append(d.groups[0], v)
					}
				}
				for i := range 9 {
					d.groups[0] = append(d.groups[0], facetVariant{fmt.Sprintf("Speaker %d", i), fmt.Sprintf("sp%d", i)})
				}
			}
			a.Speakers, a.Countries, a.Topics, a.Source, a.Language = nil, nil, nil, "", ""
			for _, v := range d.groups[0] {
				a.Speakers = append(a.Speakers, v.value)
			}
			for _, v := range d.groups[1] {
				a.Countries = append(a.Countries, v.value)
			}
			for _, v := range d.groups[2] {
				a.Topics = append(a.Topics, v.value)
			}
			if len(d.groups[3]) > 0 {
				d.groups[3] = d.groups[3][:1] // one source
				a.Source = d.groups[3][0].value
			}
			if len(d.groups[4]) > 0 {
				d.groups[4] = d.groups[4][:1] // one language
				a.Language = d.groups[4][0].value
			}
			puts = append(puts, a)
			model[a.ID] = d
		}
		var dels []string
		for id := range model {
			if len(dels) == 5 {
				break
			}
			dels = append(dels, id)
		}
		// A batch applies its deletes before its puts.
		for _, id := range dels {
			if !slices.ContainsFunc(puts, func(a *news.Article) bool { return a.ID == id }) {
				delete(model, id)
			}
		}
		if err := ix.Apply(puts, dels, seq); err != nil {
			t.Fatal(err)
		}
		if batch%2 == 0 {
			// Search between batches: the segment metadata and the folded
			// dictionary are read before later segments arrive.
			if _, err := ix.Search(context.Background(), Request{Query: parse(t, "oil"), Filters: Filters{Countries: []string{"russia"}}, FacetSize: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}

	queries := []string{"", "oil", "oil OR gas", "talks AND NOT peace", "country:ukraine"}
	for round := range 200 {
		qs := queries[rng.IntN(len(queries))]
		r := Request{Query: parse(t, qs), Sort: SortNewest, Size: maxIndexSize, FacetSize: 100}
		var fs [numGroups][]facetVariant
		nf := round % 4 // 0, 1, 2 and 3 facets filtered
		for _, g := range rng.Perm(numGroups)[:nf] {
			for range 1 + rng.IntN(3) { // OR of up to three values
				fs[g] = append(fs[g], filterFacets[g][rng.IntN(len(filterFacets[g]))])
			}
		}
		names := func(g int) []string {
			var out []string
			for _, v := range fs[g] {
				out = append(out, v.value)
			}
			return out
		}
		r.Filters = Filters{Speakers: names(0), Countries: names(1), Topics: names(2), Sources: names(3), Languages: names(4)}
		if rng.IntN(4) == 0 {
			r.From = time.Date(2020+rng.IntN(3), 1, 1, 0, 0, 0, 0, time.UTC)
			r.To = r.From.AddDate(2, 0, 0)
		}
		if rng.IntN(4) == 0 {
			r.SeqAfter = uint64(rng.IntN(int(seq)))
		}
		name := fmt.Sprintf("round %d: %q %+v from %v seq>%d", round, qs, r.Filters, r.From, r.SeqAfter)

		// The query's matches without filters, from the index.
		base := r
		base.Filters, base.FacetSize = Filters{}, 0
		res, err := ix.Search(context.Background(), base)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total >= maxIndexSize {
			t.Fatalf("%s: %d matches, more than one request returns", name, res.Total)
		}
		// Brute force: which facets' filters each match passes.
		passes := func(d *doc, g int) bool {
			if len(fs[g]) == 0 {
				return true
			}
			for _, f := range fs[g] {
				for _, v := range d.groups[g] {
					if v.key == f.key {
						return true
					}
				}
			}
			return false
		}
		var wantHits []string
		wantFacets := map[string][]FacetValue{}
		counts := [numGroups]map[string]int{}
		for g := range counts {
			counts[g] = map[string]int{}
		}
		for _, h := range res.Hits {
			d := model[h.ID]
			if d == nil {
				t.Fatalf("%s: hit %s is not in the model", name, h.ID)
			}
			var pass [numGroups]bool
			all := true
			for g := range pass {
				pass[g] = passes(d, g)
				all = all && pass[g]
			}
			if all {
				wantHits = append(wantHits, h.ID)
			}
			for g := range numGroups {
				others := true
				for o := range numGroups {
					if o != g && !pass[o] {
						others = false
					}
				}
				if others {
					for _, v := range d.groups[g] {
						counts[g][v.value]++
					}
				}
			}
		}
		for g, f := range facetFields {
			wantFacets[f[0]] = []FacetValue{}
			for v, n := range counts[g] {
				wantFacets[f[0]] = append(wantFacets[f[0]], FacetValue{Value: v, Count: n})
			}
			vs := wantFacets[f[0]]
			sort.Slice(vs, func(i, j int) bool {
				if vs[i].Count != vs[j].Count {
					return vs[i].Count > vs[j].Count
				}
				return vs[i].Value < vs[j].Value
			})
		}

		got, err := ix.Search(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		gotHits := hitIDs(got)
		slices.Sort(wantHits)
		if got.Total != uint64(len(wantHits)) || !slices.Equal(gotHits, wantHits) {
			t.Fatalf("%s: total %d hits %v, want %d %v", name, got.Total, gotHits, len(wantHits), wantHits)
		}
		if !reflect.DeepEqual(got.Facets, wantFacets) {
			t.Fatalf("%s: facets\n%v\nwant\n%v", name, got.Facets, wantFacets)
		}
		// Without facets the filters are part of the query: same hits.
		bare := r
		bare.FacetSize = 0
		b, err := ix.Search(context.Background(), bare)
		if err != nil {
			t.Fatal(err)
		}
		if b.Total != got.Total || !slices.Equal(hitIDs(b), gotHits) {
			t.Fatalf("%s: without facets total %d hits %v, with %d %v", name, b.Total, hitIDs(b), got.Total, gotHits)
		}
	}
}

func hitIDs(r *Result) []string {
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.ID
	}
	slices.Sort(out)
	return out
}

// TestFilterKeepsScores checks that a filter restricts without ranking:
// the hits of a filtered relevance search have the scores and cursors of
// the same hits unfiltered, with and without facet counts.
func TestFilterKeepsScores(t *testing.T) {
	ix := openOneShard(t)
	rng := rand.New(rand.NewPCG(5, 9))
	var puts []*news.Article
	for i := range 300 {
		a := randomArticle(rng, fmt.Sprintf("n%d", i))
		a.Seq = uint64(i + 1)
		puts = append(puts, a)
	}
	if err := ix.Apply(puts, nil, uint64(len(puts))); err != nil {
		t.Fatal(err)
	}
	for _, qs := range []string{"oil", "oil OR gas", "\"market bank\" OR strike", ""} {
		all, err := ix.Search(context.Background(), Request{Query: parse(t, qs), Sort: SortRelevance, Size: maxIndexSize})
		if err != nil {
			t.Fatal(err)
		}
		score := map[string]Hit{}
		for _, h := range all.Hits {
			score[h.ID] = h
		}
		for _, fs := range []int{0, 5} {
			for _, f := range []Filters{{Countries: []string{"ukraine"}}, {Countries: []string{"chad"}, Sources: []string{"wire"}}} {
				res, err := ix.Search(context.Background(), Request{Query: parse(t, qs), Filters: f, Sort: SortRelevance, Size: maxIndexSize, FacetSize: fs})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Hits) == 0 {
					t.Fatalf("%q %+v: no hits", qs, f)
				}
				for _, h := range res.Hits {
					if w := score[h.ID]; h.Score != w.Score || !reflect.DeepEqual(h.Cursor, w.Cursor) {
						t.Fatalf("%q %+v facets %d: %s scores %v %v, unfiltered %v %v", qs, f, fs, h.ID, h.Score, h.Cursor, w.Score, w.Cursor)
					}
				}
			}
		}
	}
}
