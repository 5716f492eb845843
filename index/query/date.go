package query

import (
	"strings"
	"time"
)

// Every date value is read as a unit of time [start, end): a year, a month,
// a whole UTC day, or, for an RFC 3339 timestamp, the single nanosecond at
// that instant. Inclusive bounds take the near edge of the unit and
// exclusive ones the far edge, so the result is always a half-open range
// with From inclusive and To exclusive.

// bound is one end of a range under construction.
type bound struct {
	t    time.Time
	open bool
}

// date lexes the value of a date field. lx.pos is just past "date:" and
// not at a space or the end; fieldStart is the offset of "date".
func (lx *lexer) date(fieldStart int) (token, error) {
	v := lx.pos
	lx.relative = false
	var from, to bound
	var err error
	switch lx.src[v] {
	case '"':
		return token{}, syntaxErr(fieldStart, "date: takes a date or a date range, not a phrase")
	case '(':
		return token{}, syntaxErr(fieldStart, "date: takes a date or a date range, not a group")
	case ')':
		return token{}, syntaxErr(fieldStart, "field date: needs a date right after the colon")
	case '[', '{':
		from, to, err = lx.dateRange(v)
	case '<', '>':
		from, to, err = lx.dateCompare(v)
	default:
		end := lx.scanWord(v)
		lx.pos = end
		var s, e time.Time
		s, e, err = lx.parseDate(lx.src[v:end], v)
		from, to = bound{t: s}, bound{t: e}
	}
	if err != nil {
		return token{}, err
	}
	if to, err = checkRange(from, to, v); err != nil {
		return token{}, err
	}
	tok := token{kind: tokDate, pos: fieldStart, vpos: v, relative: lx.relative}
	if !from.open {
		tok.from = from.t
	}
	if !to.open {
		tok.to = to.t
	}
	return tok, nil
}

// checkRange rejects ranges that cannot be represented or are empty, and
// returns to, opened if it lies past year 9999 (nothing is dated later).
func checkRange(from, to bound, pos int) (bound, error) {
	if !from.open && from.t.Year() > 9999 {
		return to, syntaxErr(pos, "date out of range: nothing is dated after 9999")
	}
	if !to.open && to.t.Year() > 9999 {
		to.open = true
	}
	if !to.open && !to.t.After(time.Time{}) {
		return to, syntaxErr(pos, "date range is empty: nothing is dated before 0001-01-01")
	}
	if !from.open && !to.open && !to.t.After(from.t) {
		return to, syntaxErr(pos, "date range is empty: it ends before it starts")
	}
	return to, nil
}

// dateRange lexes [a TO b], {a TO b}, mixed brackets, and the canonical
// form [a,b) that String prints. "[" and "]" are inclusive, "{", "}" and
// ")" exclusive; "*" is an open end.
func (lx *lexer) dateRange(open int) (from, to bound, err error) {
	src := lx.src
	closing := -1
	for i := open + 1; i < len(src); i++ {
		if c := src[i]; c == ']' || c == '}' || c == ')' {
			closing = i
			break
		}
	}
	if closing < 0 {
		return from, to, syntaxErr(open, "unterminated date range")
	}
	lx.pos = closing + 1
	inner := src[open+1 : closing]
	base := open + 1
	shape := func() error {
		return syntaxErr(open, "a date range looks like [2025-03-01 TO 2025-03-31]")
	}
	var a, b string
	var aPos, bPos int
	words := splitSpaceAt(inner, base, 4)
	comma := strings.IndexByte(inner, ',')
	switch {
	case len(words) == 3 && words[1].s == "TO":
		a, aPos, b, bPos = words[0].s, words[0].pos, words[2].s, words[2].pos
	case comma >= 0:
		a, aPos = trimSpaceAt(inner[:comma], base)
		b, bPos = trimSpaceAt(inner[comma+1:], base+comma+1)
		if a == "" || b == "" || strings.IndexByte(b, ',') >= 0 {
			return from, to, shape()
		}
	case len(words) == 3 && strings.EqualFold(words[1].s, "TO"):
		return from, to, syntaxErr(words[1].pos, "write TO in upper case in a date range")
	default:
		return from, to, shape()
	}
	from, to = bound{open: true}, bound{open: true}
	if a != "*" {
		s, e, err := lx.parseDate(a, aPos)
		if err != nil {
			return from, to, err
		}
		from = bound{t: s}
		if src[open] == '{' {
			from.t = e
		}
	}
	if b != "*" {
		s, e, err := lx.parseDate(b, bPos)
		if err != nil {
			return from, to, err
		}
		to = bound{t: s}
		if src[closing] == ']' {
			to.t = e
		}
	}
	if !from.open && !to.open && !to.t.After(from.t) {
		return from, to, syntaxErr(bPos, "date range is empty: it ends before it starts")
	}
	return from, to, nil
}

