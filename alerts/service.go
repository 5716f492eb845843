package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/news"
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
	// DeliveryRetention is how long a finished delivery is kept, and a
	// deleted article's sent record (default 30 days; negative: for
	// ever, and nothing is pruned). Ages follow Clock.
	DeliveryRetention time.Duration
	// PruneEvery is how often the background pruner runs (default 1h).
	PruneEvery time.Duration
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

	cacheMu sync.Mutex
	cache   map[string]cachedQuery

	schedMu sync.Mutex
	cron    *cron.Cron
	entries schedule.Entries

	sender  *sender
	batch   *batcher
	secrets *secretSweeper
	pruner  *pruner

	lifeMu  sync.Mutex // orders a hold's release against Stop
	stopped bool
}

type cachedQuery struct {
	version uint64
	node    engine.Node
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
	s := &Service{
		cfg: cfg, eng: cfg.Engine, store: cfg.Store, log: cfg.Logger,
		guard: &netguard.Guard{Allow: cfg.Allow}, cache: map[string]cachedQuery{},
	}
	s.rules = Rules{MinInterval: cfg.MinInterval, Guard: s.guard}
	cfg.Metrics.attach(s.store)
	s.sender = newSender(s)
	s.batch = newBatcher(s)
	s.secrets = newSecretSweeper(s)
	s.pruner = &pruner{s: s}
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
	all, err := s.List()
	if err != nil {
		return err
	}
	for _, a := range all {
		s.reschedule(a)
	}
	s.batch.start()
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
	sched, err := schedule.Parse(a.Schedule, a.Timezone, 0, time.Now())
	if err != nil {
		s.log.Error("alerts: cannot schedule alert", "alert", a.ID, "err", err)
		return
	}
	id := a.ID
	s.entries.Put(s.cron, id, sched, func() { s.batch.due(id) })
}

func (s *Service) unschedule(id string) {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	s.entries.Remove(s.cron, id)
}

// Input is the writable part of an alert, for create (all fields) and
// PATCH (only the fields present). Unknown fields are rejected.
type Input struct {
	Name                  *string         `json:"name"`
	Query                 *string         `json:"query"`
	Filters               *engine.Filters `json:"filters"`
	Schedule              *string         `json:"schedule"`
	Timezone              *string         `json:"timezone"`
	WebhookURL            *string         `json:"webhook_url"`
	Enabled               *bool           `json:"enabled"`
	MaxMatchesPerDelivery *int            `json:"max_matches_per_delivery"`
	Fields                *[]string       `json:"fields"`
}

// DecodeInput decodes a JSON body strictly: unknown fields (including
// unknown filter fields and the read-only ones) are a 400.
func DecodeInput(body []byte) (*Input, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in Input
	if err := dec.Decode(&in); err != nil {
		return nil, news.Errorf(news.ECodeBadRequest, "alert JSON: %v", err)
	}
	if dec.More() {
		return nil, news.Errorf(news.ECodeBadRequest, "alert JSON: trailing data after the object")
	}
	return &in, nil
}

func (in *Input) apply(a *Alert) {
	if in.Name != nil {
		a.Name = *in.Name
	}
	if in.Query != nil {
		a.Query = *in.Query
	}
	if in.Filters != nil {
		a.Filters = *in.Filters
	}
	if in.Schedule != nil {
		a.Schedule = *in.Schedule
	}
	if in.Timezone != nil {
		a.Timezone = *in.Timezone
	}
	if in.WebhookURL != nil {
		a.WebhookURL = *in.WebhookURL
	}
	if in.Enabled != nil {
		a.Enabled = *in.Enabled
	}
	if in.MaxMatchesPerDelivery != nil {
		a.MaxMatchesPerDelivery = *in.MaxMatchesPerDelivery
	}
	if in.Fields != nil {
		a.Fields = *in.Fields // nil (from Go; JSON null leaves it) means every field
	}
}

