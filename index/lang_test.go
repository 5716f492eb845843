package index

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/watchword/watchword/index/query"
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

// TestPerLanguageAnalysis: a query word matches the articles of every
// language with that language's stemming, stop words and elision, in
// words, phrases and the title: field; prefixes and exact words still
// match in any language, one without an analyser included.
func TestPerLanguageAnalysis(t *testing.T) {
	ix := openMultilingual(t)
	for _, c := range []struct{ q, want string }{
		{"Пескова", "m-ru"},                        // ru: Песков, Пескова
		{"Пескову", "m-ru"},                        // ru: another case
		{"Пєскова", "m-uk"},                        // uk: Пєсков
		{"переговоров", "m-ru m-uk"},               // ru переговоры, uk переговори / переговорів
		{"відносинах", "m-uk"},                     // uk: Відносини
		{"négociation", "m-fr"},                    // fr négociations
		{"Ukraine", "m-fr"},                        // fr: L'Ukraine
		{"Beziehung", "m-de"},                      // de: Beziehungen
		{"Verhandlung", "m-de"},                    // de: Verhandlungen
		{"relación", "m-es"},                       // es: relaciones
		{"مفاوضات", "m-ar"},                        // ar: المفاوضات
		{"negotiation", "m-en"},                    // English as before
		{"negocjacje", "m-pl"},                     // no analyser: the word as written
		{`"переговоры в Эр-Рияде"`, "m-ru"},        // a phrase, stemmed, stop word kept as a gap
		{`"переговорах в Эр-Рияде"`, "m-ru"},       // another case form
		{`"négociation de Riyad"`, "m-fr"},         // fr phrase
		{`"Пескова заявил"~2`, "m-ru"},             // sloppy phrase
		{"title:переговорах", "m-ru m-uk"},         // title: per language
		{"title:Beziehung", ""},                    // not in the title
		{"body:Beziehung AND language:de", "m-de"}, // body: per language
		{"перегово*", "m-ru m-uk"},                 // prefix, unstemmed words
		{"Пескова AND date:2025-03", "m-ru"},       // date syntax
		{"Песков", "m-ru m-xx"},                    // exact word, any language
	} {
		if got := mlSearch(t, ix, c.q, Filters{}); got != c.want {
			t.Errorf("%s: got %q, want %q", c.q, got, c.want)
		}
	}
}

// TestEnglishOnlyQueryUnchanged: over an index of English articles a
// query compiles as it did before languages (one term on the text field),
// so English hit counts and speed are what they were.
func TestEnglishOnlyQueryUnchanged(t *testing.T) {
	ix := openFixture(t)
	q, err := ix.Compile(context.Background(), parse(t, "peskov"), query.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if tq, ok := q.(*bq.TermQuery); !ok || tq.Term != "peskov" || tq.FieldVal != fText {
		t.Errorf("compiled %#v, want a term query on %s", q, fText)
	}
	ml := openMultilingual(t)
	q, err = ml.Compile(context.Background(), parse(t, "peskov"), query.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := q.(*bq.DisjunctionQuery); !ok {
		t.Errorf("multilingual index compiled %#v, want a disjunction over the languages", q)
	}
	// A word no article of another language has stays one term query.
	q, err = ml.Compile(context.Background(), parse(t, "spokesman"), query.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if tq, ok := q.(*bq.TermQuery); !ok || tq.FieldVal != fText {
		t.Errorf("spokesman compiled %#v, want a term query on %s", q, fText)
	}
}

// TestSnippetInLanguage: snippets mark the words the article's language
// matched, on the original text, in any script.
func TestSnippetInLanguage(t *testing.T) {
	ix := openMultilingual(t)
	for _, c := range []struct{ q, lang, text, want string }{
		{"Пескова", "ru", multilingual[0].Body, "Дмитрий <mark>Песков</mark> заявил"},
		{"Пескова", "ru", multilingual[0].Body, "По словам <mark>Пескова</mark>,"},
		{"négociation", "fr", multilingual[3].Body, "les <mark>négociations</mark> de Riyad"},
		{"Ukraine", "fr", multilingual[3].Body, "<mark>L&#39;Ukraine</mark> reste"},
		{"مفاوضات", "ar", multilingual[5].Body, "إن <mark>المفاوضات</mark> في"},
		{`"переговоры в Эр-Рияде"`, "ru", multilingual[0].Body, "<mark>переговоры в Эр-Рияде</mark>"},
		{"peskov", "", multilingual[6].Title, "<mark>Peskov</mark> on"},
	} {
		h := ix.Highlighter(parse(t, c.q), "body").Lang(c.lang)
		if got := h.Highlight(c.text); !strings.Contains(got, c.want) {
			t.Errorf("%s in %s: %s, want %s", c.q, c.lang, got, c.want)
		}
	}
	// Without the language, the English analysis marks only the exact word.
	if got := ix.Highlighter(parse(t, "Пескова"), "body").Highlight(multilingual[0].Body); strings.Contains(got, "<mark>Песков</mark>") {
		t.Errorf("English analysis marked a Russian stem: %s", got)
	}
}

// TestUkrainianStem: the light stemmer brings the case and number forms
// of nouns, adjectives and surnames to one stem, folds apostrophes and ґ,
// and leaves short words alone.
func TestUkrainianStem(t *testing.T) {
	stem := func(w string) string { return ukStem(ukStem(w)) } // as the analyser applies it
	for _, group := range [][]string{
		{"переговори", "переговорів", "переговорах", "переговорами"},
		{"пєсков", "пєскова", "пєскову", "пєсковим"},
		{"відносини", "відносинах", "відносин"},
		{"країна", "країни", "країною", "країн"},
		{"з'ясували", "зясували"},
		{"ґрунт", "грунт", "ґрунту"},
	} {
		want := stem(group[0])
		for _, w := range group[1:] {
			if got := stem(w); got != want {
				t.Errorf("stem(%s) = %s, stem(%s) = %s; want one stem", w, got, group[0], want)
			}
		}
	}
	if got := stem("мир"); got != "мир" {
		t.Errorf("stem(мир) = %s, want it whole", got)
	}
}
