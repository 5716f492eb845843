package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/demo"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/extract"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/keys"
	keysbolt "github.com/watchword/watchword/internal/keys/boltstore"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/saved"
	savedbolt "github.com/watchword/watchword/internal/saved/boltstore"
	"github.com/watchword/watchword/internal/schedule"
	"github.com/watchword/watchword/internal/stories"
	"github.com/watchword/watchword/web"
)

// serveOptions are the flags of serve.
type serveOptions struct {
	stories             storyFlags
	indexWriteDelay     time.Duration
	addr, data, token   string
	private, demo       bool
	maxBody             int64
	shutdown            time.Duration
	gcPercent           int
	logFormat, logLevel string
	rateLimit           float64
	readRateLimit       float64
	searchTimeout       time.Duration
	query               queryFlags
	trustProxy          bool
	resume              bool
	alerts              alertFlags     // cmd/watchword/alerts.go
	feeds               feedFlags      // cmd/watchword/feeds.go
	retention           retentionFlags // cmd/watchword/retention.go
	cluster             clusterFlags   // cmd/watchword/cluster.go
}

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	var o serveOptions
	c := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run the server: API, UI, alert and feed schedulers",
		Args:  noArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return serve(c.Context(), &o, stderr) },
	}
	fs := c.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.data, "data", "./watchword-data", "data directory (store, index, token)")
	fs.StringVar(&o.token, "token", "", "API token for writes (default: generated into <data>/token)")
	fs.BoolVar(&o.private, "private", false, "require the token for reads too")
	fs.BoolVar(&o.demo, "demo", false, "load the bundled demo corpus into an empty data directory")
	fs.Int64Var(&o.maxBody, "max-body", web.DefaultMaxBody, "request body limit in bytes")
	fs.DurationVar(&o.shutdown, "shutdown-timeout", 30*time.Second, "how long to wait for in-flight requests on shutdown")
	fs.IntVar(&o.gcPercent, "gc-percent", 200, "Go GC target percentage (the GOGC environment variable overrides it)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.Float64Var(&o.rateLimit, "rate-limit", 50, "write requests per second per client IP (0: no limit)")
	fs.Float64Var(&o.readRateLimit, "read-rate-limit", 50, "search and article read requests per second per client IP, API and UI (0: no limit)")
	fs.DurationVar(&o.searchTimeout, "search-timeout", web.DefaultSearchTimeout, "deadline of one search; past it the answer is 503 timeout")
	fs.DurationVar(&o.indexWriteDelay, "index-write-delay", 0, "how long the index waits for more batches before it writes them to disk together (0: each batch at once; at most 1m); 1s writes about a third of the bytes under a steady trickle of small batches and makes bulk loads 10-20% slower")
	o.query.register(fs)
	o.stories.register(fs)
	fs.BoolVar(&o.trustProxy, "trust-proxy", false, "take the client IP for the rate limit from X-Forwarded-For (behind a reverse proxy)")
	fs.BoolVar(&o.resume, "resume-schedulers", false, "release the alert and feed schedulers and webhook senders of a restored store (held until then)")
	o.alerts.register(fs)
	o.feeds.register(fs)
	o.retention.register(fs)
	o.cluster.register(fs)
	return c
}

// serve runs the server until SIGINT or SIGTERM (or ctx ends).
func serve(ctx context.Context, o *serveOptions, stderr io.Writer) error {
	log, err := newLogger(stderr, o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	setGCPercent(o.gcPercent)
	limits, err := o.query.limits()
	if err != nil {
		return err
	}
	if o.searchTimeout <= 0 {
		return usageError{errors.New("--search-timeout must be positive")}
	}
	if o.indexWriteDelay < 0 || o.indexWriteDelay > time.Minute {
		return usageError{errors.New("--index-write-delay must be between 0 and 1m")}
	}
	articleRetention, err := o.retention.article()
	if err != nil {
		return err
	}
	if err := o.cluster.validate(); err != nil {
		return err
	}
	importSrc, err := openImportSource(ctx, o.data, o.cluster, log)
	if err != nil {
		return err
	}
	if importSrc != nil {
		defer importSrc.Close()
	}
	marker, err := checkDataDir(o.data, o.cluster)
	if err != nil {
		return err
	}
	if marker != nil && o.token == "" {
		if _, err := os.Stat(filepath.Join(o.data, "token")); err != nil {
			return usageError{errors.New("cluster mode needs --token, the same on every node (or the same <data>/token file on each)")}
		}
	}
	tok, err := loadToken(o.data, o.token, log)
	if err != nil {
		return err
	}
	sc, err := o.stories.config()
	if err != nil {
		return err
	}
	var parts *clusterParts // nil: a single node
	var articleLog engine.ArticleLog
	if marker != nil {
		if parts, err = openClusterLog(ctx, o.data, o.cluster, marker, log); err != nil {
			return err
		}
		defer parts.Close()
		articleLog = parts.log
	}
	eng, err := openEngineOn(o.data, log, limits, articleLog, sc, o.indexWriteDelay)
	if err != nil {
		return err
	}
	defer func() {
		if err := eng.Close(); err != nil {
			log.Error("close", "err", err)
		}
	}()
	if parts != nil {
		if err := parts.openClusterState(ctx, eng, o.cluster, log); err != nil {
			eng.Close()
			return err
		}
		if importSrc != nil {
			if err := parts.runImport(ctx, importSrc, log); err != nil {
				return err
			}
			importSrc.Close()
		}
	}
	eng.Warm()
	if o.demo {
		if err := loadDemoCorpus(ctx, eng, log); err != nil {
			return err
		}
	}
	hold, err := holdOf(ctx, eng, o.resume, log)
	if err != nil {
		return err
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
	sched := schedule.NewCron(log)
	defer stopCron(sched, log, o.shutdown)
	alertSvc, err := startAlerts(eng, log, o.alerts, o.retention.delivery(), alertMetrics, sched, hold, parts)
	if err != nil {
		return err
	}
	defer stopService("alerts", alertSvc.Stop, log, o.shutdown)
	feedSvc, err := startFeeds(ctx, eng, log, o.feeds, feedMetrics, sched, hold, parts)
	if err != nil {
		return err
	}
	defer stopService("feeds", feedSvc.Stop, log, o.shutdown)
	sched.Start()
	startRetention(ctx, eng, articleRetention, hold, parts, log)
	var keyStore keys.Store
	var savedStore saved.Store
	var clusterStatus web.ClusterStatus
	if parts != nil {
		keyStore, savedStore, clusterStatus = parts.keys, parts.saved, parts
		fctx, stopFollow := context.WithCancel(ctx)
		defer stopFollow()
		go parts.follow(fctx, alertSvc, feedSvc, log)
	} else {
		if keyStore, err = keysbolt.New(ctx, eng.Store()); err != nil {
			return err
		}
		if savedStore, err = savedbolt.New(ctx, eng.Store()); err != nil {
			return err
		}
	}
	srv, err := web.New(web.Config{Engine: eng, Cluster: clusterStatus, Token: tok, Keys: keys.New(keyStore, tok, nil), Saved: saved.New(savedStore, nil, 0), Private: o.private, MaxBody: o.maxBody, Logger: log,
		Registry: reg, RateLimit: o.rateLimit, ReadRateLimit: o.readRateLimit, SearchTimeout: o.searchTimeout,
		TrustProxy: o.trustProxy, Alerts: alertSvc, Feeds: feedSvc,
		Hold: hold, Resume: func(ctx context.Context) error { return resumeHeld(ctx, eng, hold, log) }})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(o.addr); err != nil {
		return err
	}
	log.Info("watchword serving", "addr", "http://"+srv.Addr().String(), "data", o.data, "version", version)
	<-ctx.Done()
	stop() // a second signal kills at once
	log.Info("shutting down: finishing requests in flight", "timeout", o.shutdown.String())
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	log.Info("requests finished; closing index and store")
	return nil
}

// holdOf reads the store's held mark (set by restore). With
// --resume-schedulers it is cleared at once; otherwise the returned hold
// keeps alert evaluation, feed polling and webhook sending from running
// until POST /api/admin/resume. nil: nothing is held.
func holdOf(ctx context.Context, eng *engine.Engine, resume bool, log *slog.Logger) (*schedule.Hold, error) {
	reason, err := eng.Held(ctx)
	if err != nil || reason == "" {
		return nil, err
	}
	if resume {
		if err := eng.ClearHeld(ctx); err != nil {
			return nil, err
		}
		log.Info("resumed the schedulers of a restored store (--resume-schedulers)", "held", reason)
		return nil, nil
	}
	log.Warn("HELD: this store was "+reason+"; alert evaluation, feed polling and webhook sending are held "+
		"so that testing a backup never sends a webhook twice (search and ingest work). "+
		"Release them with POST /api/admin/resume (with the token) or restart with --resume-schedulers", "held", reason)
	return schedule.NewHold(reason), nil
}

// resumeHeld clears the held mark durably, then releases the hold.
func resumeHeld(ctx context.Context, eng *engine.Engine, hold *schedule.Hold, log *slog.Logger) error {
	if held, _ := hold.Held(); !held {
		return nil
	}
	if err := eng.ClearHeld(ctx); err != nil {
		return err
	}
	hold.Release()
	log.Warn("resumed: alert evaluation, feed polling and webhook sending run again")
	return nil
}

func openEngine(data string, log *slog.Logger, limits engine.Limits, sc stories.Config) (*engine.Engine, error) {
	return openEngineOn(data, log, limits, nil, sc, 0)
}

// openEngineOn opens the engine on an article log (nil: the store's own,
// a single node), grouping stories with sc, its index writing batches
// together within writeDelay.
func openEngineOn(data string, log *slog.Logger, limits engine.Limits, articles engine.ArticleLog, sc stories.Config, writeDelay time.Duration) (*engine.Engine, error) {
	x, err := extract.New()
	if err != nil {
		return nil, err
	}
	eng, err := engine.Open(engine.Config{DataDir: data, Logger: log, ExtractLang: langExtractor(x), Limits: limits, Log: articles, Stories: sc, IndexPersisterNap: writeDelay})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := learnSpeakers(ctx, eng, x, log); err != nil {
		eng.Close()
		return nil, err
	}
	return eng, nil
}

// learnSpeakers gives the extractor the speakers of the archive as the
// known Latin forms of names, so a name in another script or spelling
// (Дмитрий Песков, Dmitri Peskow) becomes the form the archive already
// uses (Dmitry Peskov) from the first article after a restart.
func learnSpeakers(ctx context.Context, eng *engine.Engine, x *extract.Extractor, log *slog.Logger) error {
	start := time.Now()
	vals, err := eng.Speakers(ctx)
	if err != nil {
		return fmt.Errorf("learn the archive's speakers: %w", err)
	}
	for _, v := range vals {
		x.LearnName(v.Value, v.Count)
	}
	log.Info("known speaker names loaded", "names", len(vals), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// queryFlags are the serve flags of the query budget (engine.Limits).
type queryFlags struct {
	maxTerms, maxPhraseWords, maxExpansions, minPrefix, maxPostings int
}

func (f *queryFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.maxTerms, "query-max-terms", engine.DefaultMaxClauses, "most terms, phrases and date ranges in one query")
	fs.IntVar(&f.maxPhraseWords, "query-max-phrase-words", engine.DefaultMaxPhraseWords, "most words in one phrase")
	fs.IntVar(&f.maxExpansions, "query-max-expansions", engine.DefaultMaxExpansions, "most index terms all the prefixes (word*) of one query may expand to, each occurrence counted")
	fs.IntVar(&f.minPrefix, "query-min-prefix", engine.DefaultMinPrefix, "fewest letters or digits before * in a prefix, after analysis")
	fs.IntVar(&f.maxPostings, "query-max-postings", engine.DefaultMaxPostings, "most documents the words of one query may occur in together, each word (and each expansion of a prefix) counted apart")
}

func (f queryFlags) limits() (engine.Limits, error) {
	for name, v := range map[string]int{"query-max-terms": f.maxTerms, "query-max-phrase-words": f.maxPhraseWords,
		"query-max-expansions": f.maxExpansions, "query-min-prefix": f.minPrefix, "query-max-postings": f.maxPostings} {
		if v < 1 {
			return engine.Limits{}, usageError{fmt.Errorf("--%s must be at least 1", name)}
		}
	}
	return engine.Limits{MaxClauses: f.maxTerms, MaxPhraseWords: f.maxPhraseWords,
		MaxExpansions: f.maxExpansions, MinPrefix: f.minPrefix, MaxPostings: f.maxPostings}, nil
}

// newExtractor wires the entity extractor into the pipeline.
func newExtractor() (engine.ExtractFunc, error) {
	x, err := extract.New()
	if err != nil {
		return nil, err
	}
	return func(title, body string) engine.Extracted {
		r := x.Extract(title, body)
		return engine.Extracted{Speakers: r.Speakers, Countries: r.Countries, MainCountries: r.MainCountries, Topics: r.Topics}
	}, nil
}

// langExtractor wires x into the pipeline with the language the engine
// has for each article (supplied or detected), which picks x's rules.
func langExtractor(x *extract.Extractor) engine.LangExtractFunc {
	return func(language, title, body string) engine.Extracted {
		r := x.ExtractLang(language, title, body)
		return engine.Extracted{Speakers: r.Speakers, Countries: r.Countries, MainCountries: r.MainCountries, Topics: r.Topics}
	}
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

func loadDemoCorpus(ctx context.Context, eng *engine.Engine, log *slog.Logger) error {
	n, err := eng.Count(ctx)
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
	ids, rejected, err := eng.Ingest(ctx, arts)
	if err != nil {
		return err
	}
	if len(rejected) > 0 {
		return fmt.Errorf("demo: article %d rejected: %s", rejected[0].Index, rejected[0].Message)
	}
	log.Info("demo: loaded the demo corpus", "articles", len(ids))
	return nil
}

func newReindexCmd(stdout, stderr io.Writer) *cobra.Command {
	var data string
	var sf storyFlags
	c := &cobra.Command{
		Use:   "reindex [flags]",
		Short: "Re-run entity extraction and rebuild the index from the store (server stopped)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(stderr, nil))
			start := time.Now()
			x, err := extract.New()
			if err != nil {
				return err
			}
			sc, err := sf.config()
			if err != nil {
				return err
			}
			changed, err := engine.Rebuild(c.Context(), engine.Config{DataDir: data, Logger: log, ExtractLang: langExtractor(x), Stories: sc})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "reindexed %s in %s; extraction changed the facets of %d articles\n", data, time.Since(start).Round(time.Millisecond), changed)
			return nil
		},
	}
	c.Flags().StringVar(&data, "data", "./watchword-data", "data directory")
	sf.register(c.Flags())
	return c
}
