package main

import (
	"context"
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

	"github.com/spf13/cobra"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// benchAlertsOptions are the flags of bench alerts.
type benchAlertsOptions struct {
	corpus      string
	nAlerts     int
	nNew        int
	nLarge      int
	archive     int
	data        string
	reuse       bool
	withExtract bool
	seed        uint64
	cpuProfile  string
	gcPercent   int
	rounds      int
	// A simulated run (--deliver): the rounds only, each followed by
	// sending its deliveries and a retention pass, on a clock that moves
	// roundTime per round.
	deliver           bool
	roundTime         time.Duration
	deliveryRetention ageValue
	retention         ageValue
}

func newBenchAlertsCmd(stdout, stderr io.Writer) *cobra.Command {
	var o benchAlertsOptions
	c := &cobra.Command{
		Use:   "alerts [flags]",
		Short: "Measure one evaluation round of many alerts over new articles",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return runBenchAlerts(&o, stdout, stderr) },
	}
	fs := c.Flags()
	fs.StringVar(&o.corpus, "corpus", "../shared/corpus/reuters21578.jsonl", "JSONL corpus")
	fs.IntVar(&o.nAlerts, "alerts", 10000, "saved alerts")
	fs.IntVar(&o.nNew, "new", 1000, "new articles per round")
	fs.IntVar(&o.nLarge, "new-large", 20000, "new articles in the large round")
	fs.IntVar(&o.archive, "archive", 0, "archive articles (the corpus replicated; 0: the corpus once)")
	fs.StringVar(&o.data, "data", "", "data directory to keep (default: a temporary one)")
	fs.BoolVar(&o.reuse, "reuse", false, "reuse the archive already in --data")
	fs.BoolVar(&o.withExtract, "extract", false, "run entity extraction on ingest")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed for the generated alerts")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the timed rounds to this file")
	fs.IntVar(&o.gcPercent, "gc-percent", 200, "Go GC target percentage, as serve (GOGC overrides it)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of --alerts x --new in a row on the same alerts (a grown store)")
	fs.BoolVar(&o.deliver, "deliver", false, "a simulated run: after each round send its deliveries to a local receiver, run the retention and print the data directory's size; only the --rounds rounds")
	fs.DurationVar(&o.roundTime, "round-time", time.Hour, "with --deliver: simulated time per round (the new articles are dated on that clock)")
	fs.Var(&o.deliveryRetention, "delivery-retention", "with --deliver: the delivery retention (0: none), e.g. 12h")
	fs.Var(&o.retention, "retention", "with --deliver: the article retention (0: none), e.g. 1d")
	c.AddCommand(newBenchAlertsLatencyCmd(stdout, stderr))
	return c
}

