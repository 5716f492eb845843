package store

// Writes: puts and deletes, each batch one fsynced bbolt transaction that
// appends to the change log, and Rewrite, which stores derived fields
// again in place, at the same sequences.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/watchword/watchword/internal/news"
	bolt "go.etcd.io/bbolt"
)

// PutArticles stores a batch of normalized articles in one transaction.
// Each gets the next ingest sequence number (written into the article).
// An article whose id exists already replaces it: its old log entry is
// removed, it keeps its first ingested_at, and it gets a new sequence.
// An article stored already exactly as it is (same record once its
// ingested_at and sequence are the stored ones) is left alone: it keeps
// its sequence, which is written into it, and nothing is appended, so a
// retried ingest does not show the article to alerts again.
func (s *Store) PutArticles(arts []*news.Article) error {
	_, err := s.putArticles(arts)
	return err
}

// putArticles is PutArticles; it returns the highest sequence assigned
// so far once the batch is in.
func (s *Store) putArticles(arts []*news.Article) (last uint64, err error) {
	if len(arts) == 0 {
		return 0, nil
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		ib, lb := tx.Bucket(bucketIDs), tx.Bucket(bucketLog)
		lb.FillPercent = logFillPercent
		seq := nextSeq(tx)
		for _, a := range arts {
			id := []byte(a.ID)
			if old := ib.Get(id); old != nil {
				prev, err := getRecord(lb, old)
				if err != nil {
					return fmt.Errorf("article %q: %w", a.ID, err)
				}
				if !prev.IngestedAt.IsZero() {
					a.IngestedAt = prev.IngestedAt
				}
				a.Seq = binary.BigEndian.Uint64(old)
				same, err := encodeArticle(a)
				if err != nil {
					return fmt.Errorf("encode article %q: %w", a.ID, err)
				}
				if bytes.Equal(same, lb.Get(old)) {
					continue // unchanged: keep its sequence
				}
				if err := lb.Delete(old); err != nil {
					return err
				}
			}
			a.Seq = seq
			buf, err := encodeArticle(a)
			if err != nil {
				return fmt.Errorf("encode article %q: %w", a.ID, err)
			}
			if err := lb.Put(seqKey(seq), buf); err != nil {
				return err
			}
			if err := ib.Put(id, seqKey(seq)); err != nil {
				return err
			}
			seq++
		}
		last = seq - 1
		return setSeq(tx, last)
	})
	if err != nil {
		return 0, fmt.Errorf("store: put %d articles: %w", len(arts), err)
	}
	return last, nil
}

// getRecord reads the put record at key.
func getRecord(lb *bolt.Bucket, key []byte) (*news.Article, error) {
	v := lb.Get(key)
	if v == nil {
		return nil, fmt.Errorf("bucket \"log\" key %d: no record (the id index names it)", binary.BigEndian.Uint64(key))
	}
	a := new(news.Article)
	if err := decodeArticle(v, a); err != nil {
		return nil, fmt.Errorf("bucket \"log\" key %d: %w", binary.BigEndian.Uint64(key), err)
	}
	return a, nil
}

// DeleteArticle removes an article and records a tombstone in the log so
// the index can replay the deletion. It returns the tombstone's sequence.
func (s *Store) DeleteArticle(id string) (uint64, error) {
	var seq uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		ib, lb := tx.Bucket(bucketIDs), tx.Bucket(bucketLog)
		lb.FillPercent = logFillPercent
		old := ib.Get([]byte(id))
		if old == nil {
			return news.Errorf(news.ECodeNotFound, "article %q not found", id)
		}
		if err := lb.Delete(old); err != nil {
			return err
		}
		if err := ib.Delete([]byte(id)); err != nil {
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

// DeleteArticles removes the articles with the given ids that exist, in
// one transaction, with a tombstone each in the log (as DeleteArticle). It
// returns the ids it deleted and the last tombstone's sequence (0 when
// none existed). Missing ids are skipped: a concurrent delete is not an
// error here.
func (s *Store) DeleteArticles(ids []string) (deleted []string, lastSeq uint64, err error) {
	if len(ids) == 0 {
		return nil, 0, nil
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		deleted, lastSeq = deleted[:0], 0
		ib, lb := tx.Bucket(bucketIDs), tx.Bucket(bucketLog)
		lb.FillPercent = logFillPercent
		seq := nextSeq(tx)
		for _, id := range ids {
			old := ib.Get([]byte(id))
			if old == nil {
				continue
			}
			if err := lb.Delete(old); err != nil {
				return err
			}
			if err := ib.Delete([]byte(id)); err != nil {
				return err
			}
			if err := lb.Put(seqKey(seq), append([]byte{kindDelete}, id...)); err != nil {
				return err
			}
			deleted = append(deleted, id)
			lastSeq = seq
			seq++
		}
		if lastSeq == 0 {
			return nil
		}
		return setSeq(tx, lastSeq)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: delete %d articles: %w", len(ids), err)
	}
	return deleted, lastSeq, nil
}

// Rewrite calls fn for every stored article, in batches of batchSize per
// write transaction, and stores the article again where fn returns true.
// Sequence numbers do not change: this is for derived fields (extracted
// entities), not for new content, so alerts do not see the articles again.
// ctx is checked before each batch; the batches written stay written.
func (s *Store) Rewrite(ctx context.Context, batchSize int, fn func(*news.Article) bool) (changed int, err error) {
	if batchSize <= 0 {
		batchSize = 1000
	}
	var next uint64 = 1
	for {
		if err := ctx.Err(); err != nil {
			return changed, fmt.Errorf("store: rewrite articles: %w", context.Cause(ctx))
		}
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			lb := tx.Bucket(bucketLog)
			type put struct{ key, val []byte }
			var puts []put
			c := lb.Cursor()
			for k, v := c.Seek(seqKey(next)); k != nil && n < batchSize; k, v = c.Next() {
				n++
				next = binary.BigEndian.Uint64(k) + 1
				if len(v) == 0 || v[0] == kindDelete {
					continue
				}
				var a news.Article
				if err := decodeArticle(v, &a); err != nil {
					return fmt.Errorf("bucket \"log\" key %d: %w", next-1, err)
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
				if err := lb.Put(p.key, p.val); err != nil {
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
