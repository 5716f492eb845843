// Package boltstore keeps the alerts in the store's bbolt file: it
// implements alerts.Store (definitions with their run state, the run
// commit, the outbox) on the buckets and the on-disk format the alerts
// package used before the seams, and migrates layout 1 when it opens.
//
// A bbolt file is used by one process (it is locked), so the outbox's
// leases live in memory: a lease ends with the process, and the
// delivery is due again after a restart.
package boltstore

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
	bolt "go.etcd.io/bbolt"
)

// Store is alerts.Store on a bbolt file.
type Store struct {
	db  *bolt.DB
	log *slog.Logger

	mu     sync.Mutex
	leased map[string]time.Time // delivery id -> lease expiry
}

var _ alerts.Store = (*Store)(nil)

// New keeps the alerts in st's file: it registers Schema with st (once
// per store), which creates the buckets and migrates a layout-1 file
// the first time, and returns the store. st stays the caller's to close.
func New(ctx context.Context, st *store.Store, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := st.RegisterOnce(ctx, Schema()); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return &Store{db: st.DB(), log: log, leased: map[string]time.Time{}}, nil
}

// DB is the bbolt file the store is in.
func (s *Store) DB() *bolt.DB { return s.db }

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return nil
}

// Get implements alerts.Definitions.
func (s *Store) Get(ctx context.Context, id string) (*alerts.Alert, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var a *alerts.Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		a, err = getAlert(tx, id)
		return err
	})
	return a, err
}

// List implements alerts.Definitions.
func (s *Store) List(ctx context.Context) ([]*alerts.Alert, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var out []*alerts.Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			a, err := decodeAlert(tx, string(k), v)
			if err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// Create implements alerts.Definitions.
func (s *Store) Create(ctx context.Context, as ...*alerts.Alert) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		for _, a := range as {
			if b.Get([]byte(a.ID)) != nil {
				return fmt.Errorf("alert %q exists: %w", a.ID, alerts.ErrConflict)
			}
			a.Num = 0
			if err := putAlert(tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, a := range as {
			a.Num = 0
		}
		return fmt.Errorf("alerts: create: %w", err)
	}
	return nil
}

// Update implements alerts.Definitions: the definition is written, the
// run state (watermark, last run, delivery head) stays as stored.
func (s *Store) Update(ctx context.Context, a *alerts.Alert, expectVersion uint64) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	var next uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		cur, err := getAlert(tx, a.ID)
		if err != nil {
			return err
		}
		if cur.Version != expectVersion {
			return fmt.Errorf("alert %q is at version %d, not %d: %w", a.ID, cur.Version, expectVersion, alerts.ErrConflict)
		}
		next = cur.Version + 1
		def := *a
		def.Num, def.Version = cur.Num, next
		def.Watermark, def.LastRunAt, def.LastDeliveryStatus, def.Head = cur.Watermark, cur.LastRunAt, cur.LastDeliveryStatus, cur.Head
		return putAlert(tx, &def)
	})
	if err != nil {
		return err
	}
	a.Version = next
	return nil
}

// Delete implements alerts.Definitions.
func (s *Store) Delete(ctx context.Context, id string, expectVersion uint64) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	var queued []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		a, err := getAlert(tx, id)
		if err != nil {
			return err
		}
		if a.Version != expectVersion {
			return fmt.Errorf("alert %q is at version %d, not %d: %w", id, a.Version, expectVersion, alerts.ErrConflict)
		}
		queued, err = deleteAlert(tx, a)
		return err
	})
	if err == nil {
		s.unlease(queued...)
	}
	return err
}

// CommitRun implements alerts.Runs in one bbolt transaction.
func (s *Store) CommitRun(ctx context.Context, now time.Time, upTo uint64, batch []alerts.RunCommit) ([]alerts.RunOutcome, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var out []alerts.RunOutcome
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = make([]alerts.RunOutcome, len(batch))
		ob, qb := tx.Bucket(bucketOutbox), tx.Bucket(bucketQueue)
		ob.FillPercent, qb.FillPercent = appendFillPercent, appendFillPercent
		sent := newSentSet(tx)
		for i, j := range batch {
			a := j.Alert
			st, err := getState(tx, a.Num)
			if err != nil {
				return err
			}
			if st == nil || st.Version != a.Version || st.Watermark != a.Watermark {
				out[i].Err = alerts.ErrConflict // deleted, edited or run meanwhile
				continue
			}
			ids, err := sent.filter(a.Num, j.Matches, true)
			if err != nil {
				return err
			}
			for start := 0; start < len(ids); start += a.MaxMatchesPerDelivery {
				chunk := ids[start:min(start+a.MaxMatchesPerDelivery, len(ids))]
				id := deliveryID(a, now, upTo, start/a.MaxMatchesPerDelivery, st.Head)
				d := &alerts.Delivery{
					ID: id, AlertID: a.ID, Type: alerts.EventMatched,
					Alert:  alerts.AlertRef{ID: a.ID, Name: a.Name, Query: a.Query},
					Status: alerts.StatusPending, NextAttemptAt: &now,
					ArticleIDs: chunk, TotalNew: len(ids), CreatedAt: now,
					Prev: st.Head,
				}
				buf, err := encodeDelivery(d)
				if err != nil {
					return err
				}
				if err := ob.Put([]byte(d.ID), buf); err != nil {
					return err
				}
				if err := qb.Put(queueKey(now, d.ID), nil); err != nil {
					return err
				}
				st.Head = d.ID
				out[i].Deliveries++
			}
			out[i].Matches = len(ids)
			if len(ids) > 0 {
				st.LastDeliveryStatus = alerts.StatusPending
			}
			st.Watermark = max(st.Watermark, upTo)
			st.LastRunAt = &now
			if err := putState(tx, a.Num, st); err != nil {
				return err
			}
		}
		return sent.flush()
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: commit run: %w", err)
	}
	return out, nil
}

// Unsent implements alerts.Runs.
func (s *Store) Unsent(ctx context.Context, a *alerts.Alert, ids []string) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = newSentSet(tx).filter(a.Num, ids, false)
		return err
	})
	return out, err
}

// isNotFound reports a *news.Error with ECodeNotFound.
func isNotFound(err error) bool { return news.ErrorCode(err) == news.ECodeNotFound }
