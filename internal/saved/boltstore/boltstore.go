// Package boltstore keeps the saved searches in the store's bbolt file:
// the bbolt implementation of saved.Store.
//
// Format: bucket "saved_searches" maps a search id to the saved.Search
// JSON.
package boltstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/watchword/watchword/internal/saved"
	"github.com/watchword/watchword/internal/store"
	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("saved_searches") // id -> JSON saved.Search

// Schema declares the saved searches' bucket for the store's registry.
func Schema() store.Schema {
	return store.Schema{Owner: "saved", Buckets: []store.Bucket{{Name: string(bucket), Check: func(k, v []byte) error {
		var s saved.Search
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		if s.ID != string(k) {
			return fmt.Errorf("the record says id %q", s.ID)
		}
		return nil
	}}}}
}

// Store is saved.Store on a bbolt file whose schema is registered.
type Store struct{ db *bolt.DB }

var _ saved.Store = (*Store)(nil)

// New registers the schema with st (once per store) and returns the
// store.
func New(ctx context.Context, st *store.Store) (*Store, error) {
	if err := st.RegisterOnce(ctx, Schema()); err != nil {
		return nil, fmt.Errorf("saved: %w", err)
	}
	return &Store{db: st.DB()}, nil
}

func (s *Store) view(ctx context.Context, fn func(b *bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("saved: %w", context.Cause(ctx))
	}
	return s.db.View(func(tx *bolt.Tx) error { return fn(tx.Bucket(bucket)) })
}

func (s *Store) update(ctx context.Context, fn func(b *bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("saved: %w", context.Cause(ctx))
	}
	return s.db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(bucket)) })
}

// Create implements saved.Store.
func (s *Store) Create(ctx context.Context, sr *saved.Search, max int) error {
	return s.update(ctx, func(b *bolt.Bucket) error {
		if b.Get([]byte(sr.ID)) != nil {
			return saved.ErrConflict(sr.ID)
		}
		all, err := list(b, sr.Owner)
		if err != nil {
			return err
		}
		if max > 0 && len(all) >= max {
			return saved.ErrTooMany(max)
		}
		g := *sr
		g.Version = 1
		if err := put(b, &g); err != nil {
			return err
		}
		sr.Version = 1
		return nil
	})
}

// Get implements saved.Store.
func (s *Store) Get(ctx context.Context, id string) (*saved.Search, error) {
	var out *saved.Search
	err := s.view(ctx, func(b *bolt.Bucket) error {
		var err error
		out, err = get(b, id)
		return err
	})
	return out, err
}

// List implements saved.Store.
func (s *Store) List(ctx context.Context, owner string) ([]*saved.Search, error) {
	var out []*saved.Search
	err := s.view(ctx, func(b *bolt.Bucket) error {
		var err error
		out, err = list(b, owner)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *saved.Search) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Update implements saved.Store.
func (s *Store) Update(ctx context.Context, sr *saved.Search) error {
	return s.update(ctx, func(b *bolt.Bucket) error {
		cur, err := get(b, sr.ID)
		if err != nil {
			return err
		}
		if cur.Version != sr.Version {
			return saved.ErrConflict(sr.ID)
		}
		g := *sr
		g.Version++
		if err := put(b, &g); err != nil {
			return err
		}
		sr.Version = g.Version
		return nil
	})
}

// Delete implements saved.Store.
func (s *Store) Delete(ctx context.Context, id string, version uint64) error {
	return s.update(ctx, func(b *bolt.Bucket) error {
		cur, err := get(b, id)
		if err != nil {
			return err
		}
		if cur.Version != version {
			return saved.ErrConflict(id)
		}
		return b.Delete([]byte(id))
	})
}

func get(b *bolt.Bucket, id string) (*saved.Search, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return nil, saved.ErrNotFound(id)
	}
	sr := new(saved.Search)
	if err := json.Unmarshal(v, sr); err != nil {
		return nil, fmt.Errorf("saved: decode %q: %w", id, err)
	}
	return sr, nil
}

func list(b *bolt.Bucket, owner string) ([]*saved.Search, error) {
	var out []*saved.Search
	err := b.ForEach(func(k, v []byte) error {
		sr := new(saved.Search)
		if err := json.Unmarshal(v, sr); err != nil {
			return fmt.Errorf("saved: decode %q: %w", k, err)
		}
		if owner == "" || sr.Owner == owner {
			out = append(out, sr)
		}
		return nil
	})
	return out, err
}

func put(b *bolt.Bucket, sr *saved.Search) error {
	v, err := json.Marshal(sr)
	if err != nil {
		return fmt.Errorf("saved: encode %q: %w", sr.ID, err)
	}
	return b.Put([]byte(sr.ID), v)
}
