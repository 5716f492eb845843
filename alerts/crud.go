package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/schedule"
)

// Input is the writable part of an alert, for create (all fields) and
// PATCH (only the fields present). Unknown fields are rejected.
type Input struct {
	Name                  *string         `json:"name"`
	Query                 *string         `json:"query"`
	Filters               *engine.Filters `json:"filters"`
	Schedule              *string         `json:"schedule"`
	Timezone              *string         `json:"timezone"`
	WebhookURL            *string         `json:"webhook_url"`
	WebhookFormat         *string         `json:"webhook_format"`
	Email                 *[]string       `json:"email"`
	Enabled               *bool           `json:"enabled"`
	MaxMatchesPerDelivery *int            `json:"max_matches_per_delivery"`
	Fields                *[]string       `json:"fields"`
	RepeatStories         *bool           `json:"repeat_stories"`
	// CreatedBy is the id of the key that creates the alert, set by the
	// server (never read from the body); Create records it.
	CreatedBy string `json:"-"`
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
	if in.WebhookFormat != nil {
		a.WebhookFormat = *in.WebhookFormat
	}
	if in.Email != nil {
		a.Email = *in.Email
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
	if in.RepeatStories != nil {
		a.RepeatStories = *in.RepeatStories
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
	a.CreatedBy = in.CreatedBy
	a.CreatedAt = time.Now().UTC()
	a.Version = 1
	a.Watermark = s.eng.IndexedSeq()
	if err := s.store.Create(ctx, a); err != nil {
		return View{}, fmt.Errorf("alerts: create: %w", err)
	}
	s.reschedule(a)
	logctx.From(ctx, s.log).Info("alerts: created", "alert", a.ID, "schedule", a.Schedule, "webhook", netguard.RedactURL(a.WebhookURL), "emails", len(a.Email))
	v := s.view(a)
	v.Secret = a.Secret
	return v, nil
}

// CreateMany validates and saves many alerts in one transaction (bulk
// import, benchmarks). Secrets are not returned.
func (s *Service) CreateMany(ctx context.Context, ins []*Input) ([]string, error) {
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
		a.CreatedBy = in.CreatedBy
		as = append(as, a)
	}
	if err := s.store.Create(ctx, as...); err != nil {
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
func (s *Service) Alerts(ctx context.Context, ids []string) ([]*Alert, error) {
	var out []*Alert
	for _, id := range ids {
		a, err := s.store.Get(ctx, id)
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
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	a, err := s.load(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(a), nil
}

func (s *Service) load(ctx context.Context, id string) (*Alert, error) {
	return s.store.Get(ctx, id)
}

// List returns every alert, by creation time.
func (s *Service) List(ctx context.Context) ([]*Alert, error) {
	return s.store.List(ctx)
}

// Views returns every alert in API form.
func (s *Service) Views(ctx context.Context) ([]View, error) {
	all, err := s.List(ctx)
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
const maxCAS = 12

// editLock is the lock of this process's edits of alert id.
func (s *Service) editLock(id string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(id))
	return &s.editLocks[h.Sum32()%uint32(len(s.editLocks))]
}

// casBackoff waits before the next round of an edit that met a
// concurrent write: a random time below 2^round ms, at most 64 ms. Without
// it, writers retrying at once can keep colliding (six writers of one
// alert ran out of rounds within 100 edits each; two did, rarely, in
// CI). It returns the context's error when ctx ends first.
func casBackoff(ctx context.Context, round int) error {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(round, 6)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// modify reads an alert, lets fn change it and writes it back with
// compare-and-set on its version, again from a fresh read when it meets
// a concurrent edit. An error from fn is returned as is.
func (s *Service) modify(ctx context.Context, id string, fn func(a *Alert) error) (*Alert, error) {
	mu := s.editLock(id)
	mu.Lock()
	defer mu.Unlock()
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
			if err := casBackoff(ctx, i); err != nil {
				return nil, fmt.Errorf("alerts: update %s: %w", id, err)
			}
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
	mu := s.editLock(id)
	mu.Lock()
	defer mu.Unlock()
	for i := 0; ; i++ {
		a, err := s.store.Get(ctx, id)
		if err != nil {
			return err
		}
		err = s.store.Delete(ctx, id, a.Version)
		if errors.Is(err, ErrConflict) && i < maxCAS {
			if err := casBackoff(ctx, i); err != nil {
				return fmt.Errorf("alerts: delete %s: %w", id, err)
			}
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
