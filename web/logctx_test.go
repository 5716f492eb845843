package web

import (
	"encoding/json"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/feeds"
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

// TestRequestIDReachesTheFeeds: the feed service's lines for a create
// and a delete over HTTP carry the request's id (the handlers pass the
// request's context).
func TestRequestIDReachesTheFeeds(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newTestServer(t, func(c *Config) {
		c.Logger = log
		svc, err := feeds.New(feeds.Config{Engine: c.Engine, Store: feedStore(t, c.Engine), Logger: quiet, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		if err != nil {
			t.Fatal(err)
		}
		c.Feeds = svc
	})
	hdr := func(id string) map[string]string {
		return map[string]string{HeaderRequestID: id, "Authorization": "Bearer " + testToken, "Content-Type": "application/json"}
	}
	resp, body := rawCall(t, ts, "POST", "/api/feeds", hdr("feed-create-1"), `{"url":"http://127.0.0.1:9/rss"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: status %d: %s", resp.StatusCode, body)
	}
	var v feeds.View
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if resp, body := rawCall(t, ts, "DELETE", "/api/feeds/"+v.ID, hdr("feed-delete-2"), ""); resp.StatusCode != 200 {
		t.Fatalf("delete: status %d: %s", resp.StatusCode, body)
	}
	want := map[string]string{"feeds: created": "feed-create-1", "feeds: deleted": "feed-delete-2"}
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		if id, ok := want[m["msg"].(string)]; ok && m["request_id"] == id && m["feed"] == v.ID {
			delete(want, m["msg"].(string))
		}
	}
	if len(want) != 0 {
		t.Errorf("no line with the request's id for %v in:\n%s", want, logs.String())
	}
}
