package extract

import (
	"sort"
	"strings"
)

// phrasesAt returns the aliases whose first word is word i, in title case
// when the word is an all-caps word in a headline or dateline.
func (d *doc) phrasesAt(i int) []phrase {
	s := d.tokText(i)
	if d.info[i].tkey {
		if b, ok := titleInto(d.buf[:0], s); ok {
			return d.x.phrases[string(b)]
		}
	}
	return d.x.phrases[s]
}

// matchRest matches the words of an alias after its first word against the
// tokens from i on; it returns the index after the match, or -1.
func (d *doc) matchRest(i int, rest []ptok) int {
	k := i
	for _, pt := range rest {
		if k >= len(d.toks) {
			return -1
		}
		t := d.toks[k]
		if t.flags&fSent != 0 {
			return -1
		}
		if pt.p != 0 {
			if t.kind != kPunct || t.p != pt.p {
				return -1
			}
		} else {
			if t.kind != kWord {
				return -1
			}
			s := d.text[t.s:t.e]
			if pt.lower || t.flags&fCapsCtx != 0 {
				if !strings.EqualFold(s, pt.text) {
					return -1
				}
			} else if s != pt.text {
				return -1
			}
		}
		k++
	}
	return k
}

// findCountries finds every country alias: longest match first, then the
// person, publication and place-in-region rules.
func (d *doc) findCountries() {
	toks, info := d.toks, d.info
	n := len(toks)
	for i := 0; i < n; i++ {
		t := toks[i]
		if t.kind != kWord || t.flags&(fCap|fUpper) == 0 || info[i].mark&mPerson != 0 {
			continue
		}
		if info[i].caps&cAlias == 0 {
			// "Irvine, Calif.": a state abbreviation after "Town,".
			if c, ok := d.stateAbbrAt(i); ok {
				d.hits = append(d.hits, hit{start: int32(i), end: int32(i + 1), country: c, kind: akRegion})
				info[i].mark |= mCountry
			}
			continue
		}
		var best *phrase
		end := -1
		ps := d.phrasesAt(i)
		for pi := range ps {
			if e := d.matchRest(i+1, ps[pi].rest); e >= 0 {
				best, end = &ps[pi], e
				break
			}
		}
		if best == nil {
			continue
		}
		if best.country >= 0 && !d.keepAlias(i, end, best) {
			continue
		}
		for k := i; k < end; k++ {
			info[k].mark |= mCountry
		}
		if best.country >= 0 {
			d.hits = append(d.hits, hit{start: int32(i), end: int32(end), country: best.country, kind: best.kind, special: best.special})
		}
		i = end - 1
	}
	d.dropPlacesInRegions()
	d.resolveSpecial()
}

// stateAbbrAt recognises a state abbreviation in the "Town, St." pattern of
// datelines and addresses: "Irvine, Calif.", "DEARBORN, MICH.",
// "NITRO, W.Va.".
func (d *doc) stateAbbrAt(i int) (int16, bool) {
	toks := d.toks
	k := i - 1
	// "W.Va": an initial glued to the abbreviation.
	start := i
	if k >= 0 && toks[k].kind == kWord && toks[k].flags&fDotted != 0 && toks[k].e == toks[i].s {
		start = k
		k--
	}
	if k < 1 || toks[k].kind != kPunct || toks[k].p != ',' || toks[k-1].kind != kWord || toks[k-1].flags&(fCap|fUpper) == 0 {
		return 0, false
	}
	s := d.text[toks[start].s:toks[i].e]
	if c, ok := d.x.stateAbbr[s]; ok {
		return c, true
	}
	if b, ok := titleInto(d.buf[:0], s); ok {
		c, ok := d.x.stateAbbr[string(b)]
		return c, ok
	}
	return 0, false
}

// keepAlias applies the rules that make a matched alias something other
// than the country: a ticker ("<UK>"), a company name ("British Petroleum
// Co"), a currency ("U.S. dlrs"), a publication ("Washington Post"),
// history ("former Soviet"), or the name of a person named in the text
// ("Denzel Washington ... Washington said").
func (d *doc) keepAlias(i, end int, p *phrase) bool {
	toks, info := d.toks, d.info
	// A ticker symbol in angle brackets: "Union Carbide Corp <UK>".
	if s, e := int(toks[i].s), int(toks[end-1].e); s > 0 && e < len(d.text) && d.text[s-1] == '<' && d.text[e] == '>' {
		return false
	}
	if d.inCompanyName(i, end) {
		return false
	}
	// A currency: "U.S. dlrs", "Swiss francs", "Taiwan dollar", "West
	// German marks" name money, not the country.
	if end < len(toks) && toks[end].kind == kWord && (p.kind == akName || p.kind == akDemonym || p.kind == akHist) && info[end].lex&bCurrency != 0 {
		return false
	}
	if end < len(toks) {
		nt := toks[end]
		if nt.kind == kWord && nt.flags&fSpaceBefore != 0 && nt.flags&fSent == 0 && info[end].caps&cMedia != 0 && toks[end-1].flags&fPoss == 0 {
			return false
		}
	}
	// "former Soviet republic", "ex-Soviet", "post-Soviet": history, not
	// today's state.
	if p.kind == akHist && i > 0 && toks[i-1].kind == kWord {
		switch strings.ToLower(d.tokText(i - 1)) {
		case "former", "ex", "post":
			return false
		}
	}
	if len(p.rest) == 0 && len(d.persons) > 0 && d.personWord(d.tokText(i)) && !d.placeContext(i) {
		return false
	}
	if d.brusselsForEU(i, end) {
		return false
	}
	return true
}

