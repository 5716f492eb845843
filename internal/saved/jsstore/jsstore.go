// Package jsstore is saved.Store for the cluster mode: Create, Update
// and Delete are commands in a replicated JetStream stream
// (internal/cluster/rsm), which every node folds, in order, into its own
// bbolt file through internal/saved/boltstore. The per-owner limit and
// the compare-and-set on a search's Version are checked when the command
// applies, the same on every node; the writer returns once its own node
// has applied the command. Get and List read the local file.
package jsstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/cluster/rsm"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/saved"
	"github.com/watchword/watchword/internal/saved/boltstore"
	"github.com/watchword/watchword/internal/store"
)

// Options configure the replicated store.
type Options struct {
	Replicas int           // of the command stream: 3 in a 3-node cluster; zero: 1
	MaxAge   time.Duration // of a command; zero: DefaultMaxAge
	Stream   string        // the command stream's name; zero: DefaultStream
}

// DefaultStream is the command stream's name unless Options.Stream.
const DefaultStream = "WW_SAVED"

// DefaultMaxAge keeps a week of commands: a node down longer than that
// is restored from a peer's backup (New refuses it with rsm.ErrGap).
const DefaultMaxAge = 7 * 24 * time.Hour

// Store is saved.Store replicated through JetStream.
type Store struct {
	local *boltstore.Store
	m     *rsm.Machine
	log   *slog.Logger
}

var _ saved.Store = (*Store)(nil)

// New opens this node's saved searches: st is the node's store file, js
// its JetStream. Close stops the fold; st stays the caller's.
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
	local, err := boltstore.New(ctx, st)
	if err != nil {
		return nil, err
	}
	s := &Store{local: local, log: log}
	s.m, err = rsm.Start(ctx, js, st, rsm.Config{Name: opts.Stream, Replicas: opts.Replicas, MaxAge: opts.MaxAge, Log: log}, s.apply)
	if err != nil {
		return nil, fmt.Errorf("saved: %w", err)
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
	cmdDelete = "delete"
)

type writeCmd struct {
	Search  *saved.Search `json:"search,omitempty"`
	Max     int           `json:"max,omitempty"`     // Create's per-owner limit
	ID      string        `json:"id,omitempty"`      // Delete's
	Version uint64        `json:"version,omitempty"` // Delete's expected version
}

func (s *Store) apply(ctx context.Context, seq uint64, kind string, data []byte) (any, error) {
	var c writeCmd
	if err := json.Unmarshal(data, &c); err != nil || (kind != cmdDelete && c.Search == nil) {
		return rsm.Outcome{Err: fmt.Errorf("saved: command %d: undecodable (%v)", seq, err)}, nil
	}
	var err error
	var version uint64
	switch kind {
	case cmdCreate:
		err = s.local.Create(ctx, c.Search, c.Max)
		version = c.Search.Version
	case cmdUpdate:
		err = s.local.Update(ctx, c.Search)
		version = c.Search.Version
	case cmdDelete:
		err = s.local.Delete(ctx, c.ID, c.Version)
	default:
		s.log.Error("saved: an unknown command in the stream is skipped", "seq", seq, "kind", kind)
		return rsm.Outcome{Err: fmt.Errorf("saved: unknown command %q", kind)}, nil
	}
	// The contract's answers (not found, conflict) are news errors; any
	// other is a failure of the local store, which the fold retries.
	if err != nil && news.ErrorCode(err) == "" {
		return nil, err
	}
	return rsm.Outcome{Value: version, Err: err}, nil
}

func (s *Store) submit(ctx context.Context, kind string, c writeCmd) (uint64, error) {
	v, err := s.m.Call(ctx, kind, c)
	version, _ := v.(uint64)
	return version, err
}

// Create implements saved.Store.
func (s *Store) Create(ctx context.Context, se *saved.Search, max int) error {
	v, err := s.submit(ctx, cmdCreate, writeCmd{Search: se, Max: max})
	if err == nil {
		se.Version = v
	}
	return err
}

// Get implements saved.Store from the local replica.
func (s *Store) Get(ctx context.Context, id string) (*saved.Search, error) {
	return s.local.Get(ctx, id)
}

// List implements saved.Store from the local replica.
func (s *Store) List(ctx context.Context, owner string) ([]*saved.Search, error) {
	return s.local.List(ctx, owner)
}

// Update implements saved.Store.
func (s *Store) Update(ctx context.Context, se *saved.Search) error {
	v, err := s.submit(ctx, cmdUpdate, writeCmd{Search: se})
	if err == nil {
		se.Version = v
	}
	return err
}

// Delete implements saved.Store.
func (s *Store) Delete(ctx context.Context, id string, version uint64) error {
	_, err := s.submit(ctx, cmdDelete, writeCmd{ID: id, Version: version})
	return err
}
