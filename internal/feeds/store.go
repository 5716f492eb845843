package feeds

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store keeps the feeds and their poll state: the seam a replicated
// backend implements. The service never reaches past it; the bbolt
// implementation is internal/feeds/boltstore, and every implementation
// must pass the conformance suite in internal/feeds/feedstest.
//
// Every write of a feed is a compare-and-set on its Version: the write
// names the version it read, fails with ErrConflict when the stored one
// differs, and stores Version+1. The service reads again and retries.
// Several writers may share a store; which process polls a feed is
// decided outside it (one process today; the lease holder in a cluster),
// and the service polls one feed at a time.
type Store interface {
	Definitions
	PollState
}

// Definitions are the feeds themselves (definition and status, one
// record per feed).
type Definitions interface {
	// Get returns one feed; ErrNotFound when there is none.
	Get(ctx context.Context, id string) (*Feed, error)
	// List returns every feed ordered by CreatedAt, then ID.
	List(ctx context.Context) ([]*Feed, error)
	// Create stores a new feed with Version 1 (and sets f.Version). A feed
	// with the same ID is ErrConflict; one with the same URL is a
	// *URLTakenError.
	Create(ctx context.Context, f *Feed) error
	// Update replaces a feed when the stored version is f.Version, stores
	// it with the version bumped and sets f.Version to it. ErrNotFound,
	// ErrConflict, or a *URLTakenError when another feed has f.URL.
	Update(ctx context.Context, f *Feed) error
	// Delete removes a feed at the given version, and its seen records,
	// at once. ErrNotFound, ErrConflict.
	Delete(ctx context.Context, id string, version uint64) error
}

// PollState is what the poller keeps between polls besides the feed's
// status: each feed's seen-set (see the package doc).
type PollState interface {
	// Seen returns the seen record of each entry key of a feed, nil
	// where there is none (or it cannot be read: the poller then treats
	// the entry as new and the store check keeps it from duplicating).
	Seen(ctx context.Context, feedID string, keys []string) ([]*Seen, error)
	// RecordPoll writes a poll's outcome in one atomic step: the feed
	// (compare-and-set on f.Version, as Update; no URL check) and, when
	// seen is not nil, the seen-set changes. On any error nothing is
	// written. An implementation without multi-key transactions keeps a
	// feed's seen-set where one write covers it with the feed.
	RecordPoll(ctx context.Context, f *Feed, seen *SeenUpdate) error
}

// Seen is what a feed remembers of one entry.
type Seen struct {
	Hash      string    // content hash when last ingested or checked
	ArticleID string    // the article it became
	LastSeen  time.Time // when last in the feed (whole seconds are kept)
}

// SeenUpdate is the seen-set part of a poll's record.
type SeenUpdate struct {
	Put map[string]Seen // entry key → record, written
	// Present are the entry keys in the fetched document (Put's too):
	// they are never forgotten.
	Present []string
	// ForgetBefore: records of keys not Present whose LastSeen is before
	// it (compared in whole seconds) are deleted. Zero: none.
	ForgetBefore time.Time
}

// Errors of a Store.
var (
	ErrNotFound = errors.New("feed not found")
	ErrConflict = errors.New("feed version conflict")
)

// URLTakenError refuses a second feed with the same URL.
type URLTakenError struct {
	ID string // the feed that polls the URL
}

func (e *URLTakenError) Error() string { return fmt.Sprintf("feed %s already polls this URL", e.ID) }
