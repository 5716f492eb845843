package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/web"
)

// Targets of `bench hostile`, from issue #12.
const (
	hostileMaxTime   = time.Second // an answered query must take no longer
	hostileMaxGrowth = 256 << 20   // peak RSS over the run, above the warmed server's
	hostileRepeats   = 3           // each query is sent this many times; the slowest counts
)

// hostileCase is one hostile search.
type hostileCase struct {
	name string
	q    string
	url  string // the path and query to GET; default /api/search?q=q
}

// hostileCases builds the worst inputs of issue #12 and a few more, with
// words taken from the corpus so that they match real terms.
func hostileCases(docs []corpusDoc) []hostileCase {
	words := corpusWords(docs, 1000)
	join := func(n int, f func(i int) string, sep string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, sep)
	}
	word := func(i int) string { return words[i%len(words)] }
	var prefixes2 []string
	for a := 'a'; a <= 'z'; a++ {
		for b := 'a'; b <= 'z'; b++ {
			prefixes2 = append(prefixes2, string([]rune{a, b})+"*")
		}
	}
	nested := func(n int) string { return strings.Repeat("(", n) + "oil OR gold" + strings.Repeat(")", n) }
	cs := []hostileCase{
		{name: "co* OR co* … ×256", q: join(256, func(int) string { return "co*" }, " OR ")},
		{name: "co* OR co* … ×1024", q: join(1024, func(int) string { return "co*" }, " OR ")},
		{name: "phrase of 1,000 words", q: `"` + join(1000, word, " ") + `"`},
		{name: "phrase of 32 words", q: `"` + join(32, word, " ") + `"`},
		{name: "x.*", q: "x.*"},
		{name: "* alone", q: "*"},
		{name: "676 two-letter prefixes", q: strings.Join(prefixes2, " OR ")},
		{name: "100 distinct 5-letter prefixes", q: join(100, func(i int) string { return prefixOf(word(i), 5) + "*" }, " OR ")},
		{name: "1,000 distinct prefixes of 3+ letters", q: join(1000, func(i int) string { return prefixOf(word(i), 3+i%4) + "*" }, " OR ")},
		{name: "long wildcard (4,000 letters*)", q: strings.Repeat("a", 4000) + "*"},
		{name: "wildcards in the middle a*b*c*", q: "a*b*c*"},
		{name: "nesting 64 levels", q: nested(64)},
		{name: "nesting 65 levels", q: nested(65)},
		{name: "NOT ×64 (negation depth)", q: strings.Repeat("NOT ", 64) + "oil"},
		{name: "OR of 1,000 words", q: join(1000, word, " OR ")},
		{name: "OR of 10 words", q: join(10, word, " OR ")},
		{name: "OR of 30 words", q: join(30, word, " OR ")},
		{name: "OR of 100 words", q: join(100, word, " OR ")},
		{name: "OR of 300 words", q: join(300, word, " OR ")},
		{name: "OR of 20 words, newest first", url: "/api/search?sort=newest&q=" + url.QueryEscape(join(20, word, " OR "))},
		{name: "AND of 1,000 words", q: join(1000, word, " ")},
		{name: "OR of 1,025 words (over the terms)", q: join(1025, word, " OR ")},
		{name: "OR of 500 two-word phrases", q: join(500, func(i int) string { return `"` + word(i) + " " + word(i+1) + `"` }, " OR ")},
		{name: "OR of 100 32-word phrases", q: join(100, func(i int) string { return `"` + join(32, func(k int) string { return word(i + k) }, " ") + `"` }, " OR ")},
		{name: "NOT of 1,000 words", q: "NOT (" + join(1000, word, " OR ") + ")"},
		{name: "1,000 words each negated", q: join(1000, func(i int) string { return "-" + word(i) }, " ")},
		{name: "id:re* (every id)", q: "id:re*"},
		{name: "speaker:a* OR country:a* OR topic:a*", q: "speaker:a* OR country:a* OR topic:a*"},
		{name: "word of 40 hyphenated parts", q: join(40, word, "-")},
		{name: "1,000 date ranges", q: join(1000, func(i int) string { return fmt.Sprintf("date:%d", 1700+i%500) }, " OR ")},
		{name: "16 KiB of the stop word the", q: strings.TrimSpace(strings.Repeat("the ", 16<<10/4))},
		// The Lucene idioms of #13: fuzzy words, wildcards and sloppy
		// phrases expand in the dictionaries too.
		{name: "50 fuzzy words ~2", q: join(50, func(i int) string { return word(i) + "~2" }, " OR ")},
		{name: "200 fuzzy words ~1", q: join(200, func(i int) string { return word(i) + "~1" }, " OR ")},
		{name: "wildcard qu*b????", q: "qu*b????"},
		{name: "100 ? wildcards", q: join(100, func(i int) string { return prefixOf(word(i), 2) + "??" }, " OR ")},
		{name: "sloppy phrase of 32 words ~64", q: `"` + join(32, word, " ") + `"~64`},
		{name: "relative dates: 1,000 ranges", q: join(1000, func(i int) string { return fmt.Sprintf("date:>now-%dd", i+1) }, " OR ")},
		{name: "empty query, all facets (browse 1M)", q: ""},
		{name: "NOT oil (nearly everything)", q: "NOT oil"},
		{name: "filters: 1,000 speakers", url: "/api/search?q=oil&" + join(1000, func(i int) string { return "speaker=" + url.QueryEscape(word(i)) }, "&")},
		{name: "filters: 1,025 sources", url: "/api/search?q=oil&" + join(1025, func(i int) string { return "source=s" + strconv.Itoa(i) }, "&")},
		{name: "size=100, facet_size=100", url: "/api/search?q=" + url.QueryEscape("oil OR gold OR trade") + "&size=100&facet_size=100"},
		{name: "UI page: co* OR co* … ×256", url: "/?q=" + url.QueryEscape(join(256, func(int) string { return "co*" }, " OR "))},
		{name: "UI page: OR of 1,000 words", url: "/?q=" + url.QueryEscape(join(1000, word, " OR "))},
	}
	for i := range cs {
		if cs[i].url == "" {
			cs[i].url = "/api/search?q=" + url.QueryEscape(cs[i].q)
		}
	}
	return cs
}

