package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrReadOnly is Register's answer on a store opened with OpenReadOnly
// when the schema would have to create buckets or migrate. (A write on
// such a store fails with bbolt's own read-only error.)
var ErrReadOnly = errors.New("the store is open read-only")

// ErrNoSchema is Register's answer on a read-only store that never held
// the schema's owner (no recorded version, none of its buckets): a store
// written by `watchword ingest` alone has no alert buckets, say. The
// owner has nothing to read there.
var ErrNoSchema = errors.New("the store never held this schema")

// OpenReadOnly opens an existing store file for reading only, as the
// cluster import reads a single node's directory: it takes bbolt's shared
// lock, waiting at most timeout, so a file a running server holds (its
// exclusive lock) gives ErrLocked (wrapped), and the server cannot start
// on the file while it is open here. Nothing in the file is written:
// Register checks a schema instead of applying it (see Register).
func OpenReadOnly(path string, timeout time.Duration) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := CheckFile(context.Background(), path); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketIDs, bucketLog, bucketMeta} {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("store: %s has no bucket %q: not a Watchword store", path, b)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, path: path, readOnly: true}, nil
}

// registerReadOnly checks, on a read-only store, that sc needs nothing
// written: its recorded version is sc's and every bucket exists.
func (s *Store) registerReadOnly(sc Schema) error {
	if slices.ContainsFunc(s.schemas, func(o Schema) bool { return o.Owner == sc.Owner }) {
		return fmt.Errorf("store: schema %s registered twice", sc.Owner)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		have, err := recordedVersion(tx, sc.Owner)
		if err != nil {
			return err
		}
		if have == 0 && !slices.ContainsFunc(sc.Buckets, func(b Bucket) bool { return tx.Bucket([]byte(b.Name)) != nil }) {
			return fmt.Errorf("store: %s: %s: %w", s.path, sc.Owner, ErrNoSchema)
		}
		if have != sc.Version() {
			return fmt.Errorf("store: %s: %s schema version %d, this build's is %d: start it once as a single node with this build (which migrates it), stop it, then read it again: %w",
				s.path, sc.Owner, have, sc.Version(), ErrReadOnly)
		}
		for _, b := range sc.Buckets {
			if tx.Bucket([]byte(b.Name)) == nil {
				return fmt.Errorf("store: %s: %s has no bucket %s: start it once as a single node with this build, stop it, then read it again: %w", s.path, sc.Owner, b.Name, ErrReadOnly)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.schemas = append(s.schemas, sc)
	return nil
}
