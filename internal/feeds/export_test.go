package feeds

import (
	"testing"

	"github.com/watchword/watchword/internal/engine"
)

// OpenTestStore opens the Store the package's tests run on, in eng's
// file. The tests of this package cannot import boltstore (it imports
// feeds), so boltstore_test.go, an external test file in the same test
// binary, sets it in its init.
var OpenTestStore func(t *testing.T, eng *engine.Engine) Store
