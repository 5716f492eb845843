package index

import (
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/zerowidthnonjoiner"
	"github.com/blevesearch/bleve/v2/analysis/lang/ar"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/da"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/es"
	"github.com/blevesearch/bleve/v2/analysis/lang/fa"
	"github.com/blevesearch/bleve/v2/analysis/lang/fi"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/lang/hi"
	"github.com/blevesearch/bleve/v2/analysis/lang/hu"
	indic "github.com/blevesearch/bleve/v2/analysis/lang/in"
	"github.com/blevesearch/bleve/v2/analysis/lang/it"
	"github.com/blevesearch/bleve/v2/analysis/lang/nl"
	"github.com/blevesearch/bleve/v2/analysis/lang/no"
	"github.com/blevesearch/bleve/v2/analysis/lang/pt"
	"github.com/blevesearch/bleve/v2/analysis/lang/ro"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/bleve/v2/analysis/lang/sv"
	"github.com/blevesearch/bleve/v2/analysis/lang/tr"
	"github.com/blevesearch/bleve/v2/analysis/token/apostrophe"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
)

// Per-language analysis. Every article's title and body are indexed as
// before in fTitle and fText with AnalyzerText (English stemming, which
// leaves other scripts as lower-cased, folded words, so any word of any
// language is found as written). An article in a language with an
// analyser below is indexed a second time, in fLangTitle.<lang> and
// fLangText.<lang>, with that language's stop words, elision, normalising
// and stemmer. A query word is then matched in fText and in the language
// field of every language the index holds, each with its own analyser:
// `Пескова` finds `Песков` in Russian articles, `négociation` finds
// `négociations` in French ones. English articles have no language field
// and English is not one of these languages, so in an index of English
// articles a query compiles exactly as it did before.
//
// All of them use Watchword's tokenizer (TokenizerName) rather than
// Bleve's Unicode one, so the offsets are offsets into the original text
// for snippets, the title and body keep their gap of positions, and words
// split the same way in every field. The tokenizer folds accented Latin
// letters before the language filters run; index and query go through the
// same chain, so the stems agree.
const (
	fLangTitle = "ltitle" // ltitle.ru
	fLangText  = "ltext"  // ltext.ru: title, fieldGap, body
)

// langFilters are the token filters of each language's analyser, as in
// Bleve's analyser of that language, but for two changes. Elision comes
// after lower-casing (our tokenizer keeps "L'Ukraine" whole, capital and
// all). Russian and Ukrainian are stemmed twice: Snowball takes the case
// ending off a surname in -ов but the whole -ов off its base form
// (Пескова → песков, Песков → песк), and the second pass brings both to
// one stem; a second pass changes few other words. zh, ja and ko share
// the CJK bigrams.
var langFilters = map[string][]string{
	"ar": {lowercase.Name, ar.NormalizeName, ar.StopName, ar.StemmerName},
	"da": {lowercase.Name, da.StopName, da.SnowballStemmerName},
	"de": {lowercase.Name, de.StopName, de.NormalizeName, de.LightStemmerName},
	"es": {lowercase.Name, es.NormalizeName, es.StopName, es.LightStemmerName},
	"fa": {lowercase.Name, ar.NormalizeName, fa.NormalizeName, fa.StopName},
	"fi": {lowercase.Name, fi.StopName, fi.SnowballStemmerName},
	"fr": {lowercase.Name, fr.ElisionName, fr.StopName, fr.LightStemmerName},
	"hi": {lowercase.Name, indic.NormalizeName, hi.NormalizeName, hi.StopName, hi.StemmerName},
	"hu": {lowercase.Name, hu.StopName, hu.SnowballStemmerName},
	"it": {lowercase.Name, it.ElisionName, it.StopName, it.LightStemmerName},
	"nl": {lowercase.Name, nl.StopName, nl.SnowballStemmerName},
	"no": {lowercase.Name, no.StopName, no.SnowballStemmerName},
	"pt": {lowercase.Name, pt.StopName, pt.LightStemmerName},
	"ro": {lowercase.Name, ro.StopName, ro.SnowballStemmerName},
	"ru": {lowercase.Name, ru.StopName, ru.SnowballStemmerName, ru.SnowballStemmerName},
	"sv": {lowercase.Name, sv.StopName, sv.SnowballStemmerName},
	"tr": {apostrophe.Name, lowercase.Name, tr.StopName, tr.SnowballStemmerName},
	"uk": {lowercase.Name, ukStopName, ukStemName, ukStemName},
	"zh": {cjk.WidthName, lowercase.Name, cjk.BigramName},
	"ja": {cjk.WidthName, lowercase.Name, cjk.BigramName},
	"ko": {cjk.WidthName, lowercase.Name, cjk.BigramName},
}

// langCharFilters are the character filters of a language's analyser.
var langCharFilters = map[string][]string{
	"fa": {zerowidthnonjoiner.Name},
}

