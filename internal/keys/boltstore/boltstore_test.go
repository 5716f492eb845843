package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/keys/boltstore"
	"github.com/watchword/watchword/internal/keys/keystest"
	"github.com/watchword/watchword/internal/store"
)

func TestConformance(t *testing.T) {
	keystest.TestStore(t, func(t *testing.T) (keys.Store, func() keys.Store) {
		path := filepath.Join(t.TempDir(), "w.db")
		var st *store.Store
		openIt := func() keys.Store {
			var err error
			if st, err = store.Open(path); err != nil {
				t.Fatal(err)
			}
			ks, err := boltstore.New(context.Background(), st)
			if err != nil {
				t.Fatal(err)
			}
			return ks
		}
		ks := openIt()
		t.Cleanup(func() { st.Close() })
		return ks, func() keys.Store {
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			return openIt()
		}
	})
}
