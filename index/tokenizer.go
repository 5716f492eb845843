package index

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/registry"
)

// TokenizerName is Watchword's word tokenizer. It replaces Bleve's
// Unicode (UAX #29) tokenizer plus the ASCII-folding character filter:
//
//   - a word is a run of letters, digits and combining marks; an apostrophe
//     between letters stays inside it ("Peskov's", "O'Brien"), so does a
//     '.' or ',' between digits ("3.5", "1,000");
//   - acronyms written with periods are joined: "U.S." → "US", "U.K." → "UK",
//     so a search for US finds both spellings;
//   - each Han, Hiragana and Katakana character is a word of its own;
//   - words with non-ASCII letters are folded to ASCII ("Erdoğan" →
//     "Erdogan") one word at a time, so offsets stay those of the
//     original text, which the snippet builder relies on.
//
// Plain ASCII text, most of English news, is scanned a byte at a time
// without decoding runes; this is several times faster than UAX #29.
const TokenizerName = "ww_words"

// fieldGap separates the title from the body in the text field: the
// tokenizer skips this many positions at it, so no phrase spans the two.
const (
	fieldGap     = '\x1e' // ASCII record separator
	fieldGapSkip = 1000
)

func init() {
	// Bleve resolves analysis components by name from its registry, so a
	// custom tokenizer has to be registered before any index is opened.
	registry.RegisterTokenizer(TokenizerName, func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
		return wordTokenizer{folder: asciifolding.New()}, nil
	})
}

type wordTokenizer struct {
	folder *asciifolding.AsciiFoldingFilter
}

func asciiWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func asciiLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func asciiDigit(c byte) bool { return c >= '0' && c <= '9' }

func ideographic(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// letterAt reports whether a letter starts at in[i].
func letterAt(in []byte, i int) bool {
	if i >= len(in) {
		return false
	}
	if in[i] < utf8.RuneSelf {
		return asciiLetter(in[i])
	}
	r, _ := utf8.DecodeRune(in[i:])
	return unicode.IsLetter(r)
}

// Tokenize splits input into words.
func (t wordTokenizer) Tokenize(in []byte) analysis.TokenStream {
	toks := make([]analysis.Token, 0, len(in)/6+1)
	pos := 1
	emit := func(term []byte, start, end int, typ analysis.TokenType) {
		toks = append(toks, analysis.Token{Term: term, Start: start, End: end, Position: pos, Type: typ})
		pos++
	}
	i := 0
	for i < len(in) {
		c := in[i]
		if c < utf8.RuneSelf {
			if !asciiWordByte(c) {
				if c == fieldGap {
					pos += fieldGapSkip
				}
				i++
				continue
			}
		} else {
			r, size := utf8.DecodeRune(in[i:])
			if ideographic(r) {
				emit(in[i:i+size], i, i+size, analysis.Ideographic)
				i += size
				continue
			}
			if !wordRune(r) || unicode.Is(unicode.Mn, r) {
				i += size
				continue
			}
		}
		start := i
		ascii := true
		for i < len(in) {
			c := in[i]
			if c < utf8.RuneSelf {
				switch {
				case asciiWordByte(c):
					i++
					continue
				case c == '\'' && letterAt(in, i+1):
					i++
					continue
				case (c == '.' || c == ',') && asciiDigit(in[i-1]) && i+1 < len(in) && asciiDigit(in[i+1]):
					i++
					continue
				}
				break
			}
			r, size := utf8.DecodeRune(in[i:])
			if r == '\u2019' && letterAt(in, i+size) {
				ascii = false
				i += size
				continue
			}
			if ideographic(r) || !wordRune(r) {
				break
			}
			ascii = false
			i += size
		}
		term := in[start:i]
		// An acronym with periods: single letters each followed by '.'.
		if i-start == 1 && asciiLetter(in[start]) && i+1 < len(in) && in[i] == '.' && asciiLetter(in[i+1]) &&
			(i+2 == len(in) || !asciiWordByte(in[i+2])) {
			joined := []byte{in[start]}
			j := i
			for j+1 < len(in) && in[j] == '.' && asciiLetter(in[j+1]) && (j+2 == len(in) || !asciiWordByte(in[j+2])) {
				joined = append(joined, in[j+1])
				j += 2
			}
			term, i = joined, j
		}
		if !ascii {
			term = t.folder.Filter(term)
		}
		typ := analysis.AlphaNumeric
		if asciiDigit(term[0]) {
			typ = analysis.Numeric
		}
		emit(term, start, i, typ)
	}
	stream := make(analysis.TokenStream, len(toks))
	for k := range toks {
		stream[k] = &toks[k]
	}
	return stream
}
