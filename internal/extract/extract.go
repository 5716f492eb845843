package extract

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Result is what Extract finds in one article. Each list is deduplicated and
// ordered by first appearance in the text (title first).
type Result struct {
	Speakers, Countries, Topics []string
}

// Token marks (tinfo.mark).
const (
	mPerson      uint8 = 1 << iota // part of a person's name found by the name rules
	mCountry                       // part of a country alias (or a blocker)
	mPersonStart                   // first token of a recorded person
)

// tinfo is per-token information computed once per call.
type tinfo struct {
	lex     uint32 // lower-case word classes (bVerb, bRole, ...)
	caps    uint32 // capitalised-word classes (cGiven, cAlias, ...)
	stem    int32  // 1 + id of the stemmed word's lexicon entry, for topics; 0 if none
	unitEnd int32  // index after the hyphen-joined unit starting here
	span    int32  // 1 + index of the capitalised run holding the token; 0 if none
	mark    uint8
	tkey    bool // caps look-ups use the title-cased form ("NEW" -> "New")
}

// doc is the working state of one call.
type doc struct {
	x     *Extractor
	text  string
	toks  []token
	info  []tinfo
	words int // number of word tokens

	cueGeoState, cueGeoCountry, cueBird, cueTurkey int

	hits    []hit
	persons []person
	byName  map[string][]int32 // persons by surname and first name; built when there are many
	indexed int                // persons covered by byName
	spans   []span
	refs    []speakerRef
	buf     [maxTokenBytes * 4]byte
}

// maxPooledTokens bounds the scratch buffers kept for reuse, so one huge
// article does not pin its buffers forever.
const maxPooledTokens = 1 << 15

// release returns the doc's buffers to the pool.
func (x *Extractor) release(d *doc) {
	if cap(d.toks) > maxPooledTokens {
		return
	}
	d.text = ""
	x.pool.Put(d)
}

// hit is one country alias found in the text.
type hit struct {
	start, end int32
	country    int16 // -1 blocker, -2 dropped
	kind       uint8
	special    uint8
}

// person is a full name (two or more words) found in the text; its last
// word (or hyphenated unit) is the key surname-only mentions resolve to.
type person struct {
	start, end  int32 // token range of the name
	surname     string
	first       string // first word (or hyphenated unit)
	familyFirst bool   // the first word is a family name ("Kim Young-soo")
}

// Extract runs the three extractors over one article. The title counts for
// countries and speakers like body text and weighs more for topics.
func (x *Extractor) Extract(title, body string) Result {
	d := x.newDoc(title, body)
	defer x.release(d)
	d.annotate(true)
	d.findPersons()
	d.findCountries()
	return Result{
		Speakers:  d.speakers(),
		Countries: d.salientCountries(),
		Topics:    d.topicNames(),
	}
}

// Countries returns the countries text is about, by canonical name: the
// countries facet of Extract for a text without a headline.
func (x *Extractor) Countries(text string) []string {
	d := x.newDoc("", text)
	defer x.release(d)
	d.annotate(false)
	d.findPersons()
	d.findCountries()
	return d.salientCountries()
}

// mentionedCountries returns every country title and body refer to,
// salient or not.
func (x *Extractor) mentionedCountries(title, body string) []string {
	d := x.newDoc(title, body)
	defer x.release(d)
	d.annotate(false)
	d.findPersons()
	d.findCountries()
	return d.countryNames(nil)
}

// Speakers returns the people quoted or whose statements are reported in
// text, by full name where the text gives one.
func (x *Extractor) Speakers(text string) []string {
	d := x.newDoc("", text)
	defer x.release(d)
	d.annotate(false)
	d.findPersons()
	d.findCountries()
	return d.speakers()
}

// Topics returns IPTC Media Topic names for an article: subtopics found and
// their top-level parents.
func (x *Extractor) Topics(title, body string) []string {
	d := x.newDoc(title, body)
	defer x.release(d)
	d.annotate(true)
	return d.topicNames()
}

