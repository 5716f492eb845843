package extract

// Names across scripts. A speaker found in Cyrillic or Arabic script is
// romanised (Russian: BGN/PCGN 1947 in its ASCII form; Ukrainian: the
// national system of 2010, which BGN/PCGN adopted in 2019; Arabic: a
// consonantal transcription after ALA-LC without diacritics) and then,
// like a Latin-script speaker of a German, French or Spanish article,
// looked up among the Latin names the archive knows: the speakers the
// extractor found in English articles (every ingest and every reindex
// passes through it) and any the caller adds with LearnNames (the server
// adds the speaker facet of the index at start). A match replaces the
// name with the known form, so `Дмитрий Песков`, `Dmitri Peskow` and
// `Dmitri Peskov` all become `Dmitry Peskov` once that form is known.
//
// Matching is by a normalised key of the first and last word: diacritics
// folded, y/j/i, w/v, z/s, kh/ch/h, sch/sh, final -off/-ov unified and
// doubled letters collapsed; Arabic names, which lack short vowels, by
// a consonant skeleton of the same two words. A given name is always
// part of the key, so two people with one surname never merge; a
// skeleton that two known people share merges with neither. When one key
// has several known forms, the form seen in most articles wins, then the
// alphabetically first: the result depends only on the archive's
// contents.