// Create validates and saves a new alert. Its watermark is the current
// indexed sequence: articles already there are not sent. The answer
// carries the secret, the only time besides rotation.
//
// It logs through the logger ctx carries (see internal/logctx), if any.
func (s *Service) Create(ctx context.Context, in *Input) (View, error) {
	if err := ctx.Err(); err != nil {
		return View{}, fmt.Errorf("alerts: create: %w", context.Cause(ctx))
	}
	a := &Alert{Info: Info{Enabled: true}}
	in.apply(a)
	if err := a.Validate(s.rules); err != nil {
		return View{}, err
	}
	secret, err := NewSecret()
	if err != nil {
		return View{}, err
	}
	a.ID = newID("al_")
	a.Secret = secret
	a.CreatedAt = time.Now().UTC()
	a.Version = 1
	a.Watermark = s.eng.IndexedSeq()
	if err := s.store.Create(ctx, a); err != nil {
		return View{}, fmt.Errorf("alerts: create: %w", err)
	}
	s.reschedule(a)
	logctx.From(ctx, s.log).Info("alerts: created", "alert", a.ID, "schedule", a.Schedule, "webhook", netguard.RedactURL(a.WebhookURL))
	v := s.view(a)
	v.Secret = a.Secret
	return v, nil
}

// CreateMany validates and saves many alerts in one transaction (bulk
// import, benchmarks). Secrets are not returned.
func (s *Service) CreateMany(ins []*Input) ([]string, error) {
	now := time.Now().UTC()
	w := s.eng.IndexedSeq()
	as := make([]*Alert, 0, len(ins))
	for _, in := range ins {
		a := &Alert{Info: Info{Enabled: true}}
		in.apply(a)
		if err := a.Validate(s.rules); err != nil {
			return nil, err
		}
		secret, err := NewSecret()
		if err != nil {
			return nil, err
		}
		a.ID, a.Secret, a.CreatedAt, a.Version, a.Watermark = newID("al_"), secret, now, 1, w
		as = append(as, a)
	}
	if err := s.store.Create(context.Background(), as...); err != nil {
		return nil, fmt.Errorf("alerts: create: %w", err)
	}
	ids := make([]string, len(as))
	for i, a := range as {
		s.reschedule(a)
		ids[i] = a.ID
	}
	return ids, nil
}

// Alerts returns the alerts with the given ids (missing ones are skipped).
func (s *Service) Alerts(ids []string) ([]*Alert, error) {
	var out []*Alert
	for _, id := range ids {
		a, err := s.store.Get(context.Background(), id)
		if news.ErrorCode(err) == news.ECodeNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *Service) view(a *Alert) View {
	v := a.View(s.cfg.Clock())
	v.NextRunAt = nil
	if a.Enabled {
		if sched, err := schedule.Parse(a.Schedule, a.Timezone, 0, time.Now()); err == nil {
			t := sched.Next(time.Now()).UTC()
			v.NextRunAt = &t
		}
	}
	return v
}

// FilterWarnings returns one warning for each filter value of f that no
// indexed article has: an alert filtered on it is valid (the value may
// come), but a misspelt value would otherwise stay silent for ever.
func (s *Service) FilterWarnings(ctx context.Context, f engine.Filters) ([]string, error) {
	vs, err := s.eng.UnmatchedFilters(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("alerts: filter warnings: %w", err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s %q matches no article yet", v.Facet, v.Value))
	}
	return out, nil
}

// Get returns one alert.
func (s *Service) Get(id string) (View, error) {
	a, err := s.load(id)
	if err != nil {
		return View{}, err
	}
	return s.view(a), nil
}

func (s *Service) load(id string) (*Alert, error) {
	return s.store.Get(context.Background(), id)
}

// List returns every alert, by creation time.
func (s *Service) List() ([]*Alert, error) {
	return s.store.List(context.Background())
}

// Views returns every alert in API form.
func (s *Service) Views() ([]View, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	out := make([]View, len(all))
	for i, a := range all {
		out[i] = s.view(a)
	}
	return out, nil
}

// maxCAS bounds the read-modify-write rounds of one edit that keeps
// meeting a concurrent write (a run does not conflict: it writes the
// state, not the definition).
const maxCAS = 8

// modify reads an alert, lets fn change it and writes it back with
// compare-and-set on its version, again from a fresh read when it meets
// a concurrent edit. An error from fn is returned as is.
func (s *Service) modify(ctx context.Context, id string, fn func(a *Alert) error) (*Alert, error) {
	for i := 0; ; i++ {
		a, err := s.store.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		v := a.Version
		if err := fn(a); err != nil {
			return nil, err
		}
		err = s.store.Update(ctx, a, v)
		if errors.Is(err, ErrConflict) && i < maxCAS {
			continue
		}
		if errors.Is(err, ErrConflict) {
			return nil, news.Errorf(news.ECodeConflict, "alert %q keeps changing; try again", id)
		}
		if err != nil {
			return nil, fmt.Errorf("alerts: update %s: %w", id, err)
		}
		return a, nil
	}
}

// Update applies a PATCH. The watermark is kept.
func (s *Service) Update(ctx context.Context, id string, in *Input) (View, error) {
	if err := ctx.Err(); err != nil {
		return View{}, fmt.Errorf("alerts: update %s: %w", id, context.Cause(ctx))
	}
	a, err := s.modify(ctx, id, func(a *Alert) error {
		in.apply(a)
		return a.Validate(s.rules)
	})
	if err != nil {
		return View{}, err
	}
	s.reschedule(a)
	logctx.From(ctx, s.log).Info("alerts: updated", "alert", a.ID, "version", a.Version)
	return s.view(a), nil
}

// Delete removes an alert with its state and its deliveries.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("alerts: delete %s: %w", id, context.Cause(ctx))
	}
	s.unschedule(id)
	for i := 0; ; i++ {
		a, err := s.store.Get(ctx, id)
		if err != nil {
			return err
		}
		err = s.store.Delete(ctx, id, a.Version)
		if errors.Is(err, ErrConflict) && i < maxCAS {
			continue
		}
		if err != nil {
			return fmt.Errorf("alerts: delete %s: %w", id, err)
		}
		break
	}
	s.cacheMu.Lock()
	delete(s.cache, id)
	s.cacheMu.Unlock()
	logctx.From(ctx, s.log).Info("alerts: deleted", "alert", id)
	return nil
}