// brusselsForEU reports whether "Brussels" at [i, end) stands for the
// European Union rather than for Belgium: it acts ("Brussels said",
// "Brussels has warned", "Brussels wants") or owns something ("Brussels'
// demands"), and does not stand where places stand ("in Brussels", the
// dateline "BRUSSELS, Dec 3 -"). The EU, like every supranational body, is
// not a country, so that mention reports nothing.
func (d *doc) brusselsForEU(i, end int) bool {
	if end != i+1 || !strings.EqualFold(d.tokText(i), "Brussels") || d.placeContext(i) || d.toks[i].flags&fCapsCtx != 0 {
		return false
	}
	if d.toks[i].flags&fPoss != 0 || end < len(d.toks) && d.toks[end].kind == kPunct && d.toks[end].p == '\'' {
		return true
	}
	if end < len(d.toks) && d.toks[end].kind == kWord && d.toks[end].flags&fSent == 0 {
		if l := d.info[end].lex; l&(bVerb|bAux|bFinite) != 0 {
			return true
		}
		// An adverb between: "Brussels also said", "Brussels on Monday said".
		for k := end; k < len(d.toks) && k < end+4; k++ {
			if d.toks[k].kind != kWord || d.toks[k].flags&fSent != 0 {
				break
			}
			if d.info[k].lex&bVerb != 0 {
				return true
			}
		}
	}
	return false
}

// inCompanyName reports whether the alias at [i, end) is part of a company
// name: inside Reuters' <...> company tags, or followed (possibly after more
// capitalised words) by a company suffix or a ticker tag: "British
// Petroleum Co Plc", "Texaco Canada Inc", "Unicorp Canada <UNI.A>".
func (d *doc) inCompanyName(i, end int) bool {
	toks, info := d.toks, d.info
	s := int(toks[i].s)
	for k := s - 1; k >= 0 && k >= s-60; k-- {
		c := d.text[k]
		if c == '>' || c == '\n' {
			break
		}
		if c == '<' {
			return true
		}
	}
	for k := end; k < len(toks) && k < end+4; k++ {
		t := toks[k]
		if t.kind == kPunct && d.text[t.s] == '<' {
			// A ticker tag after the name: "ACME CANADA<ACM.A>",
			// "NORTHERN GROWTH AUSTRALIAN FUND <NGA>".
			return true
		}
		if t.kind != kWord || t.flags&fSent != 0 || t.flags&(fCap|fUpper) == 0 {
			return false
		}
		if info[k].caps&cCorp != 0 {
			return true
		}
	}
	return false
}

// multiWordAliasAt reports whether an alias of two or more words starts at i.
func (d *doc) multiWordAliasAt(i int) bool {
	for _, p := range d.phrasesAt(i) {
		if len(p.rest) > 0 && d.matchRest(i+1, p.rest) >= 0 {
			return true
		}
	}
	return false
}

// placeContext reports whether the word at i stands where a place name
// stands: after a preposition of place ("in Jordan") or in a dateline
// ("WADI MUSA, Jordan").
func (d *doc) placeContext(i int) bool {
	if i == 0 {
		return false
	}
	prev := d.toks[i-1]
	if prev.kind == kWord {
		switch d.tokText(i - 1) {
		case "in", "to", "from", "across", "into", "throughout", "visit", "visited", "visiting",
			"toward", "towards", "via", "near", "outside", "inside", "around":
			return true
		}
		return false
	}
	return prev.kind == kPunct && prev.p == ',' && i >= 2 && d.toks[i-2].flags&fCapsCtx != 0
}

// dropPlacesInRegions drops a city (or institution) that a following
// region places in another country: "Paris, Texas", "London, Ontario",
// "Cambridge, Mass.", "WESTMINSTER, Calif.". A list such as "London, Texas
// and Ohio" would lose London too; that reading is rare.
func (d *doc) dropPlacesInRegions() {
	for k := 0; k+1 < len(d.hits); k++ {
		h, h2 := &d.hits[k], d.hits[k+1]
		if (h.kind != akPlace && h.kind != akInst) || h2.kind != akRegion || h2.country == h.country || h2.start != h.end+1 {
			continue
		}
		if c := d.toks[h.end]; c.kind != kPunct || c.p != ',' {
			continue
		}
		h.country = -2
	}
}

