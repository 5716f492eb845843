package alerts

import (
	"context"
	"fmt"
	"sync"
	"time"
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
	return s.store.Prune(ctx, s.cfg.Clock().UTC(), keep, s.eng.Exist)
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
			if !p.s.leads() {
				continue // another node's pass covers the cluster
			}
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
