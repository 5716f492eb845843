package jsstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/keys/jsstore"
	"github.com/watchword/watchword/internal/keys/keystest"
	"github.com/watchword/watchword/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The replicated store passes the conformance suite on a 1-node
// embedded cluster, a command stream per test; reopen stops the fold,
// closes the file and opens both again.
func TestConformance(t *testing.T) {
	c := clustertest.Start(t, 1)
	n := 0
	keystest.TestStore(t, func(t *testing.T) (keys.Store, func() keys.Store) {
		n++
		stream := fmt.Sprintf("T_KEYS_%d", n)
		path := filepath.Join(t.TempDir(), "w.db")
		var db *store.Store
		var ks *jsstore.Store
		open := func() keys.Store {
			var err error
			if db, err = store.Open(path); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if ks, err = jsstore.New(ctx, c.Node(0).JetStream(), db, quiet, jsstore.Options{Stream: stream}); err != nil {
				t.Fatal(err)
			}
			return ks
		}
		closeAll := func() {
			ks.Close()
			db.Close()
		}
		t.Cleanup(closeAll)
		return open(), func() keys.Store {
			closeAll()
			return open()
		}
	})
}
