package alerts

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/watchword/watchword/internal/news"
)

// The dispatcher: the third part of the sender. It leases due deliveries
// from the Outbox, hands them to a bounded pool of workers that build
// the payload and POST it through the webhook client, and records every
// attempt: each way out of an attempt either completes the delivery
// (Complete) or sets its next attempt (RetryAt). When the store itself
// fails, the delivery is held in memory with backoff instead, and the
// outcome it could not record is written again before anything else is
// tried, so a receiver that got the POST does not get it twice.

// Backoff of a delivery held in memory (see hold): the first wait, and
// the longest.
const (
	holdBase = time.Second
	holdMax  = 10 * time.Minute
)

// hold keeps a delivery out of the workers' hands until a time, when
// something on our side failed: its alert could not be read, or an
// outcome could not be written. The outbox's due time cannot be moved
// then, so the dispatcher keeps the delivery itself.
type hold struct {
	d     *Delivery
	until time.Time
	fails int // consecutive failures, for the backoff
	// unrecorded is an outcome the store has not taken yet: the next turn
	// writes it again instead of making another attempt, so a receiver
	// that got the POST does not get it again (after a restart it may,
	// with the same webhook-id).
	unrecorded *unrecorded
}

type unrecorded struct {
	d      *Delivery
	out    outcome
	status string
	r      Result // what the store records
}

// sender is the dispatcher and its pool of workers.
type sender struct {
	s      *Service
	client *webhookClient
	mailer *mailer // nil: no SMTP server
	// out is the outbox (the service's store); build makes a delivery's
	// payload with the fields its alert asks for, nil and no error when
	// every article was deleted. Both are fields so that tests can make
	// them fail; holdBase is the first in-memory backoff.
	out       Outbox
	build     func(ctx context.Context, d *Delivery, a *Alert) ([]byte, error)
	buildMail func(ctx context.Context, d *Delivery, a *Alert) (*gomail.Msg, error)
	holdBase  time.Duration
	leaseFor  time.Duration

	wakeCh chan struct{}
	work   chan *Delivery

	mu       sync.Mutex
	inflight map[string]bool
	held     map[string]*hold
	// recording holds the attempts whose outcome the recorder is writing
	// (toRecord, then its batch): a worker hands an outcome over and takes
	// the next delivery instead of waiting for the store's commit, and the
	// recorder writes every outcome handed over meanwhile in one write
	// (OutcomeBatcher). A delivery being recorded is not leased again.
	recording map[string]bool
	toRecord  []*unrecorded
	recWake   chan struct{}
	// recordMax bounds the outcomes waiting to be written: past it the
	// dispatcher hands out no new work until the recorder catches up.
	recordMax int
	workers   sync.WaitGroup // the workers alone: the recorder drains after them

	ctx    context.Context // the pool's lifetime: cancelled by stop, no new attempts start
	cancel context.CancelFunc
	// postCtx is the lifetime of the attempts in flight: stop cancels it
	// once its own ctx ends (or the pool has stopped), so a hanging
	// receiver cannot hold a shutdown.
	postCtx    context.Context
	postCancel context.CancelFunc
	wg         sync.WaitGroup
}

func newSender(s *Service) *sender {
	var m *mailer
	if s.cfg.SMTP != nil {
		m = &mailer{cfg: s.cfg.SMTP, timeout: s.cfg.Timeout}
	}
	return &sender{
		s:         s,
		client:    newWebhookClient(s.guard, s.cfg.Timeout, s.cfg.Version, s.cfg.Senders),
		mailer:    m,
		out:       s.store,
		build:     s.payload,
		buildMail: s.mailMessage,
		holdBase:  holdBase,
		// An attempt takes at most the timeout, plus building its
		// payload and writing its outcome: the lease outlasts it well
		// (LeaseFor). In a cluster it is also how long a delivery leased
		// by a node that died waits before another node sends it.
		leaseFor:  LeaseFor(s.cfg.Timeout),
		wakeCh:    make(chan struct{}, 1),
		work:      make(chan *Delivery),
		inflight:  map[string]bool{},
		held:      map[string]*hold{},
		recording: map[string]bool{},
		recWake:   make(chan struct{}, 1),
		recordMax: recordMax,
	}
}