// newDoc tokenises title and body into one token stream. The title and the
// body are tokenised separately so a headline never runs into the first
// sentence; offsets refer to title + "\n\n" + body.
func (x *Extractor) newDoc(title, body string) *doc {
	text := body
	split := 0
	if title != "" {
		text = title + "\n\n" + body
		split = len(title)
	}
	d, _ := x.pool.Get().(*doc)
	if d == nil {
		d = &doc{}
	}
	*d = doc{
		x: x, text: text, byName: nil,
		toks: d.toks[:0], info: d.info[:0], hits: d.hits[:0], persons: d.persons[:0],
		spans: d.spans[:0], refs: d.refs[:0],
	}
	if est := len(text)/6 + 8; cap(d.toks) < est && est <= maxPooledTokens {
		d.toks = make([]token, 0, est)
	}
	tz := tokenizer{text: text, toks: d.toks}
	if split > 0 {
		tz.segment(0, split, true)
		tz.segment(split+2, len(text), false)
	} else {
		tz.segment(0, len(text), false)
	}
	d.toks = tz.toks
	markCaps(d.toks)
	if cap(d.info) >= len(d.toks) {
		d.info = d.info[:len(d.toks)]
		clear(d.info)
	} else {
		d.info = make([]tinfo, len(d.toks))
	}
	return d
}

func (d *doc) tokText(i int) string { t := d.toks[i]; return d.text[t.s:t.e] }

