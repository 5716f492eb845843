// Package jsstore is feeds.Store for the cluster mode: every write
// (Create, Update, Delete, RecordPoll) is a command in a replicated
// JetStream stream (internal/cluster/rsm), which every node folds, in
// order, into its own bbolt file through internal/feeds/boltstore; the
// compare-and-set on a feed's Version is checked when the command
// applies, the same on every node. The writer returns once its own node
// has applied the command, with the outcome its fold computed; reads
// (Get, List, Seen) come from the local file. The feeds' seen-sets are
// replicated with the polls that write them.
package jsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/cluster/rsm"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/boltstore"
	"github.com/watchword/watchword/internal/store"
)

// Options configure the replicated store.
type Options struct {
	Replicas int           // of the command stream: 3 in a 3-node cluster; zero: 1
	MaxAge   time.Duration // of a command; zero: DefaultMaxAge
	Stream   string        // the command stream's name; zero: "WW_FEEDS"
}

// DefaultMaxAge keeps a week of commands: a node down longer than that
// is restored from a peer's backup (New refuses it with rsm.ErrGap).
const DefaultMaxAge = 7 * 24 * time.Hour

// Store is feeds.Store replicated through JetStream.
type Store struct {
	local *boltstore.Store
	m     *rsm.Machine
	log   *slog.Logger
}

var _ feeds.Store = (*Store)(nil)

// New opens this node's feed state: st is the node's store file, js its
// JetStream. Close stops the fold; st stays the caller's.
func New(ctx context.Context, js jetstream.JetStream, st *store.Store, log *slog.Logger, opts Options) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if opts.Stream == "" {
		opts.Stream = "WW_FEEDS"
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
		return nil, fmt.Errorf("feeds: %w", err)
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
	cmdPoll   = "poll"
)

type writeCmd struct {
	Feed *feeds.Feed       `json:"feed,omitempty"`
	Seen *feeds.SeenUpdate `json:"seen,omitempty"`
	// Delete's:
	ID      string `json:"id,omitempty"`
	Version uint64 `json:"version,omitempty"`
}

// isOutcome tells an answer of the contract from a failure of the local
// store, which the fold retries.
func isOutcome(err error) bool {
	var taken *feeds.URLTakenError
	return err == nil || errors.Is(err, feeds.ErrConflict) || errors.Is(err, feeds.ErrNotFound) || errors.As(err, &taken)
}

func (s *Store) apply(ctx context.Context, seq uint64, kind string, data []byte) (any, error) {
	if kind == cmdImport {
		return s.applyImport(ctx, seq, data)
	}
	var c writeCmd
	if err := json.Unmarshal(data, &c); err != nil {
		return rsm.Outcome{Err: fmt.Errorf("feeds: command %d: %w", seq, err)}, nil
	}
	if kind != cmdDelete && c.Feed == nil {
		return rsm.Outcome{Err: fmt.Errorf("feeds: command %d (%s) without a feed", seq, kind)}, nil
	}
	var err error
	switch kind {
	case cmdCreate:
		err = s.local.Create(ctx, c.Feed)
	case cmdUpdate:
		err = s.local.Update(ctx, c.Feed)
	case cmdPoll:
		err = s.local.RecordPoll(ctx, c.Feed, c.Seen)
	case cmdDelete:
		err = s.local.Delete(ctx, c.ID, c.Version)
	default:
		s.log.Error("feeds: an unknown command in the stream is skipped", "seq", seq, "kind", kind)
		return rsm.Outcome{Err: fmt.Errorf("feeds: unknown command %q", kind)}, nil
	}
	if !isOutcome(err) {
		return nil, err
	}
	var v uint64
	if c.Feed != nil {
		v = c.Feed.Version
	}
	return rsm.Outcome{Value: v, Err: err}, nil
}

func (s *Store) submit(ctx context.Context, kind string, c writeCmd) (uint64, error) {
	v, err := s.m.Call(ctx, kind, c)
	version, _ := v.(uint64)
	return version, err
}

// Get implements feeds.Definitions from the local replica.
func (s *Store) Get(ctx context.Context, id string) (*feeds.Feed, error) { return s.local.Get(ctx, id) }

// List implements feeds.Definitions from the local replica.
func (s *Store) List(ctx context.Context) ([]*feeds.Feed, error) { return s.local.List(ctx) }

// Create implements feeds.Definitions.
func (s *Store) Create(ctx context.Context, f *feeds.Feed) error {
	v, err := s.submit(ctx, cmdCreate, writeCmd{Feed: f})
	if err == nil {
		f.Version = v
	}
	return err
}

// Update implements feeds.Definitions.
func (s *Store) Update(ctx context.Context, f *feeds.Feed) error {
	v, err := s.submit(ctx, cmdUpdate, writeCmd{Feed: f})
	if err == nil {
		f.Version = v
	}
	return err
}

// Delete implements feeds.Definitions.
func (s *Store) Delete(ctx context.Context, id string, version uint64) error {
	_, err := s.submit(ctx, cmdDelete, writeCmd{ID: id, Version: version})
	return err
}

// Seen implements feeds.PollState from the local replica.
func (s *Store) Seen(ctx context.Context, feedID string, keys []string) ([]*feeds.Seen, error) {
	return s.local.Seen(ctx, feedID, keys)
}

// RecordPoll implements feeds.PollState: the feed and its seen-set
// changes are one command, applied in one transaction on every node.
func (s *Store) RecordPoll(ctx context.Context, f *feeds.Feed, seen *feeds.SeenUpdate) error {
	v, err := s.submit(ctx, cmdPoll, writeCmd{Feed: f, Seen: seen})
	if err == nil {
		f.Version = v
	}
	return err
}
