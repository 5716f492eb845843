// Package jsstore is keys.Store for the cluster mode: Create and Update
// are commands in a replicated JetStream stream (internal/cluster/rsm),
// which every node folds, in order, into its own bbolt file through
// internal/keys/boltstore; the compare-and-set on a key's Version is
// checked when the command applies, the same on every node. The writer
// returns once its own node has applied the command; Get and List read
// the local file, so a key created or revoked on one node is known to
// the others once they have applied the command (WaitApplied).
package jsstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/cluster/rsm"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/keys/boltstore"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

// Options configure the replicated store.
type Options struct {
	Replicas int           // of the command stream: 3 in a 3-node cluster; zero: 1
	MaxAge   time.Duration // of a command; zero: DefaultMaxAge
	Stream   string        // the command stream's name; zero: "WW_KEYS"
}

// DefaultMaxAge keeps a week of commands: a node down longer than that
// is restored from a peer's backup (New refuses it with rsm.ErrGap).
const DefaultMaxAge = 7 * 24 * time.Hour

// Store is keys.Store replicated through JetStream.
type Store struct {
	local *boltstore.Store
	m     *rsm.Machine
	log   *slog.Logger
}

var _ keys.Store = (*Store)(nil)

// New opens this node's key state: st is the node's store file, js its
// JetStream. Close stops the fold; st stays the caller's.
func New(ctx context.Context, js jetstream.JetStream, st *store.Store, log *slog.Logger, opts Options) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if opts.Stream == "" {
		opts.Stream = "WW_KEYS"
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = DefaultMaxAge
	}
	local, err := boltstore.New(ctx, st)
	if err != nil {
		return nil, err
	}
	s := &Store{local: local, log: log}
	s.m, err = rsm.Start(ctx, js, st, rsm.Config{Name: opts.Stream, Replicas: opts.Replicas, MaxAge: opts.MaxAge, Log: log}, s.apply)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
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

const (
	cmdCreate = "create"
	cmdUpdate = "update"
)

type writeCmd struct {
	Key     *keys.Key `json:"key"`
	Version uint64    `json:"version,omitempty"` // Update's expected version
}

func (s *Store) apply(ctx context.Context, seq uint64, kind string, data []byte) (any, error) {
	var c writeCmd
	if err := json.Unmarshal(data, &c); err != nil || c.Key == nil {
		return rsm.Outcome{Err: fmt.Errorf("keys: command %d: undecodable (%v)", seq, err)}, nil
	}
	var err error
	switch kind {
	case cmdCreate:
		err = s.local.Create(ctx, c.Key)
	case cmdUpdate:
		err = s.local.Update(ctx, c.Key, c.Version)
	default:
		s.log.Error("keys: an unknown command in the stream is skipped", "seq", seq, "kind", kind)
		return rsm.Outcome{Err: fmt.Errorf("keys: unknown command %q", kind)}, nil
	}
	// The contract's answers (not found, conflict) are news errors; any
	// other is a failure of the local store, which the fold retries.
	if err != nil && news.ErrorCode(err) == "" {
		return nil, err
	}
	return rsm.Outcome{Value: c.Key.Version, Err: err}, nil
}

func (s *Store) submit(ctx context.Context, kind string, c writeCmd) (uint64, error) {
	v, err := s.m.Call(ctx, kind, c)
	version, _ := v.(uint64)
	return version, err
}

// Create implements keys.Store.
func (s *Store) Create(ctx context.Context, k *keys.Key) error {
	v, err := s.submit(ctx, cmdCreate, writeCmd{Key: k})
	if err == nil {
		k.Version = v
	}
	return err
}

// Get implements keys.Store from the local replica.
func (s *Store) Get(ctx context.Context, id string) (*keys.Key, error) { return s.local.Get(ctx, id) }

// List implements keys.Store from the local replica.
func (s *Store) List(ctx context.Context) ([]*keys.Key, error) { return s.local.List(ctx) }

// Update implements keys.Store.
func (s *Store) Update(ctx context.Context, k *keys.Key, version uint64) error {
	v, err := s.submit(ctx, cmdUpdate, writeCmd{Key: k, Version: version})
	if err == nil {
		k.Version = v
	}
	return err
}