// freshWait bounds the wait for this node's copy of the articles
// (Config.Fresh) before a lease's deliveries are built.
const freshWait = 5 * time.Second

// recordMax is how many outcomes may wait for the recorder before the
// dispatcher stops handing out work: a few rounds of the pool's attempts.
const recordMax = 256

// holdFor keeps a delivery back for the next step of its backoff and
// returns the wait. u, when set, is an outcome still to be written.
func (p *sender) holdFor(d *Delivery, u *unrecorded) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.held[d.ID]
	if h == nil {
		h = &hold{}
		p.held[d.ID] = h
	}
	h.d = d
	wait := p.holdBase << min(h.fails, 20)
	wait = jitter(min(wait, holdMax))
	h.fails++
	h.until = time.Now().Add(wait)
	if u != nil {
		h.unrecorded = u
	}
	return wait
}

// release forgets a delivery's hold once its state is in the store.
func (p *sender) release(id string) {
	p.mu.Lock()
	delete(p.held, id)
	p.mu.Unlock()
}

// attempting reports whether an attempt of the delivery is being made:
// handed to a worker, or made and waiting for its outcome to be written.
func (p *sender) attempting(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight[id] || p.recording[id] || (p.held[id] != nil && p.held[id].unrecorded != nil)
}

// pendingOutcome returns the outcome of an earlier attempt that is still
// to be written, if any.
func (p *sender) pendingOutcome(id string) *unrecorded {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := p.held[id]; h != nil {
		return h.unrecorded
	}
	return nil
}

func (p *sender) wake() {
	select {
	case p.wakeCh <- struct{}{}:
	default:
	}
}

func (p *sender) start() {
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.postCtx, p.postCancel = context.WithCancel(context.Background())
	for i := 0; i < p.s.cfg.Senders; i++ {
		p.workers.Add(1)
		go p.worker()
	}
	p.wg.Add(2)
	go p.dispatch()
	go p.recorder()
}

func (p *sender) stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	defer p.postCancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	// Out of time: cancel the POSTs in flight. Their attempts record
	// nothing, so their deliveries stay due in the outbox and are sent
	// after the next start.
	p.postCancel()
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-done:
		p.s.log.Warn("alerts: stop: attempts in flight were cancelled; their deliveries stay in the outbox")
		return nil
	case <-t.C:
		return fmt.Errorf("alerts: stop senders: %w", ctx.Err())
	}
}

// stopGrace bounds how long stop waits, after cancelling the attempts in
// flight, for the workers to return (a store write may be under way).
const stopGrace = time.Second

// dispatch hands due deliveries to the workers and sleeps until the next
// one is due or something new arrives.
func (p *sender) dispatch() {
	defer p.wg.Done()
	for {
		due, next := p.due(time.Now())
		for _, d := range due {
			select {
			case p.work <- d:
			case <-p.ctx.Done():
				return
			}
		}
		wait := time.Minute
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		if len(due) > 0 {
			wait = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-p.ctx.Done():
			t.Stop()
			return
		case <-p.wakeCh:
		case <-t.C:
		}
		t.Stop()
	}
}

