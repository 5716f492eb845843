package main

// bench search: the Reuters queries timed in Watchword and in SQLite FTS5
// side by side, and with filters ticked; and the SQLite FTS5 peer itself
// (its load is also bench ingest's side-by-side figure).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/watchword/watchword/internal/engine"
)

// benchQueries run on Reuters in both engines. They use syntax that means
// the same in Watchword and in SQLite FTS5 (AND, OR, NOT, phrases,
// prefixes, parentheses, implicit AND).
var benchQueries = []string{
	`reagan AND iran`,
	`reagan OR iran`,
	`iran NOT reagan`,
	`"white house"`,
	`oil AND (opec OR saudi)`,
	`"interest rates" AND fed`,
	`(gold OR silver) AND price*`,
	`trade AND (japan OR korea) NOT tariff*`,
	`dollar yen`,
	`"bank of england"`,
	`wheat AND (ussr OR soviet)`,
	`coffee OR cocoa OR sugar`,
	`"federal reserve" NOT volcker`,
	`(merger OR acquisition) AND shares`,
	`crude AND "per barrel"`,
	`strike AND (union OR workers)`,
	`"west germany" AND bundesbank`,
	`gulf AND (tanker OR shipping)`,
	`loss* AND quarter`,
	`brazil AND debt`,
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqliteLoad loads the same articles into an FTS5 table with the sqlite3
// shell and returns the time the shell took.
func sqliteLoad(bin, db string, docs []corpusDoc, n int) (time.Duration, error) {
	os.Remove(db)
	script := db + ".sql"
	f, err := os.Create(script)
	if err != nil {
		return 0, err
	}
	defer os.Remove(script)
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "PRAGMA journal_mode=WAL;")
	fmt.Fprintln(w, "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='porter unicode61');")
	fmt.Fprintln(w, "BEGIN;")
	for i := 0; i < n; i++ {
		d := replica(docs, i)
		if strings.TrimSpace(d.Body) == "" {
			continue // rejected by Watchword too: an article needs text
		}
		fmt.Fprintf(w, "INSERT INTO docs VALUES(%s,%s,%s);\n", sqlQuote(d.ID), sqlQuote(d.Title), sqlQuote(d.Body))
	}
	fmt.Fprintln(w, "COMMIT;")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	in, err := os.Open(script)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	cmd := exec.Command(bin, db)
	cmd.Stdin = in
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("sqlite3 load: %v: %s", err, out)
	}
	return time.Since(start), nil
}

func sqliteCount(bin, db, q string) (int, time.Duration, error) {
	start := time.Now()
	out, err := exec.Command(bin, db, "SELECT count(*) FROM docs WHERE docs MATCH "+sqlQuote(q)+";").CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite3 %q: %v: %s", q, err, out)
	}
	var c int
	if _, err := fmt.Sscan(string(out), &c); err != nil {
		return 0, 0, fmt.Errorf("sqlite3 %q: %q", q, out)
	}
	return c, took, nil
}

func benchSearch(stdout io.Writer, wwDir, db, sqlite string, docs []corpusDoc, n, rounds int, reuse bool, log *slog.Logger) error {
	eng, err := engine.Open(engine.Config{DataDir: wwDir, Logger: log})
	if err != nil {
		return err
	}
	defer eng.Close()
	if sqlite != "" && !reuse {
		if _, err := sqliteLoad(sqlite, db, docs, n); err != nil {
			return err
		}
	}
	if _, err := os.Stat(db); err != nil {
		sqlite = ""
	}
	// A server compacts its index once writes have been idle for a while
	// (index/compact.go); the rounds measure that index, so it is
	// compacted first, and the cost reported.
	start := time.Now()
	before, after, err := eng.Compact(context.Background())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "compaction (what a server does once idle): segments per shard %v → %v in %.1f s\n", before, after, time.Since(start).Seconds())
	// The first search after opening reads every segment's metadata
	// (sequence, date and facet values per document) into memory; it is
	// timed apart from the rounds.
	start = time.Now()
	if _, err := eng.Search(context.Background(), engine.SearchParams{Q: benchQueries[0], Size: 20, FacetSize: 10}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "first search after open (reads the segment metadata): %.1f ms\n", ms(time.Since(start)))
	// One untimed-in-the-percentiles round first: a new process maps the
	// index files page by page as queries first touch them, which a
	// running server has done long before. It is reported on its own.
	var first []time.Duration
	for _, q := range benchQueries {
		start := time.Now()
		if _, err := eng.Search(context.Background(), engine.SearchParams{Q: q, Size: 20, FacetSize: 10}); err != nil {
			return err
		}
		first = append(first, time.Since(start))
	}
	fmt.Fprintf(stdout, "first round after open (each query once, 4 facets): p50 %.2f ms, max %.2f ms\n",
		ms(percentile(first, .5)), ms(percentile(first, 1)))
	// Latency: each query with a page of 20 hits, all four facets,
	// snippets and the store join, as the API runs it; the same without
	// facets, to show what facet counting costs; and collapsed by story.
	// The three run back to back on each query, so the ones after the
	// first find its postings in the CPU's caches: which goes first
	// turns with the round, and none gets the quieter moments of the
	// run or the warmer caches.
	lat := make([][]time.Duration, len(benchQueries))
	clat := make([][]time.Duration, len(benchQueries))
	var bare, collapsed []time.Duration
	for r := 0; r < rounds; r++ {
		for i, q := range benchQueries {
			for k := range 3 {
				p := engine.SearchParams{Q: q, Size: 20}
				switch (r + i + k) % 3 {
				case 0:
					p.FacetSize = 10
				case 2:
					p.FacetSize, p.Collapse = 10, true
				}
				start := time.Now()
				if _, err := eng.Search(context.Background(), p); err != nil {
					return err
				}
				took := time.Since(start)
				switch {
				case p.Collapse:
					collapsed = append(collapsed, took)
					clat[i] = append(clat[i], took)
				case p.FacetSize > 0:
					lat[i] = append(lat[i], took)
				default:
					bare = append(bare, took)
				}
			}
		}
	}
	fmt.Fprintf(stdout, "\n%-42s %9s %9s %7s %9s %13s\n", "query", "watchword", "fts5", "diff", "p50 ms", "collapsed ms")
	worst := 0.0
	var all []time.Duration
	for i, q := range benchQueries {
		res, err := eng.Search(context.Background(), engine.SearchParams{Q: q, Size: 0})
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		fts, diff := "-", ""
		if sqlite != "" {
			c, _, err := sqliteCount(sqlite, db, q)
			if err != nil {
				return err
			}
			fts = fmt.Sprint(c)
			d := 0.0
			if c > 0 {
				d = 100 * math.Abs(float64(res.Total)-float64(c)) / float64(c)
			}
			worst = max(worst, d)
			diff = fmt.Sprintf("%.1f%%", d)
		}
		all = append(all, lat[i]...)
		fmt.Fprintf(stdout, "%-42s %9d %9s %7s %9.2f %13.2f\n", q, res.Total, fts, diff, ms(percentile(lat[i], .5)), ms(percentile(clat[i], .5)))
	}
	if sqlite != "" {
		fmt.Fprintf(stdout, "largest hit-count difference: %.1f%%\n", worst)
	}
	fmt.Fprintf(stdout, "watchword search (20 hits, 4 facets, snippets) over %d runs: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		len(all), ms(percentile(all, .5)), ms(percentile(all, .9)), ms(percentile(all, .99)), ms(percentile(all, 1)))
	fmt.Fprintf(stdout, "watchword search (20 hits, no facets, snippets) over %d runs: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
		len(bare), ms(percentile(bare, .5)), ms(percentile(bare, .9)), ms(percentile(bare, .99)))
	fmt.Fprintf(stdout, "watchword search collapse=story (20 stories, 4 facets, snippets) over %d runs: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
		len(collapsed), ms(percentile(collapsed, .5)), ms(percentile(collapsed, .9)), ms(percentile(collapsed, .99)))
	return benchTicked(stdout, eng, rounds)
}

