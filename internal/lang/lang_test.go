package lang

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

type sample struct{ lang, text string }

func samples(t testing.TB) []sample {
	t.Helper()
	f, err := os.Open("testdata/samples.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad sample line %q", line)
		}
		out = append(out, sample{l, text})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDetectAccuracy: at least 98% of the samples (articles of 50 words
// or more in en, ru, uk, de, fr, es and ar, written for this test) get
// their language, and the English shortcut claims no other language.
func TestDetectAccuracy(t *testing.T) {
	ss := samples(t)
	per := map[string]int{}
	ok := 0
	for _, s := range ss {
		if n := len(strings.Fields(s.text)); n < 50 {
			t.Fatalf("sample %q… has %d words, want 50 or more", s.text[:40], n)
		}
		per[s.lang]++
		got, conf := Detect("", s.text)
		if got == s.lang {
			ok++
		} else {
			t.Logf("%s detected as %q (confidence %.2f): %.60s…", s.lang, got, conf, s.text)
		}
		if tag, _, isEn := quick(s.text); isEn != (s.lang == "en") || isEn && tag != "en" {
			t.Errorf("English shortcut says %v for a %s sample: %.60s…", isEn, s.lang, s.text)
		}
	}
	for _, l := range []string{"en", "ru", "uk", "de", "fr", "es", "ar"} {
		if per[l] < 7 {
			t.Errorf("%d samples in %s, want at least 7", per[l], l)
		}
	}
	acc := float64(ok) / float64(len(ss))
	t.Logf("accuracy %d/%d = %.1f%%", ok, len(ss), 100*acc)
	if acc < 0.98 {
		t.Errorf("accuracy %.1f%%, want at least 98%%", 100*acc)
	}
}

func TestDetectOddText(t *testing.T) {
	for _, s := range []string{"", " ", "😀😀😀 🎉", "12 34 56", "Песков 😀 said شكرا 北京 the", strings.Repeat("é", 5000), "\xff\xfe"} {
		tag, conf := Detect(s, s)
		if conf < 0 || conf > 1 {
			t.Errorf("Detect(%q) confidence %v", s, conf)
		}
		if tag != "" {
			if _, ok := Parse(tag); !ok {
				t.Errorf("Detect(%q) = %q, not a valid tag", s, tag)
			}
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]string{"ru": "ru", "EN": "en", "pt-BR": "pt-br", " de-CH ": "de-ch", "und": "", "": "", "zh-Hant": "zh-hant", "uk": "uk"} {
		got, ok := Parse(in)
		if !ok || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"english", "xx", "r", "en_US!", "12", "en--us", strings.Repeat("a", 40)} {
		if got, ok := Parse(in); ok {
			t.Errorf("Parse(%q) = %q, ok; want a rejection", in, got)
		}
	}
	if Base("pt-br") != "pt" || Base("ru") != "ru" {
		t.Error("Base")
	}
}

func BenchmarkDetectEnglish(b *testing.B) {
	text := samples(b)[0].text
	for b.Loop() {
		Detect("", text)
	}
}

func BenchmarkDetectRussian(b *testing.B) {
	var text string
	for _, s := range samples(b) {
		if s.lang == "ru" {
			text = s.text
			break
		}
	}
	for b.Loop() {
		Detect("", text)
	}
}
