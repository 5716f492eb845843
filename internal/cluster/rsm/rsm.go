// Package rsm is a replicated state machine on a JetStream stream: the
// generic part of the cluster mode's alert, feed and key state.
//
// Every write is a command, published to a replicated stream with a
// Nats-Msg-Id unique to the write (a publish retried after a timeout
// is then answered Duplicate instead of appended twice). Every node folds
// the stream, in order, into its local store with an Apply function the
// state's package provides (alerts/jsstore and the others call their
// bbolt implementation), and records the last sequence it applied in
// that store (store.Store.SetApplied). The writer waits until its own
// node's fold has applied its command and gets the outcome the fold
// computed (an ErrConflict, say): the same outcome every other node
// computed, because Apply is deterministic and everything time- or
// random-dependent travels in the command.
//
// Apply must also be idempotent: a crash between an apply and the
// record of its sequence applies the command again at the next start.
// The stores make it so with compare-and-set on versions (a command
// applied twice fails its own check the second time) and with writes
// that set values rather than add to them.
//
// JetStream does the replication (Raft, fsync'd before the ack); this
// package only publishes, folds and waits.
package rsm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Progress keeps the last applied sequence where the state is: the
// node's store file (*store.Store implements it).
type Progress interface {
	Applied(ctx context.Context, name string) (uint64, error)
	SetApplied(ctx context.Context, name string, seq uint64) error
}

// Apply applies one command to the local state and returns its outcome,
// which goes back to the writer when the command is its own. err is for
// a failure of the local store (the fold retries the command until it
// applies; it never skips one); an outcome the writer should see, such
// as a version conflict, is part of the result.
type Apply func(ctx context.Context, seq uint64, kind string, data []byte) (result any, err error)

// Config names the machine's stream and sets its replication.
type Config struct {
	// Name is the stream's name (letters, digits, - and _) and the key of
	// the applied sequence in the store. Its subject is "rsm.<Name>".
	Name string
	// Replicas of the stream: 3 in a 3-node cluster, 1 in a 1-node test.
	Replicas int
	// MaxAge bounds how long a command is kept (zero: forever). A node
	// down longer than that cannot catch up from the stream: Start
	// refuses it (ErrGap) and it is restored from a peer's backup.
	MaxAge time.Duration
	Log    *slog.Logger
}

// ErrGap is Start's (and the fold's) answer when the commands after the
// local state's applied sequence are no longer in the stream.
var ErrGap = errors.New("rsm: the commands after this node's state are gone from the stream (down longer than the stream's MaxAge, or another cluster's stream): restore the data directory from a peer's backup")

// ErrClosed is the answer of a machine that was closed.
var ErrClosed = errors.New("rsm: closed")

// Machine is one node's replica of a state machine.
type Machine struct {
	js      jetstream.JetStream
	cfg     Config
	subject string
	prog    Progress
	apply   Apply
	log     *slog.Logger

	mu       sync.Mutex
	applied  uint64
	advanced chan struct{} // closed and replaced whenever applied moves
	pending  map[string]chan any
	failed   error // the fold stopped (a gap)

	cancel context.CancelFunc
	done   chan struct{}
}

