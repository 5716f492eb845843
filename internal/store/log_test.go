package store_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/engine/logtest"
	"github.com/watchword/watchword/internal/store"
)

// TestLogConformance runs the article log's conformance suite on the
// bbolt store; reopening means opening the same file again.
func TestLogConformance(t *testing.T) {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	logtest.TestLog(t, func(t *testing.T) engine.ArticleLog {
		mu.Lock()
		p, ok := paths[t]
		if !ok {
			p = filepath.Join(t.TempDir(), "watchword.db")
			paths[t] = p
		}
		mu.Unlock()
		s, err := store.Open(p)
		if err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		return s.Log()
	})
}
