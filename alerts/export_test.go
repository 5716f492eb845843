package alerts

import (
	"testing"

	"github.com/watchword/watchword/internal/engine"
)

// OpenTestStore opens the store the tests of this package run on: set
// by store_test.go (package alerts_test) to alerts/boltstore, which this
// package's own test files cannot import.
var OpenTestStore func(t testing.TB, eng *engine.Engine) Store

// OutboxLen counts every delivery the store keeps, finished ones too
// (set with OpenTestStore).
var OutboxLen func(Store) (int, error)

func testStore(t testing.TB, eng *engine.Engine) Store {
	t.Helper()
	if OpenTestStore == nil {
		t.Fatal("no test store: store_test.go sets OpenTestStore")
	}
	return OpenTestStore(t, eng)
}
