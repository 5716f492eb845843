package extract

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/lang"
)

// evalLangs are the languages of the per-language evaluation sets in
// testdata/eval/<code>: original short articles written for Watchword,
// labelled like the English set, plus the main countries.
var evalLangs = []string{"ru", "uk", "de", "fr", "es", "ar"}

type evalLangLabels struct {
	Speakers      []string `json:"speakers"`
	Countries     []string `json:"countries"`
	MainCountries []string `json:"main_countries"`
	Topics        []string `json:"topics"`
}

// knownTestNames loads testdata/eval/known_names.txt: the Latin forms an
// archive of English articles would have taught the extractor.
func knownTestNames(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(evalDir, "known_names.txt"))
	if err != nil {
		t.Fatalf("known names: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
			out = append(out, s)
		}
	}
	return out
}

// TestEvalLang scores every language's set through Extract (language
// detection included, as the server runs it) and gates on countries F1
// >= 0.90 and speakers F1 >= 0.85 per language.
func TestEvalLang(t *testing.T) {
	x, err := New()
	if err != nil {
		t.Fatal(err)
	}
	x.LearnNames(knownTestNames(t)...)
	t.Logf("%-4s %-10s %s", "lang", "type", "scores")
	for _, code := range evalLangs {
		dir := filepath.Join(evalDir, code)
		raw, err := os.ReadFile(filepath.Join(dir, "labels.json"))
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		var labels map[string]evalLangLabels
		if err := json.Unmarshal(raw, &labels); err != nil {
			t.Fatalf("%s labels: %v", code, err)
		}
		if len(labels) < 8 {
			t.Errorf("%s: %d articles, want at least 8", code, len(labels))
		}
		names := make([]string, 0, len(labels))
		for n := range labels {
			names = append(names, n)
		}
		sort.Strings(names)
		var sp, co, mc, to prf
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			title, body, err := parseSeedFormat(b)
			if err != nil {
				t.Fatalf("%s/%s: %v", code, name, err)
			}
			if tag, _ := lang.Detect(title, body); lang.Base(tag) != code {
				// Extract falls back to the script (scriptLanguage).
				t.Logf("%s/%s: detector says %q, script says %q", code, name, tag, scriptLanguage(title, body))
			}
			r := x.Extract(title, body)
			want := labels[name]
			if m, e := sp.add(r.Speakers, want.Speakers); len(m)+len(e) > 0 {
				t.Logf("%s/%s speakers: missing %q, extra %q", code, name, m, e)
			}
			if m, e := co.add(r.Countries, want.Countries); len(m)+len(e) > 0 {
				t.Logf("%s/%s countries: missing %q, extra %q", code, name, m, e)
			}
			if m, e := mc.add(r.MainCountries, want.MainCountries); len(m)+len(e) > 0 {
				t.Logf("%s/%s main countries: missing %q, extra %q", code, name, m, e)
			}
			if m, e := to.add(r.Topics, want.Topics); len(m)+len(e) > 0 {
				t.Logf("%s/%s topics: missing %q, extra %q", code, name, m, e)
			}
		}
		t.Logf("%-4s %-10s %v", code, "speakers", sp)
		t.Logf("%-4s %-10s %v", code, "countries", co)
		t.Logf("%-4s %-10s %v", code, "main", mc)
		t.Logf("%-4s %-10s %v", code, "topics", to)
		if co.f1() < 0.90 {
			t.Errorf("%s: countries F1 %.3f < 0.90", code, co.f1())
		}
		if sp.f1() < 0.85 {
			t.Errorf("%s: speakers F1 %.3f < 0.85", code, sp.f1())
		}
	}
}
