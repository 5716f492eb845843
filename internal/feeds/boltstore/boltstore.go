// Package boltstore keeps the feeds and their seen-sets in the store's
// bbolt file: the bbolt implementation of feeds.Store.
//
// Format (unchanged since the feeds were added): bucket "feeds" maps a
// feed id to the feeds.Feed JSON; bucket "feeds_seen" maps feed id, a
// zero byte and the entry key (keys over 256 bytes as "sha256:" and the
// hex digest) to {"h": content hash, "id": article id, "t": unix
// seconds last seen}.
package boltstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/store"
	bolt "go.etcd.io/bbolt"
)

// Buckets kept in the store's bbolt file, next to the articles and alerts.
var (
	bucketFeeds = []byte("feeds")      // feed id -> feeds.Feed JSON
	bucketSeen  = []byte("feeds_seen") // feed id \x00 entry key -> seen JSON
)

// maxKeyBytes bounds an entry key inside a seen-set key; longer keys are
// replaced by their hash.
const maxKeyBytes = 256

// seenRecord is the stored form of a feeds.Seen.
type seenRecord struct {
	Hash      string `json:"h"`
	ArticleID string `json:"id"`
	LastSeen  int64  `json:"t"` // unix seconds
}

// Store is the feeds.Store on the bbolt file.
type Store struct{ db *bolt.DB }

var _ feeds.Store = (*Store)(nil)

// New keeps the feeds in st's file: it registers Schema with st (once
// per store: a second New on the same store shares the registration),
// which creates the buckets.
func New(ctx context.Context, st *store.Store) (*Store, error) {
	if err := st.RegisterOnce(ctx, Schema()); err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	return &Store{db: st.DB()}, nil
}

// owner is the feeds' name in the store's schema registry.
const owner = "feeds"

// Schema declares the feed buckets to the store (no migrations: the
// format is the one the feeds were added with).
func Schema() store.Schema { return store.Schema{Owner: owner, Buckets: buckets()} }

func (s *Store) view(ctx context.Context, what string, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("feeds: %s: %w", what, context.Cause(ctx))
	}
	return s.db.View(fn)
}

func (s *Store) update(ctx context.Context, what string, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("feeds: %s: %w", what, context.Cause(ctx))
	}
	return s.db.Update(fn)
}

func (s *Store) Get(ctx context.Context, id string) (*feeds.Feed, error) {
	var f *feeds.Feed
	err := s.view(ctx, "get "+id, func(tx *bolt.Tx) error {
		var err error
		f, err = getFeed(tx, id)
		return err
	})
	return f, err
}

func (s *Store) List(ctx context.Context) ([]*feeds.Feed, error) {
	var out []*feeds.Feed
	err := s.view(ctx, "list", func(tx *bolt.Tx) error {
		var err error
		out, err = allFeeds(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *feeds.Feed) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) Create(ctx context.Context, f *feeds.Feed) error {
	return s.update(ctx, "create "+f.ID, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFeeds).Get([]byte(f.ID)) != nil {
			return fmt.Errorf("feeds: create %s: %w (it exists)", f.ID, feeds.ErrConflict)
		}
		if err := uniqueURL(tx, f); err != nil {
			return err
		}
		g := *f
		g.Version = 1
		if err := putFeed(tx, &g); err != nil {
			return err
		}
		f.Version = 1
		return nil
	})
}

// cas reads the stored feed and checks it is at version.
func cas(tx *bolt.Tx, id string, version uint64) (*feeds.Feed, error) {
	old, err := getFeed(tx, id)
	if err != nil {
		return nil, err
	}
	if old.Version != version {
		return nil, fmt.Errorf("feeds: %s is at version %d, not %d: %w", id, old.Version, version, feeds.ErrConflict)
	}
	return old, nil
}

func (s *Store) Update(ctx context.Context, f *feeds.Feed) error {
	return s.write(ctx, "update", f, true, nil)
}

func (s *Store) RecordPoll(ctx context.Context, f *feeds.Feed, seen *feeds.SeenUpdate) error {
	return s.write(ctx, "record poll of", f, false, seen)
}

// write is Update (checkURL) and RecordPoll (seen).
func (s *Store) write(ctx context.Context, what string, f *feeds.Feed, checkURL bool, seen *feeds.SeenUpdate) error {
	return s.update(ctx, what+" "+f.ID, func(tx *bolt.Tx) error {
		if _, err := cas(tx, f.ID, f.Version); err != nil {
			return err
		}
		if checkURL {
			if err := uniqueURL(tx, f); err != nil {
				return err
			}
		}
		if seen != nil {
			if err := writeSeen(tx.Bucket(bucketSeen), f.ID, seen); err != nil {
				return fmt.Errorf("feeds: %s %s: seen-set: %w", what, f.ID, err)
			}
		}
		g := *f
		g.Version++
		if err := putFeed(tx, &g); err != nil {
			return err
		}
		f.Version = g.Version
		return nil
	})
}

