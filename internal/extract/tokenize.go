package extract

import (
	"unicode"
	"unicode/utf8"
)

// Token kinds.
const (
	kWord uint8 = iota + 1
	kNum
	kPunct
)

// Token flags.
const (
	fCap         uint16 = 1 << iota // first letter is upper case
	fUpper                          // every letter upper case, at least two letters
	fSent                           // first word of a sentence
	fPoss                           // a possessive 's was cut off the end
	fHyph                           // joined to the previous word by a hyphen
	fLine                           // first token on a line
	fDotted                         // dotted acronym or initial: "U.S.", "F."
	fTitle                          // token is in the title
	fCapsCtx                        // all-caps word in an all-caps context (headline, dateline)
	fOpenQ                          // punctuation: an opening quotation mark
	fCloseQ                         // punctuation: a closing quotation mark
	fSpaceBefore                    // whitespace precedes the token
)

// token is one word, number or punctuation mark: a byte range of the text.
// For punctuation p holds a normalised character: one of , . ! ? ; : " ( ) -
// or '*' for anything else.
type token struct {
	s, e  int32
	flags uint16
	kind  uint8
	p     byte
}

// maxTokenBytes caps the length of a word used for table look-ups; longer
// runs of letters are still tokens but never match anything.
const maxTokenBytes = 64

// abbrevs are words that end in a period without ending a sentence.
var abbrevs = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "gen": true, "lt": true,
	"col": true, "sen": true, "rep": true, "gov": true, "capt": true, "sgt": true, "maj": true,
	"adm": true, "prof": true, "rev": true, "jr": true, "sr": true, "inc": true, "corp": true,
	"co": true, "ltd": true, "no": true, "vs": true, "jan": true, "feb": true, "mar": true,
	"apr": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"mt": true, "ft": true, "fig": true, "dept": true, "univ": true, "ave": true, "cmdr": true,
	"brig": true, "calif": true, "ill": true, "mass": true, "conn": true, "mich": true,
	"minn": true, "wis": true, "ga": true, "fla": true, "colo": true, "ariz": true,
	"okla": true, "va": true, "md": true, "ind": true, "ky": true, "tenn": true, "ala": true,
	"la": true, "miss": true, "ark": true, "kan": true, "kans": true, "neb": true, "ore": true,
	"wash": true, "nev": true, "mont": true, "wyo": true, "vt": true, "pa": true, "tex": true,
	"ont": true, "que": true, "alta": true, "del": true, "nebr": true,
}

// tokenizer appends tokens of one text segment to toks.
type tokenizer struct {
	text string
	toks []token
}

// ASCII byte classes.
const (
	clLetter uint8 = 1 << iota
	clUpper
	clDigit
	clSpace
)

var asciiClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clLetter
		t[c-'a'+'A'] = clLetter | clUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clDigit
	}
	for _, c := range " \t\r\n\f\v" {
		t[c] = clSpace
	}
	return t
}()

func isASCIILetter(c byte) bool { return asciiClass[c]&clLetter != 0 }
func isDigit(c byte) bool       { return asciiClass[c]&clDigit != 0 }

