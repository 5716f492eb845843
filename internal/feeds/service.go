package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/schedule"
)

// Defaults of Config.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMaxBytes = 10 << 20
	DefaultWorkers  = 4
	// DefaultSeenTTL is how long a feed remembers an entry that has left
	// it. An entry that comes back later is still not duplicated: its
	// article is in the store, which the poller checks before writing.
	DefaultSeenTTL = 30 * 24 * time.Hour
	// MaxBackoff caps the wait after consecutive failures.
	MaxBackoff = 24 * time.Hour
)

// Config configures the feed service. Zero values take the defaults.
type Config struct {
	Engine *engine.Engine
	// Store keeps the feeds and their seen-sets (required; the bbolt one
	// is internal/feeds/boltstore).
	Store       Store
	Logger      *slog.Logger
	MinInterval time.Duration  // shortest schedule interval (default 5m)
	Allow       []netip.Prefix // feed addresses allowed despite the private-address guard
	Timeout     time.Duration  // per-poll HTTP timeout, body included (default 30s)
	MaxBytes    int64          // response size limit (default 10 MiB)
	Version     string         // for the User-Agent
	Workers     int            // concurrent scheduled polls (default 4)
	SeenTTL     time.Duration  // how long left entries are remembered (default 30 days)
	Metrics     *Metrics       // Prometheus metrics (nil: none)
	Now         func() time.Time
	// Cron, when set, is a scheduler shared with other services (alerts):
	// the feeds add and remove their entries but neither start nor stop
	// it. nil: the service makes its own (schedule.NewCron), starts it in
	// Start and stops it in Stop.
	Cron *cron.Cron
	// Hold, when held, skips scheduled polls and refuses manual ones
	// until it is released (a restored store). nil: not held.
	Hold *schedule.Hold
	// Leader, when set, tells whether this node polls the feeds on their
	// schedules (a cluster's scheduler lease); manual polls and the API
	// work on every node. nil: always.
	Leader func() bool
}

// Service owns the feeds: CRUD, their schedule and the poller.
type Service struct {
	cfg   Config
	eng   *engine.Engine
	store Store
	log   *slog.Logger
	guard *netguard.Guard
	rules Rules
	fetch *fetcher
	now   func() time.Time

	ctx    context.Context // cancelled by Stop: in-flight fetches end
	cancel context.CancelFunc
	slots  chan struct{} // concurrent scheduled polls
	wg     sync.WaitGroup

	locksMu sync.Mutex
	locks   map[string]*feedLock // one poll at a time per feed; only feeds being polled

	schedMu sync.Mutex
	cron    *cron.Cron
	ownCron bool
	stopped bool
	entries schedule.Entries
}