import (
	"sort"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Names is the table of known Latin forms of person names. It is safe
// for concurrent use.
type Names struct {
	mu     sync.RWMutex
	count  map[string]int                 // form -> articles it was learned from
	byKey  map[string]map[string]struct{} // Latin key -> forms
	bySkel map[string]map[string]struct{} // consonant skeleton -> forms
}

func newNames() *Names {
	return &Names{count: map[string]int{}, byKey: map[string]map[string]struct{}{}, bySkel: map[string]map[string]struct{}{}}
}

// LearnNames adds Latin-script person names of two or more words to the
// table of known forms, each counting as one article.
func (x *Extractor) LearnNames(names ...string) {
	for _, n := range names {
		x.names.learn(n, 1)
	}
}

// LearnName adds a Latin-script name seen in count articles.
func (x *Extractor) LearnName(name string, count int) { x.names.learn(name, count) }

func (n *Names) learn(name string, c int) {
	if c <= 0 || !latinName(name) {
		return
	}
	n.mu.Lock()
	if _, ok := n.count[name]; ok {
		n.count[name] += c
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	k := nameKey(name, latinKey)
	if k == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.count[name] += c
	add := func(m map[string]map[string]struct{}, k string) {
		if m[k] == nil {
			m[k] = map[string]struct{}{}
		}
		m[k][name] = struct{}{}
	}
	add(n.byKey, k)
	add(n.bySkel, nameKey(name, latinSkeleton))
}

// latinName reports whether s is a name of two or more words in the
// Latin script.
func latinName(s string) bool {
	if !strings.Contains(s, " ") {
		return false
	}
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

// best returns the most learned form among forms, then the alphabetically
// first.
func (n *Names) best(forms map[string]struct{}) string {
	var out string
	bc := -1
	for f := range forms {
		if c := n.count[f]; c > bc || c == bc && f < out {
			out, bc = f, c
		}
	}
	return out
}

// canonical returns the known Latin form of a speaker's name found in an
// article in language code, or its romanisation when none is known.
func (n *Names) canonical(code, name string) string {
	script := scriptOf(name)
	rom := name
	switch script {
	case unicode.Cyrillic:
		rom = romaniseCyrillic(code, name)
	case unicode.Arabic:
		rom = romaniseArabic(name)
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if len(n.count) == 0 {
		return rom
	}
	if script == unicode.Arabic {
		forms := n.bySkel[nameKey(joinAbd(name), arabicSkeleton)]
		if len(forms) == 0 {
			return rom
		}
		// Every form must be the same person (one Latin key).
		var key string
		for f := range forms {
			k := nameKey(f, latinKey)
			if key != "" && k != key {
				return rom
			}
			key = k
		}
		return n.best(forms)
	}
	if forms := n.byKey[nameKey(rom, latinKey)]; len(forms) > 0 {
		return n.best(forms)
	}
	if script == unicode.Cyrillic {
		// An inflected name ("Виталия Кличко", "Володимиром Зеленським"):
		// the nominatives its endings allow, in a fixed order.
		f := strings.Fields(name)
		if len(f) >= 2 {
			for _, a := range nominatives(f[0]) {
				for _, b := range nominatives(f[len(f)-1]) {
					k := nameKey(romaniseCyrillic(code, a+" "+b), latinKey)
					if forms := n.byKey[k]; len(forms) > 0 {
						return n.best(forms)
					}
				}
			}
		}
	}
	return rom
}

// caseEndings are Russian and Ukrainian case endings of names and the
// nominative endings they come from, longest first.
var caseEndings = [][2]string{
	{"ского", "ский"}, {"ському", "ський"}, {"ским", "ский"}, {"ським", "ський"}, {"ского", "ський"},
	{"цкого", "цкий"}, {"цьким", "цький"},
	{"ием", "ий"}, {"ия", "ий"}, {"ию", "ий"}, {"ии", "ий"}, {"ієм", "ій"}, {"ія", "ій"}, {"ію", "ій"},
	{"еем", "ей"}, {"ея", "ей"}, {"ею", "ей"}, {"ого", "ий"}, {"ому", "ий"}, {"ым", ""}, {"им", "ий"},
	{"ом", ""}, {"ем", ""}, {"ой", "а"}, {"ою", "а"}, {"ей", "а"}, {"ою", "я"},
	{"ка", "ко"}, {"ку", "ко"}, {"ком", "ко"}, {"я", ""}, {"ю", ""},
	{"а", ""}, {"у", ""}, {"е", ""}, {"і", ""}, {"ы", "а"}, {"и", "а"}, {"і", "а"}, {"ю", "я"},
}

// nominatives returns w and the nominatives its ending allows.
func nominatives(w string) []string {
	out := []string{w}
	lw := strings.ToLower(w)
	for _, e := range caseEndings {
		if strings.HasSuffix(lw, e[0]) && len([]rune(lw)) > len([]rune(e[0]))+2 {
			r := []rune(w)
			out = append(out, string(r[:len(r)-len([]rune(e[0]))])+e[1])
		}
	}
	return out
}

// joinAbd joins "عبد" ("servant of") to the word after it: "عبد العزيز"
// is one given name, Abdulaziz.
func joinAbd(name string) string {
	f := strings.Fields(name)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "عبد" {
			f[i] += f[i+1]
			f = append(f[:i+1], f[i+2:]...)
		}
	}
	return strings.Join(f, " ")
}

// scriptOf returns the script of the first letter of s.
func scriptOf(s string) *unicode.RangeTable {
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			return unicode.Cyrillic
		case unicode.Is(unicode.Arabic, r):
			return unicode.Arabic
		case unicode.IsLetter(r):
			return unicode.Latin
		}
	}
	return unicode.Latin
}

// nameKey is the key of a name: the keys of its first and last words.
func nameKey(name string, key func(string) string) string {
	f := strings.Fields(name)
	if len(f) < 2 {
		return ""
	}
	return key(f[0]) + " " + key(f[len(f)-1])
}

// foldLower lower-cases s and removes its diacritics.
func foldLower(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		switch r {
		case 'ß':
			b.WriteString("ss")
			continue
		case '\'', '’', '-':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

var latinKeyRepl = strings.NewReplacer(
	"tsch", "h", "sch", "sh", "kh", "h", "ch", "h", "zh", "j", "dj", "j", "tz", "s", "ts", "s",
	"gue", "ge", "gui", "gi", "ou", "u", "iu", "u", "ie", "i", "w", "v", "y", "i", "j", "i", "z", "s", "c", "k",
)

// givenEquiv maps the key of a Russian form of a given name to the key of
// its Ukrainian form (or the reverse where the Latin press prefers the
// Russian one), so that "Владимир Зеленский" and "Volodymyr Zelensky" are
// one person.
var givenEquiv = map[string]string{
	"vladimir": "volodimir", "aleksandr": "oleksandr", "aleksei": "oleksi", "aleksi": "oleksi",
	"andrei": "andri", "sergei": "sergi", "serhi": "sergi", "dmitro": "dmitri", "iuri": "iri", "iri": "iri",
	"mihail": "mihailo", "oleg": "oleh", "evgeni": "ievhen", "ievgeni": "ievhen", "ievhen": "ievhen",
	"nikolai": "mikola", "pavel": "pavlo", "grigori": "hrihori", "olga": "olha", "elena": "olena", "ielena": "olena",
	"iulia": "ulia", "ulia": "ulia", "vitali": "vitali", "taras": "taras", "denis": "denis",
}

// latinKey is the spelling-insensitive key of one Latin word.
func latinKey(w string) string {
	s := latinKeyRepl.Replace(foldLower(w))
	if t, ok := strings.CutSuffix(s, "off"); ok {
		s = t + "ov"
	}
	s = collapse(s)
	if e, ok := givenEquiv[s]; ok {
		return e
	}
	return s
}

// collapse removes doubled letters.
func collapse(s string) string {
	var b strings.Builder
	var prev rune = -1
	for _, r := range s {
		if r != prev {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

var skelRepl = strings.NewReplacer(
	"sh", "S", "ch", "S", "kh", "k", "th", "t", "dh", "d", "gh", "g", "ph", "f",
	"p", "b", "v", "f", "q", "k", "c", "k", "x", "ks", "j", "g", "z", "s",
	"a", "", "e", "", "i", "", "o", "", "u", "", "y", "", "w", "",
)

// latinSkeleton is the consonant skeleton of a Latin word, as an Arabic
// spelling would give it: "Peskov" -> "bskf".
func latinSkeleton(w string) string { return collapse(skelRepl.Replace(foldLower(w))) }

var arabicSkel = map[rune]string{
	'ب': "b", 'پ': "b", 'ت': "t", 'ث': "t", 'ج': "g", 'چ': "S", 'ح': "h", 'خ': "k", 'د': "d",
	'ذ': "d", 'ر': "r", 'ز': "s", 'س': "s", 'ش': "S", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "s",
	'غ': "g", 'ف': "f", 'ڤ': "f", 'ق': "k", 'ك': "k", 'گ': "g", 'ل': "l", 'م': "m", 'ن': "n", 'ه': "h",
}

// arabicSkeleton is the consonant skeleton of an Arabic word: "بيسكوف" ->
// "bskf".
func arabicSkeleton(w string) string {
	var b strings.Builder
	for _, r := range w {
		b.WriteString(arabicSkel[r])
	}
	return collapse(b.String())
}

var ruRoman = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
}

var ukRoman = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "h", 'ґ': "g", 'д': "d", 'е': "e", 'є': "ie", 'ж': "zh",
	'з': "z", 'и': "y", 'і': "i", 'ї': "i", 'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n",
	'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts",
	'ч': "ch", 'ш': "sh", 'щ': "shch", 'ь': "", 'ю': "iu", 'я': "ia", '\'': "", '’': "",
}

// ukInitial are the Ukrainian letters written differently at the start of
// a word.
var ukInitial = map[rune]string{'є': "ye", 'ї': "yi", 'й': "y", 'ю': "yu", 'я': "ya"}

// romaniseCyrillic romanises a name: Russian by BGN/PCGN (е as ye at the
// start of a word and after a vowel, ъ and ь dropped), Ukrainian by the
// national system.
func romaniseCyrillic(code string, s string) string {
	var b strings.Builder
	start := true
	var prev rune
	for _, r := range s {
		lr := unicode.ToLower(r)
		var out string
		var ok bool
		if code == "uk" {
			if start {
				out, ok = ukInitial[lr]
			}
			if !ok {
				out, ok = ukRoman[lr]
			}
		} else {
			out, ok = ruRoman[lr]
			if lr == 'е' && (start || strings.ContainsRune("аеёиоуыэюяйъь", prev)) {
				out = "ye"
			}
		}
		if !ok {
			out = string(r)
		}
		if unicode.IsUpper(r) && out != "" {
			out = strings.ToUpper(out[:1]) + out[1:]
		}
		b.WriteString(out)
		start = !unicode.IsLetter(r)
		prev = lr
	}
	return b.String()
}

var arRoman = map[rune]string{
	'ا': "a", 'أ': "a", 'إ': "i", 'آ': "a", 'ب': "b", 'ت': "t", 'ث': "th", 'ج': "j", 'ح': "h",
	'خ': "kh", 'د': "d", 'ذ': "dh", 'ر': "r", 'ز': "z", 'س': "s", 'ش': "sh", 'ص': "s", 'ض': "d",
	'ط': "t", 'ظ': "z", 'ع': "", 'غ': "gh", 'ف': "f", 'ق': "q", 'ك': "k", 'ل': "l", 'م': "m",
	'ن': "n", 'ه': "h", 'ة': "a", 'ء': "", 'ؤ': "", 'ئ': "", 'ى': "a",
}

// romaniseArabic transcribes an Arabic name letter by letter (short
// vowels are not written, so "بيسكوف" gives "Biskuf"); waw and ya are
// vowels inside a word and consonants at its start.
func romaniseArabic(s string) string {
	var words []string
	for _, w := range strings.Fields(s) {
		var b strings.Builder
		for i, r := range []rune(w) {
			out, ok := arRoman[r]
			switch {
			case r == 'و':
				out, ok = "u", true
				if i == 0 {
					out = "w"
				}
			case r == 'ي':
				out, ok = "i", true
				if i == 0 {
					out = "y"
				}
			}
			if !ok {
				if unicode.Is(unicode.Mn, r) || r == 0x0640 {
					continue
				}
				out = string(r)
			}
			b.WriteString(out)
		}
		t := b.String()
		if t != "" {
			t = strings.ToUpper(t[:1]) + t[1:]
		}
		words = append(words, t)
	}
	return strings.Join(words, " ")
}

// sortedForms lists the known forms.
func (n *Names) sortedForms() []string {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]string, 0, len(n.count))
	for f := range n.count {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
