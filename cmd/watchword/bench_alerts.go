package main

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// cmdBenchAlerts measures alert evaluation: N saved alerts against M new
// articles on top of an archive of A, then the same alerts against 20,000
// new articles, and a tenth of the alerts against M, to show that the cost
// follows new articles and alerts, not the archive.
func cmdBenchAlerts(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench alerts", stderr)
	corpus := fs.String("corpus", "../shared/corpus/reuters21578.jsonl", "JSONL corpus")
	nAlerts := fs.Int("alerts", 10000, "saved alerts")
	nNew := fs.Int("new", 1000, "new articles per round")
	nLarge := fs.Int("new-large", 20000, "new articles in the large round")
	archive := fs.Int("archive", 0, "archive articles (the corpus replicated; 0: the corpus once)")
	data := fs.String("data", "", "data directory to keep (default: a temporary one)")
	reuse := fs.Bool("reuse", false, "reuse the archive already in --data")
	withExtract := fs.Bool("extract", false, "run entity extraction on ingest")
	seed := fs.Uint64("seed", 1, "random seed for the generated alerts")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed rounds to this file")
	gcPercent := fs.Int("gc-percent", 200, "Go GC target percentage, as serve (GOGC overrides it)")
	rounds := fs.Int("rounds", 3, "rounds of --alerts x --new in a row on the same alerts (a grown store)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	setGCPercent(*gcPercent)
	docs, err := readCorpus(*corpus)
	if err != nil {
		return err
	}
	if *archive <= 0 {
		*archive = len(docs)
	}
	dir := *data
	if dir == "" {
		if dir, err = os.MkdirTemp("", "watchword-bench-alerts-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	wwDir := filepath.Join(dir, "watchword")
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var ext engine.ExtractFunc
	if *withExtract {
		if ext, err = newExtractor(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "alerts bench: GOMAXPROCS=%d, %s\n", runtime.GOMAXPROCS(0), runtime.Version())
	if !*reuse {
		os.RemoveAll(wwDir)
		took, err := benchIngest(wwDir, docs, *archive, ext, 0, log)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "archive: %d articles ingested in %.1f s\n", *archive, took.Seconds())
	}
	eng, err := engine.Open(engine.Config{DataDir: wwDir, Logger: log, Extract: ext})
	if err != nil {
		return err
	}
	defer eng.Close()
	count, err := eng.Store().Count()
	if err != nil {
		return err
	}
	last, err := eng.Store().LastSeq()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "archive: %d articles in the store (last seq %d)\n", count, last)
	svc, err := alerts.New(alerts.Config{Engine: eng, Logger: log,
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		return err
	}
	// Not started: runs fill the outbox, nothing is sent.
	texts := make([]string, 0, 5000)
	for i := 0; i < len(docs) && i < cap(texts); i++ {
		texts = append(texts, docs[i].Body)
	}
	vocab := alerts.Vocabulary(texts, 0.002, 0.05)
	rng := rand.New(rand.NewPCG(*seed, 7))
	mkAlerts := func(n int) ([]string, error) {
		ins := make([]*alerts.Input, n)
		hook := "http://127.0.0.1:9/hook"
		for i := range ins {
			name, q, sched := fmt.Sprintf("bench %d", i), alerts.BenchQuery(rng, vocab), "@hourly"
			in := &alerts.Input{Name: &name, Query: &q, Schedule: &sched, WebhookURL: &hook}
			if i%10 == 0 {
				src := docs[0].Source
				in.Filters = &index.Filters{Sources: []string{src}}
			}
			ins[i] = in
		}
		return svc.CreateMany(ins)
	}
	next := max(count, *archive)
	ingestNew := func(n int) error {
		const chunk = 5000
		for done := 0; done < n; {
			k := min(chunk, n-done)
			arts := make([]*news.Article, 0, k)
			for i := 0; i < k; i++ {
				arts = append(arts, articleOf(replica(docs, next)))
				next++
			}
			if _, _, err := eng.Ingest(arts); err != nil {
				return err
			}
			done += k
		}
		return nil
	}
	round := func(label string, ids []string, nNew int) error {
		as, err := svc.Alerts(ids)
		if err != nil {
			return err
		}
		var r0, r1 syscall.Rusage
		db := eng.Store().DB()
		s0 := db.Stats()
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		start := time.Now()
		res, err := svc.RunAlerts(as)
		if err != nil {
			return err
		}
		wall := time.Since(start)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		s1 := db.Stats()
		tx := s1.Sub(&s0).TxStats
		cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		fmt.Fprintf(stdout, "%-28s new %6d  matches %7d  deliveries %6d  wall %7.3f s (match %6.3f + commit %6.3f)  cpu %7.3f s  pages written %6d (spill %.3f s, write %.3f s)\n",
			label, res.Articles, res.Matches, res.Deliveries, wall.Seconds(), res.EvalMS/1000, res.CommitMS/1000, cpu.Seconds(),
			tx.GetWrite(), tx.GetSpillTime().Seconds(), tx.GetWriteTime().Seconds())
		_ = nNew
		return nil
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	all, err := mkAlerts(*nAlerts)
	if err != nil {
		return err
	}
	for r := 1; r <= max(1, *rounds); r++ {
		if err := ingestNew(*nNew); err != nil {
			return err
		}
		if err := round(fmt.Sprintf("%d alerts x %d new #%d", *nAlerts, *nNew, r), all, *nNew); err != nil {
			return err
		}
	}
	tenth, err := mkAlerts(max(1, *nAlerts/10))
	if err != nil {
		return err
	}
	if err := ingestNew(*nNew); err != nil {
		return err
	}
	if err := round(fmt.Sprintf("%d alerts x %d new", len(tenth), *nNew), tenth, *nNew); err != nil {
		return err
	}
	// Catch the big set up (untimed), then the large round.
	if _, err := svc.Alerts(all); err == nil {
		as, _ := svc.Alerts(all)
		if _, err := svc.RunAlerts(as); err != nil {
			return err
		}
	}
	if err := ingestNew(*nLarge); err != nil {
		return err
	}
	return round(fmt.Sprintf("%d alerts x %d new", *nAlerts, *nLarge), all, *nLarge)
}
