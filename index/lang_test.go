package index

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// multilingual is one story told in several languages (texts written for
// these tests), plus one in a language without an analyser (pl).
var multilingual = []*news.Article{
	{ID: "m-ru", Language: "ru", Title: "Песков о переговорах", Date: day("2025-03-10"),
		Body: "Пресс-секретарь Кремля Дмитрий Песков заявил, что переговоры в Эр-Рияде продолжатся. По словам Пескова, отношения с Вашингтоном улучшаются."},
	{ID: "m-uk", Language: "uk", Title: "Пєсков про переговори", Date: day("2025-03-10"),
		Body: "Речник Кремля заявив, що переговори в Ер-Ріяді тривають. Відносини між країнами залишаються складними, а переговорів стане більше."},
	{ID: "m-de", Language: "de", Title: "Peskow über Gespräche", Date: day("2025-03-10"),
		Body: "Kremlsprecher Dmitri Peskow sagte, die Beziehungen zu Washington verbesserten sich. Die Verhandlungen in Riad gehen weiter."},
	{ID: "m-fr", Language: "fr", Title: "Peskov et les négociations", Date: day("2025-03-10"),
		Body: "Le porte-parole du Kremlin a salué les négociations de Riyad. L'Ukraine reste au centre des discussions."},
	{ID: "m-es", Language: "es-MX", Title: "Peskov y las negociaciones", Date: day("2025-03-10"),
		Body: "El portavoz del Kremlin dijo que las negociaciones en Riad continúan y que las relaciones mejoran."},
	{ID: "m-ar", Language: "ar", Title: "بيسكوف والمفاوضات", Date: day("2025-03-10"),
		Body: "قال المتحدث باسم الكرملين إن المفاوضات في الرياض مستمرة وإن العلاقات تتحسن."},
	{ID: "m-en", Language: "en", Title: "Peskov on negotiation", Date: day("2025-03-10"),
		Body: "The Kremlin spokesman said the negotiation in Riyadh would continue."},
	{ID: "m-pl", Language: "pl", Title: "Pieskow o negocjacjach", Date: day("2025-03-10"),
		Body: "Rzecznik Kremla powiedział, że negocjacje w Rijadzie będą kontynuowane."},
	{ID: "m-xx", Title: "Undetected", Date: day("2025-03-10"), Body: "Kremlin 😀 Песков"},
}

func openMultilingual(t *testing.T) *Index {
	t.Helper()
	ix, _, err := Open(filepath.Join(t.TempDir(), "idx"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	arts := make([]*news.Article, len(multilingual))
	for i, a := range multilingual {
		c := *a
		c.Language = strings.ToLower(c.Language)
		c.Seq = uint64(i + 1)
		arts[i] = &c
	}
	if err := ix.Apply(arts, nil, uint64(len(arts))); err != nil {
		t.Fatal(err)
	}
	return ix
}

func mlSearch(t *testing.T, ix *Index, q string, f Filters) string {
	t.Helper()
	return strings.Join(ids(t, ix, Request{Query: parse(t, q), Filters: f}), " ")
}

// TestLanguageFacetAndFilter: the language subtag of each article is a
// facet, a filter (language=ru) and a query field (language:ru).
func TestLanguageFacetAndFilter(t *testing.T) {
	ix := openMultilingual(t)
	res, err := ix.Search(context.Background(), Request{Query: parse(t, ""), FacetSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, v := range res.Facets["languages"] {
		parts = append(parts, fmt.Sprintf("%s:%d", v.Value, v.Count))
	}
	if got, want := strings.Join(parts, " "), "ar:1 de:1 en:1 es:1 fr:1 pl:1 ru:1 uk:1"; got != want {
		t.Errorf("language facet = %s, want %s", got, want)
	}
	for _, c := range []struct {
		q     string
		f     Filters
		want  string
		label string
	}{
		{"", Filters{Languages: []string{"ru"}}, "m-ru", "filter ru"},
		{"", Filters{Languages: []string{"RU", "uk"}}, "m-ru m-uk", "filter RU|uk"},
		{"", Filters{Languages: []string{"es-ES"}}, "m-es", "filter es-ES (by its language)"},
		{"language:ru", Filters{}, "m-ru", "language:ru"},
		{"lang:ES-mx OR language:de", Filters{}, "m-de m-es", "lang:ES-mx OR language:de"},
		{"Kremlin AND NOT language:en", Filters{}, "m-es m-fr m-xx", "Kremlin NOT language:en"},
	} {
		if got := mlSearch(t, ix, c.q, c.f); got != c.want {
			t.Errorf("%s: got %q, want %q", c.label, got, c.want)
		}
	}
	for _, q := range []string{"language:russian", "language:ru*", "language:xx"} {
		_, err := ix.Search(context.Background(), Request{Query: parse(t, q), Size: 10})
		if news.ErrorCode(err) != news.ECodeQuerySyntax {
			t.Errorf("%s: err %v, want a query_syntax error", q, err)
		}
	}
	un, err := ix.Unmatched(context.Background(), Filters{Languages: []string{"ru", "it"}})
	if err != nil || len(un) != 1 || un[0] != (FilterValue{Facet: "language", Value: "it"}) {
		t.Errorf("unmatched = %v, %v; want language it", un, err)
	}
}
