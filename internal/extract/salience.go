package extract

import "sort"

// Salience: which of the countries mentioned an article is about. See the
// Countries section of doc.go.

// enumMin is the length from which an enumeration of countries ("Britain,
// Canada, France, Italy, Japan, the U.S. and West Germany") is a list of
// passing mentions.
const enumMin = 5

// salience flags of one country in one document.
const (
	salStrong  uint8 = 1 << iota // in the headline, the dateline or the lead
	salNamed                     // named by its own name, not in passing
	salRepeat                    // mentioned more than once
	salVisited                   // mentioned at all
	salNotCity                   // mentioned other than by a city's name
)

// leadBounds returns the first body token and the index after the body's
// first sentence: the lead. Headline tokens come before the body.
func (d *doc) leadBounds() (bodyStart, leadEnd int) {
	bodyStart, leadEnd = -1, len(d.toks)
	for i, t := range d.toks {
		if t.flags&fTitle != 0 {
			continue
		}
		if bodyStart < 0 {
			bodyStart = i
			continue
		}
		if t.flags&fSent != 0 {
			return bodyStart, i
		}
	}
	if bodyStart < 0 {
		bodyStart = len(d.toks)
	}
	return bodyStart, leadEnd
}

// salientCountries lists the countries the article is about, in order of
// first appearance: those in the headline, the dateline or the lead
// sentence, those mentioned more than once other than only as a city, and
// those named by their own name ("Norway", "the United States") other than
// in passing.
func (d *doc) salientCountries() []string {
	_, main := d.countryRoles()
	return main
}

// isMain reports whether salience flags f make a country one the article
// is about.
func isMain(f uint8) bool {
	return f&(salStrong|salNamed) != 0 || f&(salRepeat|salNotCity) == salRepeat|salNotCity
}

// countryRoles returns every country mentioned, in order of salience, and
// the main ones (those the article is about) in order of first appearance.
// The order of all: the main countries first, as in main; then the others
// by number of mentions, most first, ties by first appearance.
func (d *doc) countryRoles() (all, main []string) {
	var flags [256]uint8
	var count [256]int32
	d.salience(&flags)
	for _, h := range d.hits {
		if h.country >= 0 {
			count[h.country]++
		}
	}
	main = d.countryNames(func(c int16) bool { return isMain(flags[c]) })
	var rest []int16
	d.countryNames(func(c int16) bool {
		if !isMain(flags[c]) {
			rest = append(rest, c)
		}
		return false
	})
	sort.SliceStable(rest, func(i, j int) bool { return count[rest[i]] > count[rest[j]] })
	all = make([]string, 0, len(main)+len(rest))
	all = append(all, main...)
	for _, c := range rest {
		all = append(all, d.x.countries[c])
	}
	return all, main
}

// salience sets the salience flags of every country mentioned.
func (d *doc) salience(flags *[256]uint8) {
	bodyStart, leadEnd := d.leadBounds()
	namedEnd := d.sentenceEnd(bodyStart, namedSentences)
	hits := d.hits
	for k := 0; k < len(hits); {
		// One enumeration: hits joined by commas, "and", "or", "the".
		end := k + 1
		for end < len(hits) && hits[end].country >= 0 && hits[end-1].country >= 0 && d.enumJoined(int(hits[end-1].end), int(hits[end].start)) {
			end++
		}
		enum := end - k
		// "of Japan and West Germany": the whole enumeration is genitive.
		genitive := hits[k].country >= 0 && d.genitive(&hits[k])
		for ; k < end; k++ {
			h := &hits[k]
			if h.country < 0 {
				continue
			}
			start := int(h.start)
			f := &flags[h.country]
			// "Milan, Italy" and "Perth, Australia" are one reference.
			address := k > 0 && hits[k-1].country == h.country && int(hits[k-1].end)+1 == start &&
				d.toks[start-1].kind == kPunct && d.toks[start-1].p == ','
			if *f&salVisited != 0 && !address {
				*f |= salRepeat
			}
			*f |= salVisited
			if h.kind != akPlace {
				*f |= salNotCity
			}
			t := d.toks[h.start]
			passing := d.passing(h)
			if t.flags&fTitle != 0 || (start >= bodyStart && start < leadEnd && !passing) ||
				(t.flags&fCapsCtx != 0 && start >= bodyStart && d.sameLine(bodyStart, start)) {
				*f |= salStrong
			}
			if h.kind == akName && start < namedEnd && enum < enumMin && !passing && !genitive {
				*f |= salNamed
			}
		}
	}
}

// namedSentences is how many of the body's first sentences a single
// mention of a country by its own name makes it a main country in.
const namedSentences = 2

// sentenceEnd returns the index after the n-th sentence starting at from.
func (d *doc) sentenceEnd(from, n int) int {
	for i := from + 1; i < len(d.toks); i++ {
		if d.toks[i].flags&fSent != 0 {
			n--
			if n == 0 {
				return i
			}
		}
	}
	return len(d.toks)
}

// enumJoined reports whether the tokens [a, b) between two country
// mentions only join them into a list: commas, "and", "or", "the".
func (d *doc) enumJoined(a, b int) bool {
	if b-a > 2 || b < a {
		return false
	}
	for k := a; k < b; k++ {
		t := d.toks[k]
		if t.kind == kPunct && t.p == ',' {
			continue
		}
		if t.kind == kWord {
			switch d.tokText(k) {
			case "and", "or", "the", "nor":
				continue
			}
		}
		return false
	}
	return true
}

// passing reports whether a mention names the country only in passing:
// as a company's home ("Tokico Ltd of Japan", "a Hamburg-based
// newsletter"), as the venue of a listing ("listed in Luxembourg", "listed
// on the Luxembourg Stock Exchange"), or as an abbreviation modifying the
// next word ("U.S. banks", "U.K.-based").
func (d *doc) passing(h *hit) bool {
	toks := d.toks
	i, end := int(h.start), int(h.end)
	if i >= 2 && d.isWord(i-1, "of") {
		if p := toks[i-2]; p.kind == kWord && d.info[i-2].caps&cCorp != 0 || p.kind == kPunct && (d.text[p.s] == '>' || p.p == ')') {
			return true
		}
	}
	for k := i - 1; k >= 0 && k >= i-5; k-- {
		if toks[k].kind != kWord {
			break
		}
		switch d.tokText(k) {
		case "listed", "listing", "quoted":
			return true
		}
		if toks[k].flags&fSent != 0 {
			break
		}
	}
	if end < len(toks) && d.isWord(end, "based") {
		return true
	}
	if t := toks[i]; end == i+1 && (t.flags&fDotted != 0 || t.flags&fUpper != 0 && t.e-t.s <= 3) && end < len(toks) {
		n := toks[end]
		if n.kind == kWord && n.flags&fSent == 0 && d.info[end].lex&(bStop|bVerb|bAux|bFinite) == 0 {
			return true
		}
	}
	return false
}

// isWord reports whether token k is the word w.
func (d *doc) isWord(k int, w string) bool {
	return k >= 0 && k < len(d.toks) && d.toks[k].kind == kWord && d.tokText(k) == w
}

// genitive reports whether a mention qualifies a noun before it: "the
// governments of Japan and West Germany", but not "the issue of Iran's
// nuclear dossier", where the country owns what follows.
func (d *doc) genitive(h *hit) bool {
	return d.isWord(int(h.start)-1, "of") && d.toks[h.end-1].flags&fPoss == 0
}
