package extract

// Word lists of the other languages for speakers, and the loader of all
// per-language tables (countries, CLDR names, topics).

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// langWords are one language's lists, words separated by spaces.
type langWords struct {
	say, according, aux, roles, roleEnds, stop, particles string
}

var wordsLang = map[string]langWords{
	"ru": {
		say:       "сказал сказала сказали заявил заявила заявили отметил отметила отметили добавил добавила добавили подчеркнул подчеркнула сообщил сообщила пояснил пояснила заверил заверила признал признала считает уточнил уточнила напомнил напомнила указал указала",
		according: "по=словам",
		aux:       "также уже ранее ещё еще тогда лишь",
		roles:     "пресс-секретарь пресс-секретаря пресс-секретарём президент президента премьер премьер-министр министр министра глава главы канцлер канцлера генсек генеральный секретарь посол представитель официальный спикер спикера вице-премьер директор председатель лидер журналистам агентству аналитик экономист экономистка эксперт мэр мэра губернатор эмир эмира король принц",
		stop:      "он она они мы я вы это что как но и в на по не как при после уже глава",
		particles: "",
	},
	"uk": {
		say:       "сказав сказала сказали заявив заявила заявили зазначив зазначила додав додала додали наголосив наголосила повідомив повідомила пояснив пояснила запевнив запевнила визнав визнала уточнив уточнила нагадав нагадала",
		according: "за=словами",
		aux:       "також вже раніше ще тоді лише",
		roles:     "речник речника прессекретар пресс-секретар президент президента прем'єр прем'єр-міністр міністр міністра голова голови канцлер канцлера генсек генеральний секретар посол представник офіційний спікер віце-прем'єр директор лідер журналістам аналітик економіст економістка експерт мер мера губернатор заступник",
		stop:      "він вона вони ми я ви це що як але і в на за не при після вже",
		particles: "",
	},
	"de": {
		say:       "sagte sagten erklärte erklärten betonte betonten fügte ergänzte meinte warnte kündigte bekräftigte gesagt erklärt betont",
		according: "laut zufolge",
		aux:       "hat haben habe auch",
		roles:     "sprecher sprecherin präsident präsidentin minister ministerin kanzler kanzlerin chef chefin botschafter regierungschef außenminister außenministerin generalsekretär vizekanzler ministerpräsident bundeskanzler premier premierminister staatschef kreml-sprecher ökonom ökonomin bürgermeister bürgermeisterin energieministerin konzernchef der die das des dem den ein eine einer eines herr frau",
		roleEnds:  "sprecher sprecherin minister ministerin präsident präsidentin kanzler kanzlerin chef chefin sekretär botschafter",
		stop:      "er sie es wir ich man dies das dass am im in auf mit nach bei zu zum zur von vor und aber doch nun so",
		particles: "von van der de",
	},
	"fr": {
		say:       "déclaré dit affirmé ajouté souligné indiqué estimé expliqué assuré précisé averti rappelé déclare affirme ajoute souligne estime explique assure précise",
		according: "selon",
		aux:       "a ont avait aussi également",
		roles:     "porte-parole président présidente ministre chef chancelier chancelière ambassadeur secrétaire général premier conseil gouvernement commission économiste défense affaires étrangères intérieur le la les l' du des de d' m. mme",
		stop:      "il elle ils elles on nous je ce cela que qu' et mais ou en dans sur pour avec à lors",
		particles: "de du la le von van der d'",
	},
	"es": {
		say:       "dijo afirmó declaró añadió agregó señaló subrayó indicó aseguró explicó advirtió destacó precisó recordó sostuvo",
		according: "según",
		aux:       "ha han había también además",
		roles:     "portavoz presidente presidenta ministro ministra jefe jefa canciller embajador secretario general primer consejo gobierno comisión economista asuntos exteriores defensa el la los las del de al señor señora",
		stop:      "él ella ellos ellas nosotros yo eso esto que y pero o en con por para a tras",
		particles: "de del la von van der",
	},
	"ar": {
		say:       "قال قالت اضاف اضافت صرح صرحت اكد اكدت اوضح اوضحت اعلن اعلنت ذكر ذكرت شدد شددت تابع تابعت",
		according: "بحسب حسب وفقا",
		aux:       "",
		roles:     "المتحدث المتحدثة باسم الناطق الرئيس رئيس الوزير وزير وزيرة الخارجية الدفاع الخاصة الاعلى الامين العام المستشار مستشار السفير سفير المبعوث مبعوث الملك ولي العهد الامير امير الشيخ الحكومة الوزراء حلف الناتو الاتحاد الاوروبي نائب مدير المدير الصحفيين للصحفيين للصحافيين الطاقة الداخلية المالية الاقتصاد النفط الصحة التعليم العدل الاعلام",
		stop:      "ان إن أن انه انها في على من الى إلى عن مع خلال يوم اليوم امس أمس هذا هذه ذلك التي الذي الذين بعد قبل لا لم لن كما و ثم او أو بين عند حتى ما قد كان كانت ليس الاثنين الثلاثاء الاربعاء الخميس الجمعة السبت الاحد صحفي مؤتمر بيان تصريحات لوكالة",
		particles: "بن ابن بنت ال",
	},
}

