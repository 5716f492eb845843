package extract

import (
	"slices"
)

// span is a run of capitalised words ("Kremlin", "Foreign Minister Sergei
// Lavrov") and the name at its end: the words after the last word that
// cannot be part of a name.
type span struct {
	start, end   int32 // token range of the run
	coreS, coreE int32 // token range of the name; coreS == coreE when none
	units        int8  // capitalised units in the name
	rolePrefixed bool  // a role or title stands right before the name
	poss         bool  // the run ends in a possessive
}

// speakerRef is one attribution found in the text.
type speakerRef struct {
	pos  int32
	span int32
}

// spanWord reports whether the unit at i can be part of a capitalised run.
func (d *doc) spanWord(i int) bool {
	t := d.toks[i]
	if t.kind != kWord || !d.capUnit(i) {
		return false
	}
	// Title-case headlines capitalise verbs: "Putin Says ...".
	if d.info[i].lex&(bVerb|bAux) != 0 && t.flags&fCap != 0 && d.info[i].mark&mPerson == 0 {
		if t.flags&(fTitle|fSent) != 0 || d.info[i].lex&bAux != 0 {
			return false
		}
	}
	return true
}

// buildSpans finds the capitalised runs and computes their names.
func (d *doc) buildSpans() []span {
	toks, info := d.toks, d.info
	n := len(toks)
	spans := d.spans[:0]
	for i := 0; i < n; {
		if t := toks[i]; t.kind != kWord || t.flags&fCapsCtx != 0 || (t.flags&fCap == 0 && info[i].lex&bParticle == 0) || !d.spanWord(i) {
			i++
			continue
		}
		start := i
		k := d.unitAfter(i)
		for k < n && toks[k-1].flags&fPoss == 0 {
			t := toks[k]
			// "Mr. Peskov", "Lt. Gen. Smith": a title's period.
			if t.kind == kPunct && t.p == '.' && t.flags&fSpaceBefore == 0 && info[k-1].lex&bTitle != 0 &&
				k+1 < n && toks[k+1].flags&fSpaceBefore != 0 && d.spanWord(k+1) {
				k++
				continue
			}
			if t.kind != kWord || t.flags&(fSent|fCapsCtx) != 0 || t.flags&fSpaceBefore == 0 {
				break
			}
			j := k
			for j < n && j-k < 3 && toks[j].kind == kWord && toks[j].flags&fCap == 0 &&
				info[j].lex&bParticle != 0 && info[j].unitEnd == int32(j+1) {
				j++
			}
			if j < n && d.spanWord(j) && toks[j].flags&(fSent|fCapsCtx) == 0 && (j == k || toks[j].flags&fSpaceBefore != 0) {
				k = d.unitAfter(j)
				continue
			}
			break
		}
		sp := span{start: int32(start), end: int32(k), poss: toks[k-1].flags&fPoss != 0}
		d.nameOf(&sp)
		idx := int32(len(spans) + 1)
		for m := start; m < k; m++ {
			info[m].span = idx
		}
		spans = append(spans, sp)
		i = k
	}
	d.spans = spans
	return spans
}

func (d *doc) unitAfter(i int) int {
	k := int(d.info[i].unitEnd)
	if k <= i {
		k = i + 1
	}
	return k
}

// nonName reports whether the unit at i cannot be part of a person's name.
func (d *doc) nonName(i int) bool {
	inf := d.info[i]
	if inf.mark&mPerson != 0 {
		return false
	}
	t := d.toks[i]
	if t.kind != kWord {
		return true
	}
	if inf.mark&mCountry != 0 || inf.caps&cOrg != 0 {
		return true
	}
	if inf.lex&(bStop|bRole|bTitle|bWeekday|bVerb|bAux) != 0 {
		return true
	}
	if t.flags&fUpper != 0 && t.flags&fDotted == 0 {
		return true
	}
	return false
}