// due returns up to the free workers' worth of deliveries to work on at
// now: first the held ones whose backoff is over, then fresh leases from
// the outbox; and when to look again.
func (p *sender) due(now time.Time) (ds []*Delivery, next time.Time) {
	p.mu.Lock()
	free := p.s.cfg.Senders - len(p.inflight)
	if len(p.recording) >= p.recordMax {
		free = 0 // the recorder's wake-up brings the next turn
	}
	for id, h := range p.held {
		switch {
		case p.inflight[id], p.recording[id]:
		case h.until.After(now):
			if next.IsZero() || h.until.Before(next) {
				next = h.until
			}
		case free > 0:
			ds = append(ds, h.d)
			p.inflight[id] = true
			free--
		}
	}
	p.mu.Unlock()
	if free <= 0 {
		return ds, next // a worker's wake-up brings the next turn
	}
	leased, after, err := p.out.Lease(p.ctx, now, free, p.leaseFor)
	if err != nil {
		if p.ctx.Err() == nil {
			p.s.log.Error("alerts: lease deliveries", "err", err)
		}
		return ds, now.Add(p.holdBase)
	}
	if !after.IsZero() && (next.IsZero() || after.Before(next)) {
		next = after
	}
	if len(leased) > 0 && p.s.cfg.Fresh != nil {
		ctx, cancel := context.WithTimeout(p.ctx, freshWait)
		err := p.s.cfg.Fresh(ctx)
		cancel()
		if err != nil {
			p.s.log.Warn("alerts: this node's copy of the articles is behind the cluster's; the leased deliveries wait", "deliveries", len(leased), "err", err)
			for _, d := range leased {
				p.mu.Lock()
				ours := p.inflight[d.ID] || p.recording[d.ID] || p.held[d.ID] != nil
				p.mu.Unlock()
				if !ours {
					if err := p.out.Release(context.WithoutCancel(p.ctx), d.ID); err != nil {
						p.s.log.Warn("alerts: release a delivery", "delivery", d.ID, "err", err)
					}
				}
			}
			return ds, now.Add(p.holdBase)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range leased {
		if p.inflight[d.ID] || p.recording[d.ID] || p.held[d.ID] != nil {
			continue // ours already: its hold or its worker has it
		}
		ds = append(ds, d)
		p.inflight[d.ID] = true
	}
	return ds, next
}

func (p *sender) worker() {
	defer p.workers.Done()
	for {
		select {
		case <-p.ctx.Done():
			return
		case d := <-p.work:
			p.attempt(d)
			p.mu.Lock()
			delete(p.inflight, d.ID)
			p.mu.Unlock()
			p.wake()
		}
	}
}

// attempt makes one delivery attempt and records its outcome. Its POST
// runs on postCtx with the timeout: an attempt in flight when Stop is
// called finishes and is recorded if it can within Stop's ctx; otherwise
// it is cancelled, records nothing (not even the attempt) and the
// delivery stays due in the outbox, to be sent after the next start.
// Every way out leaves the delivery completed or due later than now, in
// the store or, when the store is what failed, in memory (holdFor), so
// none can spin.
func (p *sender) attempt(d *Delivery) {
	s := p.s
	if u := p.pendingOutcome(d.ID); u != nil {
		// The attempt was made; only its outcome is missing from the store.
		p.toRecorder(u)
		return
	}
	a, err := s.store.Get(p.postCtx, d.AlertID)
	if news.ErrorCode(err) == news.ECodeNotFound {
		p.finish(d, outcome{err: errors.New("alert deleted")}, StatusFailed)
		return
	}
	if err != nil {
		wait := p.holdFor(d, nil)
		s.log.Error("alerts: load the alert of a delivery", "delivery", d.ID, "err", err, "retry_in", wait)
		return
	}
	send, final := p.prepare(d, a)
	if final != nil {
		if final.err != nil && final.retry {
			// Counted as an attempt, so a message that can never be
			// built or sent ends as failed (and can be redelivered)
			// like any other.
			d.Attempts++
			p.retryOrFail(d, *final)
			return
		}
		status := StatusSucceeded
		if final.err != nil && !final.empty {
			status = StatusFailed
		}
		p.finish(d, *final, status)
		return
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(p.postCtx, s.cfg.Timeout)
	out := send(ctx)
	cancel()
	if out.err != nil && p.postCtx.Err() != nil {
		s.log.Warn("alerts: delivery attempt cancelled by shutdown; it stays in the outbox", "delivery", d.ID, "alert", d.AlertID)
		if err := p.out.Release(context.WithoutCancel(p.postCtx), d.ID); err != nil {
			s.log.Error("alerts: release a delivery's lease", "delivery", d.ID, "err", err)
		}
		return
	}
	s.cfg.Metrics.attempted(time.Since(began))
	d.Attempts++
	switch {
	case out.err == nil:
		p.finish(d, out, StatusSucceeded)
	case out.disable:
		p.finish(d, out, StatusFailed)
	default:
		p.retryOrFail(d, out)
	}
}

// prepare builds the message of a delivery for its target and returns
// the attempt that sends it; or, when there is nothing to send, the
// outcome to record instead: retry set for a failure to try again (the
// message could not be built; no SMTP server is configured), empty for
// a delivery whose articles were all deleted, and otherwise a final
// failure (the target is no longer on the alert).
func (p *sender) prepare(d *Delivery, a *Alert) (send func(ctx context.Context) outcome, final *outcome) {
	s := p.s
	if d.Target == TargetEmail {
		if !slices.ContainsFunc(a.Email, func(e string) bool { return strings.EqualFold(e, d.Recipient) }) {
			return nil, &outcome{err: errors.New("the address is no longer on the alert")}
		}
		if p.mailer == nil {
			return nil, &outcome{retry: true, err: errors.New("this server has no SMTP server (--smtp-url) to send email with")}
		}
		msg, err := p.buildMail(p.postCtx, d, a)
		if err != nil {
			s.log.Error("alerts: build email", "delivery", d.ID, "err", err)
			return nil, &outcome{retry: true, err: errors.New("the email could not be built; see the server log")}
		}
		if msg == nil {
			return nil, &outcome{empty: true, err: errors.New("every article was deleted; nothing to send")}
		}
		return func(ctx context.Context) outcome { return p.mailer.send(ctx, msg) }, nil
	}
	if a.WebhookURL == "" {
		return nil, &outcome{err: errors.New("the alert no longer has a webhook_url")}
	}
	body, err := p.build(p.postCtx, d, a)
	if err != nil {
		s.log.Error("alerts: build delivery", "delivery", d.ID, "err", err)
		return nil, &outcome{retry: true, err: errors.New("the payload could not be built; see the server log")}
	}
	if body == nil {
		return nil, &outcome{empty: true, err: errors.New("every article was deleted; nothing to send")}
	}
	return func(ctx context.Context) outcome {
		return p.client.post(ctx, a.WebhookURL, s.signingSecrets(a), d.ID, body)
	}, nil
}

// retryOrFail schedules the next attempt of a failed one on the retry
// schedule, or fails the delivery when the outcome is final or the
// schedule is used up.
func (p *sender) retryOrFail(d *Delivery, out outcome) {
	schedule := p.s.cfg.RetrySchedule
	if !out.retry || d.Attempts >= len(schedule) {
		p.finish(d, out, StatusFailed)
		return
	}
	wait := jitter(schedule[d.Attempts])
	if out.retryAfter > 0 {
		wait = out.retryAfter
	}
	t := time.Now().Add(wait).UTC()
	d.NextAttemptAt = &t
	p.finish(d, out, StatusRetrying)
}

// jitter spreads a wait by up to ±10% so retries of many deliveries do
// not arrive together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	span := int64(d) / 5
	if span <= 0 {
		return d
	}
	return d - time.Duration(span/2) + time.Duration(rand.Int64N(span))
}

// finish hands an attempt's outcome to the recorder, which writes it
// (Complete for succeeded and failed, RetryAt for retrying) together
// with the others finished meanwhile; the worker goes on to its next
// delivery. Until it is written the delivery counts as being attempted
// (attempting) and is not leased again.
func (p *sender) finish(d *Delivery, out outcome, status string) {
	d.Status = status
	if out.status != 0 {
		d.LastStatusCode = out.status
	}
	d.LastError = ""
	if out.err != nil {
		d.LastError = out.err.Error()
	}
	u := &unrecorded{d: d, out: out, status: status,
		r: Result{Status: status, Attempts: d.Attempts, StatusCode: out.status, Err: d.LastError, At: p.s.cfg.Clock().UTC()}}
	p.toRecorder(u)
}

// toRecorder hands an outcome to the recorder.
func (p *sender) toRecorder(u *unrecorded) {
	p.mu.Lock()
	p.recording[u.d.ID] = true
	p.toRecord = append(p.toRecord, u)
	p.mu.Unlock()
	select {
	case p.recWake <- struct{}{}:
	default:
	}
}

// recorder writes the outcomes the workers hand over, all those waiting
// in one write, until the workers have stopped and the last are written.
func (p *sender) recorder() {
	defer p.wg.Done()
	workersDone := make(chan struct{})
	go func() { p.workers.Wait(); close(workersDone) }()
	for {
		select {
		case <-p.recWake:
			p.recordWaiting()
		case <-workersDone:
			p.recordWaiting() // every outcome is handed over by now
			return
		}
	}
}

// recordWaiting writes the outcomes waiting, in batches, until none is
// left.
func (p *sender) recordWaiting() {
	for {
		p.mu.Lock()
		batch := p.toRecord
		p.toRecord = nil
		p.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		// The store write runs to its end even during a shutdown: Stop
		// waits stopGrace for it.
		ctx := context.WithoutCancel(p.postCtx)
		errs := p.write(ctx, batch)
		for i, u := range batch {
			p.recorded(ctx, u, errs[i])
		}
		p.wake()
	}
}

// write records outcomes in the outbox: in one write where it is an
// OutcomeBatcher, otherwise each on its own, concurrently.
func (p *sender) write(ctx context.Context, batch []*unrecorded) []error {
	errs := make([]error, len(batch))
	if b, ok := p.out.(OutcomeBatcher); ok {
		recs := make([]AttemptRecord, len(batch))
		for i, u := range batch {
			recs[i] = AttemptRecord{ID: u.d.ID, Result: u.r}
			if u.status == StatusRetrying {
				recs[i].Next = u.d.NextAttemptAt
			}
		}
		err := b.RecordAttempts(ctx, recs)
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	var wg sync.WaitGroup
	for i, u := range batch {
		wg.Go(func() {
			if u.status == StatusRetrying {
				errs[i] = p.out.RetryAt(ctx, u.d.ID, *u.d.NextAttemptAt, u.r)
			} else {
				errs[i] = p.out.Complete(ctx, u.d.ID, u.r)
			}
		})
	}
	wg.Wait()
	return errs
}

// recorded ends an attempt whose outcome the store took (err nil) or
// could not take: then the outcome is held and written again later, and
// the delivery is not attempted again meanwhile. A 410 disables the
// alert.
func (p *sender) recorded(ctx context.Context, u *unrecorded, err error) {
	s, d, out, status := p.s, u.d, u.out, u.status
	defer func() {
		p.mu.Lock()
		delete(p.recording, d.ID)
		p.mu.Unlock()
	}()
	if err != nil {
		wait := p.holdFor(d, u)
		s.log.Error("alerts: record delivery", "delivery", d.ID, "status", status, "err", err, "retry_in", wait)
		return
	}
	p.release(d.ID)
	if out.disable {
		s.cfg.Metrics.delivered(outcomeDisabled)
	} else {
		s.cfg.Metrics.delivered(status)
	}
	lv := s.log.Info
	if status != StatusSucceeded {
		lv = s.log.Warn
	}
	lv("alerts: delivery "+status, "delivery", d.ID, "alert", d.AlertID, "attempts", d.Attempts,
		"status_code", d.LastStatusCode, "err", d.LastError)
	if out.disable {
		s.disable(ctx, d.AlertID)
	}
}

// disable turns an alert off after its receiver answered 410 Gone.
func (s *Service) disable(ctx context.Context, id string) {
	var was bool
	_, err := s.modify(ctx, id, func(a *Alert) error {
		was = a.Enabled
		if !was {
			return errUnchanged
		}
		a.Enabled = false
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged), news.ErrorCode(err) == news.ECodeNotFound:
	case err != nil:
		s.log.Error("alerts: disable an alert after 410 Gone", "alert", id, "err", err)
	default:
		s.unschedule(id)
		s.log.Warn("alerts: receiver answered 410 Gone; alert disabled", "alert", id)
	}
}

// errUnchanged ends a modify that has nothing to write.
var errUnchanged = errors.New("unchanged")

// LeaseFor is how long a sender holds a delivery it is attempting, for a
// webhook timeout: twice the timeout (an attempt, then building the
// payload and recording the outcome) plus 10 s for the clocks of a
// cluster's nodes to differ by.
func LeaseFor(timeout time.Duration) time.Duration { return 2*timeout + 10*time.Second }
