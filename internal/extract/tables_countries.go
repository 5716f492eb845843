package extract

// The country tables: each alias of a country (names, demonyms, places,
// institutions) becomes a phrase keyed by its first word, with its
// apostrophe and diacritic variants.

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// aliasTokens tokenises an alias with the same tokenizer as article text.
func aliasTokens(alias string) []ptok {
	tz := tokenizer{text: alias}
	tz.segment(0, len(alias), false)
	out := make([]ptok, 0, len(tz.toks))
	for _, t := range tz.toks {
		s := alias[t.s:t.e]
		if t.kind == kPunct {
			out = append(out, ptok{text: s, p: t.p})
			continue
		}
		lower := t.flags&fCap == 0
		out = append(out, ptok{text: s, lower: lower})
	}
	return out
}

// variants returns an alias with its apostrophe and diacritic variants.
func variants(alias string) []string {
	out := []string{alias}
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	for _, a := range append([]string(nil), out...) {
		if f := fold(a); f != a {
			add(f)
		}
	}
	for _, a := range append([]string(nil), out...) {
		if strings.Contains(a, "'") {
			add(strings.ReplaceAll(a, "'", "\u2019"))
		}
	}
	return out
}

func (x *Extractor) loadCountries(name string) error {
	ids := map[string]int16{}
	err := lines(name, func(_ int, line string) error {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return fmt.Errorf("want canonical<TAB>kind<TAB>aliases, got %d fields", len(f))
		}
		canon, kindName, aliases := f[0], f[1], f[2]
		kind, ok := kindNames[kindName]
		if !ok {
			return fmt.Errorf("unknown alias kind %q", kindName)
		}
		id := int16(-1)
		if canon != "-" {
			if kind == akBlock {
				return fmt.Errorf("blocker with a country %q", canon)
			}
			var seen bool
			id, seen = ids[canon]
			if !seen {
				id = int16(len(x.countries))
				ids[canon] = id
				x.countries = append(x.countries, canon)
			}
		} else if kind != akBlock {
			return fmt.Errorf("canonical \"-\" needs kind block")
		}
		for _, alias := range strings.Split(aliases, "|") {
			alias = strings.TrimSpace(alias)
			if alias == "" {
				continue
			}
			sp := spNone
			switch {
			case kind == akBare:
				sp = spCongo
			case canon == "Georgia" && alias == "Georgia":
				sp = spGeorgia
			case canon == "Turkey" && alias == "Turkey":
				sp = spTurkey
			}
			for _, v := range variants(alias) {
				if err := x.addPhrase(v, phrase{country: id, kind: kind, special: sp}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	get := func(n string) int16 {
		if id, ok := ids[n]; ok {
			return id
		}
		return -1
	}
	x.idUS, x.idGeorgia, x.idTurkey = get("United States"), get("Georgia"), get("Turkey")
	x.idDRC, x.idRoC = get("Democratic Republic of the Congo"), get("Republic of the Congo")
	if x.idUS >= 0 {
		for _, a := range usStateAbbrevs {
			x.stateAbbr[a] = x.idUS
		}
	}
	if ca := get("Canada"); ca >= 0 {
		for _, a := range []string{"Ont", "Que", "Alta", "B.C.", "Sask", "Man", "N.S."} {
			x.stateAbbr[a] = ca
		}
	}
	if au := get("Australia"); au >= 0 {
		x.stateAbbr["N.S.W."] = au
		x.stateAbbr["NSW"] = au
		x.stateAbbr["Qld"] = au
	}
	// Longest alias first, so the first full match is the longest.
	for k, ps := range x.phrases {
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].rest) > len(ps[j].rest) })
		x.phrases[k] = ps
	}
	return nil
}

// usStateAbbrevs are the AP abbreviations of US states, recognised only in
// the "Town, St." pattern of datelines and addresses.
var usStateAbbrevs = []string{
	"Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill", "Ind", "Kan",
	"Kans", "Ky", "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nebr",
	"Nev", "N.H.", "N.J.", "N.M.", "N.Y.", "N.C.", "N.D.", "Okla", "Ore", "Pa", "Penn",
	"R.I.", "S.C.", "S.D.", "Tenn", "Tex", "Vt", "Va", "Wash", "W.Va", "Wis", "Wyo",
	"D.C.", "Texas", "Ohio", "Iowa", "Utah", "Maine", "Idaho", "Alaska", "Hawaii",
}

func (x *Extractor) addPhrase(alias string, p phrase) error {
	toks := aliasTokens(alias)
	if len(toks) == 0 || toks[0].p != 0 {
		return fmt.Errorf("alias %q does not start with a word", alias)
	}
	first := toks[0].text
	if r, _ := utf8.DecodeRuneInString(first); !unicode.IsUpper(r) {
		return fmt.Errorf("alias %q does not start with a capital", alias)
	}
	p.rest = toks[1:]
	for _, q := range x.phrases[first] {
		if equalRest(q.rest, p.rest) {
			if q.country != p.country {
				return fmt.Errorf("alias %q given to two countries", alias)
			}
			return nil
		}
	}
	x.phrases[first] = append(x.phrases[first], p)
	x.caps[first] |= cAlias
	return nil
}

func equalRest(a, b []ptok) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
