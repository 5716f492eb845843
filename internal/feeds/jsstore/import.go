package jsstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/watchword/watchword/internal/cluster/rsm"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/boltstore"
)

const cmdImport = "import"

// importCmd carries seen records of a feed and, in the last command of
// a feed, the feed itself (internal/cluster/importer).
type importCmd struct {
	FeedID string                `json:"feed_id"`
	Feed   *feeds.Feed           `json:"feed,omitempty"`
	Seen   []boltstore.SeenEntry `json:"seen,omitempty"`
}

// Import writes, on every node, seen records of feed feedID where it has
// none under the key and then, when f is not nil, the feed as another
// store kept it (version and status included) unless its id exists (the
// cluster import: a resumed import changes nothing there already).
// created reports whether f was stored now.
func (s *Store) Import(ctx context.Context, feedID string, f *feeds.Feed, seen []boltstore.SeenEntry) (created bool, err error) {
	v, err := s.m.Call(ctx, cmdImport, importCmd{FeedID: feedID, Feed: f, Seen: seen})
	created, _ = v.(bool)
	return created, err
}

func (s *Store) applyImport(ctx context.Context, seq uint64, data []byte) (any, error) {
	var c importCmd
	if err := json.Unmarshal(data, &c); err != nil || c.FeedID == "" {
		return rsm.Outcome{Err: fmt.Errorf("feeds: command %d: undecodable import (%v)", seq, err)}, nil
	}
	created, err := s.local.Import(ctx, c.FeedID, c.Feed, c.Seen)
	if !isOutcome(err) {
		return nil, err
	}
	return rsm.Outcome{Value: created, Err: err}, nil
}
