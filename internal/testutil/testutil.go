// Package testutil holds helpers shared by the tests of several packages.
// Only test files import it (layering_test.go checks that).
package testutil

import (
	"testing"
	"time"
)

// MinWait is the least WaitFor waits before it fails, whatever its
// caller asks: it ends a test that is stuck, not one that is slow on a
// loaded machine (a 15 s delivery wait once missed with six other jobs on
// two cores). A wait that succeeds ends at once.
const MinWait = time.Minute

// WaitFor polls cond every 20 ms until it holds, and fails the test
// naming what it waited for when within (at least MinWait) passes first.
// Tests wait on a condition this way, never on a bare sleep.
func WaitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	waitFor(t, what, max(within, MinWait), cond)
}

func waitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
