package jsstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/feedstest"
)

// split is one replicated feed state seen through two nodes: writes go
// through w, reads through r once r has applied everything w has.
type split struct{ w, r *reopenable }

func (s *split) sync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return s.r.WaitApplied(ctx, s.w.Applied())
}

func (s *split) Get(ctx context.Context, id string) (*feeds.Feed, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.Get(ctx, id)
}

func (s *split) List(ctx context.Context) ([]*feeds.Feed, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.List(ctx)
}

func (s *split) Seen(ctx context.Context, id string, keys []string) ([]*feeds.Seen, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.Seen(ctx, id, keys)
}

func (s *split) Create(ctx context.Context, f *feeds.Feed) error { return s.w.Create(ctx, f) }
func (s *split) Update(ctx context.Context, f *feeds.Feed) error { return s.w.Update(ctx, f) }
func (s *split) Delete(ctx context.Context, id string, v uint64) error {
	return s.w.Delete(ctx, id, v)
}
func (s *split) RecordPoll(ctx context.Context, f *feeds.Feed, u *feeds.SeenUpdate) error {
	return s.w.RecordPoll(ctx, f, u)
}

func (s *split) Reopen(t *testing.T) feeds.Store {
	s.w.Reopen(t)
	s.r.Reopen(t)
	return s
}

// The suite on three nodes: writes through node 1, reads through node 2
// after it applied them (seen-sets included).
func TestConformanceThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	n := 0
	feedstest.TestStore(t, func(t *testing.T) feeds.Store {
		n++
		stream, dir := fmt.Sprintf("T_FEEDS3_%d", n), t.TempDir()
		s := &split{}
		for i, r := range []**reopenable{&s.w, &s.r} {
			*r = &reopenable{js: c.Node(i).JetStream(), path: filepath.Join(dir, fmt.Sprintf("n%d.db", i+1)), stream: stream, replicas: 3}
			(*r).open(t)
			t.Cleanup((*r).close)
		}
		return s
	})
}
