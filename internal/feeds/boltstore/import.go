package boltstore

// What the cluster import (internal/cluster/importer) reads from a single
// node's file and writes, through internal/feeds/jsstore's import
// command, into every node's replica. The writes only add what is
// absent, so a command applied twice, or an import resumed after a
// failure, leaves a feed polled since as it is.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/watchword/watchword/internal/feeds"
	bolt "go.etcd.io/bbolt"
)

// SeenEntry is one seen record under its stored key (an entry key, or
// "sha256:" and the digest of a long one).
type SeenEntry struct {
	Key string `json:"k"`
	feeds.Seen
}

// AllSeen returns a feed's whole seen-set.
func (s *Store) AllSeen(ctx context.Context, feedID string) ([]SeenEntry, error) {
	var out []SeenEntry
	err := s.view(ctx, "read seen-set of "+feedID, func(tx *bolt.Tx) error {
		p := len(seenPrefix(feedID))
		forEachSeen(tx.Bucket(bucketSeen), feedID, func(k []byte, r *seenRecord) {
			out = append(out, SeenEntry{Key: string(k[p:]), Seen: feeds.Seen{Hash: r.Hash, ArticleID: r.ArticleID, LastSeen: time.Unix(r.LastSeen, 0).UTC()}})
		})
		return nil
	})
	return out, err
}

// Import stores seen records of a feed where it has none under the key,
// then, when f is not nil, the feed as another store had it (its
// version and status included) unless a feed with its id exists.
// created reports whether f was stored now.
func (s *Store) Import(ctx context.Context, feedID string, f *feeds.Feed, seen []SeenEntry) (created bool, err error) {
	err = s.update(ctx, "import "+feedID, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeen)
		for _, e := range seen {
			k := seenKey(feedID, e.Key)
			if b.Get(k) != nil {
				continue
			}
			v, err := json.Marshal(seenRecord{Hash: e.Hash, ArticleID: e.ArticleID, LastSeen: e.LastSeen.Unix()})
			if err != nil {
				return err
			}
			if err := b.Put(k, v); err != nil {
				return err
			}
		}
		if f == nil || tx.Bucket(bucketFeeds).Get([]byte(f.ID)) != nil {
			return nil
		}
		if err := uniqueURL(tx, f); err != nil {
			return err
		}
		created = true
		return putFeed(tx, f)
	})
	if err != nil {
		return false, fmt.Errorf("feeds: import %s: %w", feedID, err)
	}
	return created, nil
}
