package web

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestRequestIDReachesTheEngine: the engine's log line for an ingest over
// HTTP carries the same request_id as the access log line, because the
// request's logger travels in the context (internal/logctx).
func TestRequestIDReachesTheEngine(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newTestServer(t, func(c *Config) { c.Logger = log }) // the engine itself logs to quiet

	resp, body := rawCall(t, ts, "POST", "/api/articles", map[string]string{
		HeaderRequestID: "ingest-7", "Authorization": "Bearer " + testToken, "Content-Type": "application/json",
	}, `[{"id":"r1","title":"One","body":"A story."},{"body":""}]`)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var access, core map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		switch m["msg"] {
		case "http request":
			access = m
		case "engine: ingest":
			core = m
		}
	}
	if access == nil || access["request_id"] != "ingest-7" {
		t.Fatalf("access line %v in %s", access, logs.String())
	}
	if core == nil {
		t.Fatalf("no engine line in the request's log: %s", logs.String())
	}
	if core["request_id"] != access["request_id"] || core["stored"] != float64(1) || core["rejected"] != float64(1) {
		t.Fatalf("engine line %v, access line %v", core, access)
	}
}
