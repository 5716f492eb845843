package index

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// TestMainCountry: country: and the country filter match every country an
// article mentions; main_country: and the main_country filter only the
// ones it is about; the main_countries facet counts those. An article
// stored before main countries existed (MainCountries nil) counts its
// countries as main.
func TestMainCountry(t *testing.T) {
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 2, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	date := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	arts := []*news.Article{
		{ID: "niger", Title: "Niger uranium", Body: "uranium bids", Date: date, Seq: 1,
			Countries: []string{"Niger", "Iran", "Russia"}, MainCountries: []string{"Niger"}},
		{ID: "iran", Title: "Iran talks", Body: "uranium talks", Date: date, Seq: 2,
			Countries: []string{"Iran"}, MainCountries: []string{"Iran"}},
		{ID: "legacy", Title: "Old story", Body: "uranium", Date: date, Seq: 3,
			Countries: []string{"Russia"}},
	}
	if err := ix.Apply(arts, nil, 3); err != nil {
		t.Fatal(err)
	}
	search := func(q string, f Filters) *Result {
		t.Helper()
		r, err := ix.Search(context.Background(), Request{Query: parse(t, q), Filters: f, Sort: SortNewest, Size: 10, FacetSize: 10})
		if err != nil {
			t.Fatalf("%q %+v: %v", q, f, err)
		}
		return r
	}
	for _, tc := range []struct {
		q    string
		f    Filters
		want []string
	}{
		{"country:iran", Filters{}, []string{"iran", "niger"}},
		{"main_country:iran", Filters{}, []string{"iran"}},
		{"main_countries:russia", Filters{}, []string{"legacy"}},
		{"", Filters{Countries: []string{"iran"}}, []string{"iran", "niger"}},
		{"", Filters{MainCountries: []string{"IRAN"}}, []string{"iran"}},
		{"", Filters{MainCountries: []string{"niger"}, Countries: []string{"russia"}}, []string{"niger"}},
	} {
		got := hitIDs(search(tc.q, tc.f))
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q %+v: hits %q, want %q", tc.q, tc.f, got, tc.want)
		}
	}
	r := search("uranium", Filters{})
	want := []FacetValue{{"Iran", 1}, {"Niger", 1}, {"Russia", 1}}
	if !reflect.DeepEqual(r.Facets["main_countries"], want) {
		t.Errorf("main_countries facet %v, want %v", r.Facets["main_countries"], want)
	}
	if want := []FacetValue{{"Russia", 2}, {"Iran", 2}, {"Niger", 1}}; len(r.Facets["countries"]) != 3 || r.Facets["countries"][2] != want[2] {
		t.Errorf("countries facet %v, want %v in some order of the ties", r.Facets["countries"], want)
	}
}
