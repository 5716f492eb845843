package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
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

// hasRetired tells, cheaply, whether a stored definition may hold
// replaced secrets.
func hasRetired(v []byte) bool { return bytes.Contains(v, []byte(`"previous_secrets"`)) }

// nextSecretExpiry returns the earliest expiry of a replaced secret, zero
// when there is none.
func (s *Service) nextSecretExpiry() (time.Time, error) {
	var next time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			if !hasRetired(v) {
				return nil
			}
			var a struct {
				PreviousSecrets []RetiredSecret `json:"previous_secrets"`
			}
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("alerts: decode alert %q: %w", k, err)
			}
			if t := earliestExpiry(a.PreviousSecrets); !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
			return nil
		})
	})
	return next, err
}

// expireSecrets erases every replaced secret whose grace is over.
func (s *Service) expireSecrets() error {
	now := s.cfg.Clock()
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		var due []*Alert
		err := tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			if !hasRetired(v) {
				return nil
			}
			a, err := decodeAlert(tx, string(k), v)
			if err != nil {
				return err
			}
			if a.dropExpiredSecrets(now) {
				due = append(due, a)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, a := range due {
			if err := putAlert(tx, a); err != nil {
				return err
			}
		}
		n = len(due)
		return nil
	})
	if err != nil {
		return fmt.Errorf("alerts: erase expired secrets: %w", err)
	}
	if n > 0 {
		s.log.Info("alerts: replaced secrets expired and erased", "alerts", n)
	}
	return nil
}