// letterAt reports whether a letter (or combining mark) starts at i, and
// its size in bytes.
func letterAt(s string, i int) (bool, int) {
	if i >= len(s) {
		return false, 0
	}
	c := s[i]
	if c < utf8.RuneSelf {
		return isASCIILetter(c), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n <= 1 {
		return false, 1
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r), n
}

// apostropheAt reports the size of an apostrophe (' or ’) at i, or 0.
func apostropheAt(s string, i int) int {
	if i < len(s) && s[i] == '\'' {
		return 1
	}
	if i+2 < len(s) && s[i] == 0xE2 && s[i+1] == 0x80 && s[i+2] == 0x99 {
		return 3
	}
	return 0
}

// segment tokenises text[start:end]; title marks every token with fTitle.
// Sentence state starts fresh: a segment always begins a sentence.
func (tz *tokenizer) segment(start, end int, title bool) {
	s := tz.text[:end]
	i := start
	sentNext := true
	lineStart := true
	space := true
	var extra, hyph uint16
	if title {
		extra = fTitle
	}
	for i < end {
		c := s[i]
		// Whitespace, with paragraph detection: a blank line or an
		// indented new line starts a new sentence.
		if asciiClass[c]&clSpace != 0 {
			nl := 0
			for i < end {
				c = s[i]
				if c == '\n' {
					nl++
					lineStart = true
				} else if c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v' {
					break
				}
				i++
			}
			if nl >= 2 || (nl == 1 && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t')) {
				sentNext = true
			}
			space, hyph = true, 0
			continue
		}
		var flags uint16
		if lineStart {
			flags |= fLine
		}
		if space {
			flags |= fSpaceBefore
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n <= 1:
				// Invalid byte: a separator.
				i++
				space = true
				continue
			case unicode.IsLetter(r):
				i = tz.word(i, end, flags|extra|hyph, &sentNext)
				hyph = tz.hyphenAfter(i, end)
				if hyph != 0 {
					i++
					lineStart, space = false, false
					continue
				}
			case r == '\u00a0' || r == '\u2009' || r == '\u202f' || r == '\u200b' || unicode.IsSpace(r):
				i += n
				space = true
				continue
			case r == '\u201c' || r == '\u201e' || r == '\u00ab' || r == '\u2018':
				tz.punct(i, i+n, '"', flags|extra|fOpenQ)
				i += n
			case r == '\u201d' || r == '\u00bb' || r == '\u2019':
				tz.punct(i, i+n, '"', flags|extra|fCloseQ)
				i += n
			case r == '\u2013' || r == '\u2014' || r == '\u2212':
				tz.punct(i, i+n, '-', flags|extra)
				i += n
			case r == '\u2026':
				tz.punct(i, i+n, '.', flags|extra)
				i += n
			case r == '\u060c': // Arabic comma
				tz.punct(i, i+n, ',', flags|extra)
				i += n
			case r == '\u061b': // Arabic semicolon
				tz.punct(i, i+n, ';', flags|extra)
				i += n
			case r == '\u061f': // Arabic question mark
				tz.punct(i, i+n, '?', flags|extra)
				i += n
				sentNext = true
			default:
				tz.punct(i, i+n, '*', flags|extra)
				i += n
			}
			lineStart, space = false, false
			continue
		}
		switch {
		case isASCIILetter(c):
			i = tz.word(i, end, flags|extra|hyph, &sentNext)
			hyph = tz.hyphenAfter(i, end)
			if hyph != 0 {
				i++
				lineStart, space = false, false
				continue
			}
		case isDigit(c):
			j := i + 1
			for j < end && (isDigit(s[j]) || ((s[j] == ',' || s[j] == '.') && j+1 < end && isDigit(s[j+1]))) {
				j++
			}
			// A number glued to letters ("3rd", "10km") stays one token.
			for j < end && isASCIILetter(s[j]) {
				j++
			}
			tz.toks = append(tz.toks, token{s: int32(i), e: int32(j), kind: kNum, flags: flags | extra})
			if sentNext {
				sentNext = false
			}
			i = j
		default:
			p := byte('*')
			switch c {
			case ',', ';', ':', '(', ')', '!', '?':
				p = c
			case '.':
				p = '.'
			case '"':
				p = '"'
				if space || lineStart {
					flags |= fOpenQ
				} else {
					flags |= fCloseQ
				}
			case '\'':
				p = '"'
				if space || lineStart {
					flags |= fOpenQ
				} else {
					flags |= fCloseQ
				}
			case '-':
				p = '-'
			case '[':
				p = '('
			case ']':
				p = ')'
			}
			tz.punct(i, i+1, p, flags|extra)
			if p == '.' || p == '!' || p == '?' {
				if p != '.' || !tz.abbrevBefore() {
					sentNext = true
				}
			}
			i++
		}
		lineStart, space = false, false
	}
}

// hyphenAfter returns fHyph when a hyphen at i joins the word just scanned
// to a following word ("Guinea-Bissau", "Russian-backed").
func (tz *tokenizer) hyphenAfter(i, end int) uint16 {
	if i+1 < end && tz.text[i] == '-' {
		if ok, _ := letterAt(tz.text, i+1); ok {
			return fHyph
		}
	}
	return 0
}

func (tz *tokenizer) punct(s, e int, p byte, flags uint16) {
	tz.toks = append(tz.toks, token{s: int32(s), e: int32(e), kind: kPunct, p: p, flags: flags})
}

// abbrevBefore reports whether the period just appended follows an
// abbreviation ("Mr.", "Calif.") or a single capital ("F.").
func (tz *tokenizer) abbrevBefore() bool {
	n := len(tz.toks)
	if n < 2 {
		return false
	}
	w := tz.toks[n-2]
	if w.kind != kWord || w.e != tz.toks[n-1].s {
		return false
	}
	if w.flags&fDotted != 0 {
		return true
	}
	ws := tz.text[w.s:w.e]
	if len(ws) == 1 {
		return w.flags&fCap != 0
	}
	if len(ws) > 5 {
		return false
	}
	var buf [5]byte
	for k := 0; k < len(ws); k++ {
		buf[k] = ws[k] | 0x20
	}
	return abbrevs[string(buf[:len(ws)])]
}

