package boltstore

// What the cluster import (internal/cluster/importer) reads from a single
// node's file and writes, through alerts/jsstore's import commands, into
// every node's replica: alerts with their numbers, state and delivery
// ids, and the sent records. Every write here only adds what is absent
// (or merges), so a command applied twice, or an import resumed after a
// failure, changes nothing that is there already, in particular not an
// alert whose state has moved on since it was imported.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/watchword/watchword/alerts"
	bolt "go.etcd.io/bbolt"
)

// ErrImportConflict is ImportAlert's answer when the alert's number is
// another alert's: the store was not empty when the import began.
var ErrImportConflict = errors.New("alerts: the imported alert's number is taken")

// SentRecord is one article's sent record: the numbers of the alerts it
// was sent to, ascending.
type SentRecord struct {
	ArticleID string   `json:"id"`
	Nums      []uint64 `json:"nums"`
}

// SentRecords calls fn with the sent records in article id order, in
// pages of up to limit records, each page read in a transaction of its
// own.
func (s *Store) SentRecords(ctx context.Context, limit int, fn func([]SentRecord) error) error {
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var recs []SentRecord
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketSent).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(recs) < limit; k, v = c.Next() {
				nums, err := decodeNums(v)
				if err != nil {
					return fmt.Errorf("sent record of article %q: %w", k, err)
				}
				recs = append(recs, SentRecord{ArticleID: string(k), Nums: nums})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("alerts: sent records: %w", err)
		}
		if len(recs) == 0 {
			return nil
		}
		if err := fn(recs); err != nil {
			return err
		}
		after = []byte(recs[len(recs)-1].ArticleID)
	}
}

// Numbered is the last alert number the store assigned: the deleted
// alerts' numbers included, which stay in the sent records.
func (s *Store) Numbered(ctx context.Context) (uint64, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketAlerts).Sequence()
		return nil
	})
	return n, err
}

// ImportSent merges sent records into the sent-set and moves the alert
// number sequence to numbered at least, so that no alert created later
// gets the number of an alert the records name (a deleted one's too).
func (s *Store) ImportSent(ctx context.Context, recs []SentRecord, numbered uint64) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketAlerts); b.Sequence() < numbered {
			if err := b.SetSequence(numbered); err != nil {
				return err
			}
		}
		sent := newSentSet(tx)
		for _, r := range recs {
			have, err := sent.recorded(r.ArticleID)
			if err != nil {
				return err
			}
			nums := mergeNums(have, sortedNums(r.Nums))
			if len(nums) == len(have) {
				continue
			}
			if err := sent.b.Put([]byte(r.ArticleID), encodeNums(nums)); err != nil {
				return err
			}
			sent.have[r.ArticleID] = nums
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("alerts: import sent records: %w", err)
	}
	return nil
}

func sortedNums(in []uint64) []uint64 {
	out := slices.DeleteFunc(slices.Clone(in), func(n uint64) bool { return n == 0 }) // no alert has number 0
	slices.Sort(out)
	return slices.Compact(out)
}

// ImportAlert stores an alert as another store had it: its number, its
// version, its run state (watermark, last run, last delivery status,
// head) and the given deliveries under their own ids (with their chain
// links, Prev, and their queue entries when pending or retrying). An
// alert whose id is taken is left as it is (imported already: its state
// may have moved since), and a delivery whose id exists is left as it
// is; created reports whether the alert was stored now. The number
// sequence is moved past a.Num, so alerts created later get new numbers.
func (s *Store) ImportAlert(ctx context.Context, a *alerts.Alert, ds []*alerts.Delivery) (created bool, err error) {
	if err := ctxErr(ctx); err != nil {
		return false, err
	}
	if a != nil && a.Num == 0 {
		return false, fmt.Errorf("alerts: import alert %q without a number", a.ID)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if a != nil {
			b := tx.Bucket(bucketAlerts)
			if b.Get([]byte(a.ID)) == nil {
				if st, err := getState(tx, a.Num); err != nil {
					return err
				} else if st != nil {
					return fmt.Errorf("alert %q: number %d is another alert's: %w", a.ID, a.Num, ErrImportConflict)
				}
				if err := putAlert(tx, a); err != nil {
					return err
				}
				if b.Sequence() < a.Num {
					if err := b.SetSequence(a.Num); err != nil {
						return err
					}
				}
				created = true
			}
		}
		ob := tx.Bucket(bucketOutbox)
		for _, d := range ds {
			if ob.Get([]byte(d.ID)) != nil {
				continue
			}
			c := *d
			if err := saveDelivery(tx, &c, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("alerts: import: %w", err)
	}
	return created, nil
}
