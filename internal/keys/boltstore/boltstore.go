// Package boltstore keeps the API keys in the store's bbolt file.
package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/store"
	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("keys") // key id -> JSON keys.Key

// Schema declares the keys bucket for the store's registry.
func Schema() store.Schema {
	return store.Schema{Owner: "keys", Buckets: []store.Bucket{{Name: string(bucket), Check: func(k, v []byte) error {
		var key keys.Key
		if err := json.Unmarshal(v, &key); err != nil {
			return err
		}
		if key.ID != string(k) || len(key.Hash) != 32 {
			return fmt.Errorf("the record says id %q with a %d-byte hash", key.ID, len(key.Hash))
		}
		return nil
	}}}}
}

// Store is keys.Store on a bbolt file whose schema is registered.
type Store struct{ db *bolt.DB }

// New registers the keys schema with st (once per store) and returns
// the store.
func New(ctx context.Context, st *store.Store) (*Store, error) {
	if err := st.RegisterOnce(ctx, Schema()); err != nil {
		return nil, err
	}
	return &Store{db: st.DB()}, nil
}

var _ keys.Store = (*Store)(nil)

// Create implements keys.Store.
func (s *Store) Create(ctx context.Context, k *keys.Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b.Get([]byte(k.ID)) != nil {
			return keys.ErrConflict(k.ID)
		}
		k.Version = 1
		return put(b, k)
	})
}

// Get implements keys.Store.
func (s *Store) Get(ctx context.Context, id string) (*keys.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var k *keys.Key
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(id))
		if v == nil {
			return keys.ErrNotFound(id)
		}
		k = new(keys.Key)
		return json.Unmarshal(v, k)
	})
	return k, err
}

// List implements keys.Store.
func (s *Store) List(ctx context.Context) ([]*keys.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*keys.Key
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			k := new(keys.Key)
			if err := json.Unmarshal(v, k); err != nil {
				return err
			}
			out = append(out, k)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	sortOldestFirst(out)
	return out, nil
}

// Update implements keys.Store.
func (s *Store) Update(ctx context.Context, k *keys.Key, version uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		v := b.Get([]byte(k.ID))
		if v == nil {
			return keys.ErrNotFound(k.ID)
		}
		var cur keys.Key
		if err := json.Unmarshal(v, &cur); err != nil {
			return err
		}
		if cur.Version != version {
			return keys.ErrConflict(k.ID)
		}
		k.Version = version + 1
		return put(b, k)
	})
}

func put(b *bolt.Bucket, k *keys.Key) error {
	v, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return b.Put([]byte(k.ID), v)
}

func sortOldestFirst(ks []*keys.Key) {
	slices.SortStableFunc(ks, func(a, b *keys.Key) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