// RotateSecret replaces the signing secret and returns the alert with the
// new one. The replaced secret keeps signing beside it for grace (at
// most MaxRotationGrace), so that receivers can switch over; secrets
// replaced earlier keep their own expiry. A grace of 0 is an abrupt
// rotation: from now on only the new secret signs, earlier ones included
// (the case of a leaked secret). At most MaxPreviousSecrets replaced
// secrets may be in their grace at once; one more is a 409.
func (s *Service) RotateSecret(id string, grace time.Duration) (View, error) {
	if grace < 0 || grace > MaxRotationGrace {
		return View{}, news.Errorf(news.ECodeInvalid, "grace must be between 0s and %s", fmtHours(MaxRotationGrace))
	}
	secret, err := NewSecret()
	if err != nil {
		return View{}, err
	}
	now := s.cfg.Clock()
	a, err := s.modify(context.Background(), id, func(a *Alert) error {
		a.dropExpiredSecrets(now)
		switch {
		case grace == 0:
			a.PreviousSecrets = nil
		case len(a.PreviousSecrets) >= MaxPreviousSecrets:
			return news.Errorf(news.ECodeConflict, "alert %q already has %d replaced secrets in their grace period (the first expires at %s); wait, or rotate with grace 0s to end them all",
				id, len(a.PreviousSecrets), earliestExpiry(a.PreviousSecrets).Format(time.RFC3339))
		default:
			a.PreviousSecrets = append([]RetiredSecret{{Secret: a.Secret, ExpiresAt: now.Add(grace).UTC()}}, a.PreviousSecrets...)
		}
		a.Secret = secret
		return nil
	})
	if err != nil {
		return View{}, err
	}
	s.secrets.wake()
	s.log.Info("alerts: secret rotated", "alert", a.ID, "grace", grace, "signing_secrets", 1+len(a.PreviousSecrets))
	v := s.view(a)
	v.Secret = secret
	return v, nil
}

func fmtHours(d time.Duration) string { return fmt.Sprintf("%dh", int(d.Hours())) }

func earliestExpiry(ps []RetiredSecret) time.Time {
	var t time.Time
	for _, p := range ps {
		if t.IsZero() || p.ExpiresAt.Before(t) {
			t = p.ExpiresAt
		}
	}
	return t
}

// RotateInput is the optional body of a rotation.
type RotateInput struct {
	// Grace is how long the replaced secret keeps signing, as a Go
	// duration ("24h", "90m", "0s"); default DefaultRotationGrace.
	Grace *string `json:"grace"`
}

