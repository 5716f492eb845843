package extract

// Top-level IPTC Media Topics in the other languages: keyword stems per
// topic. A word counts for a topic when it starts with one of the stems
// (at most 6 letters follow); words of the title count twice. A topic is
// reported when it scores at least mlTopicMin and at least mlTopicRatio
// of the best topic, at most mlTopicMax topics per article.

import (
	"sort"
	"strings"
	"unicode/utf8"
)

const (
	mlTopicMin    = 2
	mlTopicRatio  = 0.4
	mlTopicMax    = 3
	mlTopicSuffix = 6
	// mlTopicWords: only the first words are scored (an article's topics
	// show in its first pages; a 1 MiB text costs no more than that).
	mlTopicWords = 3000
)

// mlTopic is one topic's stems in one language.
type mlTopic struct {
	name  string
	stems []string
}

// topicsLang: language -> topic name -> stems separated by spaces.
var topicsLang = map[string]map[string]string{
	"ru": {
		"politics":                      "политик президент правительств парламент выбор министр дипломат переговор саммит санкц госдум депутат посол визит",
		"conflict, war and peace":       "войн военн войск удар обстрел фронт атак мир перемир ракет дрон беспилотник армии армия оборон наступлен",
		"economy, business and finance": "эконом нефт газ рынк цен инфляц банк компани инвест бюджет экспорт торгов рубл доллар тариф бирж",
		"sport":                         "матч футбол турнир чемпионат команд игрок тренер победа гол сборн",
		"health":                        "здоров больниц врач вакцин эпидеми вирус пациент лечен",
		"disaster, accident and emergency incident": "пожар наводнен землетрясен авари катастроф спасател погиб эвакуац",
		"crime, law and justice":                    "суд арест полиц преступлен задержа прокурор приговор уголовн",
		"environment":                               "климат выброс эколог загрязнен",
		"science and technology":                    "наук технолог искусственн спутник космос исследован",
	},
	"uk": {
		"politics":                      "політик президент уряд парламент вибор міністр дипломат переговор саміт санкц депутат посол візит",
		"conflict, war and peace":       "війн військов військ удар обстріл фронт атак мир перемир ракет дрон безпілотник армі оборон наступ",
		"economy, business and finance": "економ нафт газ ринк цін інфляц банк компані інвест бюджет експорт торгів гривн долар тариф",
		"sport":                         "матч футбол турнір чемпіонат команд гравц тренер перемог гол збірн",
		"health":                        "здоров лікарн лікар вакцин епідемі вірус пацієнт лікуван",
		"disaster, accident and emergency incident": "пожеж повін землетрус аварі катастроф рятувальник загинул евакуац",
		"crime, law and justice":                    "суд арешт поліці злочин затрима прокурор вирок кримінальн",
		"environment":                               "клімат викид екологі забрудн",
		"science and technology":                    "наук технолог штучн супутник космос дослідж",
	},
	"de": {
		"politics":                      "politi präsident regierung parlament wahl minister diplomat verhandl gipfel sanktion abgeordnet botschaft besuch kanzler gespräch treffen neutralität",
		"conflict, war and peace":       "krieg militär truppen angriff front waffenstillstand frieden rakete drohne armee verteidig offensive beschuss",
		"economy, business and finance": "wirtschaft öl gas markt preis inflation bank unternehmen investi haushalt export handel euro dollar zoll börse konzern",
		"sport":                         "spiel fußball turnier meisterschaft mannschaft spieler trainer sieg tor",
		"health":                        "gesundheit krankenhaus arzt ärzt impf epidemie virus patient",
		"disaster, accident and emergency incident": "brand überschwemm hochwasser erdbeben unfall katastroph rettung evakuier",
		"crime, law and justice":                    "gericht festnahme polizei verbrechen staatsanwalt urteil prozess",
		"environment":                               "klima emission umwelt verschmutz",
		"science and technology":                    "wissenschaft technolog künstlich satellit forschung",
	},
	"fr": {
		"politics":                      "politi président gouvernement parlement élection ministre diplomat négociation sommet sanction député ambassad visite",
		"conflict, war and peace":       "guerre militaire troupes frappe front cessez-le-feu paix missile drone armée défense offensive bombard",
		"economy, business and finance": "économi pétrol gaz marché prix inflation banque entreprise investiss budget export commerc euro dollar droits bourse",
		"sport":                         "match football tournoi championnat équipe joueur entraîneur victoire but",
		"health":                        "santé hôpita médecin vaccin épidémi virus patient",
		"disaster, accident and emergency incident": "incendie inondation séisme accident catastroph secours évacu",
		"crime, law and justice":                    "tribunal arrestation police crime procureur condamn procès",
		"environment":                               "climat émission environnement pollution",
		"science and technology":                    "scienti technolog intelligence satellite recherche",
	},
	"es": {
		"politics":                      "polític president gobierno parlamento elecci ministr diplomá negociaci cumbre sancion diputad embajad visita congreso",
		"conflict, war and peace":       "guerra militar tropas ataque misil dron ejército defensa ofensiva bombarde",
		"economy, business and finance": "económ economía petróle gas mercado precio inflación banco empresa inversi presupuesto exporta comerci euro dólar arancel bolsa",
		"sport":                         "fútbol torneo campeonato equipo jugador entrenador victoria gol selección",
		"health":                        "salud hospital médic vacuna epidemia virus paciente",
		"disaster, accident and emergency incident": "incendio inundaci terremoto accidente catástrofe rescate evacua",
		"crime, law and justice":                    "tribunal arresto policía delito fiscal condena juicio",
		"environment":                               "clima emisiones ambiental contamina",
		"science and technology":                    "cienci tecnolog inteligencia satélite investigaci",
	},
	"ar": {
		"politics":                      "سياس رئيس الرئيس حكوم الحكوم البرلمان انتخاب وزير الوزير دبلوماس مفاوضات المفاوضات قمة القمة عقوبات العقوبات سفير زيارة",
		"conflict, war and peace":       "حرب الحرب عسكري العسكري القوات هجوم الهجوم الجبهة هدنة الهدنة السلام سلام صاروخ مسير الجيش جيش دفاع",
		"economy, business and finance": "اقتصاد الاقتصاد النفط نفط الغاز سوق السوق اسعار الاسعار تضخم التضخم بنك البنك شركة الشركة استثمار الاستثمار ميزانية صادرات تجار التجار الدولار دولار",
		"sport":                         "مباراة المباراة كرة القدم بطولة البطولة فريق الفريق لاعب اللاعب مدرب المدرب فوز هدف المنتخب",
		"health":                        "صحة الصحة مستشفى المستشفى طبيب الاطباء لقاح اللقاح وباء فيروس مرضى",
		"disaster, accident and emergency incident": "حريق فيضان الفيضان زلزال الزلزال حادث الحادث كارثة الانقاذ اجلاء",
		"crime, law and justice":                    "محكمة المحكمة اعتقال الشرطة جريمة الجريمة النيابة حكم",
		"environment":                               "المناخ مناخ انبعاثات البيئة",
		"science and technology":                    "علم العلوم تكنولوجيا الذكاء قمر",
	},
}

