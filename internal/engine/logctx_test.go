package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/watchword/watchword/internal/logctx"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", s)
		}
		out = append(out, m)
	}
	return out
}

// TestCoreLogsCarryRequestID: the engine's own log lines for a delete and
// for a rebuild's replay carry the attributes of the logger the caller's
// context holds (a request's request_id), not only the engine's logger.
func TestCoreLogsCarryRequestID(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir, nil) // logs to quiet
	if _, _, err := e.Ingest(context.Background(), articles(3, "delta")); err != nil {
		t.Fatal(err)
	}
	var buf lockedBuffer
	reqLog := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).With("request_id", "del-9")
	ctx := logctx.With(context.Background(), reqLog)
	if err := e.Delete(ctx, "delta-1"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Rebuild(ctx, Config{DataDir: dir, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range buf.lines(t) {
		if m["request_id"] != "del-9" {
			t.Errorf("line without the request_id: %v", m)
		}
		seen[m["msg"].(string)] = true
	}
	for _, msg := range []string{"engine: delete", "index: caught up"} {
		if !seen[msg] {
			t.Errorf("no %q line in the context's logger: %v", msg, buf.lines(t))
		}
	}
	// A done context stops a rebuild before it re-runs any extraction.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	ext := func(string, string) Extracted { calls++; return Extracted{} }
	if _, err := Rebuild(done, Config{DataDir: dir, Logger: quiet, Extract: ext}); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("Rebuild with a done context = %v after %d extractions, want context.Canceled before any", err, calls)
	}
}
