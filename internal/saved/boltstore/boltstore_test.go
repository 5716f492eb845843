package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/watchword/watchword/internal/saved"
	"github.com/watchword/watchword/internal/saved/boltstore"
	"github.com/watchword/watchword/internal/saved/savedtest"
	"github.com/watchword/watchword/internal/store"
)

func TestConformance(t *testing.T) {
	savedtest.TestStore(t, func(t *testing.T) (saved.Store, func() saved.Store) {
		path := filepath.Join(t.TempDir(), "w.db")
		var st *store.Store
		openIt := func() saved.Store {
			var err error
			if st, err = store.Open(path); err != nil {
				t.Fatal(err)
			}
			s, err := boltstore.New(context.Background(), st)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := openIt()
		t.Cleanup(func() { st.Close() })
		return s, func() saved.Store {
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			return openIt()
		}
	})
}