// buildTopicsLang turns one language's stems into topics (in a fixed
// order, so ties break the same way every run).
func buildTopicsLang(code string) []mlTopic {
	m := topicsLang[code]
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]mlTopic, 0, len(names))
	for _, n := range names {
		var stems []string
		for _, s := range strings.Fields(m[n]) {
			if utf8.RuneCountInString(s) < 3 {
				continue // a stem of two letters ("el") matches everything
			}
			stems = append(stems, string(mlKey(nil, s)))
		}
		out = append(out, mlTopic{name: n, stems: stems})
	}
	return out
}

// mlTopics scores the topics of lt over the text.
func (d *doc) mlTopics(lt *mlTables) []string {
	if len(lt.topics) == 0 {
		return []string{}
	}
	score := make([]int, len(lt.topics))
	words := 0
	for i, t := range d.toks {
		if t.kind != kWord {
			continue
		}
		if words++; words > mlTopicWords {
			break
		}
		forms := d.formsAt(lt, i)
		w := 1
		if t.flags&fTitle != 0 {
			w = 2
		}
		for ti, tp := range lt.topics {
			for _, st := range tp.stems {
				hit := false
				for _, f := range forms {
					if lt.code == "de" && len(st) >= 5 && strings.Contains(f, st) {
						// German compounds: "Außenminister", "Kriegsgefahr".
						hit = true
						break
					}
					if rest, ok := strings.CutPrefix(f, st); ok && utf8.RuneCountInString(rest) <= mlTopicSuffix {
						hit = true
						break
					}
				}
				if hit {
					score[ti] += w
					break
				}
			}
		}
	}
	best := 0
	for _, s := range score {
		best = max(best, s)
	}
	idx := make([]int, 0, len(score))
	for i, s := range score {
		if s >= mlTopicMin && float64(s) >= mlTopicRatio*float64(best) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	if len(idx) > mlTopicMax {
		idx = idx[:mlTopicMax]
	}
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, lt.topics[i].name)
	}
	return out
}