// prefixOf returns the first n letters of w (all of w if shorter).
func prefixOf(w string, n int) string {
	if len(w) <= n {
		return w
	}
	return w[:n]
}

// corpusWords returns up to n distinct lower-case words of 4 to 12 ASCII
// letters from the corpus titles and bodies, in order of appearance.
func corpusWords(docs []corpusDoc, n int) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range docs {
		for _, w := range strings.FieldsFunc(d.Title+" "+d.Body, func(r rune) bool { return !unicode.IsLetter(r) }) {
			w = strings.ToLower(w)
			if len(w) < 4 || len(w) > 12 || seen[w] || strings.IndexFunc(w, func(r rune) bool { return r > unicode.MaxASCII }) >= 0 {
				continue
			}
			seen[w] = true
			if out = append(out, w); len(out) == n {
				return out
			}
		}
	}
	return out
}

// procStatus reads VmRSS and VmHWM of this process, in bytes.
func procStatus() (rss, hwm int64, err error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/self/status %s: %w", k, err)
		}
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}

// benchHostile serves the index in wwDir over HTTP in this process, with
// the defaults of serve (query budget, search deadline; the read rate
// limit off, so that every query really runs), sends it the hostile
// queries and prints, for each, the status, the code and the slowest of
// hostileRepeats runs, then the growth of the process's peak RSS over the
// run. It fails when a query is answered 5xx or takes over a second, or
// the RSS grows by more than 256 MiB.
func benchHostile(stdout io.Writer, wwDir string, docs []corpusDoc, log *slog.Logger) error {
	eng, err := engine.Open(engine.Config{DataDir: wwDir, Logger: log})
	if err != nil {
		return err
	}
	defer eng.Close()
	eng.Warm()
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	srv, err := web.New(web.Config{Engine: eng, Token: hex.EncodeToString(raw[:]), Logger: log})
	if err != nil {
		return err
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	base := "http://" + srv.Addr().String()
	client := &http.Client{Timeout: time.Minute}
	get := func(path string) (status int, code string, took time.Duration, err error) {
		start := time.Now()
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, "", 0, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		took = time.Since(start)
		if err != nil {
			return 0, "", 0, err
		}
		if resp.StatusCode != http.StatusOK {
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			if json.Unmarshal(body, &e) == nil {
				code = e.Error.Code
			}
		}
		return resp.StatusCode, code, took, nil
	}

	// The peak RSS of a phase: the kernel's high-water mark, reset at the
	// start (clear_refs 5, Linux 4.0+), and samples every 5 ms in case it
	// cannot be reset.
	measure := func() (end func() (peak int64, hwm bool, err error)) {
		hwmReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
		var peak atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				if rss, _, err := procStatus(); err == nil && rss > peak.Load() {
					peak.Store(rss)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		})
		return func() (int64, bool, error) {
			close(stop)
			wg.Wait()
			_, hwm, err := procStatus()
			top := peak.Load()
			if hwmReset {
				top = max(top, hwm)
			}
			return top, hwmReset, err
		}
	}
	// The baseline is the peak RSS of the same server under ordinary
	// traffic: the first search reads the segment metadata, and with the
	// GC at serve's 200% the heap of a busy server swings well above what
	// is live. Five rounds of the search bench's queries, with facets.
	end := measure()
	for range 5 {
		for _, q := range benchQueries {
			if st, _, _, err := get("/api/search?q=" + url.QueryEscape(q)); err != nil || st != http.StatusOK {
				return fmt.Errorf("warm-up %q: %d %v", q, st, err)
			}
		}
	}
	baseRSS, _, err := end()
	if err != nil {
		return err
	}
	end = measure()

	cases := hostileCases(docs)
	fmt.Fprintf(stdout, "hostile queries against %s (%d articles indexed), each sent %d times, the slowest shown; served over HTTP in this process with serve's defaults\n\n",
		wwDir, mustDocCount(eng), hostileRepeats)
	fmt.Fprintf(stdout, "%-40s %8s %6s %-16s %9s  %s\n", "query", "bytes", "status", "code", "max ms", "verdict")
	var failed []string
	for _, c := range cases {
		var status int
		var code string
		var worst time.Duration
		for range hostileRepeats {
			st, cd, took, err := get(c.url)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			status, code, worst = st, cd, max(worst, took)
		}
		verdict := "answered"
		switch {
		case status >= 500:
			verdict = "FAIL: 5xx"
		case status >= 400:
			verdict = "refused"
		case worst > hostileMaxTime:
			verdict = "FAIL: over 1 s"
		}
		if strings.HasPrefix(verdict, "FAIL") {
			failed = append(failed, c.name)
		}
		size := len(c.q)
		if c.q == "" {
			size = len(c.url) // a URL of its own: its length
		}
		fmt.Fprintf(stdout, "%-40s %8d %6d %-16s %9.1f  %s\n", c.name, size, status, code, ms(worst), verdict)
	}
	top, hwmReset, err := end()
	if err != nil {
		return err
	}
	rss, _, err := procStatus()
	if err != nil {
		return err
	}
	growth := top - baseRSS
	fmt.Fprintf(stdout, "\nRSS: peak %.0f MiB under ordinary searches (5 rounds of the search bench's 20 queries), peak %.0f MiB during the hostile run (%s), %.0f MiB at the end: growth of the peak %.0f MiB (target ≤ %d MiB)\n",
		mibf(baseRSS), mibf(top), map[bool]string{true: "VmHWM reset before each phase, and 5 ms samples", false: "5 ms samples of VmRSS"}[hwmReset],
		mibf(rss), mibf(growth), hostileMaxGrowth>>20)
	if growth > hostileMaxGrowth {
		failed = append(failed, "RSS growth")
	}
	if len(failed) > 0 {
		return fmt.Errorf("hostile queries: failed: %s", strings.Join(failed, "; "))
	}
	fmt.Fprintf(stdout, "every query refused (4xx) or answered in ≤ %s; RSS growth within %d MiB\n", hostileMaxTime, hostileMaxGrowth>>20)
	return nil
}

func mibf(b int64) float64 { return float64(b) / (1 << 20) }

func mustDocCount(eng *engine.Engine) uint64 {
	n, err := eng.DocCount(context.Background())
	if err != nil {
		return 0
	}
	return n
}
