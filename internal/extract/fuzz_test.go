package extract

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExtract checks that no input panics, that every value comes out
// deduplicated and well-formed, and that Extract agrees with the
// single-facet methods.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"",
		"Dmitry Peskov said Moscow and Washington talked.",
		`"Not true," Peskov said. Mr. O'Brien, the spokesman, said.`,
		"Georgia, U.S. Gov. Kemp; Tbilisi; Atlanta, Georgia",
		"NEW YORK, Feb 26 - <UK> U.S. dlrs IRVINE, Calif., ST. LOUIS",
		"Guinea-Bissau Papua New Guinea Democratic Republic of the Congo Côte d’Ivoire",
		"Москва 北京 القاهرة \xff\xfe\xc3\x28",
		"Ursula von der Leyen; Jean-Luc Mélenchon; al-Assad; Kim Young-soo said",
		"a-b-c-d U.S.A.B.C.D. '''s \"\" --",
		"Пресс-секретарь Дмитрий Песков заявил, что Россия ценит помощь Саудовской Аравии. «Да», — сказал Песков.",
		"Kremlsprecher Dmitri Peskow sagte in Moskau, Russland schätze Saudi-Arabien. „Ja“, sagte Peskow.",
		"وقال المتحدث باسم الكرملين دميتري بيسكوف إن موسكو تقدر جهود السعودية. وأضاف بيسكوف أن",
	} {
		f.Add("", s)
		f.Add(s, s)
	}
	x, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, body string) {
		r := x.Extract(title, body)
		for facet, vals := range map[string][]string{"speakers": r.Speakers, "countries": r.Countries, "main_countries": r.MainCountries, "topics": r.Topics} {
			if vals == nil {
				t.Fatalf("%s is nil", facet)
			}
			seen := map[string]bool{}
			for _, v := range vals {
				if v == "" || seen[v] {
					t.Fatalf("%s: empty or duplicate value %q in %q", facet, v, vals)
				}
				seen[v] = true
				if !utf8.ValidString(v) && facet != "speakers" {
					t.Fatalf("%s: invalid UTF-8 %q", facet, v)
				}
				if facet == "speakers" && strings.ContainsAny(v, "\n\t") {
					t.Fatalf("speaker %q has a line break", v)
				}
			}
		}
		// The main countries open the list of every country.
		if len(r.MainCountries) > len(r.Countries) || !equalStrings(r.MainCountries, r.Countries[:len(r.MainCountries)]) {
			t.Fatalf("MainCountries %q is not the start of Countries %q", r.MainCountries, r.Countries)
		}
		if title == "" {
			if c := x.Countries(body); !equalStrings(c, r.Countries) {
				t.Fatalf("Countries %q != Extract %q", c, r.Countries)
			}
			if c := x.MainCountries(body); !equalStrings(c, r.MainCountries) {
				t.Fatalf("MainCountries %q != Extract %q", c, r.MainCountries)
			}
			if s := x.Speakers(body); !equalStrings(s, r.Speakers) {
				t.Fatalf("Speakers %q != Extract %q", s, r.Speakers)
			}
		}
		if tp := x.Topics(title, body); !equalStrings(tp, r.Topics) {
			t.Fatalf("Topics %q != Extract %q", tp, r.Topics)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
