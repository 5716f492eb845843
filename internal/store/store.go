// Package store is Watchword's source of truth: a bbolt file holding a
// change log by ingest sequence, whose put entries are the article records
// themselves, and an index from article id to its current sequence. Every
// write is one bbolt transaction, fsynced before it returns, so an
// acknowledged write survives a crash. The Bleve index is derived from the
// change log.
//
// Keying records by sequence makes ingest append-only at the right edge of
// the B+tree: a bulk load touches few pages besides the new ones, so the
// mmap does not drag the whole file into memory, and replaying the log
// reads it sequentially.
package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/snappy"
	"github.com/watchword/watchword/internal/news"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketIDs  = []byte("ids")  // article id -> seq (8 bytes BE) of its record
	bucketLog  = []byte("log")  // seq (8 bytes BE) -> change record
	bucketMeta = []byte("meta") // misc keys
)

var keySeq = []byte("seq") // highest sequence number ever assigned

// logFillPercent packs log pages nearly full: keys only ever grow, so the
// default of half-full pages after a split would double the file.
const logFillPercent = 0.95

// Change record kinds, the first byte of a log value. A put is followed
// by the encoded article, a delete by the article id.
const (
	kindPut    = 'p'
	kindDelete = 'd'
)

// A put record is kindPut followed by the snappy-compressed JSON article.
// News text compresses about 2:1, which halves the file, the bytes fsynced
// per batch and the pages the mmap keeps resident.

func encodeArticle(a *news.Article) ([]byte, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 1+snappy.MaxEncodedLen(len(raw)))
	buf[0] = kindPut
	n := len(snappy.Encode(buf[1:], raw))
	return buf[:1+n], nil
}

// decodeArticle decodes a stored record; it copies, so v may be a bbolt
// page that is only valid inside the transaction.
func decodeArticle(v []byte, a *news.Article) error {
	if len(v) == 0 || v[0] != kindPut {
		return errors.New("not an article record")
	}
	raw, err := snappy.Decode(nil, v[1:])
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, a)
}

// Store is an open bbolt database.
type Store struct {
	db       *bolt.DB
	path     string
	readOnly bool // OpenReadOnly

	mu      sync.Mutex
	schemas []Schema // registered by the packages that keep buckets here
}

// Open opens (creating if needed) the store file at path.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
	}
	// bbolt reads a damaged file to a crash (see verify.go): check the
	// page structure first. This reads the pages bbolt's open reads next.
	if err := CheckFile(context.Background(), path); err != nil {
		return nil, err
	}
	db, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketIDs, bucketLog, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: init buckets in %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// openBolt opens the file for writing. bbolt rebuilds the free list by
// walking the pages and panics on an inconsistency it finds there (keys
// out of order, say): that is an error here.
func openBolt(path string) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, &CorruptError{Path: path, Err: fmt.Errorf("bbolt could not read it: %v", p)}
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        2 * time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// DB exposes the bbolt handle to sibling packages that keep their own
// buckets in the same file (alerts), so their state commits atomically.
func (s *Store) DB() *bolt.DB { return s.db }

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func nextSeq(tx *bolt.Tx) uint64 {
	meta := tx.Bucket(bucketMeta)
	var cur uint64
	if v := meta.Get(keySeq); len(v) == 8 {
		cur = binary.BigEndian.Uint64(v)
	}
	return cur + 1
}

func setSeq(tx *bolt.Tx, seq uint64) error {
	return tx.Bucket(bucketMeta).Put(keySeq, seqKey(seq))
}

// Exist reports, for each id, whether an article with that id is stored.
// It reads only the id index, not the articles.
func (s *Store) Exist(ids []string) ([]bool, error) {
	out := make([]bool, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		ib := tx.Bucket(bucketIDs)
		for i, id := range ids {
			out[i] = ib.Get([]byte(id)) != nil
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: look up %d ids: %w", len(ids), err)
	}
	return out, nil
}

// InUse returns the bytes of the file's pages in use: up to its
// high-water mark (bbolt grows the file ahead of it in steps) less the
// free pages it reuses before growing the file.
func (s *Store) InUse() (int64, error) {
	var size int64
	if err := s.db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }); err != nil {
		return 0, fmt.Errorf("store: size: %w", err)
	}
	st := s.db.Stats()
	return size - int64(st.FreePageN+st.PendingPageN)*int64(s.db.Info().PageSize), nil
}

// Article returns one article, or a not_found error.
func (s *Store) Article(id string) (*news.Article, error) {
	var a *news.Article
	err := s.db.View(func(tx *bolt.Tx) error {
		k := tx.Bucket(bucketIDs).Get([]byte(id))
		if k == nil {
			return news.Errorf(news.ECodeNotFound, "article %q not found", id)
		}
		var err error
		a, err = getRecord(tx.Bucket(bucketLog), k)
		return err
	})
	if err != nil {
		if news.ErrorCode(err) == news.ECodeNotFound {
			return nil, err
		}
		return nil, fmt.Errorf("store: get article %q: %w", id, err)
	}
	return a, nil
}