// word scans a word starting at i and appends it. It returns the index after
// the word (and after a possessive 's, which is not part of the token).
func (tz *tokenizer) word(i, end int, flags uint16, sentNext *bool) int {
	s := tz.text[:end]
	start := i
	// Dotted acronyms (U.S., U.K., D.C., N.Y.) and initials (F.).
	if c := s[i]; c < utf8.RuneSelf && i+1 < end && s[i+1] == '.' {
		j := i
		for j+1 < end && j-i < 16 && isASCIILetter(s[j]) && s[j+1] == '.' {
			j += 2
		}
		count := (j - i) / 2
		isUp := c >= 'A' && c <= 'Z'
		if count >= 2 || (count == 1 && isUp && (j >= end || !isASCIILetter(s[j]))) {
			f := flags | fDotted
			if isUp {
				f |= fCap
				if count >= 2 {
					f |= fUpper
				}
			}
			if *sentNext {
				f |= fSent
				*sentNext = false
			}
			tz.toks = append(tz.toks, token{s: int32(start), e: int32(j), kind: kWord, flags: f})
			return j
		}
	}
	upper, lower, letters := 0, 0, 0
	first := true
scan:
	for i < end {
		// Fast path: a run of lower-case ASCII letters.
		if j := i; s[j]-'a' < 26 {
			for j++; j < end && s[j]-'a' < 26; j++ {
			}
			lower += j - i
			letters += j - i
			first = false
			i = j
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			cl := asciiClass[c]
			if cl&clLetter != 0 {
				letters++
				if cl&clUpper != 0 {
					upper++
					if first {
						flags |= fCap
					}
				} else {
					lower++
				}
				first = false
				i++
				continue
			}
			if cl&clDigit != 0 {
				first = false
				i++
				continue
			}
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				break scan
			}
			if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
				letters++
				if unicode.IsUpper(r) || unicode.IsTitle(r) {
					upper++
					if first {
						flags |= fCap
					}
				} else if unicode.IsLower(r) {
					lower++
				}
				first = false
				i += n
				continue
			}
		}
		// Apostrophe inside a word: O'Brien, d'Ivoire, don't; or a
		// possessive 's, which ends the word.
		if a := apostropheAt(s, i); a > 0 {
			if i+a < end && (s[i+a] == 's' || s[i+a] == 'S') {
				if ok, _ := letterAt(s, i+a+1); !ok {
					tz.appendWord(start, i, flags|fPoss, upper, lower, letters, sentNext)
					return i + a + 1
				}
			}
			if ok, _ := letterAt(s, i+a); ok {
				i += a
				continue
			}
			// Plural possessive (officials') rather than a closing quote.
			if a == 1 && i > start && (s[i-1] == 's' || s[i-1] == 'S') && (i+1 >= end || s[i+1] == ' ' || s[i+1] == '\n') {
				tz.appendWord(start, i, flags|fPoss, upper, lower, letters, sentNext)
				return i + 1
			}
		}
		break
	}
	tz.appendWord(start, i, flags, upper, lower, letters, sentNext)
	return i
}

func (tz *tokenizer) appendWord(s, e int, flags uint16, upper, lower, letters int, sentNext *bool) {
	if letters >= 2 && lower == 0 && upper == letters {
		flags |= fUpper
	}
	if *sentNext {
		if flags&fHyph == 0 {
			flags |= fSent
		}
		*sentNext = false
	}
	tz.toks = append(tz.toks, token{s: int32(s), e: int32(e), kind: kWord, flags: flags})
}

// markCaps sets fCapsCtx on all-caps words that stand in an all-caps
// context: a headline written in capitals, a run of capitalised words, or a
// dateline ("NEW YORK, Feb 26 -"). Acronyms in ordinary prose do not get it.
func markCaps(toks []token) {
	// Segments that are mostly capitals (a Reuters headline) are caps context
	// throughout.
	n := len(toks)
	for i := 0; i < n; {
		// Find the extent of the title segment, if any.
		if toks[i].flags&fTitle == 0 {
			break
		}
		words, caps := 0, 0
		j := i
		for ; j < n && toks[j].flags&fTitle != 0; j++ {
			if toks[j].kind == kWord {
				words++
				if toks[j].flags&fUpper != 0 {
					caps++
				}
			}
		}
		if words > 0 && caps*10 >= words*6 {
			for k := i; k < j; k++ {
				if toks[k].kind == kWord && toks[k].flags&fUpper != 0 {
					toks[k].flags |= fCapsCtx
				}
			}
		}
		i = j
	}
	for i := 0; i < n; i++ {
		t := &toks[i]
		if t.kind != kWord || t.flags&fUpper == 0 || t.flags&fCapsCtx != 0 || t.flags&fDotted != 0 {
			continue
		}
		// Run of all-caps words (at least two, ignoring dotted acronyms).
		if i+1 < n && toks[i+1].kind == kWord && toks[i+1].flags&fUpper != 0 && toks[i+1].flags&fDotted == 0 {
			t.flags |= fCapsCtx
			toks[i+1].flags |= fCapsCtx
			continue
		}
		if i > 0 && toks[i-1].kind == kWord && toks[i-1].flags&fCapsCtx != 0 {
			t.flags |= fCapsCtx
			continue
		}
		// Dateline: capitalised words at the start of a line before a comma
		// ("ST. LOUIS, March 2 -").
		if t.flags&fLine != 0 {
			j := i
			for j < n && j < i+6 && (toks[j].kind == kWord && toks[j].flags&fUpper != 0 ||
				toks[j].kind == kPunct && (toks[j].p == '.' || toks[j].p == '-')) {
				j++
			}
			if j < n && j > i && toks[j].kind == kPunct && toks[j].p == ',' {
				for k := i; k < j; k++ {
					if toks[k].kind == kWord && toks[k].flags&fDotted == 0 {
						toks[k].flags |= fCapsCtx
					}
				}
			}
		}
	}
}