// nameOf sets the name part of a span.
func (d *doc) nameOf(sp *span) {
	toks, info := d.toks, d.info
	coreS := int(sp.start)
	lastNon := -1
	for u := int(sp.start); u < int(sp.end); {
		if toks[u].kind == kWord && d.nonName(u) {
			lastNon = u
			coreS = d.unitAfter(u)
		}
		if toks[u].kind != kWord {
			u++
			continue
		}
		u = d.unitAfter(u)
	}
	// Skip a title's period ("Mr. Peskov").
	for coreS < int(sp.end) && toks[coreS].kind == kPunct {
		coreS++
	}
	coreE := int(sp.end)
	units := 0
	for u := coreS; u < coreE; u = d.unitAfter(u) {
		if toks[u].kind != kWord {
			break
		}
		// A capitalised particle ("Von der Leyen" at a sentence start) is
		// still a particle.
		if d.capUnit(u) && (info[u].lex&bParticle == 0 || int(d.info[u].unitEnd) >= coreE) {
			units++
		}
	}
	if units == 0 {
		sp.coreS, sp.coreE = sp.end, sp.end
		return
	}
	sp.coreS, sp.coreE, sp.units = int32(coreS), int32(coreE), int8(min(units, 100))
	if lastNon >= 0 {
		sp.rolePrefixed = info[lastNon].lex&(bRole|bTitle) != 0
	} else if s := int(sp.start) - 1; s >= 0 && toks[s].kind == kWord && toks[s].flags&fCap == 0 && info[s].lex&(bRole|bTitle) != 0 {
		sp.rolePrefixed = true
	}
}

// speakers finds attributions and returns full names in order.
func (d *doc) speakers() []string {
	spans := d.buildSpans()
	toks, info := d.toks, d.info
	n := len(toks)
	refs := d.refs[:0]
	defer func() { d.refs = refs[:0] }()
	spanAt := func(k int) *span {
		if k < 0 || k >= n || info[k].span == 0 {
			return nil
		}
		return &spans[info[k].span-1]
	}
	// Full names anywhere in the text resolve surname-only attributions.
	for si := range spans {
		sp := &spans[si]
		if sp.units >= 2 && sp.units <= 5 {
			d.addPerson(int(sp.coreS), int(sp.coreE))
		}
	}
	// forward finds the name after a verb or "according to", skipping
	// articles, role words and runs without a name ("said Kremlin
	// spokesman Dmitry Peskov").
	forward := func(k int) *span {
		article := false
		for steps := 0; k < n && steps < 8; steps++ {
			t := toks[k]
			if t.kind != kWord || t.flags&fSent != 0 {
				return nil
			}
			if sp := spanAt(k); sp != nil {
				if int(sp.start) != k {
					return nil
				}
				if sp.coreS < sp.coreE && !sp.poss {
					if article && sp.coreS == sp.start {
						return nil // "according to the Petra Development Authority"
					}
					return sp
				}
				k = int(sp.end)
				article = false
				continue
			}
			if t.flags&fCap == 0 && info[k].lex&(bRole|bTitle) != 0 {
				k++
				article = false
				continue
			}
			if isArticle(d.tokText(k)) {
				k++
				article = true
				continue
			}
			return nil
		}
		return nil
	}
	for v := 0; v < n; v++ {
		t := toks[v]
		if t.kind != kWord {
			continue
		}
		lw := info[v].lex
		if lw&(bVerb|bAccording|bQuoted) == 0 {
			continue
		}
		quoted := lw&bQuoted != 0 && v >= 1 && info[v-1].lex&bWas != 0 // "X was quoted as saying"
		accordingTo := lw&bAccording != 0 && t.flags&fCap == 0 && v+1 < n && info[v+1].lex&bTo != 0
		if lw&bVerb == 0 && !quoted && !accordingTo {
			continue
		}
		if t.flags&fCap != 0 && t.flags&fTitle == 0 {
			continue
		}
		if lw&bVerb != 0 && v+1 < n && quantityAt(d, v+1) {
			continue // "White added 21 points": a score, not a statement
		}
		if accordingTo {
			if sp := forward(v + 2); sp != nil {
				refs = append(refs, speakerRef{pos: sp.coreS, span: info[sp.start].span - 1})
			}
			continue
		}
		// Name before the verb: "Peskov said", "Peskov also said",
		// "Peskov on Monday said", "X was quoted".
		k := v - 1
		if quoted {
			k = v - 2
		}
		for steps := 0; k >= 0 && steps < 4; steps++ {
			tk := toks[k]
			if tk.kind == kWord && tk.flags&fCap == 0 && info[k].lex&bAux != 0 {
				k--
				continue
			}
			if tk.kind == kWord && info[k].lex&bWeekday != 0 && k >= 1 && d.tokText(k-1) == "on" {
				k -= 2
				continue
			}
			break
		}
		if k >= 0 {
			if sp := spanAt(k); sp != nil && int(sp.end) == k+1 {
				if sp.coreS < sp.coreE && !sp.poss {
					refs = append(refs, speakerRef{pos: sp.coreS, span: info[k].span - 1})
				}
				continue
			}
			if toks[k].kind == kPunct && toks[k].p == ',' {
				// "a local health worker, Mahamat Abakar, said"
				if sp := spanAt(k - 1); sp != nil && int(sp.end) == k && sp.start > 0 &&
					toks[sp.start-1].kind == kPunct && toks[sp.start-1].p == ',' &&
					sp.coreS < sp.coreE && !sp.poss && (sp.units >= 2 || sp.rolePrefixed) {
					refs = append(refs, speakerRef{pos: sp.coreS, span: info[k-1].span - 1})
					continue
				}
				if sp := d.appositive(k, spanAt); sp != nil {
					refs = append(refs, speakerRef{pos: sp.coreS, span: info[sp.start].span - 1})
					continue
				}
			}
		}
		// Name after the verb, in the inverted quote form: `," said Peskov`.
		if v >= 1 && toks[v-1].kind == kPunct && (toks[v-1].p == ',' || toks[v-1].flags&fCloseQ != 0 || toks[v-1].p == '"') {
			if sp := forward(v + 1); sp != nil {
				refs = append(refs, speakerRef{pos: sp.coreS, span: info[sp.start].span - 1})
			}
		}
	}
	if len(refs) == 0 {
		return []string{}
	}
	slices.SortStableFunc(refs, func(a, b speakerRef) int { return int(a.pos) - int(b.pos) })
	out := make([]string, 0, len(refs))
	var seen map[string]bool // only for texts with many speakers
	for _, r := range refs {
		if d.organisationLike(&spans[r.span]) {
			continue
		}
		name := d.resolve(&spans[r.span])
		if name == "" || d.x.orgNames[name] {
			continue
		}
		if seen != nil {
			if seen[name] {
				continue
			}
			seen[name] = true
		} else if slices.Contains(out, name) {
			continue
		}
		out = append(out, name)
		if seen == nil && len(out) > 16 {
			seen = make(map[string]bool, len(refs))
			for _, o := range out {
				seen[o] = true
			}
		}
	}
	return out
}

