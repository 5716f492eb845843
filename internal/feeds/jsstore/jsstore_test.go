package jsstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/feedstest"
	"github.com/watchword/watchword/internal/feeds/jsstore"
	"github.com/watchword/watchword/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// reopenable is a replicated feed store on a file of its own: Reopen
// stops the fold, closes the file and opens both again.
type reopenable struct {
	*jsstore.Store
	js       jetstream.JetStream
	path     string
	stream   string
	replicas int
	db       *store.Store
}

func (r *reopenable) open(t *testing.T) {
	t.Helper()
	db, err := store.Open(r.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := jsstore.New(ctx, r.js, db, quiet, jsstore.Options{Stream: r.stream, Replicas: r.replicas})
	if err != nil {
		t.Fatal(err)
	}
	r.db, r.Store = db, st
}

func (r *reopenable) close() {
	r.Store.Close()
	r.db.Close()
}

func (r *reopenable) Reopen(t *testing.T) feeds.Store {
	t.Helper()
	r.close()
	r.open(t)
	return r
}

// The replicated store passes the conformance suite on a 1-node
// embedded cluster, a command stream per test.
func TestConformance(t *testing.T) {
	c := clustertest.Start(t, 1)
	n := 0
	feedstest.TestStore(t, func(t *testing.T) feeds.Store {
		n++
		r := &reopenable{js: c.Node(0).JetStream(), path: filepath.Join(t.TempDir(), "watchword.db"), stream: fmt.Sprintf("T_FEEDS_%d", n)}
		r.open(t)
		t.Cleanup(r.close)
		return r
	})
}
