package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/watchword/watchword/alerts"
	bolt "go.etcd.io/bbolt"
)

// bucketSentGone notes when the pruner first found a sent record's
// article gone: article id -> unix nanoseconds (8 bytes BE).
var bucketSentGone = []byte("alerts_sent_gone")

func init() { allAlertsBuckets = append(allAlertsBuckets, bucketSentGone) }

// Per pruning transaction: the most keys read and the most deleted, so
// that a pass never holds bbolt's writer for long (a round's commit
// waits for it).
const (
	pruneScan   = 2000
	pruneDelete = 500
)

// Prune implements alerts.Outbox: one pass over the deliveries and the
// sent records in small transactions, as alerts/retention.go describes.
func (s *Store) Prune(ctx context.Context, now time.Time, keep time.Duration, exist func(context.Context, []string) ([]bool, error)) (alerts.PruneResult, error) {
	var res alerts.PruneResult
	var err error
	if res.Deliveries, err = s.pruneDeliveries(ctx, now.Add(-keep)); err != nil {
		return res, err
	}
	res.SentRemoved, res.SentShrunk, err = s.pruneSent(ctx, now, keep, exist)
	return res, err
}

// deliveryAge is the part of a stored delivery the pruner reads.
type deliveryAge struct {
	Status        string     `json:"status"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	CreatedAt     time.Time  `json:"created_at"`
	Prev          string     `json:"prev"`
	Done          time.Time  `json:"done"`
}

// pruneDeliveries deletes the finished deliveries older than cutoff. The
// outbox is in creation order, so a pass stops at the first delivery
// created after the cutoff.
func (s *Store) pruneDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int
		var last []byte
		var end bool
		err := s.db.Update(func(tx *bolt.Tx) error {
			n, last, end = 0, nil, false
			ob, qb := tx.Bucket(bucketOutbox), tx.Bucket(bucketQueue)
			c := ob.Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			deleted := map[string]bool{}
			var dels, queued [][]byte
			for scanned := 0; ; k, v = c.Next() {
				if k == nil {
					end = true
					break
				}
				if scanned == pruneScan || len(dels) == pruneDelete {
					break
				}
				scanned++
				last = k
				var d deliveryAge
				if err := json.Unmarshal(v, &d); err != nil {
					return fmt.Errorf("alerts: decode delivery %q: %w", k, err)
				}
				if !d.CreatedAt.Before(cutoff) {
					end = true // every later one is newer
					break
				}
				if d.Status != alerts.StatusSucceeded && d.Status != alerts.StatusFailed {
					continue
				}
				if !d.Done.IsZero() && !d.Done.Before(cutoff) {
					continue
				}
				if d.Prev != "" && !deleted[d.Prev] && ob.Get([]byte(d.Prev)) != nil {
					continue // an older delivery of the alert is kept: keep the chain whole
				}
				deleted[string(k)] = true
				dels = append(dels, bytes.Clone(k))
				if d.NextAttemptAt != nil {
					queued = append(queued, queueKey(*d.NextAttemptAt, string(k)))
				}
			}
			last = bytes.Clone(last)
			for _, k := range queued {
				if err := qb.Delete(k); err != nil {
					return err
				}
			}
			for _, k := range dels {
				if err := ob.Delete(k); err != nil {
					return err
				}
			}
			n = len(dels)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("alerts: prune deliveries: %w", err)
		}
		total += n
		if end || last == nil {
			return total, nil
		}
		after = last
	}
}

// pruneSent deletes the sent records no alert can need and drops deleted
// alerts from the others (see the comment at the top of this file).
func (s *Store) pruneSent(ctx context.Context, now time.Time, grace time.Duration, exist func(context.Context, []string) ([]bool, error)) (removed, shrunk int, err error) {
	live := map[uint64]bool{}
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketState).ForEach(func(k, _ []byte) error {
			if len(k) == 8 {
				live[binary.BigEndian.Uint64(k)] = true
			}
			return nil
		})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("alerts: prune sent records: list alerts: %w", err)
	}
	type rec struct{ key, val []byte }
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return removed, shrunk, err
		}
		var recs []rec
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketSent).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(recs) < pruneScan; k, v = c.Next() {
				recs = append(recs, rec{bytes.Clone(k), bytes.Clone(v)})
			}
			return nil
		})
		if err != nil {
			return removed, shrunk, fmt.Errorf("alerts: prune sent records: %w", err)
		}
		if len(recs) == 0 {
			return removed, shrunk, nil
		}
		after = recs[len(recs)-1].key
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = string(r.key)
		}
		stored, err := exist(ctx, ids)
		if err != nil {
			return removed, shrunk, fmt.Errorf("alerts: prune sent records: %w", err)
		}
		var nr, ns int
		err = s.db.Update(func(tx *bolt.Tx) error {
			nr, ns = 0, 0
			sb, gb := tx.Bucket(bucketSent), tx.Bucket(bucketSentGone)
			for i, r := range recs {
				if v := sb.Get(r.key); !bytes.Equal(v, r.val) {
					continue // written by a round meanwhile: the next pass sees it
				}
				nums, err := decodeNums(r.val)
				if err != nil {
					return fmt.Errorf("sent record of article %q: %w", r.key, err)
				}
				kept := nums[:0:0]
				for _, n := range nums {
					if live[n] {
						kept = append(kept, n)
					}
				}
				drop := len(kept) == 0
				gone := gb.Get(r.key)
				switch {
				case stored[i]:
					if gone != nil {
						if err := gb.Delete(r.key); err != nil {
							return err
						}
					}
				case drop:
				case gone == nil:
					if err := gb.Put(r.key, binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))); err != nil {
						return err
					}
				case len(gone) != 8 || now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(gone)))) >= grace:
					drop = true
				}
				switch {
				case drop:
					if err := sb.Delete(r.key); err != nil {
						return err
					}
					if err := gb.Delete(r.key); err != nil {
						return err
					}
					nr++
				case len(kept) < len(nums):
					if err := sb.Put(r.key, encodeNums(kept)); err != nil {
						return err
					}
					ns++
				}
			}
			return nil
		})
		if err != nil {
			return removed, shrunk, fmt.Errorf("alerts: prune sent records: %w", err)
		}
		removed, shrunk = removed+nr, shrunk+ns
	}
}

// SentArticles calls fn with the article ids of the sent records, in
// pages of up to pruneScan ids, each page read in a transaction of its
// own. The replicated store uses it to ask which of them are gone
// before it submits a Prune.
func (s *Store) SentArticles(ctx context.Context, fn func(ids []string) error) error {
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var ids []string
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketSent).Cursor()
			k, _ := c.First()
			if after != nil {
				k, _ = c.Seek(after)
				if bytes.Equal(k, after) {
					k, _ = c.Next()
				}
			}
			for ; k != nil && len(ids) < pruneScan; k, _ = c.Next() {
				ids = append(ids, string(k))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("alerts: sent records: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := fn(ids); err != nil {
			return err
		}
		after = []byte(ids[len(ids)-1])
	}
}
