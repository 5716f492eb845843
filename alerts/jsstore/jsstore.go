// Package jsstore is alerts.Store for the cluster mode: a replicated
// state machine (internal/cluster/rsm) on a JetStream stream, folded on
// every node into the node's own bbolt file by alerts/boltstore.
//
// Every write (Create, Update, Delete, CommitRun, Lease, Release,
// Complete, RetryAt, Modify, Prune) is a command in the stream; every
// node applies the commands in the stream's order through boltstore, so
// every node computes the same state and the same outcome, the
// compare-and-set checks included: a stale writer's command commits
// nothing anywhere. The writer returns once its own node has applied its
// command, with the outcome its fold computed. Reads come from the local
// file: a node reads its own writes; another node reads them after
// WaitApplied(ctx, seq) with the writer's Applied().
//
// Everything time- or random-dependent travels in the command (now, the
// delivery's new state, the articles found gone), so an apply is
// deterministic; delivery ids are derived from the command (see
// boltstore's deliveryID), so they are the same on every node.
package jsstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/cluster/rsm"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

// Options configure the replicated store.
type Options struct {
	// Replicas of the command stream: 3 in a 3-node cluster. Zero: 1.
	Replicas int
	// MaxAge of a command in the stream. Zero: DefaultMaxAge.
	MaxAge time.Duration
	// Stream names the command stream. Zero: "WW_ALERTS".
	Stream string
	// LeaseGrace: for this long after New, this node leases nothing.
	// Leases live in memory: a node that (re)starts does not know the
	// leases the other nodes' senders hold, and could hand one of those
	// deliveries to its own sender. Set it to the senders' lease
	// (alerts: twice the webhook timeout plus a minute) and every lease
	// taken before the start has expired when this node first leases;
	// the other nodes send meanwhile. Zero: none (a duplicate POST, with
	// the same webhook-id, is then possible after a restart).
	LeaseGrace time.Duration
}

// DefaultStream is the command stream's name unless Options.Stream.
const DefaultStream = "WW_ALERTS"

// DefaultMaxAge keeps a week of commands: a node down longer than that
// is restored from a peer's backup (Start refuses it with rsm.ErrGap).
const DefaultMaxAge = 7 * 24 * time.Hour

// modifyTries bounds Modify's read, change and compare-and-set rounds.
const modifyTries = 8

// Store is alerts.Store replicated through JetStream.
type Store struct {
	local *boltstore.Store
	m     *rsm.Machine
	log   *slog.Logger
	onDue atomic.Pointer[func()]

	started    time.Time // wall clock, for LeaseGrace
	leaseGrace time.Duration
}

// OnDue sets fn to be called after the fold applied a command that may
// have made a delivery due (a run's commit, a retry, a modify, a
// release), on every node, whoever wrote it: wire it to the node's
// alerts.Service.WakeSenders, so that every node's senders, not only
// the writer's, take part at once. fn must not block.
func (s *Store) OnDue(fn func()) { s.onDue.Store(&fn) }

var _ alerts.Store = (*Store)(nil)

// New opens the alert state of this node: st is the node's store file
// (the bbolt replica), js its JetStream. It returns once the stream
// exists and the fold has started; commands the stream holds beyond the
// file's applied sequence are applied in the background (WaitApplied).
// Close stops the fold; st stays the caller's.
func New(ctx context.Context, js jetstream.JetStream, st *store.Store, log *slog.Logger, opts Options) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if opts.Stream == "" {
		opts.Stream = DefaultStream
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = DefaultMaxAge
	}
	local, err := boltstore.New(ctx, st, log)
	if err != nil {
		return nil, err
	}
	s := &Store{local: local, log: log, started: time.Now(), leaseGrace: opts.LeaseGrace}
	s.m, err = rsm.Start(ctx, js, st, rsm.Config{Name: opts.Stream, Replicas: opts.Replicas, MaxAge: opts.MaxAge, Log: log}, s.apply)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return s, nil
}

// Close stops the fold.
func (s *Store) Close() error { return s.m.Close() }

// Applied is the last command sequence this node has applied.
func (s *Store) Applied() uint64 { return s.m.Applied() }

// WaitApplied waits until this node has applied seq.
func (s *Store) WaitApplied(ctx context.Context, seq uint64) error { return s.m.WaitApplied(ctx, seq) }

