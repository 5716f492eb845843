package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/watchword/watchword/alerts"
	bolt "go.etcd.io/bbolt"
)

// bucketQueue orders the deliveries waiting for an attempt by due time:
// key = 8-byte big-endian unix nanoseconds + delivery id.
var bucketQueue = []byte("alerts_queue")

func init() { allAlertsBuckets = append(allAlertsBuckets, bucketQueue) }

func queueKey(t time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	return append(k, id...)
}

// saveDelivery writes d and keeps its queue entry in step: queued while
// pending or retrying, at NextAttemptAt. prev is the stored version.
func saveDelivery(tx *bolt.Tx, d, prev *alerts.Delivery) error {
	q := tx.Bucket(bucketQueue)
	if prev != nil && prev.NextAttemptAt != nil {
		if err := q.Delete(queueKey(*prev.NextAttemptAt, prev.ID)); err != nil {
			return err
		}
	}
	if (d.Status == alerts.StatusPending || d.Status == alerts.StatusRetrying) && d.NextAttemptAt != nil {
		if err := q.Put(queueKey(*d.NextAttemptAt, d.ID), nil); err != nil {
			return err
		}
	} else {
		d.NextAttemptAt = nil
	}
	return putDelivery(tx, d)
}

func (s *Store) unlease(ids ...string) {
	s.mu.Lock()
	for _, id := range ids {
		delete(s.leased, id)
	}
	s.mu.Unlock()
}

// Lease implements alerts.Outbox. The queue is read in one read
// transaction; entries whose delivery is gone or finished (left behind)
// are dropped in a write transaction of their own.
func (s *Store) Lease(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) (ds []*alerts.Delivery, next time.Time, err error) {
	return s.lease(ctx, now, limit, leaseFor, true)
}

// Peek is Lease without leasing anything: what a Lease at now would
// return. The replicated store asks it before it submits a lease, so
// that an idle outbox publishes nothing.
func (s *Store) Peek(ctx context.Context, now time.Time, limit int) (ds []*alerts.Delivery, next time.Time, err error) {
	return s.lease(ctx, now, limit, 0, false)
}

func (s *Store) lease(ctx context.Context, now time.Time, limit int, leaseFor time.Duration, commit bool) (ds []*alerts.Delivery, next time.Time, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var stale [][]byte
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) <= 8 {
				continue
			}
			at := time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
			id := string(k[8:])
			if until, ok := s.leased[id]; ok && until.After(now) {
				if next.IsZero() || until.Before(next) {
					next = until
				}
				continue
			}
			if at.After(now) || len(ds) >= limit {
				if next.IsZero() || at.Before(next) {
					next = at
				}
				return nil
			}
			d, err := getDelivery(tx, id)
			if isNotFound(err) {
				stale = append(stale, bytes.Clone(k))
				continue
			}
			if err != nil {
				return err
			}
			if d.Status != alerts.StatusPending && d.Status != alerts.StatusRetrying {
				stale = append(stale, bytes.Clone(k))
				continue
			}
			if slices.ContainsFunc(ds, func(o *alerts.Delivery) bool { return o.ID == d.ID }) {
				continue // a second entry of the same delivery
			}
			ds = append(ds, d)
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("alerts: lease deliveries: %w", err)
	}
	if !commit {
		return ds, next, nil
	}
	for _, d := range ds {
		s.leased[d.ID] = now.Add(leaseFor)
	}
	if len(stale) > 0 {
		if err := s.dropStale(stale); err != nil {
			s.log.Error("alerts: drop queue entries left behind", "entries", len(stale), "err", err)
		}
	}
	return ds, next, nil
}

