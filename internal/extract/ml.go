package extract

// Entities in Russian, Ukrainian, German, French, Spanish and Arabic
// articles (issue 16 item 3). The English extractor's rules lean on
// English word order and lexicon; these languages get their own, simpler
// pass over the same tokens: countries from per-language tables of names,
// stems of inflected forms, demonyms, capitals and institutions
// (tables_countries_lang.go, plus CLDR names); speakers from verbs of
// saying and the name runs around them (speakers_lang.go); topics from
// per-language keyword tables (topics_lang.go). Names in Cyrillic and
// Arabic script are romanised and merged with the Latin forms the archive
// already knows (names.go). Countries found this way go through the same
// salience rules as English ones.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/lang"
)

// mlWord is one word of a country pattern: an exact lower-case form, or a
// stem that any ending of at most maxSuffix letters may follow.
type mlWord struct {
	text string
	stem bool
}

// mlCountry is one country pattern of a language, keyed by its first word.
type mlCountry struct {
	country int16
	kind    uint8
	first   mlWord
	rest    []mlWord
	capital bool // the first word must be capitalised (a stem of a proper name)
}

// mlTables are one language's tables.
type mlTables struct {
	code          string
	countries     map[string][]mlCountry // by first word's text (stem or form)
	maxSuffix     int                    // letters a stem may be followed by
	minStem       int                    // shortest stem tried, in letters
	say           map[string]bool        // verbs of saying
	according     map[string]int         // "selon", "laut", "по словам": words the phrase takes
	accordingPair map[string]string      // the second word of a two-word one ("по" -> "словам")
	aux           map[string]bool        // auxiliaries between a name and a participle ("a", "hat")
	roles         map[string]bool        // role and title words ("porte-parole", "Sprecher")
	roleEnds      []string               // endings of role compounds ("-sprecher", "-minister")
	stop          map[string]bool        // words that are never part of a name
	particles     map[string]bool        // lower-case words inside names ("von", "de", "bin")
	arabic        bool
	topics        []mlTopic
}

// langTables returns the tables of a language tag's base language, or nil.
func (x *Extractor) langTables(tag string) *mlTables {
	if tag == "" || tag == "en" {
		return nil
	}
	return x.ml[lang.Base(tag)]
}

// extractLang runs the per-language pass.
func (x *Extractor) extractLang(lt *mlTables, title, body string) Result {
	d := x.newDoc(title, body)
	defer x.release(d)
	d.computeKeys()
	d.mlCountries(lt)
	all, main := d.countryRoles()
	return Result{
		Speakers:      d.mlSpeakers(lt),
		Countries:     all,
		MainCountries: main,
		Topics:        d.mlTopics(lt),
	}
}

// mlKey appends the look-up form of a word: lower case, Arabic
// diacritics and tatweel removed and its alif and ya forms unified, ё as е.
func mlKey(dst []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r >= 0x064B && r <= 0x0652 || r == 0x0640 || r == 0x0670:
			continue
		case r == 'أ' || r == 'إ' || r == 'آ':
			r = 'ا'
		case r == 'ى':
			r = 'ي'
		case r == 'ё' || r == 'Ё':
			r = 'е'
		case r == '’':
			r = '\''
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// arabicPrefixes are the clitics that join an Arabic word: and, so, in,
// to, like, the; longest first.
var arabicPrefixes = []string{"وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "ال", "و", "ف", "ب", "ل", "ك"}

// arabicForms returns w and w without each clitic prefix that leaves at
// least two letters.
func arabicForms(w string) []string {
	out := []string{w}
	for _, p := range arabicPrefixes {
		if rest, ok := strings.CutPrefix(w, p); ok && utf8.RuneCountInString(rest) >= 2 {
			out = append(out, rest)
		}
	}
	return out
}

// frenchElisions are the elided words that join a French word.
var frenchElisions = []string{"jusqu'", "lorsqu'", "puisqu'", "qu'", "l'", "d'", "s'", "n'", "c'", "j'", "m'"}

// forms returns a word's look-up form and the forms without a clitic
// prefix (Arabic) or an elided article (French: "l'ukraine").
func (lt *mlTables) forms(key string) []string {
	switch lt.code {
	case "ar":
		return arabicForms(key)
	case "fr":
		for _, p := range frenchElisions {
			if rest, ok := strings.CutPrefix(key, p); ok && rest != "" {
				return []string{key, rest}
			}
		}
	}
	return []string{key}
}

// wordKey returns the look-up form of token i.
func (d *doc) wordKey(i int) string {
	if d.keys != nil {
		return d.keys[i]
	}
	return string(mlKey(d.buf[:0], d.tokText(i)))
}

// formsAt returns lt.forms of token i, computed once per token.
func (d *doc) formsAt(lt *mlTables, i int) []string {
	if d.forms == nil {
		return lt.forms(d.wordKey(i))
	}
	if d.forms[i] == nil {
		d.forms[i] = lt.forms(d.wordKey(i))
	}
	return d.forms[i]
}

// computeKeys fills the look-up forms of every word once; the rules ask
// for most of them several times.
func (d *doc) computeKeys() {
	d.keys = make([]string, len(d.toks))
	d.forms = make([][]string, len(d.toks))
	var buf []byte
	for i, t := range d.toks {
		if t.kind == kWord {
			buf = mlKey(buf[:0], d.tokText(i))
			d.keys[i] = string(buf)
		}
	}
}

// matchWord reports whether key (a look-up form) matches w.
func (lt *mlTables) matchWord(key string, w mlWord) bool {
	if !w.stem {
		return key == w.text
	}
	rest, ok := strings.CutPrefix(key, w.text)
	return ok && utf8.RuneCountInString(rest) <= lt.maxSuffix
}

// mlCountries finds the country patterns of lt, longest first.
func (d *doc) mlCountries(lt *mlTables) {
	toks, info := d.toks, d.info
	n := len(toks)
	for i := 0; i < n; i++ {
		if toks[i].kind != kWord {
			continue
		}
		forms := d.formsAt(lt, i)
		var best *mlCountry
		end := -1
		for _, key := range forms {
			runes := []rune(key)
			for l := len(runes); l >= lt.minStem && l >= len(runes)-lt.maxSuffix; l-- {
				for _, c := range lt.countries[string(runes[:l])] {
					if l < len(runes) && !c.first.stem {
						continue
					}
					if !lt.matchWord(key, c.first) {
						continue
					}
					if c.capital && toks[i].flags&fCap == 0 {
						continue
					}
					e := d.mlMatchRest(lt, i+1, c.rest)
					if e > end {
						best, end = &c, e
					}
				}
			}
		}
		if best == nil {
			continue
		}
		for k := i; k < end; k++ {
			info[k].mark |= mCountry
		}
		d.hits = append(d.hits, hit{start: int32(i), end: int32(end), country: best.country, kind: best.kind})
		i = end - 1
	}
}

// mlMatchRest matches the words of a pattern after its first from token
// i; it returns the index after the match, or -1.
func (d *doc) mlMatchRest(lt *mlTables, i int, rest []mlWord) int {
	k := i
	for _, w := range rest {
		if k >= len(d.toks) || d.toks[k].kind != kWord || d.toks[k].flags&fSent != 0 {
			return -1
		}
		key := d.wordKey(k)
		ok := lt.matchWord(key, w)
		if !ok {
			for _, f := range d.formsAt(lt, k)[1:] {
				if lt.matchWord(f, w) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return -1
		}
		k++
	}
	return k
}
