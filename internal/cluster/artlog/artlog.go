// Package artlog is the article log of cluster mode: an engine.ArticleLog
// whose source of truth is a replicated JetStream stream, and whose reads
// come from a local bbolt store that a fold keeps up to date.
//
// The stream holds one subject per article id (prefix + "." + hex of the
// first 16 bytes of sha256(id)) and keeps one message per subject
// (MaxMsgsPerSubject 1): the id's current article, or a small tombstone
// once it is deleted. An edit or a deletion replaces the id's previous
// message, so the stream holds one message per id ever stored: the
// articles kept, plus one tombstone (about 250 bytes) per id deleted and
// not stored again. Nothing prunes tombstones: a retention that deletes N
// articles leaves N tombstones until those ids come back (docs/cluster.md).
//
// Every node folds the stream, in order, into its own store with
// store.Log.ApplyAt, at the stream's sequences and with the applied
// sequence in the same transaction: the article's sequence is the stream
// sequence of the message that made it current, the same on every node,
// and a node that was down resumes from its last applied sequence (a
// fresh one builds itself from the whole stream).
package artlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

// Config configures a Log.
// DefaultStream is the articles stream's name unless Config.Stream.
const DefaultStream = "WW_ARTICLES"

type Config struct {
	// JS is the node's JetStream context (cluster.Node.JetStream).
	JS jetstream.JetStream
	// StorePath is the node's local bbolt file the fold keeps (for
	// example DataDir/articles.db; not the engine's own watchword.db,
	// which the engine holds open).
	StorePath string
	// Stream and Subject name the stream and its subject prefix; defaults
	// "WW_ARTICLES" and "ww.art" (subjects ww.art.<hash>).
	Stream, Subject string
	// Replicas of the stream: 3 in a 3-node cluster (default), 1 for a
	// single-node test cluster.
	Replicas int
	// MaxMsgSize bounds one message (one article); default 4 MiB, above
	// the 1 MiB article limit with its JSON escaping. The server's
	// max_payload must be at least this (cluster.NodeConfig.MaxPayload,
	// 8 MiB by default).
	MaxMsgSize int32
	// Duplicates is the stream's Msg-Id dedupe window; default 2 minutes.
	Duplicates time.Duration
	// WriteTimeout bounds an Append or Delete whose context has no
	// deadline (an unanswered publish would wait for ever while the
	// stream has no leader); default 1 minute.
	WriteTimeout time.Duration
	Logger       *slog.Logger
}

// Log is the JetStream article log of one node.
//
// Unlike the bbolt log, an Append is not one atomic batch: each article
// is its own message, so a crash of the publishing node in the middle of
// a batch leaves a prefix of it stored. The client's retry completes it,
// and cannot double it: each message carries a Msg-Id derived from the
// article's id, its content and the id's previous message, and is
// published on condition that the id's last message is the one the
// publisher saw (Nats-Expected-Last-Subject-Sequence), so an article
// stored already is recognised as unchanged and keeps its sequence.
type Log struct {
	js      jetstream.JetStream
	stream  jetstream.Stream
	name    string
	subject string
	local   *store.Store
	maxMsg  int32
	timeout time.Duration // WriteTimeout
	ll      *store.Log
	log     *slog.Logger

	mu      sync.Mutex
	applied uint64
	advance chan struct{} // closed and replaced when applied moves or the fold stops
	foldErr error

	changed chan struct{}
	stop    chan struct{}
	done    chan struct{}
	ccMu    sync.Mutex
	cc      jetstream.ConsumeContext // the fold's consumer (the watchdog may replace it)
	msgs    chan jetstream.Msg       // what the consumer delivers, in order, to the fold
	close   sync.Once
}

var _ engine.ArticleLog = (*Log)(nil)

// Message headers.
const (
	hdrOp   = "Ww-Op"   // "put" or "del"
	hdrID   = "Ww-Id"   // the article id (the subject has only its hash)
	hdrHash = "Ww-Hash" // a put's content hash (ContentHash)
	opPut   = "put"
	opDel   = "del"

	hdrExpectSubjSeq = "Nats-Expected-Last-Subject-Sequence"
)

