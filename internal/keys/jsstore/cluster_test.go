package jsstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/keys/jsstore"
	"github.com/watchword/watchword/internal/keys/keystest"
	"github.com/watchword/watchword/internal/store"
)

// split is one replicated key state seen through two nodes: writes go
// through w, reads through r once r has applied everything w has (a
// key created or revoked on one node, checked on another).
type split struct{ w, r *jsstore.Store }

func (s split) sync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return s.r.WaitApplied(ctx, s.w.Applied())
}

func (s split) Create(ctx context.Context, k *keys.Key) error { return s.w.Create(ctx, k) }
func (s split) Update(ctx context.Context, k *keys.Key, v uint64) error {
	return s.w.Update(ctx, k, v)
}

func (s split) Get(ctx context.Context, id string) (*keys.Key, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.Get(ctx, id)
}

func (s split) List(ctx context.Context) ([]*keys.Key, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.r.List(ctx)
}

type node struct {
	db *store.Store
	ks *jsstore.Store
}

func openNode(t *testing.T, js jetstream.JetStream, path, stream string) *node {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ks, err := jsstore.New(ctx, js, db, quiet, jsstore.Options{Stream: stream, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	return &node{db, ks}
}

func (n *node) close() {
	if n.ks != nil {
		n.ks.Close()
		n.db.Close()
		n.ks = nil
	}
}

// The suite on three nodes: writes through node 1, reads through node 2.
func TestConformanceThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	n := 0
	keystest.TestStore(t, func(t *testing.T) (keys.Store, func() keys.Store) {
		n++
		stream, dir := fmt.Sprintf("T_KEYS3_%d", n), t.TempDir()
		open := func() (*node, *node) {
			return openNode(t, c.Node(0).JetStream(), filepath.Join(dir, "n1.db"), stream),
				openNode(t, c.Node(1).JetStream(), filepath.Join(dir, "n2.db"), stream)
		}
		w, r := open()
		t.Cleanup(func() { w.close(); r.close() })
		return split{w.ks, r.ks}, func() keys.Store {
			w.close()
			r.close()
			w, r = open()
			return split{w.ks, r.ks}
		}
	})
}
