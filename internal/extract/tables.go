package extract

import (
	"bufio"
	"embed"
	"fmt"
	"strings"
	"sync"
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
	bExact  // a topic term that counts in this exact form only ("=rights" in topics.tsv)
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
	pool      sync.Pool       // of *doc
	orgNames  map[string]bool // names that look like a person's but are not (data/organizations.txt)
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
	// subRatioTh: a subtopic (which brings its top-level parent) needs its
	// parent to reach this share of the best top-level topic.
	subRatioTh float32
	maxTop     int // at most this many top-level topics per article (0: no limit)

	idUS, idGeorgia, idTurkey, idDRC, idRoC int16

	ml    map[string]*mlTables // the other languages' tables, by base language
	names *Names               // known Latin forms of person names
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
	x.orgNames = make(map[string]bool, 64)
	if err := lines("data/organizations.txt", func(_ int, line string) error {
		x.orgNames[strings.TrimSpace(line)] = true
		return nil
	}); err != nil {
		return nil, err
	}
	if err := x.loadCountries("data/countries.tsv"); err != nil {
		return nil, err
	}
	if err := x.loadTopics("data/topics.tsv"); err != nil {
		return nil, err
	}
	x.names = newNames()
	if err := x.loadLangTables(); err != nil {
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
	x.linkExact()
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
		if e.bits&bExact != 0 {
			// "rights" counts as itself, not as "right".
			w.pluralStem = w.stem
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