// Open opens the node's local store, creates or updates the stream and
// starts the fold from the store's last applied sequence. The store must
// have been built from this stream (or be new): a store ahead of the
// stream is refused.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.JS == nil {
		return nil, errors.New("artlog: no JetStream context")
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Subject == "" {
		cfg.Subject = "ww.art"
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 3
	}
	if cfg.MaxMsgSize <= 0 {
		cfg.MaxMsgSize = 4 << 20
	}
	if cfg.Duplicates <= 0 {
		cfg.Duplicates = 2 * time.Minute
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if nc := cfg.JS.Conn(); nc != nil && nc.MaxPayload() < int64(cfg.MaxMsgSize) {
		return nil, fmt.Errorf("artlog: the server's max_payload %d is below the stream's message limit %d", nc.MaxPayload(), cfg.MaxMsgSize)
	}
	st, err := createStream(ctx, cfg.JS, cfg.Logger, jetstream.StreamConfig{
		Name:              cfg.Stream,
		Description:       "Watchword articles: one message per article id",
		Subjects:          []string{cfg.Subject + ".*"},
		Storage:           jetstream.FileStorage,
		Replicas:          cfg.Replicas,
		Retention:         jetstream.LimitsPolicy,
		MaxMsgsPerSubject: 1,
		MaxMsgSize:        cfg.MaxMsgSize,
		Duplicates:        cfg.Duplicates,
		// Messages go only when a later one on their subject replaces
		// them; a purge or a deletion would leave nodes unable to tell
		// a lost article from a replaced one.
		DenyDelete: true,
		DenyPurge:  true,
	})
	if err != nil {
		return nil, err
	}
	local, err := store.Open(cfg.StorePath)
	if err != nil {
		return nil, err
	}
	if err := checkIdentity(ctx, local, st.CachedInfo()); err != nil {
		local.Close()
		return nil, err
	}
	l := &Log{js: cfg.JS, stream: st, name: cfg.Stream, subject: cfg.Subject, local: local, ll: local.Log(), maxMsg: cfg.MaxMsgSize, timeout: cfg.WriteTimeout,
		log: cfg.Logger.With("stream", cfg.Stream), advance: make(chan struct{}), changed: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := l.start(ctx); err != nil {
		local.Close()
		return nil, err
	}
	return l, nil
}

// createStream creates or updates the stream, again while the cluster
// cannot place it yet (just formed: not every peer is known to the meta
// group; or an election), until ctx is done. A refused configuration is
// an error at once.
func createStream(ctx context.Context, js jetstream.JetStream, log *slog.Logger, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	for {
		// Each attempt is bounded: a request sent while the cluster is
		// forming can go unanswered, and ctx may have no deadline.
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := js.CreateOrUpdateStream(actx, cfg)
		cancel()
		if err == nil {
			return st, nil
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.Code == 400 {
			return nil, fmt.Errorf("artlog: stream %s: %w", cfg.Name, err)
		}
		log.Warn("artlog: creating the stream failed; trying again", "stream", cfg.Name, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("artlog: stream %s: %w", cfg.Name, errors.Join(context.Cause(ctx), err))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (l *Log) start(ctx context.Context) error {
	applied, err := l.ll.LastSeq(ctx)
	if err != nil {
		return err
	}
	info, err := l.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("artlog: stream %s: %w", l.name, err)
	}
	if info.State.LastSeq < applied {
		return fmt.Errorf("artlog: the local store has applied up to sequence %d but stream %s ends at %d: the store was built from another stream (a data directory of another cluster, or the stream was recreated); move it away to rebuild it from the stream", applied, l.name, info.State.LastSeq)
	}
	l.applied = applied
	// Bounded by bytes, not by count: an article may take up to a few
	// MiB, and a node catching up must not buffer hundreds of them.
	msgs := make(chan jetstream.Msg, 64)
	l.msgs = msgs
	if err := l.consume(ctx, applied); err != nil {
		return err
	}
	l.log.Info("artlog: folding the stream", "from_seq", applied+1, "stream_last_seq", info.State.LastSeq)
	go l.fold(msgs)
	go l.watchdog()
	// Reads answer from the local store: open once it holds what the
	// stream held at the start.
	if err := l.WaitApplied(ctx, info.State.LastSeq); err != nil {
		close(l.stop)
		l.ccMu.Lock()
		l.cc.Stop()
		l.ccMu.Unlock()
		<-l.done
		return err
	}
	return nil
}

// consume starts (or restarts) the fold's ordered consumer after
// sequence applied, feeding l.msgs. Short pull requests with frequent
// heartbeats: when the server that serves the consumer dies, the ordered
// consumer notices the missing heartbeats and recreates itself elsewhere
// within seconds (with the defaults, 30 s pulls, a test's fold stalled for
// more than 5 s after a node was killed).
func (l *Log) consume(ctx context.Context, applied uint64) error {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if applied > 0 {
		cfg = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: applied + 1}
	}
	cons, err := attempt(ctx, func(ctx context.Context) (jetstream.Consumer, error) { return l.js.OrderedConsumer(ctx, l.name, cfg) })
	if err != nil {
		return fmt.Errorf("artlog: fold consumer on %s: %w", l.name, err)
	}
	msgs := l.msgs
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case msgs <- m:
		case <-l.stop:
		}
	}, jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second), jetstream.PullMaxBytes(max(foldBytes, 2*int(l.maxMsg))))
	if err != nil {
		return fmt.Errorf("artlog: fold consumer on %s: %w", l.name, err)
	}
	l.ccMu.Lock()
	old := l.cc
	l.cc = cc
	l.ccMu.Unlock()
	if old != nil {
		old.Stop()
	}
	return nil
}