// New makes the feed service on its store.
func New(cfg Config) (*Service, error) {
	if cfg.Engine == nil || cfg.Store == nil {
		return nil, errors.New("feeds: engine and store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = DefaultMinInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.SeenTTL <= 0 {
		cfg.SeenTTL = DefaultSeenTTL
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{
		cfg: cfg, eng: cfg.Engine, store: cfg.Store, log: cfg.Logger, now: cfg.Now,
		guard: &netguard.Guard{Allow: cfg.Allow}, slots: make(chan struct{}, cfg.Workers),
		locks: map[string]*feedLock{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.rules = Rules{MinInterval: cfg.MinInterval, Guard: s.guard}
	s.fetch = newFetcher(s.guard, cfg.Timeout, cfg.MaxBytes, UserAgent(cfg.Version))
	cfg.Metrics.attach(s.store)
	return s, nil
}

// UserAgent is the User-Agent of the poller.
func UserAgent(version string) string {
	return "Watchword/" + version + " (feed poller; +https://github.com/watchword/watchword)"
}

// Start schedules every enabled feed.
func (s *Service) Start(ctx context.Context) error {
	s.schedMu.Lock()
	s.cron, s.ownCron = s.cfg.Cron, s.cfg.Cron == nil
	if s.ownCron {
		s.cron = schedule.NewCron(s.log)
	}
	s.schedMu.Unlock()
	all, err := s.List(ctx)
	if err != nil {
		return err
	}
	for _, f := range all {
		s.reschedule(f)
	}
	if s.ownCron {
		s.cron.Start()
	}
	s.log.Info("feeds: started", "feeds", len(all))
	return nil
}

// Stop takes the feeds off the scheduler, cancels the polls in flight
// (a cancelled poll ingests nothing) and waits for them to end.
func (s *Service) Stop(ctx context.Context) error {
	s.schedMu.Lock()
	s.stopped = true
	c := s.cron
	s.entries.RemoveAll(c)
	s.cron = nil
	s.schedMu.Unlock()
	if c != nil && s.ownCron {
		c.Stop()
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("feeds: stop: %w", ctx.Err())
	}
}

// reschedule puts a feed's cron entry in line with the feed: removed when
// disabled, made again when its schedule or version changed.
func (s *Service) reschedule(f *Feed) {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	if s.cron == nil || s.stopped {
		return
	}
	s.entries.Remove(s.cron, f.ID)
	if !f.Enabled {
		return
	}
	sched, err := schedule.Parse(f.Schedule, "UTC", 0, s.now())
	if err != nil {
		s.log.Error("feeds: cannot schedule feed", "feed", f.ID, "err", err)
		return
	}
	id := f.ID
	s.entries.PutVersion(s.cron, id, schedule.Key(f.Schedule, "UTC"), sched, func() { s.scheduled(id) })
}

// Resync brings the scheduler in line with the stored feeds: entries for
// feeds created, edited, paused or deleted without this service (on
// another node of a cluster) are added, replaced or removed.
func (s *Service) Resync(ctx context.Context) error {
	all, err := s.cfg.Store.List(ctx)
	if err != nil {
		return fmt.Errorf("feeds: resync: %w", err)
	}
	s.schedMu.Lock()
	have := s.entries.Scheduled()
	s.schedMu.Unlock()
	seen := make(map[string]bool, len(all))
	for _, f := range all {
		seen[f.ID] = true
		v, ok := have[f.ID]
		if ok != f.Enabled || ok && v != schedule.Key(f.Schedule, "UTC") {
			s.reschedule(f)
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

// nextRun is the scheduler's next firing of a feed (zero when unknown).
func (s *Service) nextRun(id string) time.Time {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	return s.entries.Next(s.cron, id)
}

// begin registers a poll in flight; false once Stop has begun.
func (s *Service) begin() bool {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	if s.stopped {
		return false
	}
	s.wg.Add(1)
	return true
}

// scheduled is the cron job of a feed: it polls unless the feed is paused
// or backing off after failures.
func (s *Service) scheduled(id string) {
	if !s.begin() {
		return
	}
	defer s.wg.Done()
	if s.cfg.Hold.Skip() {
		s.log.Debug("feeds: poll held after restore; skipped", "feed", id, "skipped", s.cfg.Hold.Skipped())
		return
	}
	if s.cfg.Leader != nil && !s.cfg.Leader() {
		s.log.Debug("feeds: another node polls on schedule; skipped", "feed", id)
		return
	}
	f, err := s.load(s.ctx, id)
	if err != nil {
		return // deleted meanwhile
	}
	if !f.Enabled {
		return
	}
	if f.BackoffUntil != nil && s.now().Before(*f.BackoffUntil) {
		s.log.Debug("feeds: backing off", "feed", id, "until", f.BackoffUntil.Format(time.RFC3339), "failures", f.ConsecutiveFailures)
		return
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-s.ctx.Done():
		return
	}
	if _, err := s.poll(s.ctx, id); err != nil && news.ErrorCode(err) != news.ECodeNotFound {
		s.log.Error("feeds: scheduled poll", "feed", id, "err", err)
	}
}

// feedLock is the poll lock of one feed, with the number of polls that
// hold it or wait for it.
type feedLock struct {
	mu   sync.Mutex
	refs int // guarded by Service.locksMu
}

// lock takes a feed's poll lock and returns its release. A feed is in the
// lock map only while a poll of it runs or waits, so the map stays as
// small as the polls in flight however many feeds come and go.
func (s *Service) lock(id string) (unlock func()) {
	s.locksMu.Lock()
	l := s.locks[id]
	if l == nil {
		l = new(feedLock)
		s.locks[id] = l
	}
	l.refs++
	s.locksMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.locksMu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.locks, id)
		}
		s.locksMu.Unlock()
	}
}

// Create validates and saves a new feed. It is not fetched until its
// first scheduled poll or Poll. It logs through the logger ctx carries,
// if any.
func (s *Service) Create(ctx context.Context, in *Input) (View, error) {
	f := &Feed{Info: Info{Enabled: true}}
	in.apply(f)
	if err := f.Validate(s.rules); err != nil {
		return View{}, err
	}
	f.ID = newID()
	f.CreatedBy = in.CreatedBy
	f.CreatedAt = s.now().UTC()
	if err := s.store.Create(ctx, f); err != nil {
		return View{}, storeError(f.ID, err)
	}
	s.reschedule(f)
	logctx.From(ctx, s.log).Info("feeds: created", "feed", f.ID, "url", netguard.RedactURL(f.URL), "schedule", f.Schedule)
	return s.view(f), nil
}

// storeError turns a Store's errors into coded ones.
func storeError(id string, err error) error {
	var taken *URLTakenError
	switch {
	case errors.Is(err, ErrNotFound):
		return &news.Error{Code: news.ECodeNotFound, Message: fmt.Sprintf("feed %q not found", id), Err: err}
	case errors.As(err, &taken):
		return &news.Error{Code: news.ECodeConflict, Message: taken.Error(), Err: err}
	case errors.Is(err, ErrConflict):
		return &news.Error{Code: news.ECodeConflict, Message: fmt.Sprintf("feed %q was changed meanwhile; try again", id), Err: err}
	}
	return err
}

// casAttempts bounds the read-change-write rounds of one change of a
// feed; each lost round means another write landed in between.
const casAttempts = 10

// change reads a feed, applies fn and writes it with write (a
// compare-and-set on the version read), reading again when another write
// came first. fn may run more than once, on fresh copies.
func (s *Service) change(ctx context.Context, id string, fn func(f *Feed) error, write func(f *Feed) error) (*Feed, error) {
	for range casAttempts {
		f, err := s.store.Get(ctx, id)
		if err != nil {
			return nil, storeError(id, err)
		}
		if err := fn(f); err != nil {
			return nil, err
		}
		err = write(f)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeError(id, err)
		}
		return f, nil
	}
	return nil, news.Errorf(news.ECodeConflict, "feed %q kept changing while being written; try again", id)
}

// Get returns one feed.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	f, err := s.load(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(f), nil
}

func (s *Service) load(ctx context.Context, id string) (*Feed, error) {
	f, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, storeError(id, err)
	}
	return f, nil
}

// List returns every feed, by creation time.
func (s *Service) List(ctx context.Context) ([]*Feed, error) {
	return s.store.List(ctx)
}

// Views returns every feed in API form.
func (s *Service) Views(ctx context.Context) ([]View, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]View, len(all))
	for i, f := range all {
		out[i] = s.view(f)
	}
	return out, nil
}

