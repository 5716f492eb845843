package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/demo"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/extract"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/web"
)

func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	data := fs.String("data", "./watchword-data", "data directory (store, index, token)")
	token := fs.String("token", "", "API token for writes (default: generated into <data>/token)")
	private := fs.Bool("private", false, "require the token for reads too")
	loadDemo := fs.Bool("demo", false, "load the bundled demo corpus into an empty data directory")
	maxBody := fs.Int64("max-body", web.DefaultMaxBody, "request body limit in bytes")
	shutdown := fs.Duration("shutdown-timeout", 30*time.Second, "how long to wait for in-flight requests on shutdown")
	gcPercent := fs.Int("gc-percent", 200, "Go GC target percentage (the GOGC environment variable overrides it)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	rateLimit := fs.Float64("rate-limit", 50, "write requests per second per client IP (0: no limit)")
	readRateLimit := fs.Float64("read-rate-limit", 50, "search and article read requests per second per client IP, API and UI (0: no limit)")
	searchTimeout := fs.Duration("search-timeout", web.DefaultSearchTimeout, "deadline of one search; past it the answer is 503 timeout")
	qf := addQueryFlags(fs)
	trustProxy := fs.Bool("trust-proxy", false, "take the client IP for the rate limit from X-Forwarded-For (behind a reverse proxy)")
	af := addAlertFlags(fs) // cmd/watchword/alerts.go
	ff := addFeedFlags(fs)  // cmd/watchword/feeds.go
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	setGCPercent(*gcPercent)
	limits, err := qf.limits()
	if err != nil {
		return err
	}
	if *searchTimeout <= 0 {
		return usageError{errors.New("--search-timeout must be positive")}
	}
	tok, err := loadToken(*data, *token, log)
	if err != nil {
		return err
	}
	eng, err := openEngine(*data, log, limits)
	if err != nil {
		return err
	}
	defer func() {
		if err := eng.Close(); err != nil {
			log.Error("close", "err", err)
		}
	}()
	eng.Index().Warm()
	if *loadDemo {
		if err := loadDemoCorpus(eng, log); err != nil {
			return err
		}
	}
	reg := prometheus.NewRegistry() // GET /metrics; other layers register here too
	alertMetrics, err := alerts.NewMetrics(reg)
	if err != nil {
		return err
	}
	feedMetrics, err := feeds.NewMetrics(reg)
	if err != nil {
		return err
	}
	// One scheduler for alerts and feeds. Deferred calls run last first:
	// the feeds stop (cancelling polls in flight), then the alerts, then
	// the scheduler, then the engine closes.
	sched := alerts.NewCron(log)
	defer stopCron(sched, log, *shutdown)
	alertSvc, err := startAlerts(eng, log, af, alertMetrics, sched)
	if err != nil {
		return err
	}
	defer stopService("alerts", alertSvc.Stop, log, *shutdown)
	feedSvc, err := startFeeds(eng, log, ff, feedMetrics, sched)
	if err != nil {
		return err
	}
	defer stopService("feeds", feedSvc.Stop, log, *shutdown)
	sched.Start()
	srv, err := web.New(web.Config{Engine: eng, Token: tok, Private: *private, MaxBody: *maxBody, Logger: log,
		Registry: reg, RateLimit: *rateLimit, ReadRateLimit: *readRateLimit, SearchTimeout: *searchTimeout,
		TrustProxy: *trustProxy, Alerts: alertSvc, Feeds: feedSvc})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(*addr); err != nil {
		return err
	}
	log.Info("watchword serving", "addr", "http://"+srv.Addr().String(), "data", *data, "version", version)
	<-ctx.Done()
	stop() // a second signal kills at once
	log.Info("shutting down: finishing requests in flight", "timeout", shutdown.String())
	sctx, cancel := context.WithTimeout(context.Background(), *shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	log.Info("requests finished; closing index and store")
	return nil
}

func openEngine(data string, log *slog.Logger, limits query.Limits) (*engine.Engine, error) {
	ext, err := newExtractor()
	if err != nil {
		return nil, err
	}
	return engine.Open(engine.Config{DataDir: data, Logger: log, Extract: ext, Limits: limits})
}

// queryFlags are the serve flags of the query budget (query.Limits).
type queryFlags struct {
	maxTerms, maxPhraseWords, maxExpansions, minPrefix, maxPostings *int
}

func addQueryFlags(fs *flag.FlagSet) queryFlags {
	return queryFlags{
		maxTerms:       fs.Int("query-max-terms", query.DefaultMaxClauses, "most terms, phrases and date ranges in one query"),
		maxPhraseWords: fs.Int("query-max-phrase-words", query.DefaultMaxPhraseWords, "most words in one phrase"),
		maxExpansions:  fs.Int("query-max-expansions", query.DefaultMaxExpansions, "most index terms all the prefixes (word*) of one query may expand to, each occurrence counted"),
		minPrefix:      fs.Int("query-min-prefix", query.DefaultMinPrefix, "fewest letters or digits before * in a prefix, after analysis"),
		maxPostings:    fs.Int("query-max-postings", query.DefaultMaxPostings, "most documents the words of one query may occur in together, each word (and each expansion of a prefix) counted apart"),
	}
}

func (f queryFlags) limits() (query.Limits, error) {
	for name, v := range map[string]int{"query-max-terms": *f.maxTerms, "query-max-phrase-words": *f.maxPhraseWords,
		"query-max-expansions": *f.maxExpansions, "query-min-prefix": *f.minPrefix, "query-max-postings": *f.maxPostings} {
		if v < 1 {
			return query.Limits{}, usageError{fmt.Errorf("--%s must be at least 1", name)}
		}
	}
	return query.Limits{MaxClauses: *f.maxTerms, MaxPhraseWords: *f.maxPhraseWords,
		MaxExpansions: *f.maxExpansions, MinPrefix: *f.minPrefix, MaxPostings: *f.maxPostings}, nil
}

// newExtractor wires the entity extractor into the pipeline.
func newExtractor() (engine.ExtractFunc, error) {
	x, err := extract.New()
	if err != nil {
		return nil, err
	}
	return func(title, body string) engine.Extracted {
		r := x.Extract(title, body)
		return engine.Extracted{Speakers: r.Speakers, Countries: r.Countries, Topics: r.Topics}
	}, nil
}

// loadToken returns the configured token, or the one kept in
// <data>/token, generating it (mode 0600) at first start.
func loadToken(data, flagToken string, log *slog.Logger) (string, error) {
	if flagToken != "" {
		return flagToken, nil
	}
	path := filepath.Join(data, "token")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read token %s: %w", path, err)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return "", fmt.Errorf("create data directory %s: %w", data, err)
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	tok := hex.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write token %s: %w", path, err)
	}
	log.Info("generated an API token for writes; it is kept in the data directory", "path", path, "token", tok)
	return tok, nil
}