// stallAfter is how long the fold may make no progress while the stream
// holds more before the watchdog restarts its consumer.
const stallAfter = 3 * time.Second

// watchdog restarts the fold's consumer when the stream has moved past
// what this node applied and the fold made no progress for stallAfter.
// The ordered consumer recovers from a lost server by itself, but after a
// stream leader's death it was seen to stay silent for tens of seconds
// (writes on that node waiting on their own fold meanwhile). A restart
// starts after the applied sequence; what the old consumer still
// delivers is skipped by the fold (sequences at or below the applied).
func (l *Log) watchdog() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var since time.Time
	last := l.Applied()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		a := l.Applied()
		if a != last || l.Err() != nil {
			last, since = a, time.Time{}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), ackWait)
		info, err := l.stream.Info(ctx)
		cancel()
		if err != nil || info.State.LastSeq <= a {
			since = time.Time{}
			continue
		}
		if since.IsZero() {
			since = time.Now()
			continue
		}
		if time.Since(since) < stallAfter {
			continue
		}
		l.log.Warn("artlog: the fold made no progress while the stream holds more; restarting its consumer", "applied", a, "stream_last_seq", info.State.LastSeq)
		ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
		if err := l.consume(ctx, a); err != nil {
			l.log.Warn("artlog: restart the fold's consumer", "err", err)
		}
		cancel()
		since = time.Time{}
	}
}

// foldBatch and foldBytes bound what one store transaction applies and
// what the consumer buffers.
const (
	foldBatch = 512
	foldBytes = 16 << 20
)

// fold applies the stream's messages to the local store, in order, in
// batches of what has arrived, until Close or an error.
func (l *Log) fold(msgs <-chan jetstream.Msg) {
	defer close(l.done)
	ctx := context.Background()
	for {
		var batch []jetstream.Msg
		select {
		case <-l.stop:
			return
		case m := <-msgs:
			batch = append(batch, m)
		}
		size := len(batch[0].Data())
	drain:
		for len(batch) < foldBatch && size < foldBytes/2 {
			select {
			case m := <-msgs:
				batch = append(batch, m)
				size += len(m.Data())
			default:
				break drain
			}
		}
		if err := l.apply(ctx, batch); err != nil {
			l.log.Error("artlog: the fold stopped; this node's articles are no longer kept up to date", "err", err)
			l.mu.Lock()
			l.foldErr = err
			close(l.advance)
			l.advance = make(chan struct{})
			l.mu.Unlock()
			return
		}
	}
}

func (l *Log) apply(ctx context.Context, batch []jetstream.Msg) error {
	l.mu.Lock()
	applied := l.applied
	l.mu.Unlock()
	var chs []news.Change
	last := applied
	for _, m := range batch {
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("artlog: message metadata: %w", err)
		}
		seq := md.Sequence.Stream
		if seq <= last {
			continue // delivered again
		}
		last = seq
		ch, err := decode(m.Headers(), m.Data())
		if err != nil {
			return fmt.Errorf("artlog: stream %s message %d: %w", l.name, seq, err)
		}
		ch.Seq = seq
		chs = append(chs, ch)
	}
	if last == applied {
		return nil
	}
	if err := l.ll.ApplyAt(ctx, chs, last); err != nil {
		return err
	}
	l.mu.Lock()
	l.applied = last
	close(l.advance)
	l.advance = make(chan struct{})
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return nil
}