// Start creates the stream if it does not exist, checks that it still
// holds every command after the local applied sequence, and starts the
// fold. Commands the stream has beyond that are applied in the
// background; WaitApplied(ctx, LastSeq) waits for them.
func Start(ctx context.Context, js jetstream.JetStream, prog Progress, cfg Config, apply Apply) (*Machine, error) {
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	m := &Machine{js: js, cfg: cfg, subject: "rsm." + cfg.Name, prog: prog, apply: apply,
		log: cfg.Log.With("rsm", cfg.Name), advanced: make(chan struct{}), pending: map[string]chan any{}, done: make(chan struct{})}
	stream, err := createStream(ctx, js, jetstream.StreamConfig{
		Name: cfg.Name, Subjects: []string{m.subject}, Replicas: cfg.Replicas, Storage: jetstream.FileStorage,
		MaxAge: cfg.MaxAge, Duplicates: dedupeWindow, Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("rsm %s: stream: %w", cfg.Name, err)
	}
	applied, err := prog.Applied(ctx, cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("rsm %s: %w", cfg.Name, err)
	}
	info, err := retry(ctx, func(ctx context.Context) (*jetstream.StreamInfo, error) { return stream.Info(ctx) })
	if err != nil {
		return nil, fmt.Errorf("rsm %s: stream info: %w", cfg.Name, err)
	}
	if st := info.State; applied > st.LastSeq || (st.FirstSeq > applied+1 && st.LastSeq > applied) {
		return nil, fmt.Errorf("rsm %s: applied up to %d, the stream holds %d..%d: %w", cfg.Name, applied, st.FirstSeq, st.LastSeq, ErrGap)
	}
	m.applied = applied
	cons, err := retry(ctx, func(ctx context.Context) (jetstream.Consumer, error) {
		return js.OrderedConsumer(ctx, cfg.Name, jetstream.OrderedConsumerConfig{
			DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: applied + 1,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("rsm %s: consumer: %w", cfg.Name, err)
	}
	// Short pulls with frequent heartbeats: when the server serving the
	// consumer goes away (an external cluster's server this node was
	// connected to), the ordered consumer misses heartbeats and recreates
	// itself within seconds. With the defaults (30 s pulls) the fold was
	// seen to stay silent, and every write on this node waiting for its
	// own fold with it: an alert stopped running (TestClusterExternalNATS).
	it, err := cons.Messages(jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second))
	if err != nil {
		return nil, fmt.Errorf("rsm %s: consume: %w", cfg.Name, err)
	}
	fctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go m.fold(fctx, it)
	return m, nil
}

// retry calls fn until it succeeds or ctx is done: right after a node
// (re)starts, the stream may have no leader for a few seconds.
func retry[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		v, err := fn(actx)
		cancel()
		if err == nil {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// createStream creates the stream, or returns it as it is when it exists
// (another node created it): a node started with other options does not
// rescale or shorten a running cluster's stream. Retried for a while:
// right after a cluster starts, the meta leader may still be settling.
func createStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return retry(ctx, func(ctx context.Context) (jetstream.Stream, error) {
		s, err := js.Stream(ctx, cfg.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			s, err = js.CreateStream(ctx, cfg)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				s, err = js.Stream(ctx, cfg.Name)
			}
		}
		return s, err
	})
}

type envelope struct {
	Kind string          `json:"k"`
	Data json.RawMessage `json:"d"`
}

func (m *Machine) fold(ctx context.Context, it jetstream.MessagesContext) {
	defer close(m.done)
	defer it.Stop()
	go func() { <-ctx.Done(); it.Stop() }()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, nats.ErrConnectionClosed) {
				return
			}
			m.log.Warn("rsm: fold: next command", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		md, err := msg.Metadata()
		if err != nil {
			m.log.Error("rsm: fold: a message without metadata", "err", err)
			continue
		}
		seq := md.Sequence.Stream
		m.mu.Lock()
		applied := m.applied
		m.mu.Unlock()
		if seq <= applied {
			continue // a redelivery after the consumer was reset
		}
		if seq != applied+1 {
			err := fmt.Errorf("rsm %s: applied up to %d, the next command in the stream is %d: %w", m.cfg.Name, applied, seq, ErrGap)
			m.log.Error("rsm: fold stopped", "err", err)
			m.mu.Lock()
			m.failed = err
			close(m.advanced)
			m.advanced = make(chan struct{})
			m.mu.Unlock()
			return
		}
		res, ok := m.applyOne(ctx, seq, msg.Data())
		if !ok {
			return
		}
		m.mu.Lock()
		m.applied = seq
		if ch, ok := m.pending[msg.Headers().Get(jetstream.MsgIDHeader)]; ok {
			select {
			case ch <- res:
			default: // a second copy (published after the dedupe window): the first outcome stands
			}
		}
		close(m.advanced)
		m.advanced = make(chan struct{})
		m.mu.Unlock()
	}
}

// applyOne applies and records one command, retrying a failing store
// until it succeeds or the machine closes (false).
func (m *Machine) applyOne(ctx context.Context, seq uint64, data []byte) (any, bool) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		m.log.Error("rsm: fold: an undecodable command is skipped", "seq", seq, "err", err)
		return fmt.Errorf("rsm: undecodable command %d: %w", seq, err), m.record(ctx, seq)
	}
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		res, err := m.apply(ctx, seq, env.Kind, env.Data)
		if err == nil {
			return res, m.record(ctx, seq)
		}
		m.log.Error("rsm: fold: apply failed; retrying", "seq", seq, "kind", env.Kind, "err", err)
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(wait):
		}
	}
}

