package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/watchword/watchword/internal/feeds/boltstore"
	"github.com/watchword/watchword/internal/store"
)

// TestSchemaRegistered: New registers the feed buckets with the store's
// registry (so Verify and the recorded versions know them), a second
// New on the same store shares the registration, and a file whose feeds
// schema a newer build recorded is refused.
func TestSchemaRegistered(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "watchword.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boltstore.New(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := boltstore.New(ctx, st); err != nil {
		t.Fatalf("second New on the same store: %v", err)
	}
	var names []string
	for _, b := range store.BucketsOf(st.Schemas()...) {
		names = append(names, b.Name)
	}
	if !slices.Contains(names, "feeds") || !slices.Contains(names, "feeds_seen") {
		t.Errorf("registered buckets %q lack the feeds'", names)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// A newer build recorded feeds schema version 1.
	newer, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := boltstore.Schema()
	sc.Migrations = []store.Migration{{Version: 1, Name: "from the future", Run: func(context.Context, *bolt.DB) error { return nil }}}
	if err := newer.Register(ctx, sc); err != nil {
		t.Fatal(err)
	}
	if err := newer.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := boltstore.New(ctx, st); !errors.Is(err, store.ErrNewerSchema) {
		t.Errorf("New on a file from a newer build: %v, want ErrNewerSchema", err)
	}
}
