package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// corpusDoc is one line of the shared corpora. Their labels (topics,
// places, people) are not Watchword fields and are not passed on: the
// extractor fills the facets from the text, as for any article.
type corpusDoc struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Date   string `json:"date"`
	Title  string `json:"title"`
	Body   string `json:"body"`
}

// benchOptions are the flags of bench ingest and bench search.
type benchOptions struct {
	mode       string // ingest or search
	corpus     string
	scale      int
	data       string
	reuse      bool
	sqlite     string
	noExtract  bool
	pairs      int
	rounds     int
	cpuProfile string
	gcPercent  int
	batch      int
}

func newBenchCmd(stdout, stderr io.Writer) *cobra.Command {
	return groupCmd("bench", "Measure ingest, search and alerts on a JSONL corpus",
		newBenchModeCmd("ingest", "Load a corpus through the pipeline and into SQLite FTS5; the cost of extraction", stdout, stderr),
		newBenchModeCmd("search", "Query latency of Watchword and SQLite FTS5 on a corpus", stdout, stderr),
		newBenchModeCmd("hostile", "Serve a data directory over HTTP and send it the worst queries; times and memory", stdout, stderr),
		newBenchAlertsCmd(stdout, stderr),  // bench_alerts.go
		newBenchClusterCmd(stdout, stderr), // bench_cluster.go
	)
}

func newBenchModeCmd(mode, short string, stdout, stderr io.Writer) *cobra.Command {
	o := benchOptions{mode: mode}
	c := &cobra.Command{
		Use:   mode + " [flags]",
		Short: short,
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return bench(&o, stdout, stderr) },
	}
	fs := c.Flags()
	fs.StringVar(&o.corpus, "corpus", "../shared/corpus/reuters21578.jsonl", "JSONL corpus")
	fs.IntVar(&o.scale, "scale", 0, "replicate the corpus with fresh ids and shifted dates up to this many articles (0: as is)")
	fs.StringVar(&o.data, "data", "", "data directory to keep (default: a temporary one, removed afterwards)")
	fs.StringVar(&o.sqlite, "sqlite", "sqlite3", "sqlite3 binary for the side-by-side peer ('' to skip it)")
	fs.BoolVar(&o.noExtract, "no-extract", false, "ingest without entity extraction")
	switch mode {
	case "ingest":
		fs.IntVar(&o.pairs, "pairs", 5, "loads with and without extraction, alternating which runs first (0: one load)")
	case "search":
		fs.BoolVar(&o.reuse, "reuse", false, "search an existing --data directory instead of loading it")
		fs.IntVar(&o.rounds, "rounds", 20, "times each query runs, for latency percentiles")
	case "hostile":
		fs.BoolVar(&o.reuse, "reuse", false, "serve an existing --data directory instead of loading it")
	}
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	fs.IntVar(&o.gcPercent, "gc-percent", 200, "Go GC target percentage, as serve (GOGC overrides it)")
	fs.IntVar(&o.batch, "batch", 0, "documents per store transaction and index batch (0: the engine's default)")
	return c
}

