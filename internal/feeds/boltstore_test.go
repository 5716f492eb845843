package feeds_test

import (
	"context"
	"testing"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/boltstore"
)

// The feed service's tests run on the real bbolt store.
func init() {
	feeds.OpenTestStore = func(t *testing.T, eng *engine.Engine) feeds.Store {
		t.Helper()
		st, err := boltstore.New(context.Background(), eng.Store())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}
