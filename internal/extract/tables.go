package extract

import (
	"bufio"
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed data/*.tsv data/*.txt
var dataFS embed.FS

// Alias kinds.
const (
	akName uint8 = iota + 1
	akDemonym
	akPlace
	akRegion
	akInst
	akHist
	akBlock
	akBare // "Congo": which Congo is decided per document
)

var kindNames = map[string]uint8{
	"name": akName, "demonym": akDemonym, "place": akPlace, "region": akRegion,
	"inst": akInst, "hist": akHist, "block": akBlock, "bare": akBare,
}

// Special aliases resolved by document context.
const (
	spNone uint8 = iota
	spGeorgia
	spTurkey
	spCongo
)

// ptok is one token of a multi-word alias after its first word.
type ptok struct {
	text  string
	p     byte // punctuation character, or 0 for a word
	lower bool // compare case-insensitively (function words: of, and, the)
}

// phrase is one alias: its words after the first, and what it names.
type phrase struct {
	rest    []ptok
	country int16 // index into Extractor.countries; -1 for a blocker
	kind    uint8
	special uint8
}

// Case-sensitive information about a capitalised word (Extractor.caps).
const (
	cGiven  uint32 = 1 << iota // a given name ("Michael")
	cOrg                       // makes a name an organisation ("Inc", "Ministry")
	cMedia                     // publication word after a place ("Post")
	cFollow                    // keeps a first-name-like alias a place ("Jordan Valley")
	cAlias                     // starts a country alias
	cFamily                    // a family name written first ("Kim Young-soo")
	cCorp                      // ends a company name ("Co", "Ltd")
)

// Lower-case word classes (lexEntry.bits).
const (
	bVerb uint32 = 1 << iota
	bAux
	bTitle
	bRole
	bStop
	bWeekday
	bParticle
	bPrefix // starts a multi-word topic term
	bCueGeoState
	bCueGeoCountry
	bCueBird
	bCueTurkey
	bCurrency
	bInTerm // a word inside a multi-word topic term
	bAccording
	bQuoted
	bWas
	bTo
	bFinite // a finite verb form that can follow a subject ("is", "has", "will")
)

// termHit is one topic a lexicon term points at.
type termHit struct {
	topic  int16
	weight float32
}

// lexEntry is everything known about one lower-cased (or stemmed) word or
// multi-word topic term.
type lexEntry struct {
	id     int32 // index in Extractor.entries
	bits   uint32
	term   int32 // topic term id, -1 if none
	stemOf int32 // 1 + id of the entry of this word's stem, when it has one for topics; 0 if none
	hits   []termHit
}

// wordInfo is the part of a lexicon entry annotate needs for every word,
// packed together so that a look-up touches one small record.
type wordInfo struct {
	bits uint32
	// stem is 1 + the id of the entry whose topic terms the word counts
	// for (its own), 0 if none; pluralStem the same for the word read as a
	// plural ("talks" counts for "talk").
	stem, pluralStem int32
}

// topicRec is what topic scoring reads about a lexicon entry, packed
// together by entry id.
type topicRec struct {
	term   int32  // topic term id, -1 if none
	hitOff uint32 // the term's topics are Extractor.termHits[hitOff:hitOff+hitN]
	hitN   uint16
	prefix bool // starts a longer term
}

// topicDef is one IPTC Media Topic.
type topicDef struct {
	code, name string
	parent     int16 // -1 for a top-level topic
}

// Extractor holds the parsed tables. It is immutable after New and safe for
// concurrent use; its only mutable part is a sync.Pool of per-call scratch
// buffers, which is itself safe for concurrent use.
type Extractor struct {
	pool      sync.Pool // of *doc
	countries []string
	phrases   map[string][]phrase
	caps      map[string]uint32    // while loading only
	lex       map[string]*lexEntry // while loading only
	entries   []*lexEntry          // by lexEntry.id
	words     []wordInfo           // by lexEntry.id: what annotate reads for every word
	topicRecs []topicRec           // by lexEntry.id: what topic scoring reads
	termHits  []termHit            // the topics of every term, back to back
	lexT      strTable             // lower-cased word -> lexEntry.id
	capsT     strTable             // capitalised word -> c* bits
	next      map[uint64]int32     // (entry id << 32 | next word's entry id) -> entry id of the longer term
	stateAbbr map[string]int16     // "Calif" -> United States, in "Irvine, Calif."
	topics    []topicDef
	topicTh   float32 // minimum normalised score of a top-level topic
	subTh     float32 // minimum normalised score of a subtopic
	ratioTh   float32 // a top-level topic must also reach this share of the best one

	idUS, idGeorgia, idTurkey, idDRC, idRoC int16
}

// New parses the embedded tables.
func New() (*Extractor, error) {
	x := &Extractor{
		phrases:   make(map[string][]phrase, 4096),
		next:      make(map[uint64]int32, 1024),
		caps:      make(map[string]uint32, 4096),
		lex:       make(map[string]*lexEntry, 4096),
		stateAbbr: make(map[string]int16, 64),
		idUS:      -1, idGeorgia: -1, idTurkey: -1, idDRC: -1, idRoC: -1,
	}
	if err := x.loadWords("data/words.tsv"); err != nil {
		return nil, err
	}
	if err := x.loadGiven("data/given_names.txt"); err != nil {
		return nil, err
	}
	if err := x.loadCountries("data/countries.tsv"); err != nil {
		return nil, err
	}
	if err := x.loadTopics("data/topics.tsv"); err != nil {
		return nil, err
	}
	if len(x.countries) > 256 {
		return nil, fmt.Errorf("extract: %d countries, at most 256 supported", len(x.countries))
	}
	for _, id := range []int16{x.idUS, x.idGeorgia, x.idTurkey, x.idDRC, x.idRoC} {
		if id < 0 {
			return nil, fmt.Errorf("extract: countries table lacks a country the rules need")
		}
	}
	x.addPlurals()
	x.entry("according").bits |= bAccording
	x.entry("quoted").bits |= bQuoted
	x.entry("was").bits |= bWas
	x.entry("to").bits |= bTo
	x.words = make([]wordInfo, len(x.entries))
	topical := func(e *lexEntry) int32 {
		if e.term >= 0 || e.bits&(bPrefix|bInTerm) != 0 {
			return e.id + 1
		}
		return 0
	}
	x.topicRecs = make([]topicRec, len(x.entries))
	for i, e := range x.entries {
		if len(e.hits) > 0xffff {
			return nil, fmt.Errorf("extract: term with %d topics", len(e.hits))
		}
		x.topicRecs[i] = topicRec{term: e.term, hitOff: uint32(len(x.termHits)), hitN: uint16(len(e.hits)), prefix: e.bits&bPrefix != 0}
		x.termHits = append(x.termHits, e.hits...)
		w := wordInfo{bits: e.bits, stem: topical(e)}
		if e.stemOf > 0 {
			w.pluralStem = topical(x.entries[e.stemOf-1])
		}
		x.words[i] = w
	}
	ids := make(map[string]uint32, len(x.lex))
	for k, e := range x.lex {
		ids[k] = uint32(e.id)
	}
	x.lexT = newStrTable(ids)
	x.capsT = newStrTable(x.caps)
	x.lex, x.caps = nil, nil // only needed while loading
	return x, nil
}

// lines yields the non-blank, non-comment lines of an embedded file.
func lines(name string, fn func(lineNo int, line string) error) error {
	f, err := dataFS.Open(name)
	if err != nil {
		return fmt.Errorf("extract: open %s: %w", name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if err := fn(n, line); err != nil {
			return fmt.Errorf("extract: %s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("extract: read %s: %w", name, err)
	}
	return nil
}

func (x *Extractor) entry(key string) *lexEntry {
	e := x.lex[key]
	if e == nil {
		e = &lexEntry{id: int32(len(x.entries)), term: -1}
		x.lex[key] = e
		x.entries = append(x.entries, e)
	}
	return e
}

var wordClassBits = map[string]uint32{
	"verb": bVerb, "aux": bAux, "title": bTitle, "role": bRole, "stop": bStop,
	"weekday": bWeekday, "particle": bParticle,
	"cue-georgia-state": bCueGeoState, "cue-georgia-country": bCueGeoCountry,
	"cue-bird": bCueBird, "cue-turkey": bCueTurkey, "currency": bCurrency,
	"finite": bFinite,
}

var capClassBits = map[string]uint32{"org": cOrg, "media": cMedia, "follow": cFollow, "corp": cCorp}

func (x *Extractor) loadWords(name string) error {
	return lines(name, func(_ int, line string) error {
		class, words, ok := strings.Cut(line, "\t")
		if !ok {
			return fmt.Errorf("want class<TAB>words")
		}
		if b, ok := capClassBits[class]; ok {
			for _, w := range strings.Fields(words) {
				x.caps[w] |= b
			}
			return nil
		}
		b, ok := wordClassBits[class]
		if !ok {
			return fmt.Errorf("unknown word class %q", class)
		}
		for _, w := range strings.Fields(words) {
			x.entry(strings.ToLower(w)).bits |= b
		}
		return nil
	})
}

func (x *Extractor) loadGiven(name string) error {
	return lines(name, func(_ int, line string) error {
		bits := cGiven
		if rest, ok := strings.CutPrefix(line, "family:"); ok {
			bits |= cFamily
			line = rest
		}
		for _, w := range strings.Fields(line) {
			x.caps[w] |= bits
			if f := fold(w); f != w {
				x.caps[f] |= bits
			}
		}
		return nil
	})
}

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

// foldMap strips the diacritics that occur in the tables.
var foldMap = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'å': 'a', 'ā': 'a',
	'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e', 'ē': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i', 'ı': 'i', 'İ': 'I',
	'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o', 'ø': 'o', 'ō': 'o',
	'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u', 'ū': 'u',
	'ç': 'c', 'ć': 'c', 'č': 'c', 'ñ': 'n', 'ń': 'n', 'ş': 's', 'ș': 's', 'š': 's', 'ś': 's',
	'ğ': 'g', 'ž': 'z', 'ź': 'z', 'ż': 'z', 'ł': 'l', 'ř': 'r', 'ț': 't', 'ă': 'a', 'ý': 'y',
	'Á': 'A', 'É': 'E', 'Í': 'I', 'Ó': 'O', 'Ú': 'U', 'Ö': 'O', 'Ü': 'U', 'Ç': 'C', 'Ş': 'S',
	'Š': 'S', 'Ž': 'Z', 'Ł': 'L', 'Č': 'C', 'Ś': 'S', 'Ż': 'Z', 'Ø': 'O', 'Å': 'A', 'Ä': 'A',
}

// fold removes diacritics ("Türkiye" -> "Turkiye"). Used when loading tables.
func fold(s string) string {
	var b strings.Builder
	changed := false
	for _, r := range s {
		if f, ok := foldMap[r]; ok {
			r = f
			changed = true
		}
		b.WriteRune(r)
	}
	if !changed {
		return s
	}
	return b.String()
}

// loadTopics reads topic definitions and the weighted lexicon:
//
//	topic <TAB> code <TAB> name <TAB> parent-code|-
//	term  <TAB> code <TAB> weight <TAB> term|term|...
func (x *Extractor) loadTopics(name string) error {
	byCode := map[string]int16{}
	type pending struct {
		code  string
		w     float64
		terms string
		line  int
	}
	var terms []pending
	err := lines(name, func(n int, line string) error {
		f := strings.Split(line, "\t")
		switch f[0] {
		case "topic":
			if len(f) != 4 {
				return fmt.Errorf("topic line wants 4 fields")
			}
			if _, dup := byCode[f[1]]; dup {
				return fmt.Errorf("topic %s defined twice", f[1])
			}
			parent := int16(-1)
			if f[3] != "-" {
				p, ok := byCode[f[3]]
				if !ok {
					return fmt.Errorf("topic %s: parent %s not defined before it", f[1], f[3])
				}
				if x.topics[p].parent >= 0 {
					return fmt.Errorf("topic %s: parent %s is not top-level", f[1], f[3])
				}
				parent = p
			}
			byCode[f[1]] = int16(len(x.topics))
			x.topics = append(x.topics, topicDef{code: f[1], name: f[2], parent: parent})
		case "term":
			if len(f) != 4 {
				return fmt.Errorf("term line wants 4 fields")
			}
			w, err := strconv.ParseFloat(f[2], 32)
			if err != nil {
				return fmt.Errorf("term weight: %w", err)
			}
			terms = append(terms, pending{f[1], w, f[3], n})
		case "threshold":
			if len(f) != 3 {
				return fmt.Errorf("threshold line wants 3 fields")
			}
			v, err := strconv.ParseFloat(f[2], 32)
			if err != nil {
				return fmt.Errorf("threshold: %w", err)
			}
			switch f[1] {
			case "top":
				x.topicTh = float32(v)
			case "sub":
				x.subTh = float32(v)
			case "ratio":
				x.ratioTh = float32(v)
			default:
				return fmt.Errorf("unknown threshold %q", f[1])
			}
		default:
			return fmt.Errorf("unknown line type %q", f[0])
		}
		return nil
	})
	if err != nil {
		return err
	}
	termIDs := map[string]int32{}
	for _, t := range terms {
		ti, ok := byCode[t.code]
		if !ok {
			return fmt.Errorf("extract: %s:%d: unknown topic %s", name, t.line, t.code)
		}
		for _, term := range strings.Split(t.terms, "|") {
			words := termWords(term)
			if len(words) == 0 {
				continue
			}
			if len(words) > 4 {
				return fmt.Errorf("extract: %s:%d: term %q longer than 4 words", name, t.line, term)
			}
			key := strings.Join(words, " ")
			e := x.entry(key)
			if e.term < 0 {
				id, ok := termIDs[key]
				if !ok {
					id = int32(len(termIDs))
					termIDs[key] = id
				}
				e.term = id
			}
			dup := false
			for _, h := range e.hits {
				if h.topic == ti {
					dup = true
				}
			}
			if !dup {
				e.hits = append(e.hits, termHit{topic: ti, weight: float32(t.w)})
			}
			// Chain the words: entry(w1) + w2 -> entry("w1 w2") + w3 -> ...
			node := x.entry(words[0])
			for k := 1; k < len(words); k++ {
				node.bits |= bPrefix
				w := x.entry(words[k])
				w.bits |= bInTerm
				longer := x.entry(strings.Join(words[:k+1], " "))
				x.next[uint64(node.id)<<32|uint64(w.id)] = longer.id
				node = longer
			}
		}
	}
	if len(x.topics) > maxTopics {
		return fmt.Errorf("extract: %s: %d topics, at most %d supported", name, len(x.topics), maxTopics)
	}
	if x.topicTh <= 0 || x.subTh <= 0 {
		return fmt.Errorf("extract: %s: thresholds missing", name)
	}
	return nil
}

// addPlurals registers the plural forms of the topic words ("talks",
// "policies") with a link to the stem's entry, so that annotate finds a
// plural's topic entry with the one look-up it makes for every word.
func (x *Extractor) addPlurals() {
	words := make([]string, 0, len(x.lex))
	for w, e := range x.lex {
		if !strings.Contains(w, " ") && (e.term >= 0 || e.bits&(bPrefix|bInTerm) != 0) {
			words = append(words, w)
		}
	}
	sort.Strings(words) // entry ids do not depend on map order
	for _, w := range words {
		cands := []string{w + "s"}
		if strings.HasSuffix(w, "y") {
			cands = append(cands, w[:len(w)-1]+"ies")
		}
		for _, p := range cands {
			if string(stem([]byte(p))) == w {
				x.entry(p).stemOf = x.lex[w].id + 1
			}
		}
	}
}

// stems reports whether stem would shorten the lower-cased s: "policies",
// "talks", but not "press", "status", "crisis" or short words.
func stems[T string | []byte](s T) bool {
	n := len(s)
	if n >= 5 && s[n-3]|0x20 == 'i' && s[n-2]|0x20 == 'e' && s[n-1]|0x20 == 's' {
		return true
	}
	if n >= 4 && s[n-1]|0x20 == 's' {
		switch s[n-2] | 0x20 {
		case 's', 'u', 'i', '\'':
			return false
		}
		return true
	}
	return false
}

// termWords lower-cases and stems the words of a lexicon term exactly as
// article words are.
func termWords(term string) []string {
	term = strings.TrimSpace(term)
	if term == "" {
		return nil
	}
	tz := tokenizer{text: term}
	tz.segment(0, len(term), false)
	var out []string
	var buf [maxTokenBytes * 2]byte
	for _, t := range tz.toks {
		if t.kind == kPunct {
			continue
		}
		b, ok := lowerInto(buf[:0], term[t.s:t.e])
		if !ok {
			continue
		}
		out = append(out, string(stem(b)))
	}
	return out
}