func bench(o *benchOptions, stdout, stderr io.Writer) error {
	mode := o.mode
	setGCPercent(o.gcPercent)
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	docs, err := readCorpus(o.corpus)
	if err != nil {
		return err
	}
	n := len(docs)
	if o.scale > 0 {
		n = o.scale
	}
	dir, cleanup, err := benchDir(o.data, "watchword-bench-")
	if err != nil {
		return err
	}
	defer cleanup()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fmt.Fprintf(stdout, "corpus %s: %d articles (%d base), GOMAXPROCS=%d, %s\n", o.corpus, n, len(docs), runtime.GOMAXPROCS(0), runtime.Version())

	var ext engine.ExtractFunc
	if !o.noExtract {
		if ext, err = newExtractor(); err != nil {
			return err
		}
	}
	wwDir := filepath.Join(dir, "watchword")
	if !o.reuse {
		os.RemoveAll(wwDir)
		var took time.Duration
		if mode == "ingest" && ext != nil && o.pairs > 0 {
			// The cost of extraction: the same corpus with and without it,
			// in the same process, alternating which load runs first.
			if took, err = benchIngestPairs(stdout, dir, wwDir, docs, n, ext, o.batch, o.pairs, log); err != nil {
				return err
			}
		} else {
			if took, _, err = benchIngest(wwDir, docs, n, ext, o.batch, log); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "watchword ingest: %d articles in %.2f s (%.0f articles/s), extraction %v\n",
				n, took.Seconds(), float64(n)/took.Seconds(), ext != nil)
		}
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		fmt.Fprintf(stdout, "peak RSS of the bench process: %.0f MiB\n", float64(ru.Maxrss)/1024)
		if o.sqlite != "" && mode == "ingest" {
			sqlTook, err := sqliteLoad(o.sqlite, filepath.Join(dir, "fts5.db"), docs, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "sqlite fts5 ingest: %d articles in %.2f s; watchword/sqlite = %.2f\n", n, sqlTook.Seconds(), took.Seconds()/sqlTook.Seconds())
		}
	}
	if mode == "hostile" {
		return benchHostile(stdout, wwDir, docs, log) // bench_hostile.go
	}
	if mode == "search" {
		return benchSearch(stdout, wwDir, filepath.Join(dir, "fts5.db"), o.sqlite, docs, n, o.rounds, o.reuse, log)
	}
	return nil
}

// startCPUProfile writes a CPU profile to path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func readCorpus(path string) ([]corpusDoc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	defer f.Close()
	var docs []corpusDoc
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var d corpusDoc
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("corpus line %d: %w", len(docs)+1, err)
		}
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	if len(docs) == 0 {
		return nil, errors.New("corpus is empty")
	}
	return docs, nil
}

// replica returns article i of the corpus replicated to any size: copy k
// of base article j gets a fresh id and its date shifted by k*240 days.
func replica(docs []corpusDoc, i int) corpusDoc {
	k, j := i/len(docs), i%len(docs)
	d := docs[j]
	if k > 0 {
		d.ID = fmt.Sprintf("%s-r%d", d.ID, k)
		if t, err := time.Parse(time.RFC3339, d.Date); err == nil {
			d.Date = t.AddDate(0, 0, 240*k).Format(time.RFC3339)
		}
	}
	// Title-only wire items (about 12% of Reuters) use the title as body,
	// in both engines, since a body is required.
	if strings.TrimSpace(d.Body) == "" {
		d.Body = d.Title
	}
	return d
}

func articleOf(d corpusDoc) *news.Article {
	a := &news.Article{ID: d.ID, Title: d.Title, Body: d.Body, Source: d.Source}
	if d.Date != "" {
		if t, err := news.ParseDate(d.Date); err == nil {
			a.Date = t
		}
	}
	return a
}