// resolveSpecial settles the aliases whose country depends on the rest of
// the document: Georgia (state or country), Turkey (country or bird),
// bare Congo (which Congo).
func (d *doc) resolveSpecial() {
	x := d.x
	var usLocal, geoAliases, turkeyAliases, drcExplicit, rocExplicit, zaire, neighbours int
	var specials bool
	for _, h := range d.hits {
		switch {
		case h.special != spNone:
			specials = true
		case h.country == x.idUS && (h.kind == akPlace || h.kind == akRegion):
			usLocal++
		case h.country == x.idGeorgia:
			geoAliases++
		case h.country == x.idTurkey:
			turkeyAliases++
		case h.country == x.idDRC:
			if h.kind == akHist {
				zaire++
			} else {
				drcExplicit++
			}
		case h.country == x.idRoC:
			rocExplicit++
		}
		if h.country >= 0 {
			switch x.countries[h.country] {
			case "Russia", "Armenia", "Azerbaijan", "Ukraine", "Turkey":
				neighbours++
			}
		}
	}
	if !specials {
		return
	}
	for k := range d.hits {
		h := &d.hits[k]
		switch h.special {
		case spGeorgia:
			local := d.georgiaLocal(h)
			state := local > 0
			if local == 0 {
				stateScore := d.cueGeoState + 2*usLocal
				countryScore := d.cueGeoCountry + 2*geoAliases + neighbours
				state = stateScore > countryScore
			}
			if state {
				h.country = x.idUS
			}
		case spTurkey:
			turkish := d.cueTurkey + 2*turkeyAliases
			if d.cueBird >= 2 && d.cueBird > turkish {
				h.country = -2
			}
		case spCongo:
			if (rocExplicit > 0 && drcExplicit == 0) || zaire > 0 {
				h.country = x.idRoC
			} else {
				h.country = x.idDRC
			}
		}
	}
}

// georgiaLocal reads the words around one "Georgia": +1 for the US state
// ("Georgia, U.S.", "state of Georgia", "Gov. ... of Georgia", "Atlanta,
// Georgia"), -1 for the country ("Republic of Georgia"), 0 when silent.
func (d *doc) georgiaLocal(h *hit) int {
	toks := d.toks
	i, end := int(h.start), int(h.end)
	word := func(k int) string {
		if k < 0 || k >= len(toks) || toks[k].kind != kWord {
			return ""
		}
		return d.tokText(k)
	}
	punct := func(k int) byte {
		if k < 0 || k >= len(toks) || toks[k].kind != kPunct {
			return 0
		}
		return toks[k].p
	}
	// Following: ", U.S." / "(U.S.)" / "state" / "State".
	if p := punct(end); p == ',' || p == '(' {
		if o := d.hitAt(end + 1); o != nil && o.country == d.x.idUS {
			return 1
		}
	}
	if w := word(end); w == "state" || w == "State" {
		return 1
	}
	// Preceding: "state of", "Republic of", "Gov.", "governor of", "Atlanta,".
	if word(i-1) == "of" {
		switch strings.ToLower(word(i - 2)) {
		case "state", "governor", "gov", "senator", "legislature", "university":
			return 1
		case "republic":
			return -1
		}
	}
	switch strings.ToLower(word(i - 1)) {
	case "gov", "governor", "southern", "rural", "suburban", "northern", "metro":
		return 1
	}
	if punct(i-1) == ',' {
		// The hit just before the comma, if it ends there.
		k := sort.Search(len(d.hits), func(k int) bool { return int(d.hits[k].start) >= i-1 }) - 1
		if k >= 0 {
			if o := d.hits[k]; int(o.end) == i-1 && o.country == d.x.idUS && (o.kind == akPlace || o.kind == akRegion) {
				return 1
			}
		}
	}
	return 0
}

// hitAt returns the hit starting at token i, or nil. Hits are in token
// order.
func (d *doc) hitAt(i int) *hit {
	k := sort.Search(len(d.hits), func(k int) bool { return int(d.hits[k].start) >= i })
	if k < len(d.hits) && int(d.hits[k].start) == i {
		return &d.hits[k]
	}
	return nil
}

// countryNames lists the countries found for which keep (nil: every
// country) reports true, in order of first appearance.
func (d *doc) countryNames(keep func(c int16) bool) []string {
	var seen [4]uint64 // New allows at most 256 countries
	var order [256]int16
	n := 0
	for _, h := range d.hits {
		if c := h.country; c >= 0 && seen[c>>6]&(1<<(c&63)) == 0 {
			seen[c>>6] |= 1 << (c & 63)
			if keep == nil || keep(c) {
				order[n] = c
				n++
			}
		}
	}
	out := make([]string, n)
	for i, c := range order[:n] {
		out[i] = d.x.countries[c]
	}
	return out
}

// sameLine reports whether tokens a <= b are on the same line.
func (d *doc) sameLine(a, b int) bool {
	return !strings.Contains(d.text[d.toks[a].s:d.toks[b].s], "\n")
}
