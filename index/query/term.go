package query

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the Lucene suffixes.
const (
	// MaxFuzzy is the largest edit distance of term~N (Lucene's too).
	MaxFuzzy = 2
	// MaxSlop is the largest N of "a b"~N.
	MaxSlop = 64
	// MaxBoost is the largest N of ^N.
	MaxBoost = 10000
	// MaxAnyAfterStar is the most ? wildcards a word may hold after its
	// first *: the automaton that matches such a pattern against the
	// dictionary doubles in size with each (qu*b?????????, nine, has more
	// than 10,000 states and takes a second to build).
	MaxAnyAfterStar = 4
)

// scanTerm returns the end of the word that starts at i: a word runs up
// to a space, a parenthesis, a double quote or the end of the query, and a
// backslash makes the character after it part of the word whatever it is.
func (lx *lexer) scanTerm(i int) int {
	for i < len(lx.src) {
		c := lx.src[i]
		if c == '\\' && i+1 < len(lx.src) {
			_, size := utf8.DecodeRuneInString(lx.src[i+1:])
			i += 1 + size
			continue
		}
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

// term lexes the plain word src[start:end]: its escapes, its wildcards
// and its ~ and ^ suffixes.
func (lx *lexer) term(start, end int) (token, error) {
	src := lx.src
	switch src[start] {
	case '/':
		return token{}, syntaxErr(start, "regular expressions (/.../) are not supported; use * and ? wildcards (ru?sia, ukrain*)")
	case '[', '{':
		return token{}, syntaxErr(start, "ranges work only on dates, as in date:[now-30d TO now]")
	case '<', '>':
		return token{}, syntaxErr(start, "comparisons work only on dates, as in date:>now-7d")
	case '~':
		return token{}, syntaxErr(start, "~ must follow a word or a phrase directly, as in russia~1 or \"quick fox\"~3")
	case '^':
		return token{}, syntaxErr(start, "^ must follow a word, a phrase or a group directly, as in russia^2")
	}
	var b strings.Builder
	wild := -1        // offset of the first wildcard
	lastWild := -1    // offset of the last wildcard
	wilds := 0        // wildcards
	star := false     // a * seen
	anyAfterStar := 0 // ? after the first *
	lits := 0         // characters before the first wildcard
	escapedWild := -1 // offset of an escaped * or ?
	suffixAt := end   // offset of the first ~ or ^
	for i := start; i < end; {
		c := src[i]
		switch {
		case c == '\\':
			if i+1 >= end {
				return token{}, syntaxErr(i, `\ at the end of a word escapes nothing; write \\ for a backslash`)
			}
			_, size := utf8.DecodeRuneInString(src[i+1:])
			ch := src[i+1 : i+1+size]
			if ch == "*" || ch == "?" {
				escapedWild = i
			}
			b.WriteString(ch)
			if wild < 0 {
				lits++
			}
			i += 1 + size
			continue
		case c == '~' || c == '^':
			suffixAt = i
		case c == '*' || c == '?':
			if wild < 0 {
				wild = i
			}
			if c == '*' {
				star = true
			} else if star {
				if anyAfterStar++; anyAfterStar > MaxAnyAfterStar {
					return token{}, TooBroad(i, "at most %d ? may follow a * in one word (each doubles the work of matching it)", MaxAnyAfterStar)
				}
			}
			lastWild = i
			wilds++
			b.WriteByte(c)
			i++
			continue
		default:
			_, size := utf8.DecodeRuneInString(src[i:])
			b.WriteString(src[i : i+size])
			if wild < 0 {
				lits++
			}
			i += size
			continue
		}
		break
	}
	text := b.String()
	t := token{kind: tokWord, pos: start, text: text}
	if err := lx.suffix(&t, suffixAt, end, suffixWord); err != nil {
		return token{}, err
	}
	if wilds == 0 {
		return t, nil
	}
	if text == "*" {
		return token{}, syntaxErr(start, "a bare * is not a query (nor is field:*, Lucene's \"has a value\"); put * after a word prefix, as in ukrain*")
	}
	if t.fuzzy > 0 {
		return token{}, syntaxErr(suffixAt, "~ cannot follow a word with * or ?")
	}
	if escapedWild >= 0 {
		return token{}, syntaxErr(escapedWild, `an escaped \* or \? cannot stand in a word with wildcards`)
	}
	if wilds == 1 && src[lastWild] == '*' && lastWild+1 == suffixAt {
		if lits < lx.minPrefix {
			return token{}, TooBroad(wild, "a prefix needs at least %d characters before *", lx.minPrefix)
		}
		t.text, t.prefix = text[:len(text)-1], true
		return t, nil
	}
	if lits < lx.minPrefix {
		return token{}, TooBroad(wild, "a wildcard needs at least %d characters before its first * or ? (a leading wildcard would read every word of the index)", lx.minPrefix)
	}
	t.wildcard = true
	return t, nil
}

type suffixKind uint8

const (
	suffixWord   suffixKind = iota // ~, ~N, ~0.N and ^N
	suffixPhrase                   // ~N and ^N
	suffixGroup                    // ^N
)

// suffix lexes the ~ and ^ suffixes that start at i, if any, into t. They
// run up to end, or, when end < 0, up to a space, a parenthesis, a quote
// or the end of the query, and the lexer moves past them. Each may appear
// once, in either order.
func (lx *lexer) suffix(t *token, i, end int, kind suffixKind) error {
	src := lx.src
	if i >= len(src) || (src[i] != '~' && src[i] != '^') {
		return nil
	}
	if end >= 0 {
		goto lexed
	}
	end = i
	for end < len(src) {
		c := src[end]
		if c == '(' || c == ')' || c == '"' {
			break
		}
		if sp, _ := lx.spaceAt(end); sp {
			break
		}
		_, size := utf8.DecodeRuneInString(src[end:])
		end += size
	}
	lx.pos = end
lexed:
	tilde, caret := -1, -1
	var tnum, cnum string
	for i < end {
		c := src[i]
		j := i + 1
		for j < end && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
			j++
		}
		switch {
		case c == '~' && tilde < 0:
			tilde, tnum = i, src[i+1:j]
		case c == '^' && caret < 0:
			caret, cnum = i, src[i+1:j]
		case c == '~' || c == '^':
			return syntaxErr(i, "a second %c", c)
		default:
			return syntaxErr(i, "unexpected %q after ~ or ^: a number follows them, as in russia~1 or russia^2", src[i:i+utf8RuneLen(src[i:])])
		}
		i = j
	}
	if caret >= 0 {
		f, ok := parseBoost(cnum)
		if !ok {
			return syntaxErr(caret, "^ needs a number from 0 to %d after it, as in russia^2 or russia^0.5", MaxBoost)
		}
		t.boosted, t.boost, t.bpos = true, f, caret
	}
	if tilde < 0 {
		return nil
	}
	switch kind {
	case suffixGroup:
		return syntaxErr(tilde, "~ cannot follow a group; it follows a word (russia~1) or a phrase (\"quick fox\"~3)")
	case suffixPhrase:
		n, err := strconv.Atoi(tnum)
		if tnum == "" || err != nil && !allDigits(tnum) {
			return syntaxErr(tilde, "~ after a phrase needs a whole number of positions, as in \"quick fox\"~3")
		}
		if err != nil || n > MaxSlop {
			return syntaxErr(tilde+1, "proximity %s is more than %d positions", tnum, MaxSlop)
		}
		t.slop = n
		return nil
	}
	// A word: ~ alone is Lucene's default of 2 edits; ~0.N is Lucene's
	// old similarity form, mapped as Lucene maps it.
	switch {
	case tnum == "":
		t.fuzzy = MaxFuzzy
	case allDigits(tnum):
		n, err := strconv.Atoi(tnum)
		if err != nil || n > MaxFuzzy {
			return syntaxErr(tilde+1, "edit distance %s is more than %d (Lucene's limit too); use ~1 or ~2", tnum, MaxFuzzy)
		}
		t.fuzzy = n
	case strings.HasPrefix(tnum, "0.") && len(tnum) > 2 && allDigits(tnum[2:]):
		s, _ := strconv.ParseFloat(tnum, 64)
		t.fuzzy = min(MaxFuzzy, int((1-s)*float64(utf8.RuneCountInString(t.text))))
	default:
		return syntaxErr(tilde+1, "~%s: use ~ (2 edits), ~0, ~1, ~2 or Lucene's old similarity ~0.8", tnum)
	}
	return nil
}

func utf8RuneLen(s string) int {
	_, n := utf8.DecodeRuneInString(s)
	return max(n, 1)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseBoost reads the N of ^N: digits with an optional fraction, from 0
// to MaxBoost.
func parseBoost(s string) (float64, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if !allDigits(whole) || dot && !allDigits(frac) || len(s) > 16 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f > MaxBoost {
		return 0, false
	}
	return f, true
}

// escapeTerm renders the text of a plain word so that the lexer reads it
// back as the same text: a backslash before every character that would
// otherwise end the word or mean something, and before the first character
// of a word that would read as an operator or a field. With wildcards, *
// and ? stay as they are; a prefix's text is followed by *, so it never
// reads as an operator.
func escapeTerm(b *strings.Builder, text string, wildcards, prefix bool) {
	field := 0
	for field < len(text) && isFieldByte(text[field]) {
		field++
	}
	colon := -1
	if field > 0 && field < len(text) && text[field] == ':' {
		colon = field
	}
	op := !prefix && text == "AND" ||
		!prefix && (text == "OR" || text == "NOT") ||
		strings.HasPrefix(text, "&&") || strings.HasPrefix(text, "||")
	for i, r := range text {
		esc := false
		switch r {
		case '(', ')', '"', '\\', '~', '^':
			esc = true
		case '*', '?':
			esc = !wildcards
		case ':':
			esc = i == colon
		case '-', '+', '!', '/', '[', '{', '<', '>':
			esc = i == 0
		default:
			esc = isSpace(r) || i == 0 && op
		}
		if esc {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
}
