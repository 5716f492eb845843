package alerts

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Retention of the alert buckets (see docs/alerts.md, "Retention").
//
// Deliveries: a succeeded or failed delivery is deleted, with its queue
// entry, once it finished more than Config.DeliveryRetention ago;
// pending and retrying ones are never deleted, and a failed one that is
// redelivered starts again. An alert's deliveries go oldest first: one
// still kept holds back the newer ones of the same alert, so the chain an
// alert lists its deliveries by never has a hole.
//
// Sent records: a record says which alerts got an article, so that the
// article coming back under the same id with a new sequence (updated, or
// deleted and ingested again) is not sent to them twice. Every re-ingest
// gets a sequence above every watermark, so watermarks never make a
// record unneeded; what does is that the id cannot come back to an alert
// that got it. A record is therefore kept while its article is stored
// (an update can come at any time), minus the numbers of deleted alerts
// (never reused); it is deleted when no live alert is left in it, or when
// its article has been gone for DeliveryRetention (noted in
// bucketSentGone when the pruner first finds it gone): an id ingested
// again after that counts as a new article.

// DefaultDeliveryRetention is how long finished deliveries are kept.
const DefaultDeliveryRetention = 30 * 24 * time.Hour

// DefaultPruneEvery is how often the background pruner runs.
const DefaultPruneEvery = time.Hour

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

// PruneResult counts what one pass removed.
type PruneResult struct {
	Deliveries  int `json:"deliveries"`   // deliveries deleted
	SentRemoved int `json:"sent_removed"` // sent records deleted
	SentShrunk  int `json:"sent_shrunk"`  // sent records rewritten without deleted alerts
}

// Prune runs one retention pass over the deliveries and the sent records
// in small transactions. It stops with ctx's error when ctx is done; the
// next pass continues. With retention off (negative) it does nothing.
func (s *Service) Prune(ctx context.Context) (PruneResult, error) {
	var res PruneResult
	keep := s.cfg.DeliveryRetention
	if keep < 0 {
		return res, nil
	}
	now := s.cfg.Clock().UTC()
	var err error
	if res.Deliveries, err = s.pruneDeliveries(ctx, now.Add(-keep)); err != nil {
		return res, err
	}
	res.SentRemoved, res.SentShrunk, err = s.pruneSent(ctx, now, keep)
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
func (s *Service) pruneDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
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
				if d.Status != StatusSucceeded && d.Status != StatusFailed {
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
func (s *Service) pruneSent(ctx context.Context, now time.Time, grace time.Duration) (removed, shrunk int, err error) {
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
		stored, err := s.eng.Exist(ctx, ids)
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

// pruner runs Prune in the background every Config.PruneEvery.
type pruner struct {
	s      *Service
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (p *pruner) start() {
	if p.s.cfg.DeliveryRetention < 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		every := p.s.cfg.PruneEvery
		wait := min(every, time.Minute) // not in the way of the start
		for {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			wait = every
			start := time.Now()
			res, err := p.s.Prune(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				p.s.log.Error("alerts: retention", "err", err)
			case res != PruneResult{}:
				p.s.log.Info("alerts: retention pruned", "deliveries", res.Deliveries, "sent_records", res.SentRemoved,
					"sent_records_shrunk", res.SentShrunk, "took", time.Since(start).Round(time.Millisecond))
			}
		}
	}()
}

// stop cancels a pass in progress (between two transactions) and waits.
func (p *pruner) stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("alerts: stop the pruner: %w", ctx.Err())
	}
}
