package engine

import (
	"context"
	"fmt"

	"github.com/watchword/watchword/internal/news"
)

// This file is the feed poller's door to the store: internal/feeds reads
// stored articles through these methods, never through Store().

// Articles returns the stored articles with the given ids, in order; nil
// for an id that is not stored.
func (e *Engine) Articles(ctx context.Context, ids []string) ([]*news.Article, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("engine: get %d articles: %w", len(ids), context.Cause(ctx))
	}
	return e.store.Articles(ids)
}