// DecodeRotation reads the grace of a rotation from its optional JSON
// body: empty means the default. Unknown fields, a malformed duration
// and one out of bounds are a 400.
func DecodeRotation(body []byte) (time.Duration, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return DefaultRotationGrace, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in RotateInput
	if err := dec.Decode(&in); err != nil {
		return 0, news.Errorf(news.ECodeBadRequest, "rotation JSON: %v", err)
	}
	if dec.More() {
		return 0, news.Errorf(news.ECodeBadRequest, "rotation JSON: trailing data after the object")
	}
	if in.Grace == nil {
		return DefaultRotationGrace, nil
	}
	g, err := time.ParseDuration(strings.TrimSpace(*in.Grace))
	if err != nil {
		return 0, news.Errorf(news.ECodeInvalid, "grace %q is not a duration such as 24h, 90m or 0s", clipName(*in.Grace))
	}
	if g < 0 || g > MaxRotationGrace {
		return 0, news.Errorf(news.ECodeInvalid, "grace must be between 0s and %s", fmtHours(MaxRotationGrace))
	}
	return g, nil
}

// signingSecrets returns the secrets that sign a message to a now: the
// current one and the replaced ones still in their grace. An expired one
// it meets is erased from the store at once (the sweeper would erase it
// at its expiry too; this covers a clock that moved past it).
func (s *Service) signingSecrets(a *Alert) []string {
	secrets, expired := a.signingSecrets(s.cfg.Clock())
	if expired {
		if err := s.expireSecrets(); err != nil {
			s.log.Error("alerts: erase expired secrets", "err", err)
		}
	}
	return secrets
}

// Deliveries lists an alert's deliveries, newest first.
func (s *Service) Deliveries(alertID string, limit int) ([]*Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.store.Deliveries(context.Background(), alertID, limit)
}

// Redeliver puts a finished (succeeded or failed) delivery back into the
// outbox for a fresh series of attempts, with the same webhook-id. A
// delivery still in the outbox is a conflict: a pending one is due now,
// a retrying one can be attempted at once with RetryNow.
func (s *Service) Redeliver(id string) (*Delivery, error) {
	d, err := s.store.Modify(context.Background(), id, func(d *Delivery) error {
		switch d.Status {
		case StatusPending:
			return news.Errorf(news.ECodeConflict, "delivery %q is pending: it is sent as soon as a sender is free", id)
		case StatusRetrying:
			return news.Errorf(news.ECodeConflict, "delivery %q is still retrying (next attempt at %s); POST /api/deliveries/%s/retry attempts it now", id, fmtTime(d.NextAttemptAt), id)
		}
		now := time.Now().UTC()
		d.Status, d.Attempts, d.NextAttemptAt, d.Done = StatusPending, 0, &now, time.Time{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.sender.wake()
	return d, nil
}

// RetryNow moves the next attempt of a retrying delivery to now: the
// attempt counts as one of its series (Attempts and the retry schedule
// go on from where they were), with the same webhook-id. Anything else is
// a conflict: a pending delivery is already due, an attempt in progress
// is being made, and a succeeded or failed one is sent again with
// Redeliver. While the senders are held (a restored store) it is a
// conflict too.
func (s *Service) RetryNow(id string) (*Delivery, error) {
	// Held senders (a restored store) would not make the attempt now.
	if err := s.cfg.Hold.Refuse("webhook sending"); err != nil {
		return nil, err
	}
	d, err := s.store.Modify(context.Background(), id, func(d *Delivery) error {
		switch {
		case d.Status == StatusPending:
			return news.Errorf(news.ECodeConflict, "delivery %q is pending: it is sent as soon as a sender is free", id)
		case d.Status != StatusRetrying:
			return news.Errorf(news.ECodeConflict, "delivery %q has %s; POST /api/deliveries/%s/redeliver sends it again", id, d.Status, id)
		case s.sender.attempting(id):
			return news.Errorf(news.ECodeConflict, "delivery %q is being attempted right now", id)
		}
		now := time.Now().UTC()
		d.NextAttemptAt = &now
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("alerts: delivery retried now", "delivery", d.ID, "alert", d.AlertID, "attempts", d.Attempts)
	s.sender.wake()
	return d, nil
}

// fmtTime formats an optional time for a message.
func fmtTime(t *time.Time) string {
	if t == nil {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

// parsed returns the alert's parsed query for a run at now, cached per
// alert version. A query with a relative date (date:>now-1d) is parsed
// again at every run, so that now is the run's time, not the first run's.
func (s *Service) parsed(a *Alert, now time.Time) (engine.Node, error) {
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