func decode(h nats.Header, data []byte) (news.Change, error) {
	id := h.Get(hdrID)
	switch h.Get(hdrOp) {
	case opDel:
		if id == "" {
			return news.Change{}, errors.New("a tombstone without an id")
		}
		return news.Change{ID: id, Deleted: true}, nil
	case opPut:
		a := new(news.Article)
		if err := json.Unmarshal(data, a); err != nil {
			return news.Change{}, fmt.Errorf("decode article: %w", err)
		}
		if a.ID != id {
			return news.Change{}, fmt.Errorf("article %q under the id %q", a.ID, id)
		}
		return news.Change{ID: id, Article: a}, nil
	default:
		return news.Change{}, fmt.Errorf("unknown operation %q", h.Get(hdrOp))
	}
}

// Subject is the stream subject of an article id.
func (l *Log) subjectOf(id string) string {
	sum := sha256.Sum256([]byte(id))
	return l.subject + "." + hex.EncodeToString(sum[:16])
}

// ContentHash is the hash of an article's content: everything but its
// sequence and ingested_at, as the log compares re-appended articles.
func ContentHash(a *news.Article) (string, error) {
	c := *a
	c.Seq, c.IngestedAt = 0, time.Time{}
	raw, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("artlog: encode article %q: %w", a.ID, err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

func msgID(op, id, hash string, prev uint64) string {
	sum := sha256.Sum256([]byte(op + "\x00" + id + "\x00" + hash + "\x00" + strconv.FormatUint(prev, 10)))
	return hex.EncodeToString(sum[:20])
}

// Applied is the highest stream sequence this node has folded.
func (l *Log) Applied() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.applied
}

// Err is the error that stopped the fold, nil while it runs.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.foldErr
}

// WaitApplied waits until the fold has applied seq (for min_seq=
// read-your-writes), ctx is done, or the fold has stopped.
func (l *Log) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		l.mu.Lock()
		applied, ferr, ch := l.applied, l.foldErr, l.advance
		l.mu.Unlock()
		if applied >= seq {
			return nil
		}
		if ferr != nil {
			return fmt.Errorf("artlog: waiting for sequence %d: %w", seq, ferr)
		}
		select {
		case <-ch:
		case <-l.stop:
			return fmt.Errorf("artlog: waiting for sequence %d: the log is closed", seq)
		case <-ctx.Done():
			return fmt.Errorf("artlog: waiting for sequence %d (applied %d): %w", seq, applied, context.Cause(ctx))
		}
	}
}

// Lag returns the applied sequence and the stream's last one (for
// /readyz: the fold lag is last - applied).
func (l *Log) Lag(ctx context.Context) (applied, last uint64, err error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return l.Applied(), 0, fmt.Errorf("artlog: stream %s: %w", l.name, err)
	}
	return l.Applied(), info.State.LastSeq, nil
}

// Changed is signalled (at most one pending signal) after the fold
// applied messages: the engine's follow mode replays them into the index.
func (l *Log) Changed() <-chan struct{} { return l.changed }

// bounded is ctx with the write timeout when it has no deadline.
func (l *Log) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, l.timeout)
}

// catchUp waits until the fold has applied everything the stream held
// when it was called, so the local view a write decides on is current.
func (l *Log) catchUp(ctx context.Context) error {
	info, err := attempt(ctx, func(ctx context.Context) (*jetstream.StreamInfo, error) { return l.stream.Info(ctx) })
	if err != nil {
		return fmt.Errorf("artlog: stream %s: %w", l.name, err)
	}
	return l.WaitApplied(ctx, info.State.LastSeq)
}

