package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// appliedKey keys, in the meta bucket, the last stream sequence a
// replicated state machine (internal/cluster/rsm) folded into this file.
func appliedKey(name string) []byte { return []byte("applied/" + name) }

// Applied returns the last stream sequence the replicated state machine
// name has applied to this file (0: none).
func (s *Store) Applied(ctx context.Context, name string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(appliedKey(name))
		switch len(v) {
		case 0:
		case 8:
			seq = binary.BigEndian.Uint64(v)
		default:
			return fmt.Errorf("store: applied sequence of %s is %d bytes, not 8", name, len(v))
		}
		return nil
	})
	return seq, err
}

// SetApplied records seq as the last sequence name has applied.
func (s *Store) SetApplied(ctx context.Context, name string, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(appliedKey(name), binary.BigEndian.AppendUint64(nil, seq))
	})
}
