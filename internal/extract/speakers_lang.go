package extract

// Speakers in the other languages: a verb of saying (or "selon", "laut",
// "по словам", "بحسب") and the name next to it, or a name before a colon
// that opens a quotation. Names are runs of capitalised words (any word
// but a stop or role word in Arabic, which has no capitals); a surname
// alone resolves to the full name the text gives elsewhere, an inflected
// full name to its shortest (nominative) form in the text, and the result
// to the Latin form the archive knows (names.go).

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// mlRun is a run of name words: tokens [start, end) and their count.
type mlRun struct {
	start, end int
	words      int
}

// mlNameWord reports whether token i can be part of a name.
func (d *doc) mlNameWord(lt *mlTables, i int) bool {
	t := d.toks[i]
	if t.kind != kWord || d.info[i].mark&mCountry != 0 {
		return false
	}
	key := d.wordKey(i)
	if lt.arabic {
		if utf8.RuneCountInString(key) < 2 {
			return false
		}
		for _, f := range d.formsAt(lt, i) {
			if lt.stop[f] || lt.roles[f] || lt.say[f] {
				return false
			}
			if lt.according[f] > 0 {
				return false
			}
		}
		return true
	}
	if t.flags&fCap == 0 || t.flags&fUpper != 0 {
		return false
	}
	if lt.stop[key] || lt.roles[key] || lt.say[key] || lt.according[key] > 0 || lt.aux[key] {
		return false
	}
	for _, e := range lt.roleEnds {
		if strings.HasSuffix(key, e) {
			return false
		}
	}
	return true
}

// mlRunAt returns the run of name words starting at token i (whose first
// word must be a name word), up to four words; hyphen-joined words
// ("Jean-Noël", "Al-Sudani") count as one.
func (d *doc) mlRunAt(lt *mlTables, i int) mlRun {
	toks := d.toks
	n := len(toks)
	r := mlRun{start: i, end: i}
	k := i
	for k < n && r.words < 4 {
		if k > i && (toks[k].flags&fSent != 0 || toks[k].flags&fSpaceBefore == 0 && toks[k].flags&fHyph == 0) {
			break
		}
		// Particles inside a name: "von der Leyen", "bin Farhan".
		j := k
		if k > i {
			for j < n && j-k < 2 && toks[j].kind == kWord && lt.particles[d.wordKey(j)] {
				j++
			}
		}
		if j >= n || !d.mlNameWord(lt, j) {
			break
		}
		e := j + 1
		for e < n && toks[e].kind == kWord && toks[e].flags&fHyph != 0 {
			e++
		}
		r.end = e
		r.words++
		k = e
	}
	return r
}

// mlRunEndingAt returns the run of name words that ends at token e
// (exclusive), or a run with no words.
func (d *doc) mlRunEndingAt(lt *mlTables, e int) mlRun {
	for s := e - 1; s >= 0 && s >= e-8; s-- {
		if d.toks[s].kind != kWord {
			break
		}
		if d.toks[s].flags&fHyph != 0 {
			continue
		}
		if !d.mlNameWord(lt, s) {
			if lt.particles[d.wordKey(s)] {
				continue
			}
			break
		}
		if r := d.mlRunAt(lt, s); r.end == e {
			// Keep the longest: try further left first.
			best := r
			for s2 := s - 1; s2 >= 0 && s2 >= e-8; s2-- {
				if d.toks[s2].kind != kWord {
					break
				}
				if r2 := d.mlRunAt(lt, s2); r2.words > 0 && r2.end == e {
					best = r2
				}
			}
			return best
		}
	}
	return mlRun{}
}

// trimRole drops the first word of a run of three or more words when the
// second is a known given name and the first is not ("Аналитик Игорь
// Смирнов", "Ökonomin Katrin Schäfer").
func (d *doc) trimRole(lt *mlTables, r mlRun) mlRun {
	if r.words < 3 {
		return r
	}
	next := r.start + 1
	for next < r.end && d.toks[next].flags&fHyph != 0 {
		next++
	}
	if !d.x.givenName(lt.code, d.tokText(r.start)) && d.x.givenName(lt.code, d.tokText(next)) {
		return mlRun{start: next, end: r.end, words: r.words - 1}
	}
	return r
}

// givenName reports whether w (romanised if Cyrillic) is a known given
// name.
func (x *Extractor) givenName(code, w string) bool {
	if scriptOf(w) == unicode.Cyrillic {
		w = romaniseCyrillic(code, w)
	}
	bits, _ := x.capsT.get(w)
	return bits&cGiven != 0
}