// isoRegions are the ISO 3166 regions whose CLDR names are added.
const isoRegions = `AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW BY BZ CA CD CF CG CH CI CL CM CN CO CR CU CV CY CZ DE DJ DK DM DO DZ EC EE EG ER ES ET FI FJ FR GA GB GD GE GH GM GN GQ GR GT GW GY HN HR HT HU ID IE IL IN IQ IR IS IT JM JO JP KE KG KH KM KN KP KR KW KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MG MK ML MM MN MR MT MU MV MW MX MY MZ NA NE NG NI NL NO NP NZ OM PA PE PG PH PK PL PS PT PY QA RO RS RU RW SA SB SC SD SE SG SI SK SL SM SN SO SR SS SV SY SZ TD TG TH TJ TL TM TN TO TR TT TW TZ UA UG US UY UZ VA VE VN VU WS YE ZA ZM ZW`

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[string(mlKey(nil, w))] = true
	}
	return m
}

// loadLangTables builds the tables of every language in wordsLang.
func (x *Extractor) loadLangTables() error {
	ids := make(map[string]int16, len(x.countries))
	for i, c := range x.countries {
		ids[c] = int16(i)
	}
	x.ml = map[string]*mlTables{}
	for code, w := range wordsLang {
		lt := &mlTables{
			code: code, countries: map[string][]mlCountry{},
			say: wordSet(w.say), aux: wordSet(w.aux), roles: wordSet(w.roles), stop: wordSet(w.stop),
			particles: wordSet(w.particles), according: map[string]int{}, accordingPair: map[string]string{},
			roleEnds: strings.Fields(w.roleEnds), arabic: code == "ar", minStem: 3,
			topics: buildTopicsLang(code),
		}
		switch code {
		case "ru", "uk":
			lt.maxSuffix = 4
		case "ar":
			lt.maxSuffix = 3
		default:
			lt.maxSuffix = 2
		}
		for _, a := range strings.Fields(w.according) {
			first, second, two := strings.Cut(a, "=")
			if two {
				lt.according[first] = 2
				lt.accordingPair[first] = second
			} else {
				lt.according[string(mlKey(nil, first))] = 1
			}
		}
		for _, line := range strings.Split(countriesLang[code], "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			f := strings.Split(line, "; ")
			if len(f) != 3 {
				return fmt.Errorf("extract: %s country table: bad line %q", code, line)
			}
			id, ok := ids[f[0]]
			if !ok {
				return fmt.Errorf("extract: %s country table: unknown country %q", code, f[0])
			}
			kind, ok := kindNames[f[1]]
			if !ok {
				return fmt.Errorf("extract: %s country table: unknown kind %q", code, f[1])
			}
			for _, p := range strings.Split(f[2], "|") {
				lt.addCountry(p, id, kind, false)
			}
		}
		// CLDR names, where the table has none of its own.
		namer := display.Regions(language.Make(code))
		en := display.English.Regions()
		for _, rc := range strings.Fields(isoRegions) {
			r := language.MustParseRegion(rc)
			id, ok := ids[en.Name(r)]
			if !ok {
				continue
			}
			name := namer.Name(r)
			if name == "" {
				continue
			}
			if code == "ru" || code == "uk" {
				name = stemName(name)
			}
			lt.addCountry(name, id, akName, true)
		}
		x.ml[code] = lt
	}
	return nil
}

// stemName makes each word of a Russian or Ukrainian name a stem: its
// final vowel or soft sign dropped ("Россия" -> "Росси*"), kept for words
// of three letters or fewer.
func stemName(name string) string {
	var out []string
	for _, w := range strings.Fields(name) {
		r := []rune(w)
		if len(r) > 4 && strings.ContainsRune("аяоеиыйьіїєу", r[len(r)-1]) {
			r = r[:len(r)-1]
		}
		if len(r) >= 3 && !allUpper(string(r)) {
			out = append(out, string(r)+"*")
		} else {
			out = append(out, string(r))
		}
	}
	return strings.Join(out, " ")
}

func allUpper(s string) bool {
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// addCountry adds one pattern; with ifNew only when no pattern of the
// same words exists (CLDR names yield to the table's).
func (lt *mlTables) addCountry(p string, id int16, kind uint8, ifNew bool) {
	p = strings.TrimSpace(p)
	if p == "" {
		return
	}
	var words []mlWord
	tz := tokenizer{text: p}
	tz.segment(0, len(p), false)
	for _, t := range tz.toks {
		if t.kind != kWord && t.kind != kNum {
			continue
		}
		s := p[t.s:t.e]
		stem := false
		if t.e < int32(len(p)) && p[t.e] == '*' {
			stem = true
		}
		words = append(words, mlWord{text: string(mlKey(nil, s)), stem: stem})
	}
	if len(words) == 0 {
		return
	}
	r, _ := utf8.DecodeRuneInString(p)
	c := mlCountry{country: id, kind: kind, first: words[0], rest: words[1:],
		capital: unicode.IsUpper(r) && unicode.Is(unicode.Cyrillic, r) && words[0].stem}
	list := lt.countries[words[0].text]
	for _, o := range list {
		if o.first == c.first && equalWords(o.rest, c.rest) {
			if ifNew || o.country == id {
				return
			}
		}
	}
	lt.countries[words[0].text] = append(list, c)
}

func equalWords(a, b []mlWord) bool {
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