// LastSeq is the command stream's last sequence.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) { return s.m.LastSeq(ctx) }

// Local is the node's bbolt replica (for reads and tests).
func (s *Store) Local() *boltstore.Store { return s.local }

// The commands.
const (
	cmdCreate   = "create"
	cmdUpdate   = "update"
	cmdDelete   = "delete"
	cmdCommit   = "commit"
	cmdLease    = "lease"
	cmdRelease  = "release"
	cmdComplete = "complete"
	cmdRetry    = "retry"
	cmdModify   = "modify"
	cmdPrune    = "prune"
)

type createCmd struct {
	Alerts []*alerts.Alert `json:"alerts"`
}

type updateCmd struct {
	Alert  *alerts.Alert `json:"alert"`
	Expect uint64        `json:"expect"`
}

type deleteCmd struct {
	ID     string `json:"id"`
	Expect uint64 `json:"expect"`
}

type commitCmd struct {
	Now   time.Time     `json:"now"`
	UpTo  uint64        `json:"up_to"`
	Batch []commitEntry `json:"batch"`
}

type commitEntry struct {
	Alert   *alerts.Alert `json:"alert"`
	Matches []string      `json:"matches"`
}

type leaseCmd struct {
	Now      time.Time     `json:"now"`
	Max      int           `json:"max"`
	LeaseFor time.Duration `json:"lease_for"`
}

type recordCmd struct {
	ID     string        `json:"id"`
	When   *time.Time    `json:"when,omitempty"` // RetryAt's; nil: Complete
	Result alerts.Result `json:"result"`
}

type modifyCmd struct {
	ID string `json:"id"`
	// Expect is the delivery as the writer read it (deliveryJSON); the
	// change applies only if the stored one is still that.
	Expect json.RawMessage `json:"expect"`
	New    json.RawMessage `json:"new"`
}

type pruneCmd struct {
	Now  time.Time     `json:"now"`
	Keep time.Duration `json:"keep"`
	// Gone are the sent records' article ids the writer found no longer
	// stored; every other one counts as stored.
	Gone []string `json:"gone"`
}

// storedDelivery is a delivery with the fields the API leaves out.
type storedDelivery struct {
	*alerts.Delivery
	Prev string    `json:"prev,omitempty"`
	Done time.Time `json:"done,omitzero"`
}

func deliveryJSON(d *alerts.Delivery) ([]byte, error) {
	return json.Marshal(storedDelivery{Delivery: d, Prev: d.Prev, Done: d.Done})
}

func decodeDelivery(b []byte) (*alerts.Delivery, error) {
	d := new(alerts.Delivery)
	sd := storedDelivery{Delivery: d}
	if err := json.Unmarshal(b, &sd); err != nil {
		return nil, err
	}
	d.Prev, d.Done = sd.Prev, sd.Done
	return d, nil
}

// errModifyConflict is Modify's compare-and-set failing at apply time.
var errModifyConflict = errors.New("alerts: delivery changed meanwhile")

// isOutcome tells an answer of the store's contract (a conflict, a
// not-found) from a failure of the local store, which the fold retries.
func isOutcome(err error) bool {
	return err == nil || errors.Is(err, alerts.ErrConflict) || errors.Is(err, errModifyConflict) || news.ErrorCode(err) != ""
}