// dateCompare lexes >=d, >d, <d and <=d.
func (lx *lexer) dateCompare(v int) (from, to bound, err error) {
	op := lx.src[v : v+1]
	p := v + 1
	if p < len(lx.src) && lx.src[p] == '=' {
		op = lx.src[v : v+2]
		p++
	}
	end := lx.scanWord(p)
	lx.pos = end
	if end == p {
		return from, to, syntaxErr(v, "date comparison %s needs a date right after it", op)
	}
	s, e, err := lx.parseDate(lx.src[p:end], p)
	if err != nil {
		return from, to, err
	}
	from, to = bound{open: true}, bound{open: true}
	switch op {
	case ">=":
		from = bound{t: s}
	case ">":
		from = bound{t: e}
	case "<":
		to = bound{t: s}
	default: // "<="
		to = bound{t: e}
	}
	return from, to, nil
}

// parseDate reads YYYY, YYYY-MM, YYYY-MM-DD (UTC), an RFC 3339 timestamp
// or a date relative to now (see dateMath) and returns the unit of time it
// names as [start, end).
func (lx *lexer) parseDate(s string, pos int) (start, end time.Time, err error) {
	bad := func() error {
		return syntaxErr(pos, "invalid date %q: use YYYY, YYYY-MM, YYYY-MM-DD, an RFC 3339 timestamp or now-7d", s)
	}
	switch {
	case strings.HasPrefix(s, "now"):
		lx.relative = true
		return lx.dateMath(s, pos)
	case strings.Contains(s, "||"):
		return start, end, syntaxErr(pos+strings.Index(s, "||"), "date math on a fixed date (2025-01-01||+1M) is not supported; use now (now-1M) or a range")
	case len(s) == 4:
		y, ok := digits(s)
		if !ok {
			return start, end, bad()
		}
		start = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(1, 0, 0)
	case len(s) == 7 && s[4] == '-':
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[5:])
		if !ok1 || !ok2 || m < 1 || m > 12 {
			return start, end, bad()
		}
		start = time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 1, 0)
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:])
		if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
			return start, end, bad()
		}
		start = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if start.Day() != d { // 2025-02-30 normalised into March
			return start, end, bad()
		}
		end = start.AddDate(0, 0, 1)
	case len(s) > 10 && (s[10] == 'T' || s[10] == 't'):
		t, perr := time.Parse(time.RFC3339Nano, s)
		if perr != nil {
			return start, end, bad()
		}
		start = t.UTC()
		end = start.Add(time.Nanosecond)
	default:
		return start, end, bad()
	}
	if start.Before(time.Time{}) || start.Year() > 9999 {
		return start, end, syntaxErr(pos, "date %q out of range (years 0001 to 9999)", s)
	}
	return start, end, nil
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

type wordAt struct {
	s   string
	pos int
}

// splitSpaceAt splits s at spaces into at most limit words, each with its
// offset (base is the offset of s in the query).
func splitSpaceAt(s string, base, limit int) []wordAt {
	lx := lexer{src: s}
	var out []wordAt
	for len(out) < limit {
		for lx.pos < len(s) {
			sp, size := lx.spaceAt(lx.pos)
			if !sp {
				break
			}
			lx.pos += size
		}
		if lx.pos >= len(s) {
			break
		}
		start := lx.pos
		for lx.pos < len(s) {
			sp, size := lx.spaceAt(lx.pos)
			if sp {
				break
			}
			lx.pos += size
		}
		out = append(out, wordAt{s[start:lx.pos], base + start})
	}
	return out
}

// trimSpaceAt trims spaces from both ends of s and returns the rest with its
// offset (base is the offset of s in the query).
func trimSpaceAt(s string, base int) (string, int) {
	t := strings.TrimLeftFunc(s, isSpace)
	base += len(s) - len(t)
	return strings.TrimRightFunc(t, isSpace), base
}

