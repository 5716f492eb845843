package alerts

import (
	"context"
	"sync"
	"time"
)

// batchGather is how long the batcher waits after the first due alert for
// others due at the same moment, so they share one evaluation.
const batchGather = 20 * time.Millisecond

// batcher turns the cron firings of many alerts into batch evaluations:
// each firing marks its alert due and waits for the round that runs it.
type batcher struct {
	s *Service

	mu      sync.Mutex
	pending map[string]bool
	round   chan struct{} // closed when the round holding pending is done

	kick chan struct{}
	quit chan struct{}
	done chan struct{}
}

func newBatcher(s *Service) *batcher {
	return &batcher{s: s, pending: map[string]bool{}, round: make(chan struct{}),
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

// due marks an alert due and waits until its round has run (or the
// batcher stops). Being a cron job, it lets SkipIfStillRunning skip a
// firing while the previous one is still in progress.
func (b *batcher) due(id string) {
	b.mu.Lock()
	b.pending[id] = true
	ch := b.round
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
	select {
	case <-ch:
	case <-b.done:
	}
}

func (b *batcher) start() { go b.loop() }

func (b *batcher) stop() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
}

func (b *batcher) loop() {
	defer close(b.done)
	for {
		select {
		case <-b.quit:
			return
		case <-b.kick:
		}
		select {
		case <-b.quit:
			return
		case <-time.After(batchGather):
		}
		b.mu.Lock()
		ids, ch := b.pending, b.round
		b.pending, b.round = map[string]bool{}, make(chan struct{})
		b.mu.Unlock()
		b.run(ids)
		close(ch)
	}
}

func (b *batcher) run(ids map[string]bool) {
	if b.s.cfg.Hold.Skip() {
		b.s.log.Debug("alerts: evaluation held after restore; skipped", "alerts", len(ids), "skipped", b.s.cfg.Hold.Skipped())
		return
	}
	if !b.s.leads() {
		b.s.log.Debug("alerts: another node runs the scheduled evaluations; skipped", "alerts", len(ids))
		return
	}
	all, err := b.s.List(context.Background()) // a cron firing: no caller to cancel it
	if err != nil {
		b.s.log.Error("alerts: scheduled run: list alerts", "err", err)
		return
	}
	due := make([]*Alert, 0, len(ids))
	for _, a := range all {
		if ids[a.ID] && a.Enabled {
			due = append(due, a)
		}
	}
	if len(due) == 0 {
		return
	}
	res, err := b.s.RunAlerts(context.Background(), due) // a scheduled round runs to its end; Stop waits for it
	if err != nil {
		b.s.log.Error("alerts: scheduled run failed", "alerts", len(due), "err", err)
		return
	}
	if res.Matches > 0 {
		b.s.log.Info("alerts: run", "alerts", res.Alerts, "articles", res.Articles,
			"matches", res.Matches, "deliveries", res.Deliveries, "took_ms", res.TookMS)
	}
}