func loadDemoCorpus(eng *engine.Engine, log *slog.Logger) error {
	n, err := eng.Store().Count()
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("demo: data directory is not empty, not loading the demo corpus", "articles", n)
		return nil
	}
	items, err := ingest.DecodeNDJSON(demo.Articles)
	if err != nil {
		return fmt.Errorf("demo: decode: %w", err)
	}
	arts := make([]*news.Article, 0, len(items))
	for i, it := range items {
		if it.Err != nil {
			return fmt.Errorf("demo: article %d: %w", i, it.Err)
		}
		arts = append(arts, it.Article)
	}
	ids, rejected, err := eng.Ingest(arts)
	if err != nil {
		return err
	}
	if len(rejected) > 0 {
		return fmt.Errorf("demo: article %d rejected: %s", rejected[0].Index, rejected[0].Message)
	}
	log.Info("demo: loaded the demo corpus", "articles", len(ids))
	return nil
}

func cmdReindex(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reindex", stderr)
	data := fs.String("data", "./watchword-data", "data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	start := time.Now()
	ext, err := newExtractor()
	if err != nil {
		return err
	}
	changed, err := engine.Rebuild(engine.Config{DataDir: *data, Logger: log, Extract: ext})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindexed %s in %s; extraction changed the facets of %d articles\n", *data, time.Since(start).Round(time.Millisecond), changed)
	return nil
}