// benchIngestPairs loads the corpus pairs times with extraction and pairs
// times without, after one unmeasured warm-up load, each load on a fresh
// directory after a garbage collection, alternating which of the two runs
// first so that neither always gets the warmer process. The first measured
// load with extraction goes to keep (the data directory); the others are
// removed. It prints every load and the medians, and returns the median
// wall time with extraction.
func benchIngestPairs(stdout io.Writer, dir, keep string, docs []corpusDoc, n int, ext engine.ExtractFunc, batch, pairs int, log *slog.Logger) (time.Duration, error) {
	var with, bare []time.Duration
	var wallShares, cpuShares []float64
	load := func(ex engine.ExtractFunc, k int) (wall, cpu time.Duration, err error) {
		d := filepath.Join(dir, fmt.Sprintf("load-%d-extract-%v", k, ex != nil))
		if ex != nil && k == 0 {
			d = keep
		}
		runtime.GC()
		debug.FreeOSMemory()
		wall, cpu, err = benchIngest(d, docs, n, ex, batch, log)
		if d != keep {
			os.RemoveAll(d)
		}
		return wall, cpu, err
	}
	// One unmeasured load first: the first load in a process is slower
	// (heap growth, cold caches) whichever variant it is.
	if _, _, err := load(ext, -1); err != nil {
		return 0, err
	}
	fmt.Fprintf(stdout, "watchword ingest of %d articles, %d pairs of loads with and without extraction after one warm-up load (fresh directory each, alternating order):\n", n, pairs)
	for k := 0; k < pairs; k++ {
		var w, b, wc, bc time.Duration
		var err error
		first := "with"
		if k%2 == 0 {
			if w, wc, err = load(ext, k); err == nil {
				b, bc, err = load(nil, k)
			}
		} else {
			first = "without"
			if b, bc, err = load(nil, k); err == nil {
				w, wc, err = load(ext, k)
			}
		}
		if err != nil {
			return 0, err
		}
		ws, cs := 100*(1-b.Seconds()/w.Seconds()), 100*(1-bc.Seconds()/wc.Seconds())
		fmt.Fprintf(stdout, "  pair %d (%s first): with %.2f s (CPU %.2f s), without %.2f s (CPU %.2f s): extraction %.1f%% of wall time, %.1f%% of CPU time\n",
			k+1, first, w.Seconds(), wc.Seconds(), b.Seconds(), bc.Seconds(), ws, cs)
		with, bare = append(with, w), append(bare, b)
		wallShares, cpuShares = append(wallShares, ws), append(cpuShares, cs)
	}
	mw, mb := percentile(with, .5), percentile(bare, .5)
	fmt.Fprintf(stdout, "watchword ingest: median %.2f s with extraction (%.0f articles/s), %.2f s without\n",
		mw.Seconds(), float64(n)/mw.Seconds(), mb.Seconds())
	fmt.Fprintf(stdout, "extraction costs %.1f%% of throughput (median of the pairs' wall-time shares; %.1f%% to %.1f%%), %.1f%% of CPU time (%.1f%% to %.1f%%)\n",
		median(wallShares), slices.Min(wallShares), slices.Max(wallShares),
		median(cpuShares), slices.Min(cpuShares), slices.Max(cpuShares))
	return mw, nil
}

// benchIngest loads n articles through the real pipeline in chunks (the
// way a bulk client would post them) and returns the wall time and the
// CPU time the process used meanwhile.
func benchIngest(dir string, docs []corpusDoc, n int, ext engine.ExtractFunc, batch int, log *slog.Logger) (wall, cpu time.Duration, err error) {
	const chunk = 5000
	arts := make([]*news.Article, 0, chunk)
	var r0, r1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	start := time.Now()
	eng, err := engine.Open(engine.Config{DataDir: dir, Extract: ext, Logger: log, BatchSize: batch})
	if err != nil {
		return 0, 0, err
	}
	for i := 0; i < n; i++ {
		arts = append(arts, articleOf(replica(docs, i)))
		if len(arts) == chunk || i == n-1 {
			_, rejected, err := eng.Ingest(context.Background(), arts)
			if err != nil {
				eng.Close()
				return 0, 0, err
			}
			for _, r := range rejected {
				log.Warn("bench: article rejected", "id", arts[r.Index].ID, "reason", r.Message)
			}
			arts = arts[:0]
		}
	}
	// Ingest returns once the articles are durable and searchable; closing
	// the engine is not part of the load.
	wall = time.Since(start)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu = time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
	return wall, cpu, eng.Close()
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// cpuTime is the CPU time (user and system) the process has used: on a
// busy machine, a steadier measure of a search's cost than its latency.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDir returns data, or else a new temporary directory that cleanup
// removes.
func benchDir(data, prefix string) (dir string, cleanup func(), err error) {
	if data != "" {
		return data, func() {}, nil
	}
	if dir, err = os.MkdirTemp("", prefix); err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// median returns the median of vs (the mean of the two middle values for an
// even count).
func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
