package alerts

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/watchword/watchword/internal/schedule"
)

// Defaults of the realtime evaluation (schedule "@realtime").
const (
	// DefaultRealtimeEvery is the rate cap of realtime alerts: at most
	// one evaluation round of them per this interval, so at most one
	// round per alert, however many ingests signal meanwhile.
	DefaultRealtimeEvery = time.Second
	// MinRealtimeEvery is the shortest cap a server may set.
	MinRealtimeEvery = 100 * time.Millisecond
	// DefaultRealtimeSweep is how often the realtime alerts are evaluated
	// without a signal: the safety net for a signal that never came
	// (the service was down or held when the articles were ingested, a
	// round failed or met a concurrent edit).
	DefaultRealtimeSweep = time.Minute
)

// realtime evaluates the alerts whose schedule is @realtime when the
// engine signals an ingest. The signals only say "look now": what a
// round evaluates is each alert's (watermark, indexed sequence], through
// the same RunAlerts, CommitRun and outbox as a scheduled round, so a
// signal that is dropped, coalesced or lost in a crash costs time, never
// a match, and no match is sent twice. Rounds run at most once per
// Config.RealtimeEvery (signals meanwhile coalesce into the next round),
// at start, and every Config.RealtimeSweep.
type realtime struct {
	s *Service

	kick   chan struct{} // a round is wanted; capacity 1, so signals coalesce
	quit   chan struct{}
	done   chan struct{}
	cancel func() // the engine subscription
	// subscribe is the engine's OnIndexed; tests replace it to lose
	// every signal.
	subscribe func(fn func(seq uint64)) (cancel func())
	idle      atomic.Bool // the loop waits for a signal or the sweep (tests)
}

func newRealtime(s *Service) *realtime {
	return &realtime{s: s, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		subscribe: s.eng.OnIndexed}
}

// signal asks for a round; it never blocks.
func (r *realtime) signal() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// start subscribes to the engine's ingest signal and starts the loop,
// with a round at once: the articles ingested while the service was down
// (or whose signal a crash lost) are found by the watermarks.
func (r *realtime) start() {
	r.cancel = r.subscribe(func(uint64) { r.signal() })
	r.signal()
	go r.loop()
}

// stop unsubscribes and waits for a round in progress (it runs to its
// end, as a scheduled round does).
func (r *realtime) stop() {
	if r.cancel == nil {
		return // never started
	}
	r.cancel()
	select {
	case <-r.quit:
	default:
		close(r.quit)
	}
	<-r.done
}

func (r *realtime) loop() {
	defer close(r.done)
	every, sweep := r.s.cfg.RealtimeEvery, r.s.cfg.RealtimeSweep
	tick := time.NewTicker(sweep)
	defer tick.Stop()
	var last time.Time
	for {
		r.idle.Store(true)
		select {
		case <-r.quit:
			return
		case <-r.kick:
		case <-tick.C:
		}
		r.idle.Store(false)
		if wait := every - time.Since(last); !last.IsZero() && wait > 0 {
			// The rate cap: the signals of the wait join this round.
			select {
			case <-r.quit:
				return
			case <-time.After(wait):
			}
		}
		// Signals up to here are covered by this round, which reads the
		// indexed sequence after this point; later ones ask for the next.
		select {
		case <-r.kick:
		default:
		}
		last = time.Now()
		r.round()
	}
}

// round evaluates the enabled realtime alerts that are behind the indexed
// sequence.
func (r *realtime) round() {
	s := r.s
	if s.cfg.Hold.Skip() {
		s.log.Debug("alerts: realtime evaluation held after restore; skipped", "skipped", s.cfg.Hold.Skipped())
		return
	}
	if !s.leads() {
		return // another node of the cluster evaluates; it is told of every node's ingests by its index
	}
	all, err := s.List(context.Background()) // no caller to cancel it
	if err != nil {
		s.log.Error("alerts: realtime run: list alerts", "err", err)
		return
	}
	upTo := s.eng.IndexedSeq()
	due := make([]*Alert, 0, len(all))
	for _, a := range all {
		if a.Enabled && schedule.IsRealtime(a.Schedule) && a.Watermark < upTo {
			due = append(due, a)
		}
	}
	if len(due) == 0 {
		return
	}
	res, err := s.RunAlerts(context.Background(), due) // runs to its end; stop waits for it
	if err != nil {
		s.log.Error("alerts: realtime run failed", "alerts", len(due), "err", err)
		return
	}
	if res.Matches > 0 {
		s.log.Info("alerts: run", "realtime", true, "alerts", res.Alerts, "articles", res.Articles,
			"matches", res.Matches, "deliveries", res.Deliveries, "took_ms", res.TookMS)
	}
}
