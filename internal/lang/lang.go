// Package lang identifies the language of an article and validates
// client-supplied language tags. docs/languages.md says how the library
// (github.com/abadojack/whatlanggo) was chosen and what it costs.
package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
	"golang.org/x/text/language"
)

// maxSample bounds the text the detector reads: the title and the start
// of the body. Trigram detection costs in proportion to the text, and
// a hundred words decide the language as well as the whole article.
const maxSample = 800

// minConfidence is the detector's confidence below which the language is
// left unknown: a very short or mixed text would otherwise get a guess,
// and its words the wrong stemmer.
const minConfidence = 0.5

// Too little text to tell: fewer words than minWords in any script, or
// fewer distinct words than minLatinWords in the Latin script, whose
// many languages share most letter trigrams (a table of company results,
// "Shr 12 cts vs 10 cts", reads as French or Danish to a trigram model).
const (
	minWords      = 12
	minLatinWords = 25
)

// Detect returns the BCP 47 tag (lower-case) of the language of an
// article and the confidence of the guess, between 0 and 1; "" when it
// cannot tell (too little text, or a guess below minConfidence).
//
// English, most of a news archive, is recognised first by its function
// words, which costs a microsecond or two; only other texts go through
// the trigram detector, which costs a few hundred times more.
func Detect(title, body string) (string, float64) {
	sample := cut(title+"\n"+body, maxSample)
	if tag, conf, ok := quick(sample); ok {
		return tag, conf
	}
	info := whatlanggo.Detect(cut(sample, maxTrigramSample))
	if info.Confidence < minConfidence {
		return "", info.Confidence
	}
	return tagOf(info.Lang), info.Confidence
}

// maxTrigramSample bounds the text the trigram detector reads: it costs
// in proportion, and 400 bytes (60 words of Latin script, 35 of Cyrillic
// or Arabic) decide the samples as well as the whole text.
const maxTrigramSample = 400

// cut returns s cut to at most n bytes at a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// quick decides what the counts of words decide: English, or too little
// text to tell; ok is false when the trigram detector must.
func quick(sample string) (tag string, conf float64, ok bool) {
	c := count(sample)
	english := c.latin == c.words && c.nonASCII*10 < c.words &&
		// One word in three is a function word in running English, one
		// in ten in a terse brief; a results table ("Oper shr 23 cts vs
		// 77 cts … NOTE: net includes a gain of …") has a few, among
		// them one of the commonest four, which no other language uses.
		(c.english >= 3 && c.english*10 >= c.words || c.english >= 2 && c.strong >= 1 && c.english*30 >= c.words)
	switch {
	case c.words < minWords:
		return "", 0, true
	case english:
		// The confidence rises to 1 at one word in four.
		return "en", min(1, 0.6+1.6*float64(c.english)/float64(c.words)), true
	case c.latin*2 > c.words && distinct(sample, minLatinWords) < minLatinWords:
		return "", 0, true
	}
	return "", 0, false
}

// englishWords are frequent English function words that are not words of
// the other languages of the news (so not "a", "in", "on", "die").
var englishWords = map[string]bool{
	"the": true, "of": true, "and": true, "to": true, "is": true, "was": true, "were": true,
	"said": true, "that": true, "with": true, "for": true, "from": true, "has": true,
	"have": true, "had": true, "by": true, "it": true, "are": true, "this": true,
	"which": true, "would": true, "will": true, "its": true, "their": true, "been": true,
	"be": true, "not": true, "but": true, "after": true, "at": true, "he": true, "they": true,
}

// counts are the words of a sample: all of them (runs of letters), those
// in the Latin script, those with a non-ASCII letter, English function
// words, and among them the, of, and, said.
type counts struct{ words, latin, nonASCII, english, strong int }

func count(s string) counts {
	var c counts
	var buf [8]byte
	i := 0
	for i < len(s) {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if !unicode.IsLetter(r) {
			i += size
			continue
		}
		start := i
		latin, ascii := true, true
		for i < len(s) {
			r, size := rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[i:])
				if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
					break
				}
				ascii = false
				latin = latin && unicode.Is(unicode.Latin, r)
			} else if !isLetter(byte(r)) {
				break
			}
			i += size
		}
		c.words++
		if latin {
			c.latin++
		}
		if !ascii {
			c.nonASCII++
			continue
		}
		if w := s[start:i]; len(w) <= len(buf) {
			b := buf[:len(w)]
			for k := range len(w) {
				b[k] = w[k] | 0x20 // ASCII lower case
			}
			if englishWords[string(b)] {
				c.english++
				switch string(b) {
				case "the", "of", "and", "said":
					c.strong++
				}
			}
		}
	}
	return c
}

// distinct counts the distinct words (lower-cased runs of letters) of s,
// up to enough.
func distinct(s string, enough int) int {
	seen := make(map[string]bool, enough)
	for w := range strings.FieldsFuncSeq(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) }) {
		seen[strings.ToLower(w)] = true
		if len(seen) >= enough {
			break
		}
	}
	return len(seen)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// tagOf is the BCP 47 tag of a detected language: its ISO 639-1 code
// when it has one, else its ISO 639-3 code.
func tagOf(l whatlanggo.Lang) string {
	switch l {
	case whatlanggo.Arb:
		return "ar" // the macrolanguage: Bleve's analyser and the tag clients send
	case whatlanggo.Cmn:
		return "zh"
	case whatlanggo.Pes:
		return "fa"
	case whatlanggo.Nob:
		return "no"
	}
	if c := l.Iso6391(); c != "" {
		return c
	}
	return l.Iso6393()
}

// Parse validates a client-supplied BCP 47 tag and returns it in lower
// case ("pt-BR" → "pt-br"); ok is false for a malformed tag or an unknown
// language. "und" (undetermined) parses to "".
func Parse(tag string) (string, bool) {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return "", true
	}
	t, err := language.Parse(tag)
	if err != nil {
		return "", false
	}
	if t == language.Und {
		return "", true
	}
	if _, conf := t.Base(); conf == language.No {
		return "", false
	}
	return strings.ToLower(t.String()), true
}

// Base is the language subtag of a tag: "pt-br" → "pt". It is what the
// language facet counts and what chooses the analyser.
func Base(tag string) string {
	if i := strings.IndexByte(tag, '-'); i >= 0 {
		return tag[:i]
	}
	return tag
}
