package extract

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// reutersPath is the Reuters-21578 corpus beside the repository.
const reutersPath = "../../../shared/corpus/reuters21578.jsonl"

// reutersDoc is one line of the corpus (only the fields used here).
type reutersDoc struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Dateline string   `json:"dateline"`
	Body     string   `json:"body"`
	Places   []string `json:"places"`
}

// reutersText joins the article text the way the test feeds it to the
// extractor: headline, then dateline and body.
func reutersText(d *reutersDoc) string {
	return d.Title + "\n\n" + d.Dateline + " " + d.Body
}

func loadReuters(tb testing.TB) []reutersDoc {
	tb.Helper()
	if _, err := os.Stat(reutersPath); errors.Is(err, fs.ErrNotExist) {
		tb.Skipf("Reuters corpus %s not present", reutersPath)
	}
	return readJSONL[reutersDoc](tb, reutersPath)
}

// readJSONL decodes every line of a JSON Lines file.
func readJSONL[T any](tb testing.TB, path string) []T {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("parse %s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return out
}

func loadPlaceMap(t *testing.T) map[string]string {
	raw, err := os.ReadFile("testdata/reuters_places.tsv")
	if err != nil {
		t.Fatalf("read place map: %v", err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		slug, country, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad place map line %q", line)
		}
		m[slug] = country
	}
	return m
}

// TestReutersCountries measures country precision and recall against the
// editors' places over every Reuters article that has places. The editors
// tagged the countries an article is about, not every country it mentions,
// so the assertion is on the main-country view; the every-mention view
// (Countries) is logged beside it.
func TestReutersCountries(t *testing.T) {
	docs := loadReuters(t)
	places := loadPlaceMap(t)
	x := newTestExtractor(t)
	var c, all prf
	articles, dropped, emptied := 0, 0, 0
	fpBy, fnBy := map[string]int{}, map[string]int{}
	for i := range docs {
		d := &docs[i]
		if len(d.Places) == 0 {
			continue
		}
		var want []string
		for _, p := range d.Places {
			country, ok := places[p]
			if !ok {
				t.Fatalf("%s: place %q missing from testdata/reuters_places.tsv", d.ID, p)
			}
			if country == "-" {
				dropped++
				continue
			}
			want = append(want, country)
		}
		if len(want) == 0 {
			emptied++
			continue
		}
		articles++
		all.add(x.Countries(reutersText(d)), want)
		got := x.mainCountries(d.Title, d.Dateline+" "+d.Body)
		missing, extra := c.add(got, want)
		for _, m := range missing {
			fnBy[m]++
		}
		for _, e := range extra {
			fpBy[e]++
		}
	}
	t.Logf("Reuters over %d articles with places (%d non-state places dropped, %d articles left without places)",
		articles, dropped, emptied)
	t.Logf("every country mentioned (Countries): %v", all)
	t.Logf("main countries (headline, dateline, lead or named twice): %v", c)
	t.Logf("main countries most missed: %s", topCounts(fnBy, 12))
	t.Logf("main countries most extra:  %s", topCounts(fpBy, 12))
	// What ships as the countries facet is Countries(): every country the
	// text refers to (the eval set's convention). Reuters editors tagged
	// only the main countries, so its precision against them is lower
	// (0.77 when measured; most "false positives" are real mentions). The
	// gate on the shipped facet is recall; precision is reported, not hidden.
	if all.recall() < 0.85 {
		t.Errorf("Countries() recall %.3f on Reuters is below 0.85", all.recall())
	}
	// mainCountries is the editors' view; it is gated on both.
	if c.precision() < 0.85 || c.recall() < 0.85 {
		t.Errorf("mainCountries precision %.3f / recall %.3f below 0.85", c.precision(), c.recall())
	}
}

func topCounts(m map[string]int, n int) string {
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].v > kvs[j].v || kvs[i].v == kvs[j].v && kvs[i].k < kvs[j].k })
	if len(kvs) > n {
		kvs = kvs[:n]
	}
	var b strings.Builder
	for i, e := range kvs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.k)
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(e.v))
	}
	return b.String()
}
