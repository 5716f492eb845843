// Package store is Watchword's source of truth: a bbolt file holding
// articles by id and a change log by ingest sequence. Every write is one
// bbolt transaction, fsynced before it returns, so an acknowledged write
// survives a crash. The Bleve index is derived from the change log.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/golang/snappy"
	"github.com/watchword/watchword/internal/news"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketArticles = []byte("articles") // id -> JSON article
	bucketLog      = []byte("log")      // seq (8 bytes BE) -> change record
	bucketMeta     = []byte("meta")     // misc keys
)

var keySeq = []byte("seq") // highest sequence number ever assigned

// Change record kinds stored as the first byte of a log value; the rest is
// the article id.
const (
	kindPut    = 'p'
	kindDelete = 'd'
)

// Articles are stored as a format byte followed by the payload. News text
// compresses about 2:1 with snappy, which halves the file, the bytes
// fsynced per batch and the pages the mmap keeps resident.
const (
	formatSnappyJSON = 's'
)

func encodeArticle(a *news.Article) ([]byte, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 1+snappy.MaxEncodedLen(len(raw)))
	buf[0] = formatSnappyJSON
	n := len(snappy.Encode(buf[1:], raw))
	return buf[:1+n], nil
}

// decodeArticle decodes a stored record; it copies, so v may be a bbolt
// page that is only valid inside the transaction.
func decodeArticle(v []byte, a *news.Article) error {
	if len(v) == 0 {
		return errors.New("empty record")
	}
	switch v[0] {
	case formatSnappyJSON:
		raw, err := snappy.Decode(nil, v[1:])
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, a)
	case '{':
		return json.Unmarshal(v, a)
	}
	return fmt.Errorf("unknown record format %q", v[0])
}

// Store is an open bbolt database.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens (creating if needed) the store file at path.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        2 * time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketArticles, bucketLog, bucketMeta} {
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

// PutArticles stores a batch of normalized articles in one transaction.
// Each gets the next ingest sequence number (written into the article).
// An article whose id exists already replaces it: its old log entry is
// removed, it keeps its first ingested_at, and it gets a new sequence.
func (s *Store) PutArticles(arts []*news.Article) error {
	if len(arts) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		ab, lb := tx.Bucket(bucketArticles), tx.Bucket(bucketLog)
		seq := nextSeq(tx)
		for _, a := range arts {
			id := []byte(a.ID)
			if old := ab.Get(id); old != nil {
				var prev news.Article
				if err := decodeArticle(old, &prev); err != nil {
					return fmt.Errorf("decode article %q: %w", a.ID, err)
				}
				if err := lb.Delete(seqKey(prev.Seq)); err != nil {
					return err
				}
				if !prev.IngestedAt.IsZero() {
					a.IngestedAt = prev.IngestedAt
				}
			}
			a.Seq = seq
			buf, err := encodeArticle(a)
			if err != nil {
				return fmt.Errorf("encode article %q: %w", a.ID, err)
			}
			if err := ab.Put(id, buf); err != nil {
				return err
			}
			if err := lb.Put(seqKey(seq), append([]byte{kindPut}, id...)); err != nil {
				return err
			}
			seq++
		}
		return setSeq(tx, seq-1)
	})
	if err != nil {
		return fmt.Errorf("store: put %d articles: %w", len(arts), err)
	}
	return nil
}

// DeleteArticle removes an article and records a tombstone in the log so
// the index can replay the deletion. It returns the tombstone's sequence.
func (s *Store) DeleteArticle(id string) (uint64, error) {
	var seq uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		ab, lb := tx.Bucket(bucketArticles), tx.Bucket(bucketLog)
		old := ab.Get([]byte(id))
		if old == nil {
			return news.Errorf(news.ECodeNotFound, "article %q not found", id)
		}
		var prev news.Article
		if err := decodeArticle(old, &prev); err != nil {
			return fmt.Errorf("decode article %q: %w", id, err)
		}
		if err := lb.Delete(seqKey(prev.Seq)); err != nil {
			return err
		}
		if err := ab.Delete([]byte(id)); err != nil {
			return err
		}
		seq = nextSeq(tx)
		if err := lb.Put(seqKey(seq), append([]byte{kindDelete}, id...)); err != nil {
			return err
		}
		return setSeq(tx, seq)
	})
	if err != nil {
		var ne *news.Error
		if errors.As(err, &ne) {
			return 0, err
		}
		return 0, fmt.Errorf("store: delete article %q: %w", id, err)
	}
	return seq, nil
}

