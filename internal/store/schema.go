package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Schema declares what one package keeps in the store file beside the
// article log: its buckets (with the record checks a restore runs) and
// the migrations that bring an older layout of them to the current one.
// Each owner registers its schema once, when it is wired to the store
// (see Register); the store records the owner's schema version in its
// meta bucket, so a migration runs once per file and a file written by a
// newer Watchword is refused instead of misread.
type Schema struct {
	// Owner names the package, lower case ("alerts", "feeds"); it keys
	// the recorded version, so it never changes once released.
	Owner string
	// Buckets are created if missing. List the buckets of older layouts
	// too while a migration may still find them, so Verify accepts them.
	Buckets []Bucket
	// Migrations, in increasing Version from 1. The schema's version is
	// the last one's (0 with none).
	Migrations []Migration
}

// Migration moves an owner's records from the layout before Version to
// the layout of Version. Run must be idempotent: a crash between its end
// and the recorded version runs it again. It may use as many transactions
// as it likes (bounded batches keep memory flat) and should stop when ctx
// is done.
type Migration struct {
	Version int
	Name    string
	Run     func(ctx context.Context, db *bolt.DB) error
}

// Version is the schema's current version: its last migration's.
func (sc Schema) Version() int {
	if len(sc.Migrations) == 0 {
		return 0
	}
	return sc.Migrations[len(sc.Migrations)-1].Version
}

var ownerName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Validate checks the declaration itself (a programming error, reported
// before anything is written).
func (sc Schema) Validate() error {
	if !ownerName.MatchString(sc.Owner) {
		return fmt.Errorf("store: schema owner %q: want a short lower-case name", sc.Owner)
	}
	if sc.Owner == ownOwner {
		return fmt.Errorf("store: schema owner %q is the store's own", sc.Owner)
	}
	seen := map[string]bool{}
	for _, b := range sc.Buckets {
		if b.Name == "" || seen[b.Name] || isOwnBucket(b.Name) {
			return fmt.Errorf("store: schema %s: bucket %q is empty, repeated or the store's own", sc.Owner, b.Name)
		}
		seen[b.Name] = true
	}
	for i, m := range sc.Migrations {
		if m.Version != i+1 || m.Run == nil {
			return fmt.Errorf("store: schema %s: migration %d (%q) must have version %d and a Run", sc.Owner, i, m.Name, i+1)
		}
	}
	return nil
}

// ownOwner is the store's own entry in the registry (the article log).
const ownOwner = "store"

func isOwnBucket(name string) bool {
	return name == string(bucketIDs) || name == string(bucketLog) || name == string(bucketMeta)
}

// Own is the store's own schema: the article log's buckets.
func Own() Schema { return Schema{Owner: ownOwner, Buckets: Buckets()} }

// schemaKey is the meta key holding an owner's recorded version.
func schemaKey(owner string) []byte { return []byte("schema/" + owner) }

// ErrNewerSchema is wrapped by Register when the file's recorded version
// of a schema is newer than this build's: a newer Watchword wrote it and
// this one would misread it.
var ErrNewerSchema = errors.New("written by a newer Watchword")

// SchemaVersion is the version recorded in the file for owner (0: none).
func (s *Store) SchemaVersion(ctx context.Context, owner string) (int, error) {
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = recordedVersion(tx, owner)
		return err
	})
	return v, err
}

func recordedVersion(tx *bolt.Tx, owner string) (int, error) {
	raw := tx.Bucket(bucketMeta).Get(schemaKey(owner))
	switch len(raw) {
	case 0:
		return 0, nil
	case 8:
		return int(binary.BigEndian.Uint64(raw)), nil
	}
	return 0, fmt.Errorf("store: schema version of %s is %d bytes, not 8", owner, len(raw))
}

// Register wires an owner's schema to the store: it creates the missing
// buckets, refuses a file whose recorded version of the schema is newer
// than sc's (ErrNewerSchema), runs the migrations after the recorded
// version in order, recording each one's version as soon as it has run,
// and remembers the schema for Schemas. Registering the same owner twice
// is an error.
func (s *Store) Register(ctx context.Context, sc Schema) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readOnly {
		return s.registerReadOnly(sc)
	}
	if slices.ContainsFunc(s.schemas, func(o Schema) bool { return o.Owner == sc.Owner }) {
		return fmt.Errorf("store: schema %s registered twice", sc.Owner)
	}
	var have int
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if have, err = recordedVersion(tx, sc.Owner); err != nil {
			return err
		}
		if have > sc.Version() {
			return fmt.Errorf("store: %s: %s schema version %d, this build knows up to %d: %w",
				s.path, sc.Owner, have, sc.Version(), ErrNewerSchema)
		}
		for _, b := range sc.Buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b.Name)); err != nil {
				return fmt.Errorf("store: schema %s: create bucket %s: %w", sc.Owner, b.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range sc.Migrations[have:] {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("store: schema %s: migration %d (%s): %w", sc.Owner, m.Version, m.Name, err)
		}
		if err := m.Run(ctx, s.db); err != nil {
			return fmt.Errorf("store: schema %s: migration %d (%s): %w", sc.Owner, m.Version, m.Name, err)
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(schemaKey(sc.Owner), binary.BigEndian.AppendUint64(nil, uint64(m.Version)))
		})
		if err != nil {
			return fmt.Errorf("store: schema %s: record version %d: %w", sc.Owner, m.Version, err)
		}
	}
	s.schemas = append(s.schemas, sc)
	return nil
}

// RegisterOnce registers sc unless its owner is registered with s
// already: the bbolt implementations of the seams call it from their
// constructors, and several of one kind may share a store (tests, tools).
func (s *Store) RegisterOnce(ctx context.Context, sc Schema) error {
	s.mu.Lock()
	done := slices.ContainsFunc(s.schemas, func(o Schema) bool { return o.Owner == sc.Owner })
	s.mu.Unlock()
	if done {
		return nil
	}
	return s.Register(ctx, sc)
}

// Schemas are the store's own schema and those registered, in order.
func (s *Store) Schemas() []Schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Schema{Own()}, s.schemas...)
}

// BucketsOf lists the buckets the schemas declare, for Verify.
func BucketsOf(schemas ...Schema) []Bucket {
	var out []Bucket
	for _, sc := range schemas {
		out = append(out, sc.Buckets...)
	}
	return out
}
