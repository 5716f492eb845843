package store

// The store as the engine's article log (engine.ArticleLog): the same
// operations as the Store's own methods, context first, so the engine can
// run on this bbolt file or on a replicated log alike. The conformance
// suite every implementation passes is internal/engine/logtest.

import (
	"context"
	"fmt"

	"github.com/watchword/watchword/internal/news"
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
