package extract

import (
	"math"

	"github.com/watchword/watchword/internal/lang"
	"unicode"
	"unicode/utf8"
)

// Result is what Extract finds in one article. Each list is deduplicated.
// Speakers and Topics are ordered by first appearance in the text (title
// first). Countries holds every country the article names or implies, in
// order of salience; MainCountries the ones it is about (a subset of
// Countries, which starts with them), in order of first appearance.
type Result struct {
	Speakers, Countries, MainCountries, Topics []string
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
	keys    []string   // look-up forms of the words, for the other languages (ml.go)
	forms   [][]string // the forms without clitics of each word (ml.go formsAt)
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

// Extract runs the three extractors over one article. The title counts for
// countries and speakers like body text and weighs more for topics. An
// article in Russian, Ukrainian, German, French, Spanish or Arabic (as
// internal/lang detects it) goes through that language's tables (ml.go);
// any other through the English rules, whose speakers become known Latin
// forms of names (names.go).
//
// Detection costs more than extraction; the detector runs only on a text
// with a non-ASCII character in its first langSample bytes (an English
// wire story has none; a German, French or Spanish one almost always has
// one, and other scripts always). A caller that knows the language (the
// engine, which detects it anyway) calls ExtractLang.
func (x *Extractor) Extract(title, body string) Result {
	return x.extractAs(x.tablesFor(title, body), title, body)
}

// tablesFor returns the tables of the language of title and body, or nil
// for English (and unknown): what Extract and its single-facet forms
// (Countries, Speakers, Topics...) use.
func (x *Extractor) tablesFor(title, body string) *mlTables {
	if asciiStart(title, body) {
		return nil
	}
	tag, _ := lang.Detect(title, body)
	if tag == "" {
		tag = scriptLanguage(title, body)
	}
	return x.langTables(tag)
}

// langSample is how much of the text asciiStart and scriptLanguage read.
const langSample = 800

// asciiStart reports whether the first langSample bytes of title and
// body are ASCII.
func asciiStart(title, body string) bool {
	n := langSample
	for _, s := range [2]string{title, body} {
		for i := 0; i < len(s) && n > 0; i, n = i+1, n-1 {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
	}
	return true
}

// scriptLanguage guesses the language of a text the detector left
// unknown from its script alone: mostly Cyrillic is Ukrainian when it has
// a letter only Ukrainian uses (і ї є ґ), else Russian; mostly Arabic is
// Arabic. Anything else stays unknown ("").
func scriptLanguage(title, body string) string {
	var cyr, arab, other, ukr int
	for _, s := range [2]string{title, body} {
		if len(s) > langSample {
			s = s[:langSample]
		}
		for _, r := range s {
			if r < utf8.RuneSelf {
				if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
					other++
				}
				continue
			}
			switch {
			case r >= 0x0400 && r <= 0x04FF:
				cyr++
				switch r {
				case 'і', 'ї', 'є', 'ґ', 'І', 'Ї', 'Є', 'Ґ':
					ukr++
				}
			case r >= 0x0600 && r <= 0x06FF:
				arab++
			case unicode.IsLetter(r):
				other++
			}
		}
	}
	switch {
	case cyr > 2*(arab+other) && ukr > 0:
		return "uk"
	case cyr > 2*(arab+other):
		return "ru"
	case arab > 2*(cyr+other):
		return "ar"
	}
	return ""
}

// ExtractLang is Extract for an article whose language is known (a BCP 47
// tag). An unknown language ("", a text too short or mixed for the
// detector) is guessed from the script (Cyrillic, Arabic), else read as
// English.
func (x *Extractor) ExtractLang(tag, title, body string) Result {
	if tag == "" && !asciiStart(title, body) {
		tag = scriptLanguage(title, body)
	}
	return x.extractAs(x.langTables(tag), title, body)
}

// extractAs runs the tables of lt, or the English rules when lt is nil.
func (x *Extractor) extractAs(lt *mlTables, title, body string) Result {
	if lt != nil {
		return x.extractLang(lt, title, body)
	}
	r := x.extractEnglish(title, body)
	for _, s := range r.Speakers {
		x.names.learn(s, 1)
	}
	return r
}

func (x *Extractor) extractEnglish(title, body string) Result {
	d := x.newDoc(title, body)
	defer x.release(d)
	d.annotate(true)
	d.findPersons()
	d.findCountries()
	all, main := d.countryRoles()
	return Result{
		Speakers:      d.speakers(),
		Countries:     all,
		MainCountries: main,
		Topics:        d.topicNames(),
	}
}

// Countries returns every country text names or implies, by canonical
// name, in order of salience: the countries of Extract for a text without
// a headline.
func (x *Extractor) Countries(text string) []string {
	if lt := x.tablesFor("", text); lt != nil {
		return x.extractLang(lt, "", text).Countries
	}
	d := x.newDoc("", text)
	defer x.release(d)
	d.annotate(false)
	d.findPersons()
	d.findCountries()
	all, _ := d.countryRoles()
	return all
}

// MainCountries returns the countries text is about, by canonical name, in
// order of first appearance: the main countries of Extract for a text
// without a headline.
func (x *Extractor) MainCountries(text string) []string {
	if lt := x.tablesFor("", text); lt != nil {
		return x.extractLang(lt, "", text).MainCountries
	}
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
	if lt := x.tablesFor("", text); lt != nil {
		return x.extractLang(lt, "", text).Speakers
	}
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
	if lt := x.tablesFor(title, body); lt != nil {
		return x.extractLang(lt, title, body).Topics
	}
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

// sqrt32 is a float32 square root.
func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }
