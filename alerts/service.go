package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/schedule"
)

// DefaultRetrySchedule is the Standard Webhooks retry schedule: the wait
// before each attempt.
var DefaultRetrySchedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// Defaults of Config.
const (
	DefaultSenders = 8
	DefaultTimeout = 15 * time.Second
	DefaultWindow  = 1000
	// maxWindow is the most new articles in one in-memory index: the
	// index answers up to ten API pages (1,000 hits) in one request.
	maxWindow = engine.MaxMatchWindow
)

// Config configures the alert service. Zero values take the defaults.
type Config struct {
	Engine *engine.Engine
	// Store keeps the definitions, the run state and the outbox
	// (required; alerts/boltstore keeps them in the engine's bbolt file).
	Store         Store
	Logger        *slog.Logger
	MinInterval   time.Duration   // shortest schedule interval (default 1m)
	RetrySchedule []time.Duration // wait before each attempt (default: Standard Webhooks)
	Allow         []netip.Prefix  // webhook addresses allowed despite the guard
	Senders       int             // concurrent webhook senders (default 8)
	Timeout       time.Duration   // per-attempt HTTP timeout (default 15s)
	Version       string          // for the User-Agent
	Window        int             // new articles per in-memory index (default and most 1000)
	Workers       int             // alert evaluation goroutines (default GOMAXPROCS)
	Metrics       *Metrics        // Prometheus metrics (nil: none)
	// Cron, when set, is a scheduler shared with other services (feeds):
	// the alerts add and remove their entries in it but neither start nor
	// stop it; its owner starts it and stops it after Stop. nil: the
	// service makes its own (schedule.NewCron), starts it in Start and stops it in
	// Stop.
	Cron *cron.Cron
	// Clock tells when replaced signing secrets expire and what now
	// means in the relative dates of alert queries at each run (default
	// time.Now); tests move it instead of sleeping. Signature timestamps
	// and retries follow the wall clock.
	Clock func() time.Time
	// Hold, when held, keeps scheduled evaluations from running and the
	// senders from starting until it is released (a restored store);
	// manual runs and test events are refused meanwhile. nil: not held.
	Hold *schedule.Hold
	// Leader, when set, tells whether this node runs the scheduled work
	// (a cluster's scheduler lease): scheduled evaluations and retention
	// passes run only while it answers true. Senders, manual runs and
	// the API work on every node; correctness never depends on it (each
	// run commits with a compare-and-set on the alert's state). nil:
	// always.
	Leader func() bool
	// Fresh, when set (a cluster node), waits until this node's copy of
	// the articles holds every article the cluster has acknowledged so
	// far. The senders call it after leasing deliveries and before
	// building them: a delivery created by another node's run may name
	// articles this node has not folded yet, which would read as deleted
	// and be left out of what is sent. An error leaves the deliveries to
	// be leased again. nil: a single node, whose store is the source.
	Fresh func(ctx context.Context) error
	// DeliveryRetention is how long a finished delivery is kept, and a
	// deleted article's sent record (default 30 days; negative: for
	// ever, and nothing is pruned). Ages follow Clock.
	DeliveryRetention time.Duration
	// PruneEvery is how often the background pruner runs (default 1h).
	PruneEvery time.Duration
	// SMTP is the server email deliveries go through; nil: alerts may
	// not have email (a 400 at save).
	SMTP *SMTPConfig
	// PublicURL is the base URL of the UI as its users reach it, for
	// the links of emails and chat messages (the alert's page, the pause
	// link); required with SMTP.
	PublicURL string
	// RealtimeEvery is the rate cap of the @realtime alerts: at most one
	// evaluation round of them per this interval (default 1s, at least
	// MinRealtimeEvery). MinInterval does not apply to them.
	RealtimeEvery time.Duration
	// RealtimeSweep is how often the @realtime alerts are evaluated
	// without an ingest signal (default 1m): see realtime.go.
	RealtimeSweep time.Duration
}