// benchTicked times the queries with filters ticked, as a user narrowing
// a search does: the top country, the two top countries (OR), and the
// top country with the top topic and speaker. Values are written in lower
// case, so filters are folded; the facet counts are disjunctive (each
// facet counted without its own filter).
func benchTicked(stdout io.Writer, eng *engine.Engine, rounds int) error {
	type ticked struct {
		q string
		f engine.Filters
	}
	var sets [3][]ticked
	top := func(vs []engine.FacetValue, i int) string {
		if i < len(vs) {
			return strings.ToLower(vs[i].Value)
		}
		return ""
	}
	for _, q := range benchQueries {
		res, err := eng.Search(context.Background(), engine.SearchParams{Q: q, Size: 0, FacetSize: 2})
		if err != nil {
			return err
		}
		c1, c2 := top(res.Facets["countries"], 0), top(res.Facets["countries"], 1)
		t1, s1 := top(res.Facets["topics"], 0), top(res.Facets["speakers"], 0)
		if c1 == "" {
			continue
		}
		sets[0] = append(sets[0], ticked{q, engine.Filters{Countries: []string{c1}}})
		if c2 != "" {
			sets[1] = append(sets[1], ticked{q, engine.Filters{Countries: []string{c1, c2}}})
		}
		if t1 != "" && s1 != "" {
			sets[2] = append(sets[2], ticked{q, engine.Filters{Countries: []string{c1}, Topics: []string{t1}, Speakers: []string{s1}}})
		}
	}
	names := [3]string{"1 country", "2 countries (OR)", "country + topic + speaker"}
	var lat [3][]time.Duration
	var all []time.Duration
	cpu0 := cpuTime()
	for r := 0; r < rounds; r++ {
		for k, set := range sets {
			for _, t := range set {
				start := time.Now()
				if _, err := eng.Search(context.Background(), engine.SearchParams{Q: t.q, Filters: t.f, Size: 20, FacetSize: 10}); err != nil {
					return fmt.Errorf("%s %+v: %w", t.q, t.f, err)
				}
				d := time.Since(start)
				lat[k] = append(lat[k], d)
				all = append(all, d)
			}
		}
	}
	cpu := cpuTime() - cpu0
	if len(all) == 0 {
		fmt.Fprintln(stdout, "ticked filters: the queries have no country facet values")
		return nil
	}
	fmt.Fprintln(stdout)
	for k, name := range names {
		if len(lat[k]) > 0 {
			fmt.Fprintf(stdout, "ticked %-26s %3d queries: p50 %.2f ms, p99 %.2f ms\n", name+":", len(sets[k]), ms(percentile(lat[k], .5)), ms(percentile(lat[k], .99)))
		}
	}
	fmt.Fprintf(stdout, "watchword search with ticked filters (20 hits, 4 disjunctive facets, snippets) over %d runs: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, CPU %.2f ms a search\n",
		len(all), ms(percentile(all, .5)), ms(percentile(all, .9)), ms(percentile(all, .99)), ms(percentile(all, 1)), ms(cpu)/float64(len(all)))
	return nil
}
