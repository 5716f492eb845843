package engine

// What the commands (serve, the benchmarks) need from the engine besides
// ingest and search: warming the index, the held mark of a restored
// store, and the store's size and write counters.

import (
	"context"
	"fmt"

	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/store"
)

// Warm makes the index read its segment metadata now, in the background,
// so the first search is fast (index.Index.Warm). A server calls it after
// opening; a bulk load does not.
func (e *Engine) Warm() { e.index.Warm() }

// Compact compacts the index now, as a server does once writes are idle
// (index.Index.Compact), and returns each shard's segments before and
// after. The search benchmark calls it before measuring.
func (e *Engine) Compact(ctx context.Context) (before, after []int, err error) {
	return e.index.Compact(ctx)
}

// IndexSegments returns the segments of each index shard, for /metrics.
func (e *Engine) IndexSegments() ([]int, error) { return e.index.Segments() }

// IndexCompactions returns the shard compactions since the index opened,
// for /metrics.
func (e *Engine) IndexCompactions() int64 { return e.index.Compactions() }

// Held returns why the node's scheduled work is held ("" when it is not):
// a store restored from a backup starts held.
func (e *Engine) Held(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("engine: held: %w", context.Cause(ctx))
	}
	return e.store.Held()
}

// ClearHeld removes the held mark, durably.
func (e *Engine) ClearHeld(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("engine: clear held: %w", context.Cause(ctx))
	}
	return e.store.ClearHeld()
}

// StoreInUse is the bytes of the store file's pages in use.
func (e *Engine) StoreInUse(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("engine: store size: %w", context.Cause(ctx))
	}
	return e.store.InUse()
}

// StoreWriteStats are the store file's write counters since open.
func (e *Engine) StoreWriteStats() store.WriteStats { return e.store.WriteStats() }

// The query budget's defaults (query.Limits), for the serve flags.
const (
	DefaultMaxClauses     = query.DefaultMaxClauses
	DefaultMaxPhraseWords = query.DefaultMaxPhraseWords
	DefaultMaxExpansions  = query.DefaultMaxExpansions
	DefaultMinPrefix      = query.DefaultMinPrefix
	DefaultMaxPostings    = query.DefaultMaxPostings
)