func isArticle(s string) bool { return s == "the" || s == "a" || s == "an" }

// quantityAt reports whether a number or number word stands at i.
func quantityAt(d *doc, i int) bool {
	t := d.toks[i]
	if t.kind == kNum {
		return true
	}
	if t.kind != kWord {
		return false
	}
	switch d.tokText(i) {
	case "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
		"eighteen", "nineteen", "twenty", "thirty", "forty", "fifty":
		return true
	}
	return false
}

// organisationLike reports whether the words after a name show it is an
// organisation: "Vereinigung Cockpit, which represents ...".
func (d *doc) organisationLike(sp *span) bool {
	e := int(sp.end)
	if e+1 < len(d.toks) && d.toks[e].kind == kPunct && d.toks[e].p == ',' && d.toks[e+1].kind == kWord {
		switch d.tokText(e + 1) {
		case "which", "whose", "that":
			return true
		}
	}
	return false
}

// appositive handles "Peskov, however, denied" and "Lavrov, Russia's
// foreign minister, said": k is the comma before the verb; the name is the
// run before the comma that opens the aside.
func (d *doc) appositive(k int, spanAt func(int) *span) *span {
	toks := d.toks
	for c := k - 1; c > 0 && c > k-40; c-- {
		t := toks[c]
		if t.kind == kPunct && (t.p == '.' || t.p == '!' || t.p == '?' || t.p == ';' || t.p == '"') {
			return nil
		}
		if t.kind == kPunct && t.p == ',' {
			sp := spanAt(c - 1)
			if sp != nil && int(sp.end) == c && sp.coreS < sp.coreE && !sp.poss {
				// The aside must not start with another name: "X, Y and Z, said"
				// lists names.
				if c+1 < k && toks[c+1].kind == kWord && toks[c+1].flags&fCap != 0 {
					if o := spanAt(c + 1); o != nil && o.coreS < o.coreE && int(o.coreS) == c+1 {
						continue
					}
				}
				return sp
			}
		}
		if t.flags&fSent != 0 {
			return nil
		}
	}
	return nil
}
