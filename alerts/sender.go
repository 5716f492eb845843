package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/news"
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
func saveDelivery(tx *bolt.Tx, d, prev *Delivery) error {
	q := tx.Bucket(bucketQueue)
	if prev != nil && prev.NextAttemptAt != nil {
		if err := q.Delete(queueKey(*prev.NextAttemptAt, prev.ID)); err != nil {
			return err
		}
	}
	if (d.Status == StatusPending || d.Status == StatusRetrying) && d.NextAttemptAt != nil {
		if err := q.Put(queueKey(*d.NextAttemptAt, d.ID), nil); err != nil {
			return err
		}
	} else {
		d.NextAttemptAt = nil
	}
	return putDelivery(tx, d)
}

// Match is one article in a webhook payload (and in a preview).
type Match struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Date      time.Time `json:"date"`
	Source    string    `json:"source"`
	URL       string    `json:"url"`
	Snippet   string    `json:"snippet"`
	Speakers  []string  `json:"speakers"`
	Countries []string  `json:"countries"`
	Topics    []string  `json:"topics"`
}

const snippetWidth = 240

// matches builds the payload entries from the store; deleted articles are
// left out. Without snippets none is built (Snippet stays empty).
func (s *Service) matches(q string, ids []string, snippets bool) ([]Match, error) {
	out := []Match{}
	if len(ids) == 0 {
		return out, nil
	}
	arts, err := s.eng.Store().Articles(ids)
	if err != nil {
		return nil, err
	}
	var hl *index.Highlighter
	if snippets {
		node, err := query.ParseWith(q, query.Options{Now: time.Now()})
		if err != nil {
			node = nil
		}
		hl = s.eng.Index().Highlighter(node, "body")
	}
	for _, a := range arts {
		if a == nil {
			continue
		}
		m := Match{
			ID: a.ID, Title: a.Title, Date: a.Date, Source: a.Source, URL: a.URL,
			Speakers: a.Speakers, Countries: a.Countries, Topics: a.Topics,
		}
		if hl != nil {
			m.Snippet = hl.Lang(a.Language).Snippet(a.Body, snippetWidth)
		}
		out = append(out, m)
	}
	// Oldest first; the runner finds matches in no particular order.
	slices.SortStableFunc(out, func(x, y Match) int {
		if c := x.Date.Compare(y.Date); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out, nil
}

// PayloadVersion is the version of the webhook wire format. Adding a
// field keeps it; removing or changing one makes a new version.
const PayloadVersion = 1

// Payload is the versioned wire format of every webhook.
type Payload struct {
	Type      string    `json:"type"`
	Version   int       `json:"version"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// MatchedData is the data of an alert.matched event.
type MatchedData struct {
	Alert    AlertRef         `json:"alert"`
	Matches  []DeliveredMatch `json:"matches"`
	TotalNew int              `json:"total_new"`
}

// encodePayload writes a payload as compact JSON without HTML escaping:
// the snippets' <mark> tags stay as they are instead of \u003cmark\u003e,
// 16 bytes less per highlighted word. A webhook body is not embedded in
// HTML, so nothing needs the escapes.
func encodePayload(p Payload) ([]byte, error) {
	p.Version = PayloadVersion
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// TestData is the data of an alert.test event.
type TestData struct {
	Alert AlertRef `json:"alert"`
}

// signatures returns the webhook-signature value for a message signed
// with each secret, space-separated, as Standard Webhooks allows during a
// rotation: a receiver that knows any of the secrets verifies it.
func signatures(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		sig, err := Sign(secret, id, ts, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Sign returns the webhook-signature value for a message: v1, and the
// base64 HMAC-SHA256 of id.timestamp.body keyed with the secret's bytes.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", fmt.Errorf("alerts: secret is not base64: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// outcome is the result of one attempt.
type outcome struct {
	status     int
	retry      bool          // try again later
	retryAfter time.Duration // from Retry-After on 429/503; 0 when absent
	disable    bool          // 410 Gone: the receiver asks us to stop
	err        error
}

// statusPolicy is the one table of how receiver statuses are treated. A
// 2xx is success; a status not listed is retried on the schedule.
var statusPolicy = map[int]struct{ retry, honourRetryAfter, disable bool }{
	http.StatusGone:               {retry: false, disable: true},
	http.StatusTooManyRequests:    {retry: true, honourRetryAfter: true},
	http.StatusServiceUnavailable: {retry: true, honourRetryAfter: true},
}

// Backoff of a delivery held in memory (see hold): the first wait, and
// the longest.
const (
	holdBase = time.Second
	holdMax  = 10 * time.Minute
)

// hold keeps a delivery out of the sender's hands until a time, when
// something on our side failed: its record could not be read, or an
// outcome could not be written. The store's due time cannot be moved
// then, so without it the delivery would be due again at once.
type hold struct {
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
}

// sender is the bounded pool that works the outbox.
type sender struct {
	s      *Service
	client *http.Client

	wakeCh chan struct{}
	work   chan string

	// build makes a delivery's payload with the fields its alert asks
	// for; nil and no error when every article was deleted. commit
	// writes an attempt's outcome. Both are fields so that tests can make
	// them fail; holdBase is the first in-memory backoff.
	build    func(d *Delivery, a *Alert) ([]byte, error)
	commit   func(fn func(*bolt.Tx) error) error
	holdBase time.Duration

	mu       sync.Mutex
	inflight map[string]bool
	held     map[string]*hold

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
	p := &sender{
		s: s,
		client: netguard.NewClient(s.guard, netguard.ClientOptions{
			Timeout: s.cfg.Timeout, MaxIdleConns: 64, MaxIdleConnsPerHost: 4,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}),
		wakeCh:   make(chan struct{}, 1),
		work:     make(chan string),
		inflight: map[string]bool{},
		held:     map[string]*hold{},
		commit:   s.db.Batch,
		holdBase: holdBase,
	}
	p.build = p.payload
	return p
}

// payload builds a delivery's body from the store, with the match fields
// the alert asks for now (so that a receiver that asked for less gets
// less on retries and redeliveries too); nil when every article was
// deleted.
func (p *sender) payload(d *Delivery, a *Alert) ([]byte, error) {
	fs := a.matchFields()
	matches, err := p.s.matches(d.Alert.Query, d.ArticleIDs, fs.has(fieldSnippet))
	if err != nil {
		return nil, fmt.Errorf("read the matches: %w", err)
	}
	if len(matches) == 0 {
		return nil, nil
	}
	out := make([]DeliveredMatch, len(matches))
	for i := range matches {
		out[i] = project(&matches[i], fs)
	}
	body, err := encodePayload(Payload{Type: EventMatched, Timestamp: d.CreatedAt,
		Data: MatchedData{Alert: d.Alert, Matches: out, TotalNew: d.TotalNew}})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return body, nil
}

// holdFor keeps a delivery back for the next step of its backoff and
// returns the wait. u, when set, is an outcome still to be written.
func (p *sender) holdFor(id string, u *unrecorded) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.held[id]
	if h == nil {
		h = &hold{}
		p.held[id] = h
	}
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
	return p.inflight[id] || (p.held[id] != nil && p.held[id].unrecorded != nil)
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
		p.wg.Add(1)
		go p.worker()
	}
	p.wg.Add(1)
	go p.dispatch()
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
		for _, id := range due {
			select {
			case p.work <- id:
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

// due returns up to a pool's worth of queued deliveries due at now that
// are neither in flight nor held, and the time the first one not taken
// is due.
func (p *sender) due(now time.Time) (ids []string, next time.Time) {
	limit := p.s.cfg.Senders
	p.mu.Lock()
	defer p.mu.Unlock()
	var nextHeld time.Time
	defer func() {
		if !nextHeld.IsZero() && (next.IsZero() || nextHeld.Before(next)) {
			next = nextHeld
		}
	}()
	err := p.s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			at := time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
			id := string(k[8:])
			if p.inflight[id] {
				continue
			}
			if h := p.held[id]; h != nil && h.until.After(now) {
				if nextHeld.IsZero() || h.until.Before(nextHeld) {
					nextHeld = h.until
				}
				continue
			}
			if at.After(now) || len(ids) >= limit {
				next = at
				return nil
			}
			ids = append(ids, id)
			p.inflight[id] = true
		}
		return nil
	})
	if err != nil {
		p.s.log.Error("alerts: read outbox queue", "err", err)
	}
	return ids, next
}

func (p *sender) worker() {
	defer p.wg.Done()
	for {
		select {
		case <-p.ctx.Done():
			return
		case id := <-p.work:
			p.attempt(id)
			p.mu.Lock()
			delete(p.inflight, id)
			p.mu.Unlock()
			p.wake()
		}
	}
}

// attempt makes one delivery attempt and records its outcome. Its POST
// runs on postCtx with the timeout: an attempt in flight when Stop is
// called finishes and is recorded if it can within Stop's ctx; otherwise
// it is cancelled, records nothing (not even the attempt) and the
// delivery stays due in the outbox, to be sent after the next start. Every way
// out leaves the delivery due later than now, in the store or, when the
// store is what failed, in memory (holdFor), so none can spin.
func (p *sender) attempt(id string) {
	s := p.s
	if u := p.pendingOutcome(id); u != nil {
		// The attempt was made; only its outcome is missing from the store.
		p.finish(u.d, u.out, u.status)
		return
	}
	var d *Delivery
	var a *Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if d, err = getDelivery(tx, id); err != nil {
			return err
		}
		a, err = getAlert(tx, d.AlertID)
		if news.ErrorCode(err) == news.ECodeNotFound {
			a, err = nil, nil
		}
		return err
	})
	if err != nil {
		if news.ErrorCode(err) == news.ECodeNotFound {
			p.dropStale(id)
			return
		}
		wait := p.holdFor(id, nil)
		s.log.Error("alerts: load delivery", "delivery", id, "err", err, "retry_in", wait)
		return
	}
	if d.Status != StatusPending && d.Status != StatusRetrying {
		p.dropStale(id) // a queue entry left behind: nothing to do
		return
	}
	if a == nil {
		p.finish(d, outcome{err: errors.New("alert deleted")}, StatusFailed)
		return
	}
	body, err := p.build(d, a)
	if err != nil {
		// Counted as an attempt, so a payload that can never be built
		// ends as failed (and can be redelivered) like any other.
		s.log.Error("alerts: build delivery", "delivery", id, "err", err)
		d.Attempts++
		p.retryOrFail(d, outcome{retry: true, err: errors.New("the payload could not be built; see the server log")})
		return
	}
	if body == nil {
		p.finish(d, outcome{err: errors.New("every article was deleted; nothing to send")}, StatusSucceeded)
		return
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(p.postCtx, s.cfg.Timeout)
	out := p.post(ctx, a.WebhookURL, s.signingSecrets(a), d.ID, body)
	cancel()
	if out.err != nil && p.postCtx.Err() != nil {
		s.log.Warn("alerts: delivery attempt cancelled by shutdown; it stays in the outbox", "delivery", d.ID, "alert", d.AlertID)
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

// finish records an attempt's outcome. A 410 disables the alert.
func (p *sender) finish(d *Delivery, out outcome, status string) {
	s := p.s
	d.Status = status
	if out.status != 0 {
		d.LastStatusCode = out.status
	}
	d.LastError = ""
	if out.err != nil {
		d.LastError = out.err.Error()
	}
	d.done = time.Time{}
	if status == StatusSucceeded || status == StatusFailed {
		d.done = s.cfg.Clock().UTC() // the delivery retention counts from here
	}
	var disabled bool
	// Batch lets the outcomes of concurrent attempts share one commit:
	// one fsync'd transaction per attempt capped the pool at about 280
	// deliveries a second on the benchmark machine's disk. The function
	// may run more than once (bbolt retries a failed batch one by one);
	// it only reads and writes the state it is given.
	err := p.commit(func(tx *bolt.Tx) error {
		prev, err := getDelivery(tx, d.ID)
		if err != nil {
			if news.ErrorCode(err) == news.ECodeNotFound {
				return nil // the alert was deleted meanwhile
			}
			return err
		}
		if err := saveDelivery(tx, d, prev); err != nil {
			return err
		}
		a, err := getAlert(tx, d.AlertID)
		if err != nil {
			if news.ErrorCode(err) == news.ECodeNotFound {
				return nil
			}
			return err
		}
		a.LastDeliveryStatus = status
		if out.disable && a.Enabled {
			a.Enabled = false
			disabled = true
			return putAlert(tx, a)
		}
		return putState(tx, a.Num, a.state())
	})
	if err != nil {
		// Keep the outcome and write it again later; the delivery is not
		// attempted again meanwhile.
		wait := p.holdFor(d.ID, &unrecorded{d: d, out: out, status: status})
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
	if disabled {
		s.unschedule(d.AlertID)
		s.log.Warn("alerts: receiver answered 410 Gone; alert disabled", "alert", d.AlertID)
	}
}

// dropStale removes the queue entries of a delivery that is gone or no
// longer pending, checked again in the same transaction.
func (p *sender) dropStale(id string) {
	err := p.s.db.Update(func(tx *bolt.Tx) error {
		d, err := getDelivery(tx, id)
		switch {
		case news.ErrorCode(err) == news.ECodeNotFound:
		case err != nil:
			return err
		case d.Status == StatusPending || d.Status == StatusRetrying:
			return nil // queued again meanwhile
		}
		q := tx.Bucket(bucketQueue)
		var stale [][]byte
		c := q.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if string(k[8:]) == id {
				stale = append(stale, bytes.Clone(k))
			}
		}
		for _, k := range stale {
			if err := q.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		wait := p.holdFor(id, nil)
		p.s.log.Error("alerts: drop a finished delivery from the queue", "delivery", id, "err", err, "retry_in", wait)
		return
	}
	p.release(id)
}

// post makes one POST signed with each of secrets and classifies the
// answer. Errors never carry the URL's query string or a secret.
func (p *sender) post(ctx context.Context, target string, secrets []string, id string, body []byte) outcome {
	now := time.Now()
	sig, err := signatures(secrets, id, now, body)
	if err != nil {
		return outcome{err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return outcome{err: errors.New("bad webhook url")}
	}
	req.Header.Set("content-type", "application/json")
	req.Header.Set("user-agent", "Watchword/"+p.s.cfg.Version)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, query string included
		}
		if errors.Is(err, netguard.ErrRefused) {
			return outcome{retry: false, err: err}
		}
		return outcome{retry: true, err: fmt.Errorf("post %s: %v", netguard.RedactURL(target), err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return outcome{status: resp.StatusCode}
	}
	out := outcome{status: resp.StatusCode, retry: true, err: fmt.Errorf("receiver answered %d", resp.StatusCode)}
	if pol, ok := statusPolicy[resp.StatusCode]; ok {
		out.retry, out.disable = pol.retry, pol.disable
		if pol.honourRetryAfter {
			out.retryAfter = netguard.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
		}
	}
	return out
}

// TestResult is the answer of a test event.
type TestResult struct {
	WebhookID  string `json:"webhook_id"`
	StatusCode int    `json:"status_code"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
}

// SendTest sends a signed alert.test event now, outside the outbox, and
// reports the receiver's answer.
func (s *Service) SendTest(ctx context.Context, id string) (*TestResult, error) {
	if err := s.cfg.Hold.Refuse("webhook sending"); err != nil {
		return nil, err
	}
	a, err := s.load(id)
	if err != nil {
		return nil, err
	}
	body, err := encodePayload(Payload{Type: EventTest, Timestamp: time.Now().UTC(),
		Data: TestData{Alert: AlertRef{ID: a.ID, Name: a.Name, Query: a.Query}}})
	if err != nil {
		return nil, err
	}
	msgID := newID("msg_test_")
	out := s.sender.post(ctx, a.WebhookURL, s.signingSecrets(a), msgID, body)
	r := &TestResult{WebhookID: msgID, StatusCode: out.status, OK: out.err == nil}
	if out.err != nil {
		r.Error = out.err.Error()
	}
	return r, nil
}