func (m *Machine) record(ctx context.Context, seq uint64) bool {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := m.prog.SetApplied(ctx, m.cfg.Name, seq)
		if err == nil {
			return true
		}
		m.log.Error("rsm: fold: record the applied sequence; retrying", "seq", seq, "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}

// Submit publishes a command (cmd is JSON-encoded) and waits until this
// node's fold has applied it; it returns the outcome Apply computed. A
// publish that fails for want of a stream leader (an election) is
// retried with the same Msg-Id until ctx is done. When ctx ends after
// the publish, the command may still apply.
func (m *Machine) Submit(ctx context.Context, kind string, cmd any) (any, error) {
	raw, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("rsm %s: encode %s: %w", m.cfg.Name, kind, err)
	}
	data, err := json.Marshal(envelope{Kind: kind, Data: raw})
	if err != nil {
		return nil, fmt.Errorf("rsm %s: encode %s: %w", m.cfg.Name, kind, err)
	}
	id, err := msgID()
	if err != nil {
		return nil, err
	}
	ch := make(chan any, 1)
	m.mu.Lock()
	if m.failed != nil {
		m.mu.Unlock()
		return nil, m.failed
	}
	m.pending[id] = ch
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.pending, id)
		m.mu.Unlock()
	}()
	if err := m.publish(ctx, id, data); err != nil {
		return nil, fmt.Errorf("rsm %s: publish %s: %w", m.cfg.Name, kind, err)
	}
	for {
		m.mu.Lock()
		adv, failed := m.advanced, m.failed
		m.mu.Unlock()
		select {
		case res := <-ch:
			return res, nil
		default:
		}
		if failed != nil {
			return nil, failed
		}
		select {
		case res := <-ch:
			return res, nil
		case <-adv:
		case <-ctx.Done():
			return nil, fmt.Errorf("rsm %s: %s published, not yet applied here: %w", m.cfg.Name, kind, context.Cause(ctx))
		case <-m.done:
			return nil, ErrClosed
		}
	}
}

// Outcome is what an Apply hands its command's writer: a value and the
// answer of the state's contract (a conflict, not found), which every
// node computes alike.
type Outcome struct {
	Value any
	Err   error
}

// Call is Submit for an Apply that answers an Outcome: a done ctx
// publishes nothing; otherwise it returns the outcome's value and error,
// or Submit's own failure (wrapped, so the two can be told apart only by
// what they are).
func (m *Machine) Call(ctx context.Context, kind string, cmd any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := m.Submit(ctx, kind, cmd)
	if err != nil {
		return nil, err
	}
	switch o := res.(type) {
	case Outcome:
		return o.Value, o.Err
	case error:
		return nil, o
	}
	return nil, fmt.Errorf("rsm %s: %s: unexpected outcome %T", m.cfg.Name, kind, res)
}

// dedupeWindow is how long the stream remembers a Msg-Id; publishRetry
// is how long a publish is retried, well inside it, so that a retry of
// a publish whose ack was lost is always recognised as a duplicate.
const (
	dedupeWindow = 10 * time.Minute
	publishRetry = 5 * time.Minute
)

func (m *Machine) publish(ctx context.Context, id string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, publishRetry)
	defer cancel()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := m.js.Publish(actx, m.subject, data, jetstream.WithMsgID(id), jetstream.WithExpectStream(m.cfg.Name))
		cancel()
		if err == nil {
			return nil
		}
		if errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, nats.ErrConnectionClosed) {
			return err
		}
		m.log.Warn("rsm: publish failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(err, context.Cause(ctx))
		case <-m.done:
			return ErrClosed
		case <-time.After(wait):
		}
	}
}

func msgID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("rsm: message id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Applied is the last sequence this node has applied.
func (m *Machine) Applied() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applied
}

// WaitApplied waits until this node has applied seq: a read after it
// sees every write up to seq (read-your-writes across nodes: the writer
// passes on its Applied()).
func (m *Machine) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		m.mu.Lock()
		applied, adv, failed := m.applied, m.advanced, m.failed
		m.mu.Unlock()
		if applied >= seq {
			return nil
		}
		if failed != nil {
			return failed
		}
		select {
		case <-adv:
		case <-ctx.Done():
			return fmt.Errorf("rsm %s: waiting for %d, applied %d: %w", m.cfg.Name, seq, applied, context.Cause(ctx))
		case <-m.done:
			return ErrClosed
		}
	}
}

// LastSeq is the stream's last sequence (as its leader knows it).
func (m *Machine) LastSeq(ctx context.Context) (uint64, error) {
	s, err := m.js.Stream(ctx, m.cfg.Name)
	if err != nil {
		return 0, fmt.Errorf("rsm %s: %w", m.cfg.Name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("rsm %s: %w", m.cfg.Name, err)
	}
	return info.State.LastSeq, nil
}

// Close stops the fold (a command being applied finishes first). The
// store stays the caller's.
func (m *Machine) Close() error {
	m.cancel()
	<-m.done
	return nil
}