// dropStale removes queue entries whose delivery is gone or finished,
// checked again in the same transaction.
func (s *Store) dropStale(keys [][]byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		q := tx.Bucket(bucketQueue)
		for _, k := range keys {
			id := string(k[8:])
			d, err := getDelivery(tx, id)
			switch {
			case isNotFound(err):
			case err != nil:
				return err
			case d.Status == alerts.StatusPending || d.Status == alerts.StatusRetrying:
				continue // queued again meanwhile
			}
			if err := q.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// record writes an attempt's result; final ones also set the alert's
// last delivery status.
func (s *Store) record(ctx context.Context, id string, next *time.Time, r alerts.Result) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	err := s.db.Batch(func(tx *bolt.Tx) error {
		// Batch lets the outcomes of concurrent attempts share one
		// commit: one fsync'd transaction per attempt capped the pool at
		// about 280 deliveries a second on the benchmark machine's disk.
		// The function may run more than once (bbolt retries a failed
		// batch one by one); it only reads and writes the state it is
		// given.
		return recordTx(tx, id, next, r)
	})
	if err != nil {
		return fmt.Errorf("alerts: record delivery %s: %w", id, err)
	}
	s.unlease(id)
	return nil
}

// recordTx writes one attempt's result in tx.
func recordTx(tx *bolt.Tx, id string, next *time.Time, r alerts.Result) error {
	prev, err := getDelivery(tx, id)
	if isNotFound(err) {
		return nil // the alert was deleted meanwhile
	}
	if err != nil {
		return err
	}
	d := *prev
	d.Status, d.Attempts, d.LastError = r.Status, r.Attempts, r.Err
	if r.StatusCode != 0 {
		d.LastStatusCode = r.StatusCode
	}
	d.NextAttemptAt, d.Done = next, time.Time{}
	if next == nil {
		d.Done = r.At.UTC() // the delivery retention counts from here
	}
	if err := saveDelivery(tx, &d, prev); err != nil {
		return err
	}
	a, err := getAlert(tx, d.AlertID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	a.LastDeliveryStatus = r.Status
	return putState(tx, a.Num, stateOf(a))
}

// RecordAttempts implements alerts.OutcomeBatcher: every attempt in one
// transaction (one commit, one fsync), in order, so that the last of an
// alert's sets its LastDeliveryStatus.
func (s *Store) RecordAttempts(ctx context.Context, rs []alerts.AttemptRecord) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	for _, rec := range rs {
		if err := checkRecord(rec.ID, rec.Next, rec.Result); err != nil {
			return err
		}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, rec := range rs {
			var next *time.Time
			if rec.Next != nil {
				t := rec.Next.UTC()
				next = &t
			}
			if err := recordTx(tx, rec.ID, next, rec.Result); err != nil {
				return fmt.Errorf("delivery %s: %w", rec.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("alerts: record %d deliveries: %w", len(rs), err)
	}
	ids := make([]string, len(rs))
	for i, rec := range rs {
		ids[i] = rec.ID
	}
	s.unlease(ids...)
	return nil
}

// checkRecord refuses a result whose status does not fit: Complete
// (next nil) takes succeeded or failed, RetryAt retrying or pending.
func checkRecord(id string, next *time.Time, r alerts.Result) error {
	if next == nil && r.Status != alerts.StatusSucceeded && r.Status != alerts.StatusFailed {
		return fmt.Errorf("alerts: complete delivery %s with status %q", id, r.Status)
	}
	if next != nil && r.Status != alerts.StatusRetrying && r.Status != alerts.StatusPending {
		return fmt.Errorf("alerts: retry delivery %s with status %q", id, r.Status)
	}
	return nil
}

// Complete implements alerts.Outbox.
func (s *Store) Complete(ctx context.Context, id string, r alerts.Result) error {
	if err := checkRecord(id, nil, r); err != nil {
		return err
	}
	return s.record(ctx, id, nil, r)
}

// RetryAt implements alerts.Outbox.
func (s *Store) RetryAt(ctx context.Context, id string, when time.Time, r alerts.Result) error {
	if err := checkRecord(id, &when, r); err != nil {
		return err
	}
	when = when.UTC()
	return s.record(ctx, id, &when, r)
}

// Modify implements alerts.Outbox.
func (s *Store) Modify(ctx context.Context, id string, fn func(d *alerts.Delivery) error) (*alerts.Delivery, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var d *alerts.Delivery
	err := s.db.Update(func(tx *bolt.Tx) error {
		prev, err := getDelivery(tx, id)
		if err != nil {
			return err
		}
		c := *prev
		if err := fn(&c); err != nil {
			return err
		}
		d = &c
		return saveDelivery(tx, d, prev)
	})
	if err != nil {
		return nil, err
	}
	s.unlease(id)
	return d, nil
}

// Delivery implements alerts.Outbox.
func (s *Store) Delivery(ctx context.Context, id string) (*alerts.Delivery, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var d *alerts.Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		d, err = getDelivery(tx, id)
		return err
	})
	return d, err
}

// Deliveries implements alerts.Outbox: the alert's chain from its head.
func (s *Store) Deliveries(ctx context.Context, alertID string, limit int) ([]*alerts.Delivery, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	out := []*alerts.Delivery{}
	err := s.db.View(func(tx *bolt.Tx) error {
		a, err := getAlert(tx, alertID)
		if err != nil {
			return err
		}
		return alertDeliveries(tx, a, limit, func(d *alerts.Delivery) { out = append(out, d) })
	})
	return out, err
}

// Depth implements alerts.Outbox in one read transaction: it walks the
// due queue's keys and decodes the one delivery created first (delivery
// ids sort in creation order).
func (s *Store) Depth(ctx context.Context) (depth int, oldest time.Time, err error) {
	if err := ctxErr(ctx); err != nil {
		return 0, time.Time{}, err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		var first []byte
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			depth++
			if id := k[8:]; first == nil || string(id) < string(first) {
				first = id
			}
		}
		if first == nil {
			return nil
		}
		d, err := getDelivery(tx, string(first))
		if err != nil {
			return nil // deleted meanwhile: no age
		}
		oldest = d.CreatedAt
		return nil
	})
	return depth, oldest, err
}

// Count returns how many deliveries the outbox keeps, finished ones
// included.
func (s *Store) Count() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	return n, err
}

// Release implements alerts.Outbox.
func (s *Store) Release(ctx context.Context, id string) error {
	s.unlease(id)
	return nil
}
