package store

// The store as the engine's article log (engine.ArticleLog): the same
// operations as the Store's own methods, context first, so the engine can
// run on this bbolt file or on a replicated log alike. The conformance
// suite every implementation passes is internal/engine/logtest.

import (
	"bytes"
	"context"
	"fmt"

	"github.com/watchword/watchword/internal/news"
	bolt "go.etcd.io/bbolt"
)

// Log is the store seen as an article log. It shares the Store's file;
// closing it closes the store.
type Log struct{ s *Store }

// Log returns the store as an article log.
func (s *Store) Log() *Log { return &Log{s: s} }

func ctxErr(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", op, context.Cause(ctx))
	}
	return nil
}

// Append stores arts in one transaction (PutArticles) and returns the
// log's highest sequence once they are in. Each article gets its
// sequence written into it: a new one, or, for an article stored already
// exactly as it is, the one it has.
func (l *Log) Append(ctx context.Context, arts []*news.Article) (uint64, error) {
	if err := ctxErr(ctx, "append"); err != nil {
		return 0, err
	}
	if len(arts) == 0 {
		return l.s.LastSeq()
	}
	return l.s.putArticles(arts)
}

// Get returns the current articles for ids in the same order; a missing
// id yields a nil entry.
func (l *Log) Get(ctx context.Context, ids []string) ([]*news.Article, error) {
	if err := ctxErr(ctx, "get"); err != nil {
		return nil, err
	}
	return l.s.Articles(ids)
}

// Exist reports, for each id, whether an article with that id is stored.
func (l *Log) Exist(ctx context.Context, ids []string) ([]bool, error) {
	if err := ctxErr(ctx, "exist"); err != nil {
		return nil, err
	}
	return l.s.Exist(ids)
}

// ReadFrom calls fn with batches of at most batch current changes whose
// sequence is in (after, upTo] (upTo 0: no bound), in order (Changes).
// ctx is checked before each batch.
func (l *Log) ReadFrom(ctx context.Context, after, upTo uint64, batch int, fn func([]news.Change) error) error {
	if err := ctxErr(ctx, "read changes"); err != nil {
		return err
	}
	return l.s.Changes(after, upTo, batch, func(chs []news.Change) error {
		if err := ctxErr(ctx, "read changes"); err != nil {
			return err
		}
		return fn(chs)
	})
}

// LastSeq returns the highest sequence assigned so far.
func (l *Log) LastSeq(ctx context.Context) (uint64, error) {
	if err := ctxErr(ctx, "last seq"); err != nil {
		return 0, err
	}
	return l.s.LastSeq()
}

// Count returns the number of current articles.
func (l *Log) Count(ctx context.Context) (int, error) {
	if err := ctxErr(ctx, "count"); err != nil {
		return 0, err
	}
	return l.s.Count()
}

// Delete removes the articles among ids that exist (DeleteArticles) and
// returns their ids and the last tombstone's sequence (0: none existed).
func (l *Log) Delete(ctx context.Context, ids []string) ([]string, uint64, error) {
	if err := ctxErr(ctx, "delete"); err != nil {
		return nil, 0, err
	}
	return l.s.DeleteArticles(ids)
}

// Close closes the store.
func (l *Log) Close() error { return l.s.Close() }

// ApplyAt folds changes that another log ordered (a replicated stream)
// into the store at the sequences they carry, and records applied as the
// store's last sequence, all in one transaction: the changes and the
// marker of how far they go are never apart. Sequences must increase,
// lie above the store's last sequence and not above applied; applied may
// be above the last change (the messages in between changed nothing).
//
// A put replaces the current article of its id (its old entry stops
// being current) with the article as given, IngestedAt included: the
// fold takes each change as it comes, so every node folds the same
// stream to the same store. A put whose article is current already
// exactly as given (apart from Seq and IngestedAt) changes nothing and
// the article keeps its sequence. A deletion removes the id's current
// article, if any, and records a tombstone at its sequence either way
// (a node that never saw the article records it too). Each put's
// article gets its resulting sequence written into it.
func (l *Log) ApplyAt(ctx context.Context, changes []news.Change, applied uint64) error {
	if err := ctxErr(ctx, "apply"); err != nil {
		return err
	}
	err := l.s.db.Update(func(tx *bolt.Tx) error {
		ib, lb := tx.Bucket(bucketIDs), tx.Bucket(bucketLog)
		lb.FillPercent = logFillPercent
		last := nextSeq(tx) - 1
		if applied < last {
			return fmt.Errorf("applied sequence %d is below the store's last sequence %d", applied, last)
		}
		prev := last
		for _, c := range changes {
			if c.Seq <= prev || c.Seq > applied {
				return fmt.Errorf("change %d (%s) out of order: after %d, up to %d", c.Seq, c.ID, prev, applied)
			}
			prev = c.Seq
			id := []byte(c.ID)
			old := ib.Get(id)
			if c.Deleted {
				if old != nil {
					if err := lb.Delete(old); err != nil {
						return err
					}
					if err := ib.Delete(id); err != nil {
						return err
					}
				}
				if err := lb.Put(seqKey(c.Seq), append([]byte{kindDelete}, id...)); err != nil {
					return err
				}
				continue
			}
			a := c.Article
			if a == nil || a.ID != c.ID {
				return fmt.Errorf("change %d (%s): no article of that id", c.Seq, c.ID)
			}
			if old != nil {
				cur, err := getRecord(lb, old)
				if err != nil {
					return fmt.Errorf("article %q: %w", c.ID, err)
				}
				same := *a
				same.Seq, same.IngestedAt = cur.Seq, cur.IngestedAt
				enc, err := encodeArticle(&same)
				if err != nil {
					return fmt.Errorf("encode article %q: %w", c.ID, err)
				}
				if bytes.Equal(enc, lb.Get(old)) {
					a.Seq, a.IngestedAt = cur.Seq, cur.IngestedAt
					continue // unchanged: keeps its sequence
				}
				if err := lb.Delete(old); err != nil {
					return err
				}
			}
			a.Seq = c.Seq
			buf, err := encodeArticle(a)
			if err != nil {
				return fmt.Errorf("encode article %q: %w", c.ID, err)
			}
			if err := lb.Put(seqKey(c.Seq), buf); err != nil {
				return err
			}
			if err := ib.Put(id, seqKey(c.Seq)); err != nil {
				return err
			}
		}
		return setSeq(tx, applied)
	})
	if err != nil {
		return fmt.Errorf("store: apply %d changes up to %d: %w", len(changes), applied, err)
	}
	return nil
}

// keyOrigin, in the meta bucket, names the log a store folds with
// ApplyAt (a replicated stream), so it is never folded from another.
var keyOrigin = []byte("origin")

// CheckOrigin records origin as the source this store's log is folded
// from, or, when one is recorded already, returns an error unless it is
// origin: a store built from one stream must not go on from another
// whose sequences mean other articles.
func (l *Log) CheckOrigin(ctx context.Context, origin string) error {
	if err := ctxErr(ctx, "check origin"); err != nil {
		return err
	}
	err := l.s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyOrigin); v != nil {
			if string(v) != origin {
				return fmt.Errorf("the store was built from %s, not from %s", v, origin)
			}
			return nil
		}
		return meta.Put(keyOrigin, []byte(origin))
	})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