// analysedLanguages lists the languages with an analyser, sorted.
func analysedLanguages() []string {
	out := make([]string, 0, len(langFilters))
	for l := range langFilters {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// langAnalyzerName is the name of a language's analyser in the mapping.
func langAnalyzerName(l string) string { return AnalyzerText + "_" + l }

// addLanguages adds the analysers and the per-language fields to a
// mapping.
func addLanguages(im *mapping.IndexMappingImpl, doc *mapping.DocumentMapping, text func(analyzer string) *mapping.FieldMapping) error {
	words := make([]any, 0, len(ukStopWords))
	for _, w := range ukStopWords {
		words = append(words, w)
	}
	if err := im.AddCustomTokenMap(ukStopName, map[string]any{"type": tokenmap.Name, "tokens": words}); err != nil {
		return fmt.Errorf("index: uk stop words: %w", err)
	}
	if err := im.AddCustomTokenFilter(ukStopName, map[string]any{"type": stop.Name, "stop_token_map": ukStopName}); err != nil {
		return fmt.Errorf("index: uk stop filter: %w", err)
	}
	titles, texts := bleve.NewDocumentStaticMapping(), bleve.NewDocumentStaticMapping()
	for _, l := range analysedLanguages() {
		cfg := map[string]any{"type": custom.Name, "tokenizer": TokenizerName, "token_filters": langFilters[l]}
		if cf := langCharFilters[l]; cf != nil {
			cfg["char_filters"] = cf
		}
		if err := im.AddCustomAnalyzer(langAnalyzerName(l), cfg); err != nil {
			return fmt.Errorf("index: analyzer for %s: %w", l, err)
		}
		titles.AddFieldMappingsAt(l, text(langAnalyzerName(l)))
		texts.AddFieldMappingsAt(l, text(langAnalyzerName(l)))
	}
	doc.AddSubDocumentMapping(fLangTitle, titles)
	doc.AddSubDocumentMapping(fLangText, texts)
	return nil
}

// Ukrainian: Bleve has no analyser. Ours lower-cases, drops a short list
// of function words, and stems lightly (ukStem): apostrophes out, ґ as г,
// then one inflectional ending off a stem of at least three letters. It
// conflates the case and number forms of most nouns and adjectives
// (переговори, переговорів, переговорах → переговор) and some verb forms;
// it does not touch alternations in the stem (рік/року).
const (
	ukStopName = "ww_uk_stop"
	ukStemName = "ww_uk_stem"
)

var ukStopWords = []string{
	"і", "й", "та", "а", "але", "в", "у", "на", "з", "із", "зі", "до", "від", "за", "по", "про", "для",
	"що", "як", "це", "не", "ні", "же", "би", "б", "він", "вона", "воно", "вони", "його", "її", "їх",
	"ми", "ви", "я", "ти", "цей", "ця", "ці", "той", "та", "те", "ті", "чи", "ще", "вже", "також",
}

// ukEndings are tried longest first.
var ukEndings = func() []string {
	e := []string{
		"ування", "ювання", "ання", "ення", "іння", "ість", "ості", "істю",
		"ими", "іми", "ого", "ому", "ему", "ами", "ями", "ові", "еві", "ах", "ях", "ам", "ям",
		"ий", "ій", "ої", "ою", "ею", "их", "іх", "им", "ім", "ів", "їв", "ов", "ев", "ом", "ем",
		"ти", "ть", "ла", "ло", "ли", "но", "то",
		"а", "я", "у", "ю", "і", "ї", "и", "е", "о", "ь", "є",
	}
	slices.SortStableFunc(e, func(a, b string) int { return utf8.RuneCountInString(b) - utf8.RuneCountInString(a) })
	return e
}()

func ukStem(w string) string {
	if strings.ContainsAny(w, "'’ʼ") {
		w = strings.NewReplacer("'", "", "’", "", "ʼ", "").Replace(w)
	}
	w = strings.ReplaceAll(w, "ґ", "г")
	for _, refl := range []string{"ся", "сь"} {
		if strings.HasSuffix(w, refl) && utf8.RuneCountInString(w)-2 >= 4 {
			w = strings.TrimSuffix(w, refl)
			break
		}
	}
	n := utf8.RuneCountInString(w)
	for _, e := range ukEndings {
		if strings.HasSuffix(w, e) && n-utf8.RuneCountInString(e) >= 3 {
			return strings.TrimSuffix(w, e)
		}
	}
	return w
}

type ukStemFilter struct{}

func (ukStemFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		if t.Type == analysis.AlphaNumeric {
			t.Term = []byte(ukStem(string(t.Term)))
		}
	}
	return in
}

func init() {
	registry.RegisterTokenFilter(ukStemName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return ukStemFilter{}, nil
	})
}