// dateMath reads Elasticsearch date math relative to the parse's Now:
// "now", then any number of +N or -N with a unit (y, M, w, d, h or H, m,
// s), then at most one rounding /unit, last (now-7d/d). Months and years
// are calendar ones, a day past the end of the month taken back to its
// last day, as in Elasticsearch (now-1M on March 31 is February 28); all
// in UTC. A rounded date names its whole unit of time (now/d is today)
// and an unrounded one an instant, so that the bounds are Elasticsearch's:
// date:>now/d starts tomorrow, date:<=now/d ends with today, and
// date:[now-7d/d TO now/d] holds eight whole days.
func (lx *lexer) dateMath(s string, pos int) (start, end time.Time, err error) {
	if lx.now.IsZero() {
		return start, end, syntaxErr(pos, "relative dates (now) cannot be used here: the query is read without a clock")
	}
	t := lx.now.UTC()
	unitErr := func(i int) error {
		return syntaxErr(pos+i, "date math %q needs a unit at %d: y, M (month), w, d, h, m (minute) or s", s, pos+i)
	}
	rounded := byte(0)
	for i := len("now"); i < len(s); {
		switch c := s[i]; c {
		case '+', '-':
			if rounded != 0 {
				return start, end, syntaxErr(pos+i, "date math: the rounding /%c must come last, as in now-7d/d", rounded)
			}
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 {
				return start, end, syntaxErr(pos+i, "date math: %c needs a number and a unit, as in now-7d", c)
			}
			if j-i-1 > 6 {
				return start, end, syntaxErr(pos+i+1, "date math: %s is too large", s[i+1:j])
			}
			n, _ := digits(s[i+1 : j])
			if c == '-' {
				n = -n
			}
			if j >= len(s) {
				return start, end, unitErr(j)
			}
			var ok bool
			if t, ok = addUnit(t, s[j], n); !ok {
				return start, end, unitErr(j)
			}
			i = j + 1
		case '/':
			if rounded != 0 {
				return start, end, syntaxErr(pos+i, "date math: round only once")
			}
			if i+1 >= len(s) {
				return start, end, unitErr(i + 1)
			}
			var ok bool
			if t, ok = roundDown(t, s[i+1]); !ok {
				return start, end, unitErr(i + 1)
			}
			rounded = s[i+1]
			i += 2
		default:
			return start, end, syntaxErr(pos+i, "invalid date %q: relative dates look like now, now-7d, now+12h, now/d or now-1M/M", s)
		}
		if t.Year() < 1 || t.Year() > 9999 {
			return start, end, syntaxErr(pos, "date %q out of range (years 0001 to 9999)", s)
		}
	}
	if rounded == 0 {
		return t, t.Add(time.Nanosecond), nil
	}
	end, _ = addUnit(t, rounded, 1)
	return t, end, nil
}

// addUnit adds n of unit u to t, calendar months and years clamped to
// the end of the month.
func addUnit(t time.Time, u byte, n int) (time.Time, bool) {
	switch u {
	case 'y':
		return addMonths(t, 12*n), true
	case 'M':
		return addMonths(t, n), true
	case 'w':
		return t.AddDate(0, 0, 7*n), true
	case 'd':
		return t.AddDate(0, 0, n), true
	case 'h', 'H':
		return t.Add(time.Duration(n) * time.Hour), true
	case 'm':
		return t.Add(time.Duration(n) * time.Minute), true
	case 's':
		return t.Add(time.Duration(n) * time.Second), true
	}
	return t, false
}

func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

// roundDown truncates t to the start of its unit u (weeks start on
// Monday, as in Elasticsearch).
func roundDown(t time.Time, u byte) (time.Time, bool) {
	y, m, d := t.Date()
	switch u {
	case 'y':
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), true
	case 'M':
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), true
	case 'w':
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)), true
	case 'd':
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
	case 'h', 'H':
		return t.Truncate(time.Hour), true
	case 'm':
		return t.Truncate(time.Minute), true
	case 's':
		return t.Truncate(time.Second), true
	}
	return t, false
}

// DateMath reads s as Elasticsearch date math relative to now ("now",
// "now-7d", "now-1M/M"; see dateMath) and returns the time it names:
// [start, end) is its whole unit of time when rounded, else the instant.
// Errors are positioned query_syntax errors within s.
func DateMath(s string, now time.Time) (start, end time.Time, err error) {
	if !strings.HasPrefix(s, "now") {
		return start, end, syntaxErr(0, "relative dates start with now, as in now-7d")
	}
	lx := &lexer{src: s, now: now}
	return lx.dateMath(s, 0)
}