// Service owns the alerts: CRUD, the scheduler, the runner and the
// sender pool.
type Service struct {
	cfg   Config
	eng   *engine.Engine
	store Store
	log   *slog.Logger
	guard *netguard.Guard
	rules Rules

	runMu sync.Mutex // one evaluation at a time

	// editLocks serialise this process's edits of one alert (by a hash of
	// its id): they would otherwise only meet in the store's
	// compare-and-set, where a slow edit (one that validates a query)
	// can lose every round to fast ones (rotations). Compare-and-set
	// still guards against other nodes' edits in a cluster.
	editLocks [64]sync.Mutex

	cacheMu sync.Mutex
	cache   map[string]cachedQuery

	schedMu sync.Mutex
	cron    *cron.Cron
	entries schedule.Entries

	sender  *sender
	batch   *batcher
	secrets *secretSweeper
	pruner  *pruner
	rt      *realtime

	lifeMu  sync.Mutex // orders a hold's release against Stop
	stopped bool
}

type cachedQuery struct {
	version uint64
	node    engine.QueryNode
}

// New makes the alert service on cfg.Store.
func New(cfg Config) (*Service, error) {
	if cfg.Engine == nil {
		return nil, errors.New("alerts: engine is required")
	}
	if cfg.Store == nil {
		return nil, errors.New("alerts: store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = DefaultMinInterval
	}
	if len(cfg.RetrySchedule) == 0 {
		cfg.RetrySchedule = DefaultRetrySchedule
	}
	if cfg.Senders <= 0 {
		cfg.Senders = DefaultSenders
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Window <= 0 || cfg.Window > maxWindow {
		cfg.Window = DefaultWindow
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.DeliveryRetention == 0 {
		cfg.DeliveryRetention = DefaultDeliveryRetention
	}
	if cfg.PruneEvery <= 0 {
		cfg.PruneEvery = DefaultPruneEvery
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, errors.New("alerts: the public URL must be an http(s) URL such as https://watchword.example.com, without query or fragment")
		}
		cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	}
	if cfg.SMTP != nil && cfg.PublicURL == "" {
		return nil, errors.New("alerts: email needs the public URL (--public-url) for the links in each message and its pause link")
	}
	if cfg.RealtimeEvery <= 0 {
		cfg.RealtimeEvery = DefaultRealtimeEvery
	}
	cfg.RealtimeEvery = max(cfg.RealtimeEvery, MinRealtimeEvery)
	if cfg.RealtimeSweep <= 0 {
		cfg.RealtimeSweep = DefaultRealtimeSweep
	}
	s := &Service{
		cfg: cfg, eng: cfg.Engine, store: cfg.Store, log: cfg.Logger,
		guard: &netguard.Guard{Allow: cfg.Allow}, cache: map[string]cachedQuery{},
	}
	s.rules = Rules{MinInterval: cfg.MinInterval, Guard: s.guard, Email: cfg.SMTP != nil}
	cfg.Metrics.attach(s.store)
	s.sender = newSender(s)
	s.batch = newBatcher(s)
	s.secrets = newSecretSweeper(s)
	s.pruner = &pruner{s: s}
	s.rt = newRealtime(s)
	return s, nil
}

// Start schedules every enabled alert and starts the sender pool, which
// resumes the deliveries left pending in the outbox.
func (s *Service) Start() error {
	s.schedMu.Lock()
	s.cron = s.cfg.Cron
	if s.cron == nil {
		s.cron = schedule.NewCron(s.log)
	}
	s.schedMu.Unlock()
	all, err := s.List(context.Background()) // Start runs before any request; its reads are local
	if err != nil {
		return err
	}
	for _, a := range all {
		s.reschedule(a)
	}
	s.batch.start()
	s.rt.start()
	s.secrets.start()
	if s.cfg.Cron == nil {
		s.cron.Start()
	}
	if held, _ := s.cfg.Hold.Held(); held {
		s.log.Warn("alerts: held: scheduled evaluations are skipped and no webhook is sent until resumed", "alerts", len(all))
	}
	s.cfg.Hold.OnRelease(s.startSenders)
	s.log.Info("alerts: started", "alerts", len(all), "senders", s.cfg.Senders)
	return nil
}

// WakeSenders makes the senders look for due deliveries now instead of
// at their next timer (up to a minute away): for a replicated outbox,
// whose deliveries may be committed by another node's run.
func (s *Service) WakeSenders() { s.sender.wake() }

// startSenders starts the sender pool, which resumes the deliveries left
// pending in the outbox, and the retention pruner, unless the service has
// stopped.
func (s *Service) startSenders() {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.stopped {
		return
	}
	s.sender.start()
	s.pruner.start()
	s.rt.signal() // the realtime alerts skipped while held catch up now
	if held, _ := s.cfg.Hold.Held(); !held && s.cfg.Hold != nil {
		s.log.Info("alerts: resumed: senders started")
	}
}

// Stop stops the scheduler, waits for a running evaluation, and stops the
// senders: in-flight deliveries finish or stay in the outbox.
func (s *Service) Stop(ctx context.Context) error {
	s.schedMu.Lock()
	c, shared := s.cron, s.cfg.Cron != nil
	if shared && c != nil {
		// A shared scheduler keeps running: take the alerts out of it.
		s.entries.RemoveAll(c)
		s.cron = nil
	}
	s.schedMu.Unlock()
	switch {
	case c != nil && shared:
		s.batch.stop() // releases the jobs waiting for a round
	case c != nil:
		cronDone := c.Stop()
		s.batch.stop() // releases the jobs waiting for a round
		select {
		case <-cronDone.Done():
		case <-ctx.Done():
		}
	}
	s.rt.stop() // waits for a realtime round in progress
	s.lifeMu.Lock()
	s.stopped = true
	s.lifeMu.Unlock()
	s.secrets.stop()
	return errors.Join(s.pruner.stop(ctx), s.sender.stop(ctx))
}

// reschedule removes an alert's cron entry and adds it again when the
// alert is enabled, so edits take effect at once.
func (s *Service) reschedule(a *Alert) {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	if s.cron == nil {
		return
	}
	s.entries.Remove(s.cron, a.ID)
	if !a.Enabled {
		return
	}
	if schedule.IsRealtime(a.Schedule) {
		// No cron entry: the realtime loop runs it on the ingest signal.
		// Look now, for an alert that became realtime or enabled with
		// articles behind its watermark.
		s.rt.signal()
		return
	}
	sched, err := schedule.Parse(a.Schedule, a.Timezone, 0, time.Now())
	if err != nil {
		s.log.Error("alerts: cannot schedule alert", "alert", a.ID, "err", err)
		return
	}
	id := a.ID
	s.entries.PutVersion(s.cron, id, schedule.Key(a.Schedule, a.Timezone), sched, func() { s.batch.due(id) })
}

// Resync brings the scheduler in line with the stored alerts: entries
// for alerts created, edited, paused or deleted without this service
// (on another node of a cluster, whose store folds every node's writes)
// are added, replaced or removed. On a single node it finds nothing to
// do.
func (s *Service) Resync(ctx context.Context) error {
	all, err := s.List(ctx)
	if err != nil {
		return fmt.Errorf("alerts: resync: %w", err)
	}
	s.schedMu.Lock()
	have := s.entries.Scheduled()
	s.schedMu.Unlock()
	seen := make(map[string]bool, len(all))
	for _, a := range all {
		seen[a.ID] = true
		v, ok := have[a.ID]
		if ok != a.Enabled || ok && v != schedule.Key(a.Schedule, a.Timezone) {
			s.reschedule(a)
		}
	}
	for id := range have {
		if !seen[id] {
			s.unschedule(id)
		}
	}
	return nil
}

func (s *Service) unschedule(id string) {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	s.entries.Remove(s.cron, id)
}

// parsed returns the alert's parsed query for a run at now, cached per
// alert version. A query with a relative date (date:>now-1d) is parsed
// again at every run, so that now is the run's time, not the first run's.
func (s *Service) parsed(a *Alert, now time.Time) (engine.QueryNode, error) {
	s.cacheMu.Lock()
	c, ok := s.cache[a.ID]
	s.cacheMu.Unlock()
	if ok && c.version == a.Version {
		return c.node, nil
	}
	n, err := engine.ParseQuery(a.Query, now)
	if err != nil {
		return nil, err
	}
	if engine.IsRelative(n) {
		return n, nil
	}
	s.cacheMu.Lock()
	s.cache[a.ID] = cachedQuery{version: a.Version, node: n}
	s.cacheMu.Unlock()
	return n, nil
}

// leads reports whether this node runs the scheduled work (Config.Leader).
func (s *Service) leads() bool { return s.cfg.Leader == nil || s.cfg.Leader() }