// apply folds one command into the local store.
func (s *Store) apply(ctx context.Context, seq uint64, kind string, data []byte) (any, error) {
	var val any
	var err error
	switch kind {
	case cmdCreate:
		var c createCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		err = s.local.Create(ctx, c.Alerts...)
		nums := make([]uint64, len(c.Alerts))
		for i, a := range c.Alerts {
			nums[i] = a.Num
		}
		val = nums
	case cmdUpdate:
		var c updateCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		err = s.local.Update(ctx, c.Alert, c.Expect)
		val = c.Alert.Version
	case cmdDelete:
		var c deleteCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		err = s.local.Delete(ctx, c.ID, c.Expect)
	case cmdCommit:
		var c commitCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		batch := make([]alerts.RunCommit, len(c.Batch))
		for i, e := range c.Batch {
			batch[i] = alerts.RunCommit{Alert: e.Alert, Matches: e.Matches}
		}
		val, err = s.local.CommitRun(ctx, c.Now, c.UpTo, batch)
	case cmdLease:
		var c leaseCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		ds, next, lerr := s.local.Lease(ctx, c.Now, c.Max, c.LeaseFor)
		val, err = leaseResult{ds, next}, lerr
	case cmdRelease:
		var c recordCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		err = s.local.Release(ctx, c.ID)
	case cmdComplete, cmdRetry:
		var c recordCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		if c.When == nil {
			err = s.local.Complete(ctx, c.ID, c.Result)
		} else {
			err = s.local.RetryAt(ctx, c.ID, *c.When, c.Result)
		}
	case cmdModify:
		var c modifyCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		val, err = s.local.Modify(ctx, c.ID, func(d *alerts.Delivery) error {
			cur, err := deliveryJSON(d)
			if err != nil {
				return err
			}
			if !bytes.Equal(cur, c.Expect) {
				return errModifyConflict
			}
			nd, err := decodeDelivery(c.New)
			if err != nil {
				return err
			}
			nd.ID = d.ID
			*d = *nd
			return nil
		})
	case cmdPrune:
		var c pruneCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		gone := make(map[string]bool, len(c.Gone))
		for _, id := range c.Gone {
			gone[id] = true
		}
		val, err = s.local.Prune(ctx, c.Now, c.Keep, func(_ context.Context, ids []string) ([]bool, error) {
			out := make([]bool, len(ids))
			for i, id := range ids {
				out[i] = !gone[id]
			}
			return out, nil
		})
	case cmdImportAlert, cmdImportSent:
		o, err := s.applyImport(ctx, kind, data)
		if err != nil {
			return nil, err // a failure of the local store: the fold retries
		}
		if fn := s.onDue.Load(); fn != nil && kind == cmdImportAlert {
			(*fn)() // imported deliveries may be due
		}
		return o, nil
	default:
		s.log.Error("alerts: an unknown command in the stream is skipped", "seq", seq, "kind", kind)
		return rsm.Outcome{Err: fmt.Errorf("alerts: unknown command %q", kind)}, nil
	}
	if !isOutcome(err) {
		return nil, err
	}
	switch kind {
	case cmdCommit, cmdRetry, cmdModify, cmdRelease:
		if fn := s.onDue.Load(); fn != nil && err == nil {
			(*fn)()
		}
	}
	return rsm.Outcome{Value: val, Err: err}, nil
}

type leaseResult struct {
	ds   []*alerts.Delivery
	next time.Time
}

// submit publishes a command and returns its outcome.
func (s *Store) submit(ctx context.Context, kind string, cmd any) (any, error) {
	return s.m.Call(ctx, kind, cmd)
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return nil
}

// Get implements alerts.Definitions from the local replica.
func (s *Store) Get(ctx context.Context, id string) (*alerts.Alert, error) {
	return s.local.Get(ctx, id)
}

// List implements alerts.Definitions from the local replica.
func (s *Store) List(ctx context.Context) ([]*alerts.Alert, error) { return s.local.List(ctx) }

// Create implements alerts.Definitions.
func (s *Store) Create(ctx context.Context, as ...*alerts.Alert) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	val, err := s.submit(ctx, cmdCreate, createCmd{Alerts: as})
	nums, _ := val.([]uint64)
	for i, a := range as {
		a.Num = 0
		if err == nil && i < len(nums) {
			a.Num = nums[i]
		}
	}
	return err
}

// Update implements alerts.Definitions.
func (s *Store) Update(ctx context.Context, a *alerts.Alert, expectVersion uint64) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	val, err := s.submit(ctx, cmdUpdate, updateCmd{Alert: a, Expect: expectVersion})
	if err != nil {
		return err
	}
	a.Version = val.(uint64)
	return nil
}

// Delete implements alerts.Definitions.
func (s *Store) Delete(ctx context.Context, id string, expectVersion uint64) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	_, err := s.submit(ctx, cmdDelete, deleteCmd{ID: id, Expect: expectVersion})
	return err
}

// maxCommandBytes bounds the matches one commit command carries, well
// below the node's message limit (8 MiB): a round of many alerts is
// committed in several commands.
var maxCommandBytes = 1 << 20

