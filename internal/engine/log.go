package engine

import (
	"context"

	"github.com/watchword/watchword/internal/news"
)

// ArticleLog is the article log the engine is built on: the source of
// truth for articles, an append-only sequence of puts and deletions from
// which the search index is derived and replayed. internal/store's Log is
// the bbolt implementation; a replicated log (a JetStream stream, #15) is
// the next. Every implementation passes the conformance suite in
// internal/engine/logtest.
//
// Sequences are assigned by the log, start at 1 and strictly increase;
// they are never reused, so they may leave gaps (a replaced or deleted
// article's old entry is no longer current). Implementations must be
// safe for concurrent use; the engine serialises its writes itself.
type ArticleLog interface {
	// Append stores arts, in order, as one atomic batch, writing each
	// article's sequence into it (Article.Seq), and returns the log's
	// highest sequence once they are in. Per article id it is idempotent:
	// an article that is current already exactly as given (apart from Seq
	// and IngestedAt) keeps its sequence and nothing is appended; an
	// edited one gets a new sequence, keeps its first IngestedAt, and its
	// previous entry stops being current (ReadFrom no longer returns it).
	// A done ctx stores nothing.
	Append(ctx context.Context, arts []*news.Article) (lastSeq uint64, err error)
	// Get returns the current articles for ids, in the same order; an id
	// not current (never stored or deleted) yields nil.
	Get(ctx context.Context, ids []string) ([]*news.Article, error)
	// Exist reports, for each id, whether an article with it is current.
	Exist(ctx context.Context, ids []string) ([]bool, error)
	// ReadFrom calls fn with batches of at most batch current changes
	// whose sequence is in (after, upTo] (upTo 0: no upper bound), in
	// sequence order, each once: puts of current articles and deletions.
	// An error from fn stops it and is returned.
	ReadFrom(ctx context.Context, after, upTo uint64, batch int, fn func([]news.Change) error) error
	// LastSeq is the highest sequence assigned so far (0: none).
	LastSeq(ctx context.Context) (uint64, error)
	// Count is the number of current articles.
	Count(ctx context.Context) (int, error)
	// Delete removes the current articles among ids, appending a
	// deletion for each, and returns the ids it deleted and the last
	// deletion's sequence (0 when none was current).
	Delete(ctx context.Context, ids []string) (deleted []string, lastSeq uint64, err error)
	// Close releases the log.
	Close() error
}

// Follower is an article log that others append to as well: a
// replicated log, where every node's log takes in the articles any node
// appended. Changed is signalled (a pending signal at most) after such
// changes became readable; an engine on a Follower replays them into its
// index (follow mode), so every node's index follows the log, and after
// its own writes it replays the log up to them instead of indexing its
// batch directly, so changes of other nodes in between are indexed too.
type Follower interface {
	ArticleLog
	Changed() <-chan struct{}
}