// runBenchAlerts measures alert evaluation: N saved alerts against M new
// articles on top of an archive of A, then the same alerts against 20,000
// new articles, and a tenth of the alerts against M, to show that the cost
// follows new articles and alerts, not the archive.
func runBenchAlerts(o *benchAlertsOptions, stdout, stderr io.Writer) error {
	setGCPercent(o.gcPercent)
	docs, err := readCorpus(o.corpus)
	if err != nil {
		return err
	}
	if o.archive <= 0 {
		o.archive = len(docs)
	}
	dir, cleanup, err := benchDir(o.data, "watchword-bench-alerts-")
	if err != nil {
		return err
	}
	defer cleanup()
	wwDir := filepath.Join(dir, "watchword")
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var ext engine.ExtractFunc
	if o.withExtract {
		if ext, err = newExtractor(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "alerts bench: GOMAXPROCS=%d, %s\n", runtime.GOMAXPROCS(0), runtime.Version())
	if !o.reuse {
		os.RemoveAll(wwDir)
		took, _, err := benchIngest(wwDir, docs, o.archive, ext, 0, log)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "archive: %d articles ingested in %.1f s\n", o.archive, took.Seconds())
	}
	clock := newSimClock(time.Now().UTC())
	eng, err := engine.Open(engine.Config{DataDir: wwDir, Logger: log, Extract: ext, Now: clock.now})
	if err != nil {
		return err
	}
	defer eng.Close()
	count, err := eng.Count(context.Background())
	if err != nil {
		return err
	}
	last, err := eng.LastSeq(context.Background())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "archive: %d articles in the store (last seq %d)\n", count, last)
	opened := time.Now()
	ast, err := boltstore.New(context.Background(), eng.Store(), log)
	if err != nil {
		return err
	}
	acfg := alerts.Config{Store: ast, Engine: eng, Logger: log,
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	hook := "http://127.0.0.1:9/hook"
	var sim *simRun
	if o.deliver {
		if sim, err = newSimRun(o, eng, wwDir, clock, &acfg, stdout); err != nil {
			return err
		}
		defer sim.close()
		hook = sim.hookURL
	}
	svc, err := alerts.New(acfg)
	if err != nil {
		return err
	}
	// Opening includes migrating an older alerts layout.
	fmt.Fprintf(stdout, "alerts service opened in %.3f s\n", time.Since(opened).Seconds())
	// Not started: runs fill the outbox, nothing is sent.
	texts := make([]string, 0, 5000)
	for i := 0; i < len(docs) && i < cap(texts); i++ {
		texts = append(texts, docs[i].Body)
	}
	vocab := alerts.Vocabulary(texts, 0.002, 0.05)
	rng := rand.New(rand.NewPCG(o.seed, 7))
	mkAlerts := func(n int) ([]string, error) {
		ins := make([]*alerts.Input, n)
		for i := range ins {
			name, q, sched := fmt.Sprintf("bench %d", i), alerts.BenchQuery(rng, vocab), "@hourly"
			in := &alerts.Input{Name: &name, Query: &q, Schedule: &sched, WebhookURL: &hook}
			if i%10 == 0 {
				src := docs[0].Source
				in.Filters = &engine.Filters{Sources: []string{src}}
			}
			ins[i] = in
		}
		return svc.CreateMany(context.Background(), ins)
	}
	next := max(count, o.archive)
	ingestNew := func(n int) error {
		const chunk = 5000
		for done := 0; done < n; {
			k := min(chunk, n-done)
			arts := make([]*news.Article, 0, k)
			for i := 0; i < k; i++ {
				a := articleOf(replica(docs, next))
				if sim != nil {
					a.Date = clock.now() // a simulated run's news is new
				}
				arts = append(arts, a)
				next++
			}
			if _, _, err := eng.Ingest(context.Background(), arts); err != nil {
				return err
			}
			done += k
		}
		return nil
	}
	round := func(label string, ids []string, nNew int) error {
		as, err := svc.Alerts(context.Background(), ids)
		if err != nil {
			return err
		}
		var r0, r1 syscall.Rusage
		s0 := eng.StoreWriteStats()
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		start := time.Now()
		res, err := svc.RunAlerts(context.Background(), as)
		if err != nil {
			return err
		}
		wall := time.Since(start)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		s1 := eng.StoreWriteStats()
		cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		fmt.Fprintf(stdout, "%-28s new %6d  matches %7d  deliveries %6d  wall %7.3f s (match %6.3f + commit %6.3f)  cpu %7.3f s  pages written %6d (spill %.3f s, write %.3f s)\n",
			label, res.Articles, res.Matches, res.Deliveries, wall.Seconds(), res.EvalMS/1000, res.CommitMS/1000, cpu.Seconds(),
			s1.PagesWritten-s0.PagesWritten, (s1.Spill - s0.Spill).Seconds(), (s1.Write - s0.Write).Seconds())
		_ = nNew
		return nil
	}
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	all, err := mkAlerts(o.nAlerts)
	if err != nil {
		return err
	}
	if sim != nil {
		if err := sim.start(svc); err != nil {
			return err
		}
	}
	for r := 1; r <= max(1, o.rounds); r++ {
		if err := ingestNew(o.nNew); err != nil {
			return err
		}
		if err := round(fmt.Sprintf("%d alerts x %d new #%d", o.nAlerts, o.nNew, r), all, o.nNew); err != nil {
			return err
		}
		if sim != nil {
			if err := sim.afterRound(r); err != nil {
				return err
			}
		}
	}
	if sim != nil {
		return sim.summary()
	}
	tenth, err := mkAlerts(max(1, o.nAlerts/10))
	if err != nil {
		return err
	}
	if err := ingestNew(o.nNew); err != nil {
		return err
	}
	if err := round(fmt.Sprintf("%d alerts x %d new", len(tenth), o.nNew), tenth, o.nNew); err != nil {
		return err
	}
	// Catch the big set up (untimed), then the large round.
	if _, err := svc.Alerts(context.Background(), all); err == nil {
		as, _ := svc.Alerts(context.Background(), all)
		if _, err := svc.RunAlerts(context.Background(), as); err != nil {
			return err
		}
	}
	if err := ingestNew(o.nLarge); err != nil {
		return err
	}
	return round(fmt.Sprintf("%d alerts x %d new", o.nAlerts, o.nLarge), all, o.nLarge)
}