// attempt runs a request to the stream with each try bounded by ackWait,
// trying again while the stream has no leader (an election), until ctx
// ends: a request sent to a leader that just died is never answered.
func attempt[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, ackWait)
		v, err := fn(actx)
		cancel()
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	if errors.Is(err, errStaleDuplicate) {
		return true
	}
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// lastOnSubject is the sequence of the id's last message and whether it
// is a put with content hash (0, "" when the subject has none).
func (l *Log) lastOnSubject(ctx context.Context, id string) (seq uint64, op, hash string, err error) {
	m, err := attempt(ctx, func(ctx context.Context) (*jetstream.RawStreamMsg, error) {
		m, err := l.stream.GetLastMsgForSubject(ctx, l.subjectOf(id))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, err // an answer: not retried
		}
		return m, err
	})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, "", "", nil
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("artlog: last message of %q: %w", id, err)
	}
	return m.Sequence, m.Header.Get(hdrOp), m.Header.Get(hdrHash), nil
}

type pending struct {
	a      *news.Article
	hash   string
	prev   uint64
	future jetstream.PubAckFuture
}

// Append publishes each article of arts that is not current already
// exactly as given, waits for the acknowledgements and for the local fold
// to apply them, and returns the applied sequence. See the type's doc for
// how it differs from the bbolt log's atomic batch.
func (l *Log) Append(ctx context.Context, arts []*news.Article) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("artlog: append: %w", context.Cause(ctx))
	}
	if len(arts) == 0 {
		return l.Applied(), nil
	}
	ctx, cancel := l.bounded(ctx)
	defer cancel()
	if err := l.catchUp(ctx); err != nil {
		return 0, err
	}
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
	}
	stored, err := l.ll.Get(ctx, ids)
	if err != nil {
		return 0, err
	}
	// cur is each id's last state as this call knows it: the local store,
	// then what this call published.
	type state struct {
		seq        uint64 // of the id's last message (0: none known)
		hash       string // "" when not current
		ingestedAt time.Time
	}
	cur := make(map[string]state, len(arts))
	for _, a := range stored {
		if a == nil {
			continue
		}
		h, err := ContentHash(a)
		if err != nil {
			return 0, err
		}
		cur[a.ID] = state{seq: a.Seq, hash: h, ingestedAt: a.IngestedAt}
	}
	var maxSeq uint64
	// Publish in rounds of distinct ids: an id's second version in one
	// call is published on condition of the first one's sequence.
	for start := 0; start < len(arts); {
		round := map[string]bool{}
		var flight []pending
		end := start
		for ; end < len(arts) && !round[arts[end].ID]; end++ {
			a := arts[end]
			round[a.ID] = true
			h, err := ContentHash(a)
			if err != nil {
				return 0, err
			}
			c, ok := cur[a.ID]
			if ok && c.hash == h {
				a.Seq, a.IngestedAt = c.seq, c.ingestedAt
				continue // unchanged: keeps its sequence
			}
			if ok && c.hash != "" {
				a.IngestedAt = c.ingestedAt // an edit keeps the first ingested_at
			}
			f, err := l.publishPut(ctx, a, h, c.seq)
			if err != nil {
				return 0, err
			}
			flight = append(flight, pending{a: a, hash: h, prev: c.seq, future: f})
		}
		for _, p := range flight {
			seq, err := l.settlePut(ctx, p)
			if err != nil {
				return 0, err
			}
			p.a.Seq = seq
			maxSeq = max(maxSeq, seq)
			cur[p.a.ID] = state{seq: seq, hash: p.hash, ingestedAt: p.a.IngestedAt}
		}
		start = end
	}
	if err := l.WaitApplied(ctx, maxSeq); err != nil {
		return 0, err
	}
	return l.Applied(), nil
}

func (l *Log) publishPut(ctx context.Context, a *news.Article, hash string, prev uint64) (jetstream.PubAckFuture, error) {
	c := *a
	c.Seq = 0
	data, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("artlog: encode article %q: %w", a.ID, err)
	}
	m := nats.NewMsg(l.subjectOf(a.ID))
	m.Data = data
	m.Header.Set(hdrOp, opPut)
	m.Header.Set(hdrID, a.ID)
	m.Header.Set(hdrHash, hash)
	m.Header.Set(jetstream.MsgIDHeader, msgID(opPut, a.ID, hash, prev))
	m.Header.Set(hdrExpectSubjSeq, strconv.FormatUint(prev, 10))
	f, err := l.js.PublishMsgAsync(m)
	if err != nil {
		return nil, fmt.Errorf("artlog: publish article %q: %w", a.ID, err)
	}
	return f, nil
}

// errStaleDuplicate stands for a publish answered Duplicate with a
// message that is no longer the id's last: treated as a wrong last
// sequence (an id deleted and stored again reuses a Msg-Id).
var errStaleDuplicate = errors.New("a duplicate of a message that was replaced since")

