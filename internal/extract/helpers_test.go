package extract

import (
	"sync"
	"testing"
)

var (
	testOnce sync.Once
	testX    *Extractor
	testErr  error
)

// newTestExtractor returns one Extractor shared by all tests.
func newTestExtractor(tb testing.TB) *Extractor {
	tb.Helper()
	testOnce.Do(func() { testX, testErr = New() })
	if testErr != nil {
		tb.Fatalf("New: %v", testErr)
	}
	return testX
}
