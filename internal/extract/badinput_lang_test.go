package extract

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestBadInputCostLang is TestBadInputCost for the other languages'
// rules: 1 MiB articles of repeated and unique names with verbs of
// saying, capitalised words only, emoji and mixed scripts, invalid UTF-8;
// no crash, no nil slice, at most a second of CPU each.
func TestBadInputCostLang(t *testing.T) {
	if processCPU() == 0 {
		t.Skip("no process CPU time on this platform")
	}
	x := newTestExtractor(t)
	const size = 1 << 20
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 16))
	fill := func(gen func(b *strings.Builder)) string {
		var b strings.Builder
		for b.Len() < size {
			gen(&b)
		}
		return strings.ToValidUTF8(b.String()[:size], "")
	}
	letters := map[string][]rune{
		"ru": []rune("абвгдежзиклмнопрстуфхцчшэюя"), "uk": []rune("абвгґдеєжзиіїклмнопрстуфхцчшщюя"),
		"de": []rune("abcdefghijklmnopqrstuvwxyzäöüß"), "fr": []rune("abcdefghijklmnopqrstuvwxyzéèàç"),
		"es": []rune("abcdefghijklmnopqrstuvwxyzñáéí"), "ar": []rune("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
	}
	verbs := map[string]string{"ru": "заявил", "uk": "заявив", "de": "sagte", "fr": "a déclaré", "es": "dijo", "ar": "وقال"}
	word := func(code string, n int) string {
		l := letters[code]
		r := make([]rune, n)
		for i := range r {
			r[i] = l[rng.IntN(len(l))]
		}
		if code != "ar" {
			r[0] = []rune(strings.ToUpper(string(r[0])))[0]
		}
		return string(r)
	}
	const maxCPU = time.Second
	var worst time.Duration
	var worstName string
	for _, code := range evalLangs {
		same := word(code, 6) + " " + word(code, 8)
		inputs := map[string]string{
			"one name said": fill(func(b *strings.Builder) {
				b.WriteString(same + " " + verbs[code] + ". " + verbs[code] + " " + same + ". ")
			}),
			"unique names said": fill(func(b *strings.Builder) {
				b.WriteString(word(code, 5) + " " + word(code, 7) + " " + verbs[code] + " " + word(code, 7) + ". ")
			}),
			"capitals only": fill(func(b *strings.Builder) { b.WriteString(word(code, 1+rng.IntN(9)) + " ") }),
			"verbs only":    strings.Repeat(verbs[code]+" ", size/len(verbs[code])),
			"emoji and scripts": fill(func(b *strings.Builder) {
				b.WriteString("🇷🇺 Песков 😀 بيسكوف «» „“ 北京 " + word(code, 4) + " — ")
			}),
			"invalid utf8": strings.Repeat("\xff\xfe"+word(code, 3)+"\xc3", size/16),
		}
		for name, in := range inputs {
			cpu0 := processCPU()
			r := x.ExtractLang(code, in[:200], in)
			cpu := processCPU() - cpu0
			if r.Speakers == nil || r.Countries == nil || r.MainCountries == nil || r.Topics == nil {
				t.Errorf("%s %s: nil slice", code, name)
			}
			if cpu > worst {
				worst, worstName = cpu, code+" "+name
			}
			if cpu > maxCPU {
				t.Errorf("%s %s: %v CPU for 1 MiB, more than %v", code, name, cpu, maxCPU)
			}
		}
	}
	t.Logf("worst CPU time per 1 MiB article: %v (%s)", worst, worstName)
}
