package extract

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const evalDir = "testdata/eval"

// evalLabels is one entry of testdata/eval/labels.json.
type evalLabels struct {
	Speakers  []string `json:"speakers"`
	Countries []string `json:"countries"`
	Topics    []string `json:"topics"`
}

// prf accumulates micro-averaged counts for one facet.
type prf struct{ tp, fp, fn int }

func (c *prf) add(got, want []string) (missing, extra []string) {
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	g := map[string]bool{}
	for _, s := range got {
		if g[s] {
			continue
		}
		g[s] = true
		if w[s] {
			c.tp++
		} else {
			c.fp++
			extra = append(extra, s)
		}
	}
	for s := range w {
		if !g[s] {
			c.fn++
			missing = append(missing, s)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func (c prf) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c prf) recall() float64    { return ratio(c.tp, c.tp+c.fn) }
func (c prf) f1() float64 {
	p, r := c.precision(), c.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
func (c prf) String() string {
	return fmt.Sprintf("P=%.3f R=%.3f F1=%.3f (tp=%d fp=%d fn=%d)", c.precision(), c.recall(), c.f1(), c.tp, c.fp, c.fn)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

var seedHeader = regexp.MustCompile(`^\s*date\s+(\d{4}-\d{2}-\d{2})\s`)

// parseSeedFormat splits a file in the seed format into title and body: the
// date line prefix is dropped, and a first line without sentence-final
// punctuation is the headline.
func parseSeedFormat(b []byte) (title, body string, err error) {
	s := string(b)
	m := seedHeader.FindStringSubmatchIndex(s)
	if m == nil {
		return "", "", errors.New("no \"date YYYY-MM-DD\" header")
	}
	story := s[m[1]:]
	first, rest, ok := strings.Cut(story, "\n")
	first = strings.TrimSpace(first)
	if ok && first != "" && len(first) < 300 && !strings.ContainsAny(first[len(first)-1:], ".!?\"”’'") {
		return first, rest, nil
	}
	return "", story, nil
}

func TestEval(t *testing.T) {
	if _, err := os.Stat(evalDir); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("evaluation set %s does not exist yet", evalDir)
	}
	raw, err := os.ReadFile(filepath.Join(evalDir, "labels.json"))
	if err != nil {
		t.Fatalf("read labels: %v", err)
	}
	var labels map[string]evalLabels
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatalf("parse labels: %v", err)
	}
	x := newTestExtractor(t)
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	sort.Strings(names)
	var sp, co, mc, to prf
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(evalDir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		title, body, err := parseSeedFormat(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r := x.Extract(title, body)
		want := labels[name]
		var top []string
		for _, tn := range r.Topics {
			if x.topLevel(tn) {
				top = append(top, tn)
			}
		}
		if m, e := sp.add(r.Speakers, want.Speakers); len(m)+len(e) > 0 {
			t.Logf("%s speakers: missing %q, extra %q", name, m, e)
		}
		if m, e := co.add(r.Countries, want.Countries); len(m)+len(e) > 0 {
			t.Logf("%s countries: missing %q, extra %q", name, m, e)
		}
		mc.add(r.MainCountries, want.Countries)
		if m, e := to.add(top, want.Topics); len(m)+len(e) > 0 {
			t.Logf("%s topics: missing %q, extra %q", name, m, e)
		}
	}
	t.Logf("eval over %d articles", len(names))
	t.Logf("speakers:  %v", sp)
	t.Logf("countries: %v", co)
	t.Logf("main countries against every country labelled: %v", mc)
	t.Logf("topics (top-level): %v", to)
	if co.f1() < 0.97 {
		t.Errorf("countries F1 %.3f < 0.97", co.f1())
	}
	if sp.f1() < 0.95 {
		t.Errorf("speakers F1 %.3f < 0.95", sp.f1())
	}
	if to.recall() < 0.90 {
		t.Errorf("top-level topic recall %.3f < 0.90", to.recall())
	}
	if to.precision() < 0.85 {
		t.Errorf("top-level topic precision %.3f < 0.85", to.precision())
	}
}
