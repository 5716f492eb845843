package extract

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestBadInputCost feeds 1 MiB articles of the shapes issue 19 lists —
// only names, only quotes, no sentences, one word — and checks that
// Extract neither crashes nor runs away: every article costs at most
// maxCPU of process CPU time (these shapes cost 1 to 100 ms per MiB when
// the work is linear; one name repeated with "said" cost 4.3 s before
// look-ups by name went through position-ordered lists). The worst CPU
// time per article is logged.
func TestBadInputCost(t *testing.T) {
	if processCPU() == 0 {
		t.Skip("no process CPU time on this platform")
	}
	x := newTestExtractor(t)
	const size = 1 << 20
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 19))
	fill := func(gen func(b *strings.Builder)) string {
		var b strings.Builder
		for b.Len() < size {
			gen(&b)
		}
		return b.String()[:size]
	}
	given := []string{"Dmitry", "Sergei", "Aminata", "Ali", "Musa", "Jean-Noël", "Kim", "Recep", "Ursula", "Chad", "Jordan", "Grace"}
	family := []string{"Peskov", "Lavrov", "Diallo", "Hassan", "Barrot", "Young-soo", "Erdoğan", "von der Leyen", "Morrison", "Washington", "Paris", "Turkey"}
	name := func() string { return given[rng.IntN(len(given))] + " " + family[rng.IntN(len(family))] }
	inputs := map[string]string{
		"only names": fill(func(b *strings.Builder) { b.WriteString(name()); b.WriteString(" ") }),
		"only names said": fill(func(b *strings.Builder) {
			b.WriteString(name())
			b.WriteString(" said ")
			b.WriteString(family[rng.IntN(len(family))])
			b.WriteString(" said. ")
		}),
		"unique names said": fill(func(b *strings.Builder) {
			b.WriteString("Name")
			b.WriteString(strings.Repeat("a", rng.IntN(5)))
			b.WriteString(string(rune('A' + rng.IntN(26))))
			b.WriteString(" Sur")
			b.WriteString(string(rune('a' + rng.IntN(26))))
			b.WriteString(string(rune('a' + rng.IntN(26))))
			b.WriteString(" said. ")
		}),
		"only quotes":     fill(func(b *strings.Builder) { b.WriteString(`"We will not accept this," `) }),
		"quotes unclosed": fill(func(b *strings.Builder) { b.WriteString(`"“«‘ `) }),
		"no sentences": fill(func(b *strings.Builder) {
			b.WriteString("talks in moscow and kyiv went on without a deal as envoys from Russia Ukraine France met ")
		}),
		"one word":           strings.Repeat("Russia ", size/7),
		"one long word":      strings.Repeat("x", size),
		"one capital word":   strings.Repeat("Brussels ", size/9),
		"countries only":     fill(func(b *strings.Builder) { b.WriteString("Niger, Nigeria, Chad, Georgia, Turkey, Jordan, Congo and ") }),
		"said only":          strings.Repeat("said ", size/5),
		"titles only":        strings.Repeat("Mr. Dr. President ", size/18),
		"hyphens and dots":   strings.Repeat("U.S.-Kim-al-", size/12),
		"one line of commas": strings.Repeat("Peskov, ", size/8),
	}
	const maxCPU = time.Second
	var worst time.Duration
	var worstName string
	for name, in := range inputs {
		cpu0 := processCPU()
		r := x.Extract(in[:200], in)
		cpu := processCPU() - cpu0
		if r.Speakers == nil || r.Countries == nil || r.MainCountries == nil || r.Topics == nil {
			t.Errorf("%s: nil slice", name)
		}
		t.Logf("%-20s %7.1f ms CPU, %d speakers, %d countries", name, float64(cpu.Microseconds())/1000, len(r.Speakers), len(r.Countries))
		if cpu > worst {
			worst, worstName = cpu, name
		}
		if cpu > maxCPU {
			t.Errorf("%s: %v CPU for 1 MiB, more than %v", name, cpu, maxCPU)
		}
	}
	t.Logf("worst CPU time per 1 MiB article: %v (%s)", worst, worstName)
}