// lowerInto appends the lower-cased s to dst. It reports false for words too
// long to be in any table.
func lowerInto(dst []byte, s string) ([]byte, bool) {
	if len(s) > maxTokenBytes {
		return dst, false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst, true
}

// titleInto appends s with its first letter kept and the rest lower-cased:
// the look-up form of an all-caps word in a headline.
func titleInto(dst []byte, s string) ([]byte, bool) {
	if len(s) > maxTokenBytes || s == "" {
		return dst, false
	}
	_, n := utf8.DecodeRuneInString(s)
	dst = append(dst, s[:n]...)
	return lowerInto(dst, s[n:])
}

// stem is a light plural stemmer (the "S" stemmer): policies -> policy,
// talks -> talk; words ending in ss, us or is are kept.
func stem(b []byte) []byte {
	n := len(b)
	if n >= 5 && b[n-3] == 'i' && b[n-2] == 'e' && b[n-1] == 's' {
		b[n-3] = 'y'
		return b[:n-2]
	}
	if n >= 4 && b[n-1] == 's' {
		switch b[n-2] {
		case 's', 'u', 'i', '\'':
			return b
		}
		return b[:n-1]
	}
	return b
}

// annotate looks every word up once: word classes, capitalised-word
// classes, the stemmed lexicon entry and the context cues.
func (d *doc) annotate(topics bool) {
	x := d.x
	toks := d.toks
	for i := range toks {
		t := &toks[i]
		if t.kind != kWord {
			continue
		}
		d.words++
		inf := &d.info[i]
		// Hyphen-joined unit.
		if t.flags&fHyph == 0 {
			j := i + 1
			for j < len(toks) && toks[j].kind == kWord && toks[j].flags&fHyph != 0 {
				j++
			}
			inf.unitEnd = int32(j)
		}
		s := d.text[t.s:t.e]
		if len(s) > maxTokenBytes {
			continue
		}
		if t.flags&(fCap|fUpper) != 0 {
			inf.caps, _ = x.capsT.get(s)
			if t.flags&fCapsCtx != 0 && inf.caps&cAlias == 0 {
				if b, ok := titleInto(d.buf[:0], s); ok {
					inf.caps, _ = x.capsT.getBytes(b)
					inf.tkey = true
				}
			}
		}
		var id uint32
		var found, plural bool
		if h, ascii := fnvLowerASCII(s); ascii {
			id, found = x.lexT.getLower(s, h)
			plural = stems(s)
		} else if b, ok := lowerInto(d.buf[:0], s); ok {
			id, found = x.lexT.getBytes(b)
			plural = stems(b)
		}
		if !found {
			continue
		}
		w := &x.words[id]
		inf.lex = w.bits
		if w.bits&(bCueGeoState|bCueGeoCountry|bCueBird|bCueTurkey) != 0 {
			if w.bits&bCueGeoState != 0 {
				d.cueGeoState++
			}
			if w.bits&bCueGeoCountry != 0 {
				d.cueGeoCountry++
			}
			if w.bits&bCueBird != 0 && inf.caps&cAlias == 0 {
				d.cueBird++
			}
			if w.bits&bCueTurkey != 0 {
				d.cueTurkey++
			}
		}
		if topics {
			// A plural counts as its stem ("talks" as "talk").
			inf.stem = w.stem
			if plural {
				inf.stem = w.pluralStem
			}
		}
	}
}

// capUnit reports whether the unit starting at i is capitalised: its first
// word is, or it is a particle joined to a capitalised word ("al-Assad").
func (d *doc) capUnit(i int) bool {
	t := d.toks[i]
	if t.kind != kWord {
		return false
	}
	if t.flags&fCap != 0 {
		return true
	}
	if d.info[i].lex&bParticle != 0 {
		end := int(d.info[i].unitEnd)
		for k := i + 1; k < end; k++ {
			if d.toks[k].flags&fCap != 0 {
				return true
			}
		}
	}
	return false
}

// nameWord reports whether the unit at i can be part of a person's name.
func (d *doc) nameWord(i int) bool {
	t := d.toks[i]
	if t.kind != kWord || t.flags&fCapsCtx != 0 {
		return false
	}
	if t.flags&fUpper != 0 && t.flags&fDotted == 0 {
		return false // acronyms: CNN, NATO
	}
	return d.capUnit(i)
}

// findPersons marks names that start with a known given name ("Michael
// Jordan", "Denzel Washington", "Paris Hilton") so that their words are not
// read as countries, and records them for surname resolution.
func (d *doc) findPersons() {
	toks, info := d.toks, d.info
	n := len(toks)
	for i := 0; i < n; i++ {
		if toks[i].kind != kWord || info[i].caps&cGiven == 0 || toks[i].flags&(fPoss|fHyph|fCapsCtx) != 0 {
			continue
		}
		if toks[i].flags&fUpper != 0 {
			continue
		}
		if info[i].caps&cAlias != 0 && d.multiWordAliasAt(i) {
			continue // "Abu Dhabi", "San Marino": a place, not a first name
		}
		end := d.extendName(i)
		if end < 0 {
			continue
		}
		for k := i; k < end; k++ {
			info[k].mark |= mPerson
		}
		d.addPerson(i, end)
		i = end - 1
	}
}

// extendName grows a name from the given name at i: the next unit must
// look like a surname, then particles ("von der", "bin") and further
// capitalised units follow. It returns the index after the name, or -1 when
// the given name is not followed by a surname.
func (d *doc) extendName(i int) int {
	toks, info := d.toks, d.info
	n := len(toks)
	alias := info[i].caps&cAlias != 0
	k := d.unitAfter(i)
	units := 1
	for k < n && toks[k-1].flags&fPoss == 0 {
		t := toks[k]
		if t.kind != kWord || t.flags&fSent != 0 || t.flags&fSpaceBefore == 0 {
			break
		}
		// Middle initial: "John F. Kennedy".
		if t.flags&fDotted != 0 && t.e-t.s == 2 && k+1 < n && d.nameWord(k+1) && d.surnameLike(k+1, false) {
			k++
			continue
		}
		j := k
		for j < n && j-k < 3 && toks[j].kind == kWord && toks[j].flags&fCap == 0 &&
			info[j].lex&bParticle != 0 && info[j].unitEnd == int32(j+1) {
			j++
		}
		if j >= n || !d.nameWord(j) || (j > k && toks[j].flags&fSpaceBefore == 0) {
			break
		}
		if !d.surnameLike(j, units == 1) {
			break
		}
		if units == 1 && alias && info[j].caps&cAlias != 0 {
			return -1 // "Jordan Israel": two places, not a person
		}
		units++
		k = d.unitAfter(j)
	}
	if units < 2 {
		return -1
	}
	return k
}

// surnameLike reports whether the unit at i can continue a name. A role or
// month word right after a given name is a surname when no capitalised word
// follows it ("John Major said", "Theresa May said").
func (d *doc) surnameLike(i int, afterGiven bool) bool {
	inf := d.info[i]
	if inf.lex&(bVerb|bAux) != 0 && d.toks[i].flags&fTitle == 0 {
		return false
	}
	if inf.caps&(cOrg|cMedia|cFollow) != 0 {
		return false
	}
	if inf.lex&(bStop|bRole|bTitle|bWeekday) != 0 {
		if !afterGiven || inf.lex&bWeekday != 0 {
			return false
		}
		s := d.tokText(i)
		if len(s) <= 2 || inf.lex&bStop != 0 && !isMonth(s) {
			return false
		}
		next := int(inf.unitEnd)
		if next < len(d.toks) && d.toks[next].kind == kWord && d.toks[next].flags&fCap != 0 && d.toks[next].flags&fSent == 0 {
			return false
		}
	}
	return true
}

func isMonth(s string) bool {
	switch s {
	case "January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December":
		return true
	}
	return false
}

// addPerson records a full name found at tokens [start, end).
func (d *doc) addPerson(start, end int) {
	// Surname: the last unit.
	last := end - 1
	for last > start && d.toks[last].flags&fHyph != 0 {
		last--
	}
	sur := d.text[d.toks[last].s:d.toks[end-1].e]
	if d.info[start].mark&mPersonStart != 0 {
		return
	}
	d.info[start].mark |= mPersonStart
	fe := int(d.info[start].unitEnd)
	if fe <= start || fe > end {
		fe = start + 1
	}
	d.persons = append(d.persons, person{
		start: int32(start), end: int32(end), surname: sur,
		first:       d.text[d.toks[start].s:d.toks[fe-1].e],
		familyFirst: d.info[start].caps&cFamily != 0,
	})
}

// personWord reports whether s is the first or last name of a person named
// in the text ("Chad" after "Chad Morrison", "Washington" after "Denzel
// Washington").
func (d *doc) personWord(s string) bool {
	found := false
	d.eachPerson(s, func(p *person) bool {
		if p.surname == s || p.first == s {
			found = true
			return false
		}
		return true
	})
	return found
}

// personIndexMin is the number of persons from which look-ups go through a
// map instead of a scan; it keeps long adversarial texts linear.
const personIndexMin = 16

// eachPerson calls fn for the persons whose surname or first name may be s
// (a superset), until fn returns false.
func (d *doc) eachPerson(s string, fn func(*person) bool) {
	if len(d.persons) < personIndexMin {
		for i := range d.persons {
			if !fn(&d.persons[i]) {
				return
			}
		}
		return
	}
	if d.byName == nil {
		d.byName = make(map[string][]int32, len(d.persons))
	}
	for ; d.indexed < len(d.persons); d.indexed++ {
		p := &d.persons[d.indexed]
		d.byName[p.surname] = append(d.byName[p.surname], int32(d.indexed))
		if p.first != p.surname {
			d.byName[p.first] = append(d.byName[p.first], int32(d.indexed))
		}
	}
	for _, i := range d.byName[s] {
		if !fn(&d.persons[i]) {
			return
		}
	}
}

// sqrt32 is a float32 square root.
func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// cleanName returns the text of tokens [start, end) with runs of whitespace
// collapsed, as a fresh string that does not pin the article in memory.
func (d *doc) cleanName(start, end int) string {
	s := d.text[d.toks[start].s:d.toks[end-1].e]
	if strings.ContainsAny(s, "\n\t\r") || strings.Contains(s, "  ") {
		return strings.Join(strings.Fields(s), " ")
	}
	return strings.Clone(s)
}
