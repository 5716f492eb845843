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
	"github.com/watchword/watchword/internal/saved"
	"github.com/watchword/watchword/internal/saved/jsstore"
	"github.com/watchword/watchword/internal/saved/savedtest"
	"github.com/watchword/watchword/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The replicated store passes the conformance suite on a 1-node
// embedded cluster, a command stream per test; reopen stops the fold,
// closes the file and opens both again.
func TestConformance(t *testing.T) {
	c := clustertest.Start(t, 1)
	n := 0
	savedtest.TestStore(t, func(t *testing.T) (saved.Store, func() saved.Store) {
		n++
		stream := fmt.Sprintf("T_SAVED_%d", n)
		path := filepath.Join(t.TempDir(), "w.db")
		var db *store.Store
		var ss *jsstore.Store
		open := func() saved.Store {
			var err error
			if db, err = store.Open(path); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if ss, err = jsstore.New(ctx, c.Node(0).JetStream(), db, quiet, jsstore.Options{Stream: stream}); err != nil {
				t.Fatal(err)
			}
			return ss
		}
		closeAll := func() {
			ss.Close()
			db.Close()
		}
		t.Cleanup(closeAll)
		return open(), func() saved.Store {
			closeAll()
			return open()
		}
	})
}