// Update applies a PATCH. A new URL starts afresh: no validators, no
// failures; the seen-set is kept, so entries the old URL served are not
// ingested again.
func (s *Service) Update(ctx context.Context, id string, in *Input) (View, error) {
	f, err := s.change(ctx, id, func(f *Feed) error {
		oldURL := f.URL
		in.apply(f)
		if err := f.Validate(s.rules); err != nil {
			return err
		}
		if f.URL != oldURL {
			f.ETag, f.LastModified = "", ""
			f.ConsecutiveFailures, f.BackoffUntil = 0, nil
		}
		return nil
	}, func(f *Feed) error { return s.store.Update(ctx, f) })
	if err != nil {
		return View{}, err
	}
	s.reschedule(f)
	return s.view(f), nil
}

// Delete removes a feed and its seen-set. The articles it ingested stay.
// It logs through the logger ctx carries, if any.
func (s *Service) Delete(ctx context.Context, id string) error {
	s.unschedule(id)
	_, err := s.change(ctx, id, func(*Feed) error { return nil },
		func(f *Feed) error { return s.store.Delete(ctx, id, f.Version) })
	if err != nil {
		return err
	}
	logctx.From(ctx, s.log).Info("feeds: deleted", "feed", id)
	return nil
}

// view is the API form with next_poll_at: the scheduler's next firing at
// or after the end of a backoff.
func (s *Service) view(f *Feed) View {
	v := f.view()
	if !f.Enabled {
		return v
	}
	sched, err := schedule.Parse(f.Schedule, "UTC", 0, s.now())
	if err != nil {
		return v
	}
	now := s.now()
	next := s.nextRun(f.ID)
	if next.IsZero() || next.Before(now) {
		next = sched.Next(now)
	}
	for i := 0; f.BackoffUntil != nil && next.Before(*f.BackoffUntil) && i < 100000; i++ {
		next = sched.Next(next)
	}
	next = next.UTC()
	v.NextPollAt = &next
	return v
}

// backoff is the wait after n consecutive failures: the schedule's
// interval times 2^(n-1), at most MaxBackoff. The first failure changes
// nothing; each further one doubles the wait.
func backoff(interval time.Duration, n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := max(interval, time.Second)
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// interval estimates a schedule's interval from two consecutive firings.
func interval(spec string, now time.Time) time.Duration {
	sched, err := schedule.Parse(spec, "UTC", 0, now)
	if err != nil {
		return time.Hour
	}
	a := sched.Next(now)
	return sched.Next(a).Sub(a)
}
