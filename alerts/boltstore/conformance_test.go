package boltstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/alertstest"
	"github.com/watchword/watchword/internal/store"
)

// The bbolt store passes the seams' conformance suite; reopen closes the
// file and opens it again.
func TestConformance(t *testing.T) {
	alertstest.TestStore(t, func(t *testing.T) (alerts.Store, func() alerts.Store) {
		path := filepath.Join(t.TempDir(), "alerts.db")
		var db *store.Store
		open := func() alerts.Store {
			var err error
			if db, err = store.Open(path); err != nil {
				t.Fatal(err)
			}
			st, err := New(context.Background(), db, quiet)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		t.Cleanup(func() { db.Close() })
		return open(), func() alerts.Store {
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			return open()
		}
	})
}