// mlText returns the words of a run joined by spaces (hyphens kept).
func (d *doc) mlText(r mlRun) string {
	var b strings.Builder
	for k := r.start; k < r.end; k++ {
		if k > r.start {
			if d.toks[k].flags&fHyph != 0 {
				b.WriteByte('-')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(d.tokText(k))
	}
	return b.String()
}

// mlForward finds the name after a verb: role words, articles,
// prepositions, genitives and countries ("заявил пресс-секретарь
// президента России Дмитрий Песков", "a déclaré le porte-parole du
// Kremlin, Dmitri Peskov") may come between.
func (d *doc) mlForward(lt *mlTables, k int) mlRun {
	toks := d.toks
	for steps := 0; k < len(toks) && steps < 9; steps++ {
		t := toks[k]
		if t.flags&fSent != 0 && steps > 0 {
			return mlRun{}
		}
		if t.kind == kPunct {
			if t.p == ',' || t.p == '-' && steps == 0 {
				k++
				continue
			}
			return mlRun{}
		}
		if t.kind != kWord {
			return mlRun{}
		}
		if d.mlNameWord(lt, k) {
			return d.mlRunAt(lt, k)
		}
		key := d.wordKey(k)
		if lt.stop[key] || lt.say[key] {
			return mlRun{}
		}
		if lt.arabic {
			for _, f := range d.formsAt(lt, k)[1:] {
				if lt.stop[f] && !lt.roles[f] {
					return mlRun{}
				}
			}
		}
		k++
	}
	return mlRun{}
}

// mlBackward finds the name before a verb: "Песков заявил", "Peskov a
// déclaré", "Peskow hat gesagt", "Peskow, der Sprecher des Kremls, sagte".
func (d *doc) mlBackward(lt *mlTables, v int) mlRun {
	toks := d.toks
	k := v
	for steps := 0; k > 0 && steps < 3; steps++ {
		if toks[k-1].kind == kWord && lt.aux[d.wordKey(k-1)] {
			k--
			continue
		}
		break
	}
	if k == 0 {
		return mlRun{}
	}
	if r := d.mlRunEndingAt(lt, k); r.words > 0 {
		return r
	}
	// A name in apposition: "El ministro, José Manuel Albares, añadió".
	if toks[k-1].kind == kPunct && toks[k-1].p == ',' {
		if r := d.mlRunEndingAt(lt, k-1); r.words >= 2 && r.start > 0 && toks[r.start-1].kind == kPunct && toks[r.start-1].p == ',' {
			return r
		}
	}
	// An aside between commas: "Peskow, der Sprecher des Kremls, sagte".
	if toks[k-1].kind == kPunct && toks[k-1].p == ',' {
		for c := k - 2; c > 0 && c > k-16; c-- {
			t := toks[c]
			if t.kind == kPunct && t.p != ',' {
				return mlRun{}
			}
			if t.kind == kPunct && t.p == ',' {
				if toks[c+1].kind != kWord || toks[c+1].flags&fCap != 0 && !lt.arabic {
					return mlRun{}
				}
				return d.mlRunEndingAt(lt, c)
			}
		}
	}
	return mlRun{}
}

// mlSpeakers finds the attributions of the text.
func (d *doc) mlSpeakers(lt *mlTables) []string {
	toks := d.toks
	n := len(toks)
	// Full names anywhere in the text, for resolving surnames.
	var persons []mlRun
	if !lt.arabic {
		for i := 0; i < n; i++ {
			if toks[i].kind != kWord || toks[i].flags&fHyph != 0 || !d.mlNameWord(lt, i) {
				continue
			}
			r := d.mlRunAt(lt, i)
			if r.words >= 2 {
				persons = append(persons, r)
			}
			i = max(i, r.end-1)
		}
	}
	if lt.arabic {
		// No capitals: a name is two or more name words after a role
		// word or a country ("نظيره الروسي سيرغي لافروف").
		for i := 0; i+1 < n; i++ {
			if toks[i].kind != kWord || d.mlNameWord(lt, i) {
				continue
			}
			if d.info[i].mark&mCountry == 0 && !lt.roles[d.wordKey(i)] {
				continue
			}
			if d.mlNameWord(lt, i+1) {
				if r := d.mlRunAt(lt, i+1); r.words >= 2 {
					persons = append(persons, r)
					i = r.end - 1
				}
			}
		}
	}
	var refs []mlRun
	for v := 0; v < n; v++ {
		t := toks[v]
		if t.kind == kPunct && t.p == ':' && v+1 < n && toks[v+1].flags&fOpenQ != 0 {
			// "Peskow: „…“".
			if r := d.mlRunEndingAt(lt, v); r.words > 0 {
				refs = append(refs, r)
			}
			continue
		}
		if t.kind != kWord {
			continue
		}
		key := d.wordKey(v)
		say, acc := lt.say[key], lt.according[key]
		if lt.arabic && !say && acc == 0 {
			for _, f := range d.formsAt(lt, v)[1:] {
				if lt.say[f] {
					say = true
				}
				if a := lt.according[f]; a > 0 {
					acc = a
				}
			}
		}
		var r mlRun
		switch {
		case acc > 0:
			if acc > 1 && (v+1 >= n || d.wordKey(v+1) != lt.accordingPair[key]) {
				continue
			}
			r = d.mlForward(lt, v+acc)
		case say:
			if !lt.arabic {
				r = d.mlBackward(lt, v)
			}
			if r.words == 0 {
				r = d.mlForward(lt, v+1)
			}
		default:
			continue
		}
		if r.words > 0 {
			if lt.arabic && r.words >= 2 {
				persons = append(persons, r)
			}
			refs = append(refs, r)
		}
	}
	ps := d.indexPersonsML(persons)
	out := []string{}
	seen := map[string]bool{}
	canon := map[string]string{} // per text: a repeated name is looked up once
	for _, r := range refs {
		name := d.mlResolve(lt, d.trimRole(lt, r), ps)
		if name == "" {
			continue
		}
		c, ok := canon[name]
		if !ok {
			c = d.x.names.canonical(lt.code, name)
			canon[name] = c
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// mlPersons are the full names of a text, indexed by the first three
// letters (lower case) of their last and of their first word: forms of
// one word share at least those (sameWord).
type mlPersons struct {
	byLast, byFirst map[string][]mlPerson
	resolved        map[string]string // full name -> its shortest form, once per text
}

// mlPerson is a full name of the text and its words.
type mlPerson struct {
	run   mlRun
	words []string
	name  string
}

// maxPersonCandidates bounds how many full names one look-up compares, so
// a text of 40,000 names stays linear.
const maxPersonCandidates = 64

func prefix3(w string) string {
	r := []rune(strings.ToLower(w))
	if len(r) > 3 {
		r = r[:3]
	}
	return string(r)
}

func (d *doc) indexPersonsML(persons []mlRun) mlPersons {
	ps := mlPersons{byLast: map[string][]mlPerson{}, byFirst: map[string][]mlPerson{}, resolved: map[string]string{}}
	for _, p := range persons {
		w := d.runWords(p)
		mp := mlPerson{run: p, words: w, name: strings.Join(w, " ")}
		kl, kf := prefix3(w[len(w)-1]), prefix3(w[0])
		ps.byLast[kl] = append(ps.byLast[kl], mp)
		ps.byFirst[kf] = append(ps.byFirst[kf], mp)
	}
	// Arabic persons come from the attributions, out of text order.
	for _, m := range []map[string][]mlPerson{ps.byLast, ps.byFirst} {
		for _, l := range m {
			sort.SliceStable(l, func(i, j int) bool { return l[i].run.start < l[j].run.start })
		}
	}
	return ps
}

// mlResolve turns a speaker run into a name: a surname alone becomes the
// full name it belongs to, an inflected full name its shortest form.
func (d *doc) mlResolve(lt *mlTables, r mlRun, ps mlPersons) string {
	words := d.runWords(r)
	if len(words) >= 2 {
		return d.mlShortest(lt, words, r.start, ps)
	}
	sur := words[0]
	var found *mlPerson
	cands := ps.byLast[prefix3(sur)]
	// The nearest before the mention, else the first after: look at the
	// candidates around its position only.
	k0 := sort.Search(len(cands), func(i int) bool { return cands[i].run.start > r.start })
	lo, hi := max(0, k0-maxPersonCandidates/2), min(len(cands), k0+maxPersonCandidates/2)
	for k := lo; k < hi; k++ {
		p := &cands[k]
		if !lt.sameWord(p.words[len(p.words)-1], sur) {
			continue
		}
		if found == nil || p.run.start <= r.start && (found.run.start > r.start || p.run.start > found.run.start) {
			found = p
		}
	}
	if found == nil {
		return ""
	}
	return d.mlShortest(lt, found.words, found.run.start, ps)
}

// mlShortest returns the shortest form in the text of the full name
// words (its nominative, in the inflected languages), the earliest of
// equal length.
func (d *doc) mlShortest(lt *mlTables, words []string, start int, ps mlPersons) string {
	best := strings.Join(words, " ")
	if r, ok := ps.resolved[best]; ok {
		return r
	}
	key := best
	bestStart := start
	cands := ps.byFirst[prefix3(words[0])]
	if len(cands) > maxPersonCandidates {
		cands = cands[:maxPersonCandidates]
	}
	for _, p := range cands {
		if len(p.words) != len(words) {
			continue
		}
		same := true
		for k := range p.words {
			if !lt.sameWord(p.words[k], words[k]) {
				same = false
				break
			}
		}
		n, b := utf8.RuneCountInString(p.name), utf8.RuneCountInString(best)
		if same && (n < b || n == b && p.run.start < bestStart) {
			best, bestStart = p.name, p.run.start
		}
	}
	ps.resolved[key] = best
	return best
}

// runWords returns the words of a run, hyphenated units kept together,
// particles included.
func (d *doc) runWords(r mlRun) []string {
	return strings.Fields(d.mlText(r))
}

// sameWord reports whether two name words are forms of one word: equal,
// or (in the inflected languages) the same stem with different endings.
func (lt *mlTables) sameWord(a, b string) bool {
	if a == b {
		return true
	}
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	p := 0
	for p < len(ra) && p < len(rb) && ra[p] == rb[p] {
		p++
	}
	slack := 0
	switch lt.code {
	case "ru", "uk":
		slack = 3
	case "de":
		slack = 1 // "Peskows"
	}
	return p >= 3 && len(ra)-p <= slack && len(rb)-p <= slack
}
