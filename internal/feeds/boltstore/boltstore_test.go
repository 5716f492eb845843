package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/boltstore"
	"github.com/watchword/watchword/internal/feeds/feedstest"
	"github.com/watchword/watchword/internal/store"
)

// reopenable is a boltstore.Store on a file of its own that can be
// closed and opened again.
type reopenable struct {
	*boltstore.Store
	path string
	st   *store.Store
}

func (r *reopenable) open(t *testing.T) {
	t.Helper()
	st, err := store.Open(r.path)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := boltstore.New(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	r.st, r.Store = st, fs
}

func (r *reopenable) Reopen(t *testing.T) feeds.Store {
	t.Helper()
	if err := r.st.Close(); err != nil {
		t.Fatal(err)
	}
	r.open(t)
	return r
}

func TestConformance(t *testing.T) {
	feedstest.TestStore(t, func(t *testing.T) feeds.Store {
		r := &reopenable{path: filepath.Join(t.TempDir(), "watchword.db")}
		r.open(t)
		t.Cleanup(func() { _ = r.st.Close() })
		return r
	})
}