// Article returns one article, or a not_found error.
func (s *Store) Article(id string) (*news.Article, error) {
	var a *news.Article
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketArticles).Get([]byte(id))
		if v == nil {
			return news.Errorf(news.ECodeNotFound, "article %q not found", id)
		}
		a = new(news.Article)
		return decodeArticle(v, a)
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
		b := tx.Bucket(bucketArticles)
		for i, id := range ids {
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			a := new(news.Article)
			if err := decodeArticle(v, a); err != nil {
				return fmt.Errorf("decode article %q: %w", id, err)
			}
			out[i] = a
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: get %d articles: %w", len(ids), err)
	}
	return out, nil
}

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
		n = tx.Bucket(bucketArticles).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}

// Rewrite calls fn for every stored article, in batches of batchSize per
// write transaction, and stores the article again where fn returns true.
// Sequence numbers do not change: this is for derived fields (extracted
// entities), not for new content, so alerts do not see the articles again.
func (s *Store) Rewrite(batchSize int, fn func(*news.Article) bool) (changed int, err error) {
	if batchSize <= 0 {
		batchSize = 1000
	}
	var after []byte
	for {
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketArticles)
			c := b.Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if k != nil && string(k) == string(after) {
					k, v = c.Next()
				}
			}
			type put struct {
				key []byte
				val []byte
			}
			var puts []put
			for ; k != nil && n < batchSize; k, v = c.Next() {
				n++
				after = append(after[:0], k...)
				var a news.Article
				if err := decodeArticle(v, &a); err != nil {
					return fmt.Errorf("decode article %q: %w", k, err)
				}
				if !fn(&a) {
					continue
				}
				buf, err := encodeArticle(&a)
				if err != nil {
					return err
				}
				puts = append(puts, put{append([]byte(nil), k...), buf})
			}
			for _, p := range puts {
				if err := b.Put(p.key, p.val); err != nil {
					return err
				}
			}
			changed += len(puts)
			return nil
		})
		if err != nil {
			return changed, fmt.Errorf("store: rewrite articles: %w", err)
		}
		if n < batchSize {
			return changed, nil
		}
	}
}

// Change is one entry of the change log: an article put at Seq (Article
// set) or a deletion of ID at Seq (Deleted set).
type Change struct {
	Seq     uint64
	ID      string
	Deleted bool
	Article *news.Article
}

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
			ab := tx.Bucket(bucketArticles)
			c := tx.Bucket(bucketLog).Cursor()
			for k, v := c.Seek(seqKey(after + 1)); k != nil && len(batch) < batchSize; k, v = c.Next() {
				seq := binary.BigEndian.Uint64(k)
				if upTo != 0 && seq > upTo {
					break
				}
				if len(v) < 1 {
					return fmt.Errorf("corrupt log entry at seq %d", seq)
				}
				ch := Change{Seq: seq, ID: string(v[1:])}
				switch v[0] {
				case kindDelete:
					ch.Deleted = true
				case kindPut:
					raw := ab.Get(v[1:])
					if raw == nil {
						return fmt.Errorf("log entry %d names missing article %q", seq, ch.ID)
					}
					ch.Article = new(news.Article)
					if err := decodeArticle(raw, ch.Article); err != nil {
						return fmt.Errorf("decode article %q: %w", ch.ID, err)
					}
				default:
					return fmt.Errorf("corrupt log entry at seq %d", seq)
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
