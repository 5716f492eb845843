package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

// This file is the alert runner's door to the store and the index: the
// alerts package sees these names and methods only, never index, query
// or the store.

// Change is one entry of the article log: a put or a delete.
type Change = store.Change

// Highlighter builds snippets with the terms of a query marked.
type Highlighter = index.Highlighter

// MaxMatchWindow is the most new articles one Matcher holds: the index
// answers up to ten API pages (1,000 hits) in one request.
const MaxMatchWindow = 10 * index.MaxSize

// ParseQuery parses a query string as a search does, with relative dates
// (date:>now-1d) read against now.
func ParseQuery(q string, now time.Time) (QueryNode, error) {
	return query.ParseWith(q, query.Options{Now: now})
}

// IsRelative reports whether a parsed query has a relative date, so that
// its meaning changes with the time it is parsed at.
func IsRelative(n QueryNode) bool { return query.IsRelative(n) }

// Changes calls fn with batches of at most window changes whose sequence
// is in (after, upTo], in order, from the article log (in a cluster, the
// replicated log's local copy). ctx is checked between batches.
func (e *Engine) Changes(ctx context.Context, after, upTo uint64, window int, fn func([]Change) error) error {
	return e.articles.ReadFrom(ctx, after, upTo, window, func(b []Change) error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		return fn(b)
	})
}

// Articles returns the stored articles with the given ids, in order; nil
// for an id that is not stored.
func (e *Engine) Articles(ctx context.Context, ids []string) ([]*news.Article, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	return e.articles.Get(ctx, ids)
}

// Highlighter returns a snippet builder for the terms of n in field
// (nil n: snippets without marks).
func (e *Engine) Highlighter(n QueryNode, field string) *Highlighter {
	return e.index.Highlighter(n, field)
}

// Matcher is a small in-memory index of a window of new articles, which
// the alert runner matches every alert's query against.
type Matcher struct{ ix *index.Index }

// NewMatcher indexes arts (at most MaxMatchWindow) in memory; hi is the
// highest sequence among them. Close it when done.
func NewMatcher(log *slog.Logger, arts []*news.Article, hi uint64) (*Matcher, error) {
	if len(arts) > MaxMatchWindow {
		return nil, fmt.Errorf("engine: matcher: %d articles, more than %d", len(arts), MaxMatchWindow)
	}
	mem, err := index.OpenMemory(log)
	if err != nil {
		return nil, err
	}
	if err := mem.Apply(arts, nil, hi); err != nil {
		mem.Close()
		return nil, err
	}
	return &Matcher{ix: mem}, nil
}

// Close releases the in-memory index.
func (m *Matcher) Close() error { return m.ix.Close() }

// Match returns the ids of every article in the matcher that n and f
// match, with a sequence in (after, upTo] (0: unbounded), unordered.
// Bleve allocates a hit pool of the requested size (and, without scores,
// stops counting once it is full), so the requests grow: most alerts
// have fewer than 32 new hits, a few have hundreds.
func (m *Matcher) Match(ctx context.Context, n QueryNode, f Filters, after, upTo uint64) ([]string, error) {
	var res *index.Result
	for _, size := range [...]int{32, 256, MaxMatchWindow} {
		var err error
		res, err = m.ix.Search(ctx, index.Request{
			Query: n, Filters: f, SeqAfter: after, SeqUpTo: upTo,
			Sort: index.SortUnordered, Size: size,
		})
		if err != nil {
			return nil, err
		}
		if len(res.Hits) < size {
			break
		}
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// DateMath reads a relative date of the query language (now-7d, now/d)
// against now: [start, end) is the unit of time it names when rounded,
// else the instant. Errors are *news.Error.
func DateMath(s string, now time.Time) (start, end time.Time, err error) {
	return query.DateMath(s, now)
}
