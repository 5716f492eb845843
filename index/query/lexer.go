package query

// The lexer: it turns a query into tokens (words, fields, phrases,
// operators and their suffixes) with byte positions for errors. The
// parser over it is in parser.go.

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokWord           // text (prefix set for ukrain*)
	tokPhrase         // text, unescaped
	tokField          // text is the canonical field name; never "date"
	tokDate           // a whole date:value; from/to hold the range
	tokLParen         // (
	tokRParen         // )
	tokAnd            // AND, &&
	tokOr             // OR, ||
	tokNot            // NOT, !
	tokMinus          // - directly before an operand
	tokPlus           // + directly before an operand
)

type token struct {
	kind     tokKind
	pos      int    // byte offset of the token's first byte
	text     string // see tokKind; operators hold their spelling
	prefix   bool   // tokWord ended in *
	wildcard bool   // tokWord holds * or ? wildcards (see Term)
	fuzzy    int    // tokWord: edit distance of term~N
	slop     int    // tokPhrase: N of "a b"~N
	boosted  bool   // tokWord, tokPhrase, tokRParen: followed by ^N
	boost    float64
	bpos     int  // offset of the ^
	vpos     int  // tokDate: offset of the value after "date:"
	relative bool // tokDate: an end is relative to now
	from     time.Time
	to       time.Time
}

// lexer hands out one token at a time. Its position only moves forward, and
// every byte is examined a bounded number of times, so lexing is linear.
type lexer struct {
	src       string
	pos       int
	tokens    int       // tokens handed out, for the work count
	minPrefix int       // Limits.MinPrefix
	now       time.Time // Options.Now
	relative  bool      // the date being lexed used now
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// spaceAt reports whether a space character starts at byte i, and its width.
func (lx *lexer) spaceAt(i int) (bool, int) {
	c := lx.src[i]
	if c < utf8.RuneSelf {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f', 1
	}
	r, size := utf8.DecodeRuneInString(lx.src[i:])
	return isSpace(r), size
}

// atBoundary reports whether the lexer stands at the end of the query or
// at a space.
func (lx *lexer) atBoundary() bool {
	if lx.pos >= len(lx.src) {
		return true
	}
	sp, _ := lx.spaceAt(lx.pos)
	return sp
}

// scanWord returns the end of the word that starts at i: a word runs up to
// a space, a parenthesis, a double quote or the end of the query.
func (lx *lexer) scanWord(i int) int {
	for i < len(lx.src) {
		c := lx.src[i]
		if c == '(' || c == ')' || c == '"' {
			return i
		}
		sp, size := lx.spaceAt(i)
		if sp {
			return i
		}
		i += size
	}
	return i
}

func (lx *lexer) next() (token, error) {
	for lx.pos < len(lx.src) {
		sp, size := lx.spaceAt(lx.pos)
		if !sp {
			break
		}
		lx.pos += size
	}
	lx.tokens++
	start := lx.pos
	if start >= len(lx.src) {
		return token{kind: tokEOF, pos: len(lx.src)}, nil
	}
	switch c := lx.src[start]; c {
	case '(':
		lx.pos++
		return token{kind: tokLParen, pos: start, text: "("}, nil
	case ')':
		lx.pos++
		t := token{kind: tokRParen, pos: start, text: ")"}
		return t, lx.suffix(&t, lx.pos, -1, suffixGroup)
	case '"':
		return lx.phrase()
	case '!':
		lx.pos++
		return token{kind: tokNot, pos: start, text: "!"}, nil
	case '-', '+':
		lx.pos++
		if lx.atBoundary() {
			return token{}, syntaxErr(start, "%c must be followed directly by a term, phrase, field or group", c)
		}
		if c == '-' {
			return token{kind: tokMinus, pos: start, text: "-"}, nil
		}
		return token{kind: tokPlus, pos: start, text: "+"}, nil
	case '&', '|':
		if start+1 < len(lx.src) && lx.src[start+1] == c {
			lx.pos += 2
			if c == '&' {
				return token{kind: tokAnd, pos: start, text: "&&"}, nil
			}
			return token{kind: tokOr, pos: start, text: "||"}, nil
		}
	}
	return lx.word()
}

func isFieldByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// word lexes a field prefix, an upper-case operator or a plain word.
func (lx *lexer) word() (token, error) {
	src, start := lx.src, lx.pos
	i := start
	for i < len(src) && isFieldByte(src[i]) {
		i++
	}
	if i > start && i < len(src) && src[i] == ':' {
		return lx.field(start, i)
	}
	end := lx.scanTerm(start)
	lx.pos = end
	w := src[start:end]
	switch w {
	case "AND":
		return token{kind: tokAnd, pos: start, text: w}, nil
	case "OR":
		return token{kind: tokOr, pos: start, text: w}, nil
	case "NOT":
		return token{kind: tokNot, pos: start, text: w}, nil
	}
	return lx.term(start, end)
}

// canonicalField maps a field name as typed (any case, aliases allowed) to
// its canonical name, or "" for an unknown field.
func canonicalField(name string) string {
	switch strings.ToLower(name) {
	case "title":
		return FieldTitle
	case "body":
		return FieldBody
	case "speaker", "speakers":
		return FieldSpeaker
	case "country", "countries":
		return FieldCountry
	case "main_country", "main_countries":
		return FieldMainCountry
	case "topic", "topics":
		return FieldTopic
	case "source", "sources":
		return FieldSource
	case "language", "lang":
		return FieldLanguage
	case "id":
		return FieldID
	case "story":
		return FieldStory
	case "date":
		return FieldDate
	}
	return ""
}

// field lexes "name:" where src[start:colon] is the name. A date field is
// lexed together with its value.
func (lx *lexer) field(start, colon int) (token, error) {
	name := lx.src[start:colon]
	canon := canonicalField(name)
	if canon == "" {
		if strings.EqualFold(name, "_exists_") {
			return token{}, syntaxErr(start, "_exists_: is not supported; every article has a title, a body and a date")
		}
		return token{}, syntaxErr(start, "unknown field %q; known fields: %s", name, strings.Join(Fields, ", "))
	}
	lx.pos = colon + 1
	if lx.atBoundary() {
		return token{}, syntaxErr(start, "field %s: needs a term, phrase or group right after the colon", canon)
	}
	if canon == FieldDate {
		return lx.date(start)
	}
	return token{kind: tokField, pos: start, text: canon}, nil
}

// phrase lexes a double-quoted phrase. Inside it \" is a quote and \\ a
// backslash; any other backslash is kept as it is.
func (lx *lexer) phrase() (token, error) {
	src, start := lx.src, lx.pos
	var b strings.Builder
	escaped := false
	seg := start + 1
	for i := start + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			if i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '\\') {
				b.WriteString(src[seg:i])
				b.WriteByte(src[i+1])
				escaped = true
				i++
				seg = i + 1
			}
		case '"':
			text := src[start+1 : i]
			if escaped {
				b.WriteString(src[seg:i])
				text = b.String()
			}
			lx.pos = i + 1
			if strings.TrimSpace(text) == "" {
				return token{}, syntaxErr(start, "empty phrase")
			}
			t := token{kind: tokPhrase, pos: start, text: text}
			return t, lx.suffix(&t, lx.pos, -1, suffixPhrase)
		}
	}
	return token{}, syntaxErr(start, "unterminated quote")
}
