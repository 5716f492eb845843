package jsstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/alertstest"
	"github.com/watchword/watchword/alerts/jsstore"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var streams atomic.Int64

// openOn returns an Opener whose stores replicate through js: each test
// gets a stream of its own and a bbolt file of its own; reopen stops the
// fold, closes the file and opens both again (a restart of the node's
// state on the same stream).
func openOn(js jetstream.JetStream, replicas int) alertstest.Opener {
	return func(t *testing.T) (alerts.Store, func() alerts.Store) {
		stream := fmt.Sprintf("T_ALERTS_%d", streams.Add(1))
		path := filepath.Join(t.TempDir(), "alerts.db")
		var db *store.Store
		var st *jsstore.Store
		open := func() alerts.Store {
			var err error
			if db, err = store.Open(path); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if st, err = jsstore.New(ctx, js, db, quiet, jsstore.Options{Replicas: replicas, Stream: stream}); err != nil {
				t.Fatal(err)
			}
			return st
		}
		closeAll := func() {
			st.Close()
			db.Close()
		}
		t.Cleanup(closeAll)
		return open(), func() alerts.Store {
			closeAll()
			return open()
		}
	}
}

// The replicated store passes the seams' conformance suite on a 1-node
// embedded cluster.
func TestConformance(t *testing.T) {
	c := clustertest.Start(t, 1)
	alertstest.TestStore(t, openOn(c.Node(0).JetStream(), 1))
}