func writeSeen(b *bolt.Bucket, feedID string, u *feeds.SeenUpdate) error {
	for k, r := range u.Put {
		buf, err := json.Marshal(seenRecord{Hash: r.Hash, ArticleID: r.ArticleID, LastSeen: r.LastSeen.Unix()})
		if err != nil {
			return err
		}
		if err := b.Put(seenKey(feedID, k), buf); err != nil {
			return err
		}
	}
	if u.ForgetBefore.IsZero() {
		return nil
	}
	present := make(map[string]bool, len(u.Present)+len(u.Put))
	for _, k := range u.Present {
		present[string(seenKey(feedID, k))] = true
	}
	for k := range u.Put {
		present[string(seenKey(feedID, k))] = true
	}
	cutoff := u.ForgetBefore.Unix()
	var gone [][]byte
	forEachSeen(b, feedID, func(k []byte, r *seenRecord) {
		if !present[string(k)] && r.LastSeen < cutoff {
			gone = append(gone, append([]byte(nil), k...))
		}
	})
	return deleteKeys(b, gone)
}

func (s *Store) Delete(ctx context.Context, id string, version uint64) error {
	return s.update(ctx, "delete "+id, func(tx *bolt.Tx) error {
		if _, err := cas(tx, id, version); err != nil {
			return err
		}
		if err := tx.Bucket(bucketFeeds).Delete([]byte(id)); err != nil {
			return err
		}
		b := tx.Bucket(bucketSeen)
		var keys [][]byte
		forEachSeen(b, id, func(k []byte, _ *seenRecord) { keys = append(keys, append([]byte(nil), k...)) })
		return deleteKeys(b, keys)
	})
}

func (s *Store) Seen(ctx context.Context, feedID string, keys []string) ([]*feeds.Seen, error) {
	out := make([]*feeds.Seen, len(keys))
	err := s.view(ctx, "read seen-set of "+feedID, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeen)
		for i, k := range keys {
			v := b.Get(seenKey(feedID, k))
			if v == nil {
				continue
			}
			var r seenRecord
			if json.Unmarshal(v, &r) != nil {
				continue // unreadable: treated as unseen
			}
			out[i] = &feeds.Seen{Hash: r.Hash, ArticleID: r.ArticleID, LastSeen: time.Unix(r.LastSeen, 0).UTC()}
		}
		return nil
	})
	return out, err
}

func getFeed(tx *bolt.Tx, id string) (*feeds.Feed, error) {
	v := tx.Bucket(bucketFeeds).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("feeds: %q: %w", id, feeds.ErrNotFound)
	}
	f := new(feeds.Feed)
	if err := json.Unmarshal(v, f); err != nil {
		return nil, fmt.Errorf("feeds: decode feed %q: %w", id, err)
	}
	return f, nil
}

func putFeed(tx *bolt.Tx, f *feeds.Feed) error {
	buf, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("feeds: encode feed %q: %w", f.ID, err)
	}
	return tx.Bucket(bucketFeeds).Put([]byte(f.ID), buf)
}

func allFeeds(tx *bolt.Tx) ([]*feeds.Feed, error) {
	var out []*feeds.Feed
	err := tx.Bucket(bucketFeeds).ForEach(func(k, v []byte) error {
		f := new(feeds.Feed)
		if err := json.Unmarshal(v, f); err != nil {
			return fmt.Errorf("feeds: decode feed %q: %w", k, err)
		}
		out = append(out, f)
		return nil
	})
	return out, err
}

// uniqueURL refuses a second feed with the same URL.
func uniqueURL(tx *bolt.Tx, f *feeds.Feed) error {
	all, err := allFeeds(tx)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID != f.ID && o.URL == f.URL {
			return &feeds.URLTakenError{ID: o.ID}
		}
	}
	return nil
}

func seenPrefix(feedID string) []byte { return append([]byte(feedID), 0) }

func seenKey(feedID, entryKey string) []byte {
	if len(entryKey) > maxKeyBytes {
		sum := sha256.Sum256([]byte(entryKey))
		entryKey = "sha256:" + hex.EncodeToString(sum[:])
	}
	return append(seenPrefix(feedID), entryKey...)
}

// forEachSeen calls fn for every seen record of a feed; fn may not modify
// the bucket.
func forEachSeen(b *bolt.Bucket, feedID string, fn func(k []byte, r *seenRecord)) {
	p := seenPrefix(feedID)
	c := b.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		r := new(seenRecord)
		if json.Unmarshal(v, r) != nil {
			r = &seenRecord{}
		}
		fn(k, r)
	}
}

func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// buckets declares the feed buckets of the store file and how a record of
// each is decoded, for store.Verify (a restore checks every record).
func buckets() []store.Bucket {
	return []store.Bucket{
		{Name: string(bucketFeeds), Check: func(k, v []byte) error {
			var f feeds.Feed
			if err := json.Unmarshal(v, &f); err != nil {
				return err
			}
			if f.ID != string(k) {
				return fmt.Errorf("the record says id %q", f.ID)
			}
			return nil
		}},
		{Name: string(bucketSeen), Check: func(k, v []byte) error {
			if !bytes.Contains(k, []byte{0}) {
				return errors.New("key has no feed id \\x00 entry key form")
			}
			var s seenRecord
			return json.Unmarshal(v, &s)
		}},
	}
}
