package alerts

import (
	"context"
	"errors"
	"fmt"
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