// ackWait bounds one publish attempt's wait for its acknowledgement.
// When the stream's leader dies with the message in flight, no answer
// ever comes: the same message is published again (same Msg-Id, same
// expected last subject sequence, so a copy that did land is answered
// Duplicate) until the write's own deadline.
const ackWait = 2 * time.Second

// retryable reports whether a publish failed for want of a stream
// leader (an election) rather than being refused.
func retryable(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrAsyncPublishTimeout) ||
		errors.Is(err, context.DeadlineExceeded)
}

// wait returns a publish's acknowledged sequence. A clustered stream
// checks the Msg-Id before the expected last subject sequence, so a
// Duplicate answer is checked against the subject's last message. An
// attempt without an answer within ackWait, or refused for want of a
// leader, is published again with again.
func (l *Log) wait(ctx context.Context, id string, f jetstream.PubAckFuture, again func() (jetstream.PubAckFuture, error)) (uint64, error) {
	for {
		t := time.NewTimer(ackWait)
		select {
		case ack := <-f.Ok():
			t.Stop()
			if ack.Duplicate {
				last, _, _, err := l.lastOnSubject(ctx, id)
				if err != nil {
					return 0, err
				}
				if last != ack.Sequence {
					return 0, errStaleDuplicate
				}
			}
			return ack.Sequence, nil
		case err := <-f.Err():
			t.Stop()
			if !retryable(err) {
				return 0, err
			}
			select {
			case <-ctx.Done():
				return 0, errors.Join(context.Cause(ctx), err)
			case <-time.After(250 * time.Millisecond):
			}
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return 0, context.Cause(ctx)
		}
		l.log.Debug("artlog: no acknowledgement; publishing again", "id", id)
		nf, err := again()
		if err != nil {
			return 0, err
		}
		f = nf
	}
}

// settlePut waits for a put's acknowledgement. When the id's last message
// was not the one the publisher saw (another node wrote it meanwhile, or
// this node's earlier try got through), it looks at that message: the
// same content means the article is stored already; otherwise it
// publishes again on condition of that message.
func (l *Log) settlePut(ctx context.Context, p pending) (uint64, error) {
	seq, err := l.wait(ctx, p.a.ID, p.future, func() (jetstream.PubAckFuture, error) { return l.publishPut(ctx, p.a, p.hash, p.prev) })
	for try := 0; err != nil && isWrongLastSeq(err) && try < 5; try++ {
		last, op, hash, lerr := l.lastOnSubject(ctx, p.a.ID)
		if lerr != nil {
			return 0, lerr
		}
		if err := l.WaitApplied(ctx, last); err != nil {
			return 0, err
		}
		if op == opPut && hash == p.hash {
			got, gerr := l.ll.Get(ctx, []string{p.a.ID})
			if gerr != nil {
				return 0, gerr
			}
			if got[0] != nil {
				p.a.IngestedAt = got[0].IngestedAt
				return got[0].Seq, nil
			}
		}
		if op == opPut {
			if got, gerr := l.ll.Get(ctx, []string{p.a.ID}); gerr == nil && got[0] != nil {
				p.a.IngestedAt = got[0].IngestedAt
			}
		}
		f, perr := l.publishPut(ctx, p.a, p.hash, last)
		if perr != nil {
			return 0, perr
		}
		seq, err = l.wait(ctx, p.a.ID, f, func() (jetstream.PubAckFuture, error) { return l.publishPut(ctx, p.a, p.hash, last) })
	}
	if err != nil {
		return 0, fmt.Errorf("artlog: publish article %q: %w", p.a.ID, err)
	}
	return seq, nil
}