// CommitRun implements alerts.Runs: the snapshot's compare-and-set is
// checked when the command applies, the same on every node.
//
// A batch whose matches exceed maxCommandBytes is committed in several
// commands, each atomic for its alerts (the contract's "one transaction
// where the store has them"). One alert with more matches than that is
// committed in parts: every part but the last leaves the watermark where
// the snapshot has it (so the next part's compare-and-set still holds),
// the last moves it. A crash between parts leaves the watermark behind:
// the next round evaluates again and the sent-set drops what was sent.
func (s *Store) CommitRun(ctx context.Context, now time.Time, upTo uint64, batch []alerts.RunCommit) ([]alerts.RunOutcome, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	now = now.UTC()
	out := make([]alerts.RunOutcome, 0, len(batch))
	var cmd commitCmd
	size := 0
	flush := func() error {
		if len(cmd.Batch) == 0 {
			return nil
		}
		val, err := s.submit(ctx, cmdCommit, cmd)
		if err != nil {
			return err
		}
		out = append(out, val.([]alerts.RunOutcome)...)
		cmd, size = commitCmd{}, 0
		return nil
	}
	for _, j := range batch {
		n := matchesBytes(j.Matches)
		if n > maxCommandBytes {
			if err := flush(); err != nil {
				return nil, err
			}
			o, err := s.commitParts(ctx, now, upTo, j)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
			continue
		}
		if size+n > maxCommandBytes {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		cmd.Now, cmd.UpTo = now, upTo
		cmd.Batch = append(cmd.Batch, commitEntry{Alert: j.Alert, Matches: j.Matches})
		size += n
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

func matchesBytes(ids []string) int {
	n := 512 // the alert
	for _, id := range ids {
		n += len(id) + 3
	}
	return n
}

// commitParts commits one alert's matches in parts of at most
// maxCommandBytes (see CommitRun).
func (s *Store) commitParts(ctx context.Context, now time.Time, upTo uint64, j alerts.RunCommit) (alerts.RunOutcome, error) {
	var total alerts.RunOutcome
	per := max(j.Alert.MaxMatchesPerDelivery, 1)
	for rest := j.Matches; ; {
		part, size := 0, 512
		for part < len(rest) && size+len(rest[part])+3 <= maxCommandBytes {
			size += len(rest[part]) + 3
			part++
		}
		if part < len(rest) && part >= per {
			part -= part % per // full deliveries
		}
		part = max(part, 1)
		last := part >= len(rest)
		to := j.Alert.Watermark
		if last {
			to = upTo
		}
		val, err := s.submit(ctx, cmdCommit, commitCmd{Now: now, UpTo: to, Batch: []commitEntry{{Alert: j.Alert, Matches: rest[:min(part, len(rest))]}}})
		if err != nil {
			return total, err
		}
		o := val.([]alerts.RunOutcome)[0]
		total.Matches += o.Matches
		total.Deliveries += o.Deliveries
		if o.Err != nil {
			total.Err = o.Err
			return total, nil
		}
		if last {
			return total, nil
		}
		rest = rest[part:]
	}
}

// Unsent implements alerts.Runs from the local replica.
func (s *Store) Unsent(ctx context.Context, a *alerts.Alert, ids []string) ([]string, error) {
	return s.local.Unsent(ctx, a, ids)
}

// Lease implements alerts.Outbox. A lease is a command, so that exactly
// one node's sender gets a delivery; it is submitted only when the local
// replica has something due, so an idle outbox publishes nothing.
func (s *Store) Lease(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]*alerts.Delivery, time.Time, error) {
	if wait := s.leaseGrace - time.Since(s.started); wait > 0 {
		return nil, now.Add(wait), ctxErr(ctx) // see Options.LeaseGrace
	}
	ds, next, err := s.local.Peek(ctx, now, limit)
	if err != nil || len(ds) == 0 {
		return nil, next, err
	}
	val, err := s.submit(ctx, cmdLease, leaseCmd{Now: now.UTC(), Max: limit, LeaseFor: leaseFor})
	if err != nil {
		return nil, time.Time{}, err
	}
	r := val.(leaseResult)
	return r.ds, r.next, nil
}

// Release implements alerts.Outbox.
func (s *Store) Release(ctx context.Context, id string) error {
	_, err := s.submit(ctx, cmdRelease, recordCmd{ID: id})
	return err
}

// Complete implements alerts.Outbox.
func (s *Store) Complete(ctx context.Context, id string, r alerts.Result) error {
	if r.Status != alerts.StatusSucceeded && r.Status != alerts.StatusFailed {
		return fmt.Errorf("alerts: complete delivery %s with status %q", id, r.Status)
	}
	r.At = r.At.UTC()
	_, err := s.submit(ctx, cmdComplete, recordCmd{ID: id, Result: r})
	return err
}

// RetryAt implements alerts.Outbox.
func (s *Store) RetryAt(ctx context.Context, id string, when time.Time, r alerts.Result) error {
	if r.Status != alerts.StatusRetrying && r.Status != alerts.StatusPending {
		return fmt.Errorf("alerts: retry delivery %s with status %q", id, r.Status)
	}
	when, r.At = when.UTC(), r.At.UTC()
	_, err := s.submit(ctx, cmdRetry, recordCmd{ID: id, When: &when, Result: r})
	return err
}

// Modify implements alerts.Outbox: fn runs on a copy of the local
// replica's delivery, and the result is submitted as "replace if still
// as read"; a conflict (the delivery changed meanwhile) reads again, a
// bounded number of times.
func (s *Store) Modify(ctx context.Context, id string, fn func(d *alerts.Delivery) error) (*alerts.Delivery, error) {
	for try := 0; ; try++ {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
		cur, err := s.local.Delivery(ctx, id)
		if err != nil {
			return nil, err
		}
		expect, err := deliveryJSON(cur)
		if err != nil {
			return nil, err
		}
		c := *cur
		if err := fn(&c); err != nil {
			return nil, err
		}
		c.ID = id
		nb, err := deliveryJSON(&c)
		if err != nil {
			return nil, err
		}
		val, err := s.submit(ctx, cmdModify, modifyCmd{ID: id, Expect: expect, New: nb})
		if errors.Is(err, errModifyConflict) && try+1 < modifyTries {
			continue
		}
		if errors.Is(err, errModifyConflict) {
			return nil, fmt.Errorf("alerts: modify delivery %s: %w", id, alerts.ErrConflict)
		}
		if err != nil {
			return nil, err
		}
		return val.(*alerts.Delivery), nil
	}
}

// Delivery implements alerts.Outbox from the local replica.
func (s *Store) Delivery(ctx context.Context, id string) (*alerts.Delivery, error) {
	return s.local.Delivery(ctx, id)
}

// Deliveries implements alerts.Outbox from the local replica.
func (s *Store) Deliveries(ctx context.Context, alertID string, limit int) ([]*alerts.Delivery, error) {
	return s.local.Deliveries(ctx, alertID, limit)
}

// Depth implements alerts.Outbox from the local replica.
func (s *Store) Depth(ctx context.Context) (int, time.Time, error) { return s.local.Depth(ctx) }

// pruneGoneMax bounds the article ids one prune command carries.
const pruneGoneMax = 50_000

// Prune implements alerts.Outbox: the articles of the sent records that
// are gone are found on this node (exist), and the decision travels in
// the command; a record written after it counts as stored.
func (s *Store) Prune(ctx context.Context, now time.Time, keep time.Duration, exist func(ctx context.Context, ids []string) ([]bool, error)) (alerts.PruneResult, error) {
	var res alerts.PruneResult
	var gone []string
	err := s.local.SentArticles(ctx, func(ids []string) error {
		ok, err := exist(ctx, ids)
		if err != nil {
			return err
		}
		for i, id := range ids {
			if i < len(ok) && !ok[i] {
				gone = append(gone, id)
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("alerts: prune: %w", err)
	}
	for first := true; first || len(gone) > 0; first = false {
		part := gone[:min(len(gone), pruneGoneMax)]
		gone = gone[len(part):]
		val, err := s.submit(ctx, cmdPrune, pruneCmd{Now: now.UTC(), Keep: keep, Gone: part})
		if err != nil {
			return res, err
		}
		r := val.(alerts.PruneResult)
		res.Deliveries += r.Deliveries
		res.SentRemoved += r.SentRemoved
		res.SentShrunk += r.SentShrunk
	}
	return res, nil
}
