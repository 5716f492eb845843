package extract

// Persons: full names that start with a known given name, found before
// the countries (so "Paris Hilton" is no place) and kept for resolving
// surname-only mentions to the full name.

import (
	"slices"
	"sort"
	"strings"
)

// person is a full name (two or more words) found in the text; its last
// word (or hyphenated unit) is the key surname-only mentions resolve to.
type person struct {
	start, end  int32 // token range of the name
	surname     string
	first       string // first word (or hyphenated unit)
	familyFirst bool   // the first word is a family name ("Kim Young-soo")
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
	d.indexPersons()
	for _, i := range d.byName[s] {
		if !fn(&d.persons[i]) {
			return
		}
	}
}

// cleanName returns the text of tokens [start, end) with runs of whitespace
// collapsed, as a fresh string that does not pin the article in memory.
func (d *doc) cleanName(start, end int) string {
	s := d.text[d.toks[start].s:d.toks[end-1].e]
	if strings.ContainsAny(s, "\n\t\r") || strings.Contains(s, "  ") {
		return strings.Join(strings.Fields(s), " ")
	}
	return strings.Clone(s)
}

// indexPersons adds the persons recorded since the last call to byName,
// each list kept in order of position (persons are recorded in two passes,
// each in text order).
func (d *doc) indexPersons() {
	if d.indexed == len(d.persons) {
		return
	}
	if d.byName == nil {
		d.byName = make(map[string][]int32, len(d.persons))
	}
	var unsorted map[string]bool
	add := func(key string, i int) {
		l := d.byName[key]
		if n := len(l); n > 0 && d.persons[l[n-1]].start > d.persons[i].start {
			if unsorted == nil {
				unsorted = map[string]bool{}
			}
			unsorted[key] = true
		}
		d.byName[key] = append(l, int32(i))
	}
	for ; d.indexed < len(d.persons); d.indexed++ {
		p := &d.persons[d.indexed]
		add(p.surname, d.indexed)
		if p.first != p.surname {
			add(p.first, d.indexed)
		}
	}
	for key := range unsorted {
		slices.SortStableFunc(d.byName[key], func(a, b int32) int { return int(d.persons[a].start) - int(d.persons[b].start) })
	}
}

// resolve turns a span's name into the full name to report, or "" when it
// is not clearly a person.
func (d *doc) resolve(sp *span) string {
	if sp.coreS >= sp.coreE {
		return ""
	}
	s, e := int(sp.coreS), int(sp.coreE)
	if sp.units >= 2 {
		if sp.units > 5 {
			return ""
		}
		// A longer form of the same name given elsewhere wins:
		// "Tayyip Erdogan" -> "Recep Tayyip Erdogan".
		name := d.cleanName(s, e)
		if p := d.personFor(d.surnameOf(s, e), s); p != nil {
			full := d.cleanName(int(p.start), int(p.end))
			if len(full) > len(name) && strings.HasSuffix(full, " "+name) {
				return full
			}
		}
		return name
	}
	// One word: the surname of a full name given in the text, or a person
	// because a title or role stands before it ("Mr. Peskov").
	sur := d.surnameOf(s, e)
	if p := d.personFor(sur, s); p != nil {
		return d.cleanName(int(p.start), int(p.end))
	}
	// A first name alone ("Sir Digby", "Dame Judi", or "Ali said" after
	// "Ali Hassan, a trader") is the full name given in the text.
	if p := d.personByFirst(sur, s); p != nil {
		return d.cleanName(int(p.start), int(p.end))
	}
	if sp.rolePrefixed {
		// Keep particles: "von der Leyen".
		return d.cleanName(s, e)
	}
	return ""
}

// surnameOf returns the text of the last unit of tokens [s, e).
func (d *doc) surnameOf(s, e int) string {
	last := e - 1
	for last > s && d.toks[last].flags&fHyph != 0 {
		last--
	}
	return d.text[d.toks[last].s:d.toks[e-1].e]
}

// personByFirst finds the full name whose first name is first, nearest
// before position pos, or else the first after it.
func (d *doc) personByFirst(first string, pos int) *person {
	before, after := d.nearestPersons(first, pos, func(p *person) bool {
		return p.first == first && p.end-p.start >= 2
	})
	if before != nil {
		return before
	}
	return after
}

// personFor finds the full name with the given surname nearest before
// position pos, or else the first after it.
func (d *doc) personFor(sur string, pos int) *person {
	before, after := d.nearestPersons(sur, pos, func(p *person) bool {
		return p.end-p.start >= 2 && (p.surname == sur || p.familyFirst && p.first == sur)
	})
	if before != nil {
		return before
	}
	return after
}

// maxPersonScan bounds how many same-named persons a look-up in the index
// steps over on each side of its position, so that a text of one name
// repeated (1 MiB of "X Y said Y said.") stays linear.
const maxPersonScan = 64

// nearestPersons returns the person satisfying ok that starts nearest
// before (or at) position pos and the one nearest after it, among the
// persons whose surname or first name is key.
func (d *doc) nearestPersons(key string, pos int, ok func(*person) bool) (before, after *person) {
	if len(d.persons) < personIndexMin {
		for i := range d.persons {
			p := &d.persons[i]
			if !ok(p) {
				continue
			}
			if int(p.start) <= pos {
				if before == nil || p.start > before.start {
					before = p
				}
			} else if after == nil || p.start < after.start {
				after = p
			}
		}
		return before, after
	}
	d.indexPersons()
	list := d.byName[key]
	k := sort.Search(len(list), func(i int) bool { return int(d.persons[list[i]].start) > pos })
	for i := k - 1; i >= 0 && i >= k-maxPersonScan; i-- {
		if p := &d.persons[list[i]]; ok(p) {
			before = p
			break
		}
	}
	for i := k; i < len(list) && i < k+maxPersonScan; i++ {
		if p := &d.persons[list[i]]; ok(p) {
			after = p
			break
		}
	}
	return before, after
}
