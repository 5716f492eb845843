package alerts

import (
	"context"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// Deliveries lists an alert's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, alertID string, limit int) ([]*Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.store.Deliveries(ctx, alertID, limit)
}

// Redeliver puts a finished (succeeded or failed) delivery back into the
// outbox for a fresh series of attempts, with the same webhook-id. A
// delivery still in the outbox is a conflict: a pending one is due now,
// a retrying one can be attempted at once with RetryNow.
func (s *Service) Redeliver(ctx context.Context, id string) (*Delivery, error) {
	d, err := s.store.Modify(ctx, id, func(d *Delivery) error {
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
func (s *Service) RetryNow(ctx context.Context, id string) (*Delivery, error) {
	// Held senders (a restored store) would not make the attempt now.
	if err := s.cfg.Hold.Refuse("webhook sending"); err != nil {
		return nil, err
	}
	d, err := s.store.Modify(ctx, id, func(d *Delivery) error {
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