// Delete publishes a tombstone for each id current on this node (after
// catching up with the stream), waits for the fold to apply them, and
// returns the ids deleted and the last tombstone's sequence.
func (l *Log) Delete(ctx context.Context, ids []string) ([]string, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("artlog: delete: %w", context.Cause(ctx))
	}
	if len(ids) == 0 {
		return nil, 0, nil
	}
	ctx, cancel := l.bounded(ctx)
	defer cancel()
	if err := l.catchUp(ctx); err != nil {
		return nil, 0, err
	}
	arts, err := l.ll.Get(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	type del struct {
		id     string
		prev   uint64
		future jetstream.PubAckFuture
	}
	var flight []del
	seen := map[string]bool{}
	for i, a := range arts {
		if a == nil || seen[ids[i]] {
			continue
		}
		seen[ids[i]] = true
		f, err := l.publishDel(ctx, ids[i], a.Seq)
		if err != nil {
			return nil, 0, err
		}
		flight = append(flight, del{ids[i], a.Seq, f})
	}
	var deleted []string
	var lastSeq uint64
	for _, d := range flight {
		seq, err := l.wait(ctx, d.id, d.future, func() (jetstream.PubAckFuture, error) { return l.publishDel(ctx, d.id, d.prev) })
		for try := 0; err != nil && isWrongLastSeq(err) && try < 5; try++ {
			last, op, _, lerr := l.lastOnSubject(ctx, d.id)
			if lerr != nil {
				return nil, 0, lerr
			}
			if op != opPut {
				seq, err = 0, nil // deleted meanwhile, not by this call
				break
			}
			f, perr := l.publishDel(ctx, d.id, last)
			if perr != nil {
				return nil, 0, perr
			}
			seq, err = l.wait(ctx, d.id, f, func() (jetstream.PubAckFuture, error) { return l.publishDel(ctx, d.id, last) })
		}
		if err != nil {
			return nil, 0, fmt.Errorf("artlog: delete %q: %w", d.id, err)
		}
		if seq != 0 {
			deleted = append(deleted, d.id)
			lastSeq = max(lastSeq, seq)
		}
	}
	if err := l.WaitApplied(ctx, lastSeq); err != nil {
		return nil, 0, err
	}
	return deleted, lastSeq, nil
}

func (l *Log) publishDel(ctx context.Context, id string, prev uint64) (jetstream.PubAckFuture, error) {
	m := nats.NewMsg(l.subjectOf(id))
	m.Header.Set(hdrOp, opDel)
	m.Header.Set(hdrID, id)
	m.Header.Set(jetstream.MsgIDHeader, msgID(opDel, id, "", prev))
	m.Header.Set(hdrExpectSubjSeq, strconv.FormatUint(prev, 10))
	f, err := l.js.PublishMsgAsync(m)
	if err != nil {
		return nil, fmt.Errorf("artlog: publish tombstone of %q: %w", id, err)
	}
	return f, nil
}

// Get returns the current articles for ids from the local store.
func (l *Log) Get(ctx context.Context, ids []string) ([]*news.Article, error) {
	return l.ll.Get(ctx, ids)
}

// Exist reports from the local store whether each id is current.
func (l *Log) Exist(ctx context.Context, ids []string) ([]bool, error) {
	return l.ll.Exist(ctx, ids)
}

// ReadFrom reads the local store's changes (see engine.ArticleLog).
func (l *Log) ReadFrom(ctx context.Context, after, upTo uint64, batch int, fn func([]news.Change) error) error {
	return l.ll.ReadFrom(ctx, after, upTo, batch, fn)
}

// LastSeq is the highest stream sequence this node has applied.
func (l *Log) LastSeq(ctx context.Context) (uint64, error) {
	return l.ll.LastSeq(ctx)
}

// Count is the number of current articles in the local store.
func (l *Log) Count(ctx context.Context) (int, error) {
	return l.ll.Count(ctx)
}

// Close stops the fold and closes the local store; the stream stays.
func (l *Log) Close() error {
	var err error
	l.close.Do(func() {
		close(l.stop)
		l.ccMu.Lock()
		if l.cc != nil {
			l.cc.Stop()
		}
		l.ccMu.Unlock()
		<-l.done
		err = l.local.Close()
	})
	return err
}

// checkIdentity: the local store records which stream it folds, by the
// stream's name and creation time (the same on every node: the meta
// leader assigns it). A store of another stream, or of a stream since
// deleted and recreated, would otherwise fold new messages onto old
// articles.
func checkIdentity(ctx context.Context, local *store.Store, info *jetstream.StreamInfo) error {
	origin := "stream " + info.Config.Name + " created " + info.Created.UTC().Format(time.RFC3339Nano)
	if err := local.Log().CheckOrigin(ctx, origin); err != nil {
		return fmt.Errorf("artlog: %w: a data directory of another cluster, or the stream was recreated; move the store away to rebuild it from the stream", err)
	}
	return nil
}
