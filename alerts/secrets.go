package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// secretSweeper erases replaced signing secrets from the store when their
// grace ends, so that an expired secret is gone even from an alert that
// sends nothing. It sleeps until the next expiry, or until a rotation
// wakes it.
type secretSweeper struct {
	s      *Service
	wakeCh chan struct{}
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
	run    bool
}

// sweepRetry is the wait after a sweep that failed.
const sweepRetry = time.Minute

func newSecretSweeper(s *Service) *secretSweeper {
	return &secretSweeper{s: s, wakeCh: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

func (w *secretSweeper) start() {
	w.run = true
	go w.loop()
}

func (w *secretSweeper) stop() {
	w.once.Do(func() { close(w.quit) })
	if w.run {
		<-w.done
	}
}

func (w *secretSweeper) wake() {
	select {
	case w.wakeCh <- struct{}{}:
	default:
	}
}

func (w *secretSweeper) loop() {
	defer close(w.done)
	var notBefore time.Time // after a failure, wait sweepRetry
	for {
		next, err := w.s.nextSecretExpiry()
		if err != nil {
			w.s.log.Error("alerts: read secret expiries", "err", err)
			next = time.Now().Add(sweepRetry)
		}
		var timer *time.Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			wait := next.Sub(w.s.cfg.Clock())
			if until := time.Until(notBefore); wait < until {
				wait = until
			}
			timer = time.NewTimer(max(wait, 0))
			fire = timer.C
		}
		select {
		case <-w.quit:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-w.wakeCh:
		case <-fire:
			if err := w.s.expireSecrets(); err != nil {
				w.s.log.Error("alerts: erase expired secrets", "err", err, "retry_in", sweepRetry)
				notBefore = time.Now().Add(sweepRetry)
			}
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// nextSecretExpiry returns the earliest expiry of a replaced secret, zero
// when there is none.
func (s *Service) nextSecretExpiry() (time.Time, error) {
	all, err := s.store.List(context.Background())
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	for _, a := range all {
		if t := earliestExpiry(a.PreviousSecrets); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, nil
}

// expireSecrets erases every replaced secret whose grace is over. An
// alert edited meanwhile (a version conflict) is left for the next
// sweep, which its edit's wake-up or the next expiry brings.
func (s *Service) expireSecrets() error {
	ctx := context.Background()
	now := s.cfg.Clock()
	all, err := s.store.List(ctx)
	if err != nil {
		return fmt.Errorf("alerts: erase expired secrets: %w", err)
	}
	n := 0
	for _, a := range all {
		if !a.dropExpiredSecrets(now) {
			continue
		}
		err := s.store.Update(ctx, a, a.Version)
		switch {
		case errors.Is(err, ErrConflict), news.ErrorCode(err) == news.ECodeNotFound:
			s.secrets.wake()
		case err != nil:
			return fmt.Errorf("alerts: erase expired secrets: %w", err)
		default:
			n++
		}
	}
	if n > 0 {
		s.log.Info("alerts: replaced secrets expired and erased", "alerts", n)
	}
	return nil
}

// RotateSecret replaces the signing secret and returns the alert with the
// new one. The replaced secret keeps signing beside it for grace (at
// most MaxRotationGrace), so that receivers can switch over; secrets
// replaced earlier keep their own expiry. A grace of 0 is an abrupt
// rotation: from now on only the new secret signs, earlier ones included
// (the case of a leaked secret). At most MaxPreviousSecrets replaced
// secrets may be in their grace at once; one more is a 409.
func (s *Service) RotateSecret(ctx context.Context, id string, grace time.Duration) (View, error) {
	if grace < 0 || grace > MaxRotationGrace {
		return View{}, news.Errorf(news.ECodeInvalid, "grace must be between 0s and %s", fmtHours(MaxRotationGrace))
	}
	secret, err := NewSecret()
	if err != nil {
		return View{}, err
	}
	now := s.cfg.Clock()
	a, err := s.modify(ctx, id, func(a *Alert) error {
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
		return 0, news.Errorf(news.ECodeInvalid, "grace %q is not a duration such as 24h, 90m or 0s", news.Clip(*in.Grace))
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