// Articles returns the articles for ids in the same order; a missing id
// yields a nil entry.
func (s *Store) Articles(ids []string) ([]*news.Article, error) {
	out := make([]*news.Article, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		// The lookups run in order in the transaction (bbolt's buckets
		// are not for concurrent use); the records, valid until it ends,
		// are then decoded on every core: snappy and JSON are most of
		// the cost of a large read (an export reads 500 at a time).
		ib, lb := tx.Bucket(bucketIDs), tx.Bucket(bucketLog)
		keys, vals := make([][]byte, len(ids)), make([][]byte, len(ids))
		for i, id := range ids {
			k := ib.Get([]byte(id))
			if k == nil {
				continue
			}
			v := lb.Get(k)
			if v == nil {
				return fmt.Errorf("article %q: bucket \"log\" key %d: no record (the id index names it)", id, binary.BigEndian.Uint64(k))
			}
			keys[i], vals[i] = k, v
		}
		errs := make([]error, len(ids))
		decode := func(i int) {
			if vals[i] == nil {
				return
			}
			a := new(news.Article)
			if err := decodeArticle(vals[i], a); err != nil {
				errs[i] = fmt.Errorf("article %q: bucket \"log\" key %d: %w", ids[i], binary.BigEndian.Uint64(keys[i]), err)
				return
			}
			out[i] = a
		}
		if workers := runtime.GOMAXPROCS(0); len(ids) >= parallelDecode && workers > 1 {
			var next atomic.Int64
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for i := int(next.Add(1) - 1); i < len(ids); i = int(next.Add(1) - 1) {
						decode(i)
					}
				})
			}
			wg.Wait()
		} else {
			for i := range ids {
				decode(i)
			}
		}
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: get %d articles: %w", len(ids), err)
	}
	return out, nil
}

// parallelDecode is the number of articles from which Articles decodes
// on every core.
const parallelDecode = 64

// LastSeq returns the highest sequence number assigned so far.
func (s *Store) LastSeq() (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keySeq); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: read last seq: %w", err)
	}
	return seq, nil
}

// Count returns the number of stored articles.
func (s *Store) Count() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketIDs).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}

// Change is one entry of the change log (news.Change).
type Change = news.Change

// Changes calls fn with batches of at most batchSize changes whose
// sequence is in (after, upTo], in sequence order. upTo 0 means no upper
// bound. Each batch is read in its own read transaction, so a long replay
// does not pin old pages; fn may write to the store.
func (s *Store) Changes(after, upTo uint64, batchSize int, fn func([]Change) error) error {
	if batchSize <= 0 {
		batchSize = 1000
	}
	for {
		var batch []Change
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketLog).Cursor()
			for k, v := c.Seek(seqKey(after + 1)); k != nil && len(batch) < batchSize; k, v = c.Next() {
				seq := binary.BigEndian.Uint64(k)
				if upTo != 0 && seq > upTo {
					break
				}
				if len(v) < 1 {
					return fmt.Errorf("bucket \"log\" key %d: empty record", seq)
				}
				ch := Change{Seq: seq}
				if v[0] == kindDelete {
					ch.ID, ch.Deleted = string(v[1:]), true
				} else {
					ch.Article = new(news.Article)
					if err := decodeArticle(v, ch.Article); err != nil {
						return fmt.Errorf("bucket \"log\" key %d: %w", seq, err)
					}
					ch.ID = ch.Article.ID
				}
				batch = append(batch, ch)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: read changes after %d: %w", after, err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		after = batch[len(batch)-1].Seq
	}
}

// keyHeld, in the meta bucket, marks a store restored from a backup: its
// schedulers and webhook senders start held (see the serve command).
var keyHeld = []byte("held")

// Held returns why the store's scheduled work is held ("" when it is not).
func (s *Store) Held() (string, error) {
	var reason string
	err := s.db.View(func(tx *bolt.Tx) error {
		reason = string(tx.Bucket(bucketMeta).Get(keyHeld))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store: read the held mark: %w", err)
	}
	return reason, nil
}

// SetHeld marks the store held for reason, durably.
func (s *Store) SetHeld(reason string) error {
	if reason == "" {
		return errors.New("store: a held mark needs a reason")
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyHeld, []byte(reason)) })
	if err != nil {
		return fmt.Errorf("store: write the held mark: %w", err)
	}
	return nil
}

// ClearHeld removes the held mark, durably.
func (s *Store) ClearHeld() error {
	err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyHeld) })
	if err != nil {
		return fmt.Errorf("store: clear the held mark: %w", err)
	}
	return nil
}
