package feeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
	bolt "go.etcd.io/bbolt"
)

// Buckets kept in the store's bbolt file, next to the articles and alerts.
var (
	bucketFeeds = []byte("feeds")      // feed id -> Feed JSON
	bucketSeen  = []byte("feeds_seen") // feed id \x00 entry key -> seen JSON
)

// maxKeyBytes bounds an entry key inside a seen-set key; longer keys are
// replaced by their hash.
const maxKeyBytes = 256

// seen is what a feed remembers of one entry.
type seen struct {
	Hash      string `json:"h"`  // content hash when last ingested or checked
	ArticleID string `json:"id"` // the article it became
	LastSeen  int64  `json:"t"`  // unix seconds when last in the feed
}

func ensureBuckets(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketFeeds, bucketSeen} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("feeds: create bucket %s: %w", b, err)
			}
		}
		return nil
	})
}

func getFeed(tx *bolt.Tx, id string) (*Feed, error) {
	v := tx.Bucket(bucketFeeds).Get([]byte(id))
	if v == nil {
		return nil, news.Errorf(news.ECodeNotFound, "feed %q not found", id)
	}
	f := new(Feed)
	if err := json.Unmarshal(v, f); err != nil {
		return nil, fmt.Errorf("feeds: decode feed %q: %w", id, err)
	}
	return f, nil
}

func putFeed(tx *bolt.Tx, f *Feed) error {
	buf, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("feeds: encode feed %q: %w", f.ID, err)
	}
	return tx.Bucket(bucketFeeds).Put([]byte(f.ID), buf)
}

func allFeeds(tx *bolt.Tx) ([]*Feed, error) {
	var out []*Feed
	err := tx.Bucket(bucketFeeds).ForEach(func(k, v []byte) error {
		f := new(Feed)
		if err := json.Unmarshal(v, f); err != nil {
			return fmt.Errorf("feeds: decode feed %q: %w", k, err)
		}
		out = append(out, f)
		return nil
	})
	return out, err
}

func seenPrefix(feedID string) []byte { return append([]byte(feedID), 0) }

func seenKey(feedID, entryKey string) []byte {
	if len(entryKey) > maxKeyBytes {
		sum := sha256.Sum256([]byte(entryKey))
		entryKey = "sha256:" + hex.EncodeToString(sum[:])
	}
	return append(seenPrefix(feedID), entryKey...)
}

func getSeen(b *bolt.Bucket, key []byte) (*seen, bool) {
	v := b.Get(key)
	if v == nil {
		return nil, false
	}
	s := new(seen)
	if json.Unmarshal(v, s) != nil {
		return nil, false // unreadable: treat as unseen, the store check keeps it from duplicating
	}
	return s, true
}

func putSeen(b *bolt.Bucket, key []byte, s *seen) error {
	buf, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return b.Put(key, buf)
}

// forEachSeen calls fn for every seen entry of a feed; fn may not modify
// the bucket.
func forEachSeen(b *bolt.Bucket, feedID string, fn func(k []byte, s *seen)) {
	p := seenPrefix(feedID)
	c := b.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		s := new(seen)
		if json.Unmarshal(v, s) != nil {
			s = &seen{}
		}
		fn(k, s)
	}
}

// deleteKeys removes keys from b.
func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Buckets declares the feed buckets of the store file and how a record of
// each is decoded, for store.Verify (a restore checks every record).
func Buckets() []store.Bucket {
	return []store.Bucket{
		{Name: string(bucketFeeds), Check: func(k, v []byte) error {
			var f Feed
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
			var s seen
			return json.Unmarshal(v, &s)
		}},
	}
}
