// Package testutil holds helpers shared by the tests of several packages.
// Only test files import it (layering_test.go checks that).
package testutil

import (
	"testing"
	"time"
)

// WaitFor polls cond every 20 ms until it holds, and fails the test
// naming what it waited for when within passes first. Tests wait on a
// condition this way, never on a bare sleep.
func WaitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
