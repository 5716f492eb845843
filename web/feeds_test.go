package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/boltstore"
)

const testRSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Local Wire</title><link>https://local.example/</link>
<item><guid>https://local.example/1</guid><title>Peskov on talks</title><description>&lt;p&gt;Dmitry Peskov said talks on Ukraine had stalled.&lt;/p&gt;</description><pubDate>Mon, 10 Mar 2025 08:00:00 GMT</pubDate></item>
<item><guid>https://local.example/2</guid><title>Harvest</title><description>The harvest began early.</description><pubDate>Mon, 10 Mar 2025 09:00:00 GMT</pubDate></item>
</channel></rss>`

// feedStore keeps the feeds in eng's store file.
func feedStore(t testing.TB, eng *engine.Engine) feeds.Store {
	t.Helper()
	st, err := boltstore.New(context.Background(), eng.Store())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// newFeedServer serves the API with a feed service; allow lists the
// addresses feeds may reach despite the guard.
func newFeedServer(t *testing.T, allow []netip.Prefix) *httptest.Server {
	t.Helper()
	return newTestServer(t, func(cfg *Config) {
		svc, err := feeds.New(feeds.Config{Engine: cfg.Engine, Store: feedStore(t, cfg.Engine), Logger: quiet, Allow: allow, MinInterval: time.Minute, Version: "test", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Stop(context.Background()) })
		cfg.Feeds = svc
	})
}

func TestFeedAPI(t *testing.T) {
	var fail atomic.Bool
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(testRSS))
	}))
	defer origin.Close()
	feedURL := origin.URL + "/rss?key=k"

	// Without an allow list a loopback feed is a 400 at create time.
	strict := newFeedServer(t, nil)
	r := call(t, strict, "POST", "/api/feeds", "application/json", `{"url":"`+feedURL+`"}`, testToken)
	if r.Status != 400 || errorOf(t, r) != "invalid" || !strings.Contains(r.Raw, "not allowed") {
		t.Fatalf("loopback feed without allow list: %d %s", r.Status, r.Raw)
	}

	ts := newFeedServer(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	if r := call(t, ts, "POST", "/api/feeds", "application/json", `{"url":"`+feedURL+`"}`, ""); r.Status != 401 || errorOf(t, r) != "unauthorized" {
		t.Fatalf("create without token: %d %s", r.Status, r.Raw)
	}
	for _, b := range []struct{ body, code string }{
		{`{"url":"` + feedURL + `","schedule":"TZ="}`, "invalid"},
		{`{"url":"` + feedURL + `","schedule":"@every 0s"}`, "invalid"},
		{`{"url":"` + feedURL + `","schedule":"@every 10s"}`, "invalid"},
		{`{"url":"` + feedURL + `","schedule":"0 0 30 2 *"}`, "invalid"},
		{`{"url":"ftp://example.com/feed"}`, "invalid"},
		{`{"url":"http://169.254.169.254/latest"}`, "invalid"},
		{`{"url":"` + feedURL + `","last_status":"ok"}`, "bad_request"},
		{`{"url":`, "bad_request"},
		{``, "bad_request"},
	} {
		if r := call(t, ts, "POST", "/api/feeds", "application/json", b.body, testToken); r.Status != 400 || errorOf(t, r) != b.code {
			t.Errorf("%.80s: %d %s", b.body, r.Status, r.Raw)
		}
	}
	if r := call(t, ts, "POST", "/api/feeds", "application/json", `{"url":"`+strings.Repeat("x", 2<<20)+`"}`, testToken); r.Status != 413 {
		t.Errorf("2 MiB body: %d", r.Status)
	}
	if r := call(t, ts, "GET", "/api/feeds", "", "", ""); len(r.Body["feeds"].([]any)) != 0 {
		t.Fatalf("bad input saved: %s", r.Raw)
	}

	r = call(t, ts, "POST", "/api/feeds", "application/json", `{"url":"`+feedURL+`","schedule":"@every 30m"}`, testToken)
	if r.Status != 201 || r.Body["schedule"] != "@every 30m" || r.Body["enabled"] != true || r.Body["last_status"] != "" || r.Body["items_ingested"].(float64) != 0 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	for _, k := range []string{"etag", "last_modified", "version"} {
		if _, ok := r.Body[k]; ok {
			t.Errorf("the API shows the internal field %q", k)
		}
	}
	id := r.Body["id"].(string)
	if r := call(t, ts, "POST", "/api/feeds", "application/json", `{"url":"`+feedURL+`"}`, testToken); r.Status != 409 || errorOf(t, r) != "conflict" {
		t.Errorf("second feed for the URL: %d %s", r.Status, r.Raw)
	}

	// Poll now: what was added.
	r = call(t, ts, "POST", "/api/feeds/"+id+"/poll", "", "", testToken)
	if r.Status != 200 || r.Body["status"] != "ok" || r.Body["added"].(float64) != 2 || len(r.Body["articles"].([]any)) != 2 {
		t.Fatalf("poll: %d %s", r.Status, r.Raw)
	}
	first := r.Body["articles"].([]any)[0].(map[string]any)
	if first["title"] != "Peskov on talks" || first["url"] != "https://local.example/1" {
		t.Errorf("added: %v", first)
	}
	r = call(t, ts, "GET", "/api/feeds/"+id, "", "", "")
	if r.Status != 200 || r.Body["items_ingested"].(float64) != 2 || r.Body["last_status"] != "ok" || r.Body["last_polled_at"] == nil ||
		r.Body["source"] != "Local Wire" || r.Body["last_error"] != "" || r.Body["next_poll_at"] == nil {
		t.Fatalf("get after poll: %s", r.Raw)
	}
	r = call(t, ts, "GET", "/api/search?q=peskov&source="+url.QueryEscape("Local Wire"), "", "", "")
	if r.Status != 200 || r.Body["total"].(float64) != 1 {
		t.Errorf("search the feed's article: %s", r.Raw)
	}
	// Again: nothing new.
	if r := call(t, ts, "POST", "/api/feeds/"+id+"/poll", "", "", testToken); r.Body["added"].(float64) != 0 || r.Body["unchanged"].(float64) != 2 {
		t.Errorf("second poll: %s", r.Raw)
	}
	// A failing origin: the poll answers 200 with the failure; the feed
	// shows it.
	fail.Store(true)
	r = call(t, ts, "POST", "/api/feeds/"+id+"/poll", "", "", testToken)
	if r.Status != 200 || r.Body["status"] != "error" || r.Body["error"] != "HTTP 502 Bad Gateway" {
		t.Errorf("failing poll: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "GET", "/api/feeds", "", "", "")
	fv := r.Body["feeds"].([]any)[0].(map[string]any)
	if fv["last_status"] != "error" || fv["consecutive_failures"].(float64) != 1 || fv["last_error"] != "HTTP 502 Bad Gateway" {
		t.Errorf("list after failure: %v", fv)
	}

	// PATCH: pause, rename the source.
	r = call(t, ts, "PATCH", "/api/feeds/"+id, "application/json", `{"enabled":false,"source":"Renamed"}`, testToken)
	if r.Status != 200 || r.Body["enabled"] != false || r.Body["source"] != "Renamed" || r.Body["next_poll_at"] != nil || r.Body["schedule"] != "@every 30m" {
		t.Errorf("patch: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "PATCH", "/api/feeds/"+id, "application/json", `{"schedule":"TZ="}`, testToken); r.Status != 400 {
		t.Errorf("bad patch: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "PATCH", "/api/feeds/nope", "application/json", `{"enabled":true}`, testToken); r.Status != 404 || errorOf(t, r) != "not_found" {
		t.Errorf("patch missing: %d %s", r.Status, r.Raw)
	}

	// DELETE keeps the articles.
	if r := call(t, ts, "DELETE", "/api/feeds/"+id, "", "", ""); r.Status != 401 {
		t.Errorf("delete without token: %d", r.Status)
	}
	if r := call(t, ts, "DELETE", "/api/feeds/"+id, "", "", testToken); r.Status != 200 || r.Body["deleted"] != true {
		t.Errorf("delete: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "GET", "/api/feeds/"+id, "", "", ""); r.Status != 404 {
		t.Errorf("get deleted: %d", r.Status)
	}
	if r := call(t, ts, "POST", "/api/feeds/"+id+"/poll", "", "", testToken); r.Status != 404 {
		t.Errorf("poll deleted: %d", r.Status)
	}
	if r := call(t, ts, "GET", "/api/search?q=peskov", "", "", ""); r.Body["total"].(float64) != 1 {
		t.Errorf("the feed's articles went with it: %s", r.Raw)
	}

	// A server without the feed service answers 503.
	plain := newTestServer(t, nil)
	if r := call(t, plain, "GET", "/api/feeds", "", "", ""); r.Status != 503 || errorOf(t, r) != "unavailable" {
		t.Errorf("no feed service: %d %s", r.Status, r.Raw)
	}
}

// TestIngestFeedDocuments: POST /api/articles takes RSS and Atom.
func TestIngestFeedDocuments(t *testing.T) {
	ts := newTestServer(t, nil)
	r := call(t, ts, "POST", "/api/articles", "application/rss+xml", testRSS, testToken)
	if r.Status != 200 || r.Body["indexed"].(float64) != 2 {
		t.Fatalf("rss: %d %s", r.Status, r.Raw)
	}
	id := r.Body["ids"].([]any)[0].(string)
	r = call(t, ts, "GET", "/api/articles/"+id, "", "", "")
	if r.Body["title"] != "Peskov on talks" || r.Body["body"] != "Dmitry Peskov said talks on Ukraine had stalled." || r.Body["source"] != "Local Wire" || r.Body["url"] != "https://local.example/1" {
		t.Errorf("stored: %s", r.Raw)
	}
	atom := `<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title><entry><id>tag:a.example,2025:1</id><title>Atom entry</title><updated>2025-03-10T08:00:00Z</updated><content type="html">&lt;p&gt;Text.&lt;/p&gt;</content></entry></feed>`
	r = call(t, ts, "POST", "/api/articles", "application/atom+xml; charset=utf-8", atom, testToken)
	if r.Status != 200 || r.Body["indexed"].(float64) != 1 {
		t.Fatalf("atom: %d %s", r.Status, r.Raw)
	}
	// Posting the RSS again stores nothing new.
	call(t, ts, "POST", "/api/articles", "application/rss+xml", testRSS, testToken)
	if r := call(t, ts, "GET", "/api/search?q=", "", "", ""); r.Body["total"].(float64) != 3 {
		t.Errorf("after re-posting: %s", r.Raw)
	}
	r = call(t, ts, "POST", "/api/articles", "application/rss+xml", testRSS[:200], testToken)
	if r.Status != 400 || errorOf(t, r) != "bad_request" || !strings.Contains(r.Raw, "malformed feed") {
		t.Errorf("malformed: %d %s", r.Status, r.Raw)
	}
}

// TestIngestFeedTypesAndCharsets: POST /api/articles takes a feed as
// application/feed+json, application/xml and text/xml too, decodes it
// with the Content-Type's charset, and a repeated GUID is an error of its
// own, so indexed + errors is the number of entries.
func TestIngestFeedTypesAndCharsets(t *testing.T) {
	ts := newTestServer(t, nil)
	koi8, err := charmap.KOI8R.NewEncoder().String(`<rss version="2.0"><channel><title>Сибирь сегодня</title><link>https://sib.example/</link>` +
		`<item><guid>https://sib.example/1</guid><title>Паром начнёт ходить в мае</title><description>Расписание опубликуют позже.</description></item></channel></rss>`)
	if err != nil {
		t.Fatal(err)
	}
	jsonFeed := `{"version":"https://jsonfeed.org/version/1.1","title":"JSON Desk","items":[{"id":"https://json.example/1","title":"The council\u0092s vote","content_html":"<p>Passed.</p>"}]}`
	for _, c := range []struct{ ctype, body, title, source string }{
		{"text/xml; charset=koi8-r", koi8, "Паром начнёт ходить в мае", "Сибирь сегодня"},
		{"application/feed+json", jsonFeed, "The council’s vote", "JSON Desk"},
		{"application/xml", strings.ReplaceAll(testRSS, "local.example/1", "local.example/x1"), "Peskov on talks", "Local Wire"},
	} {
		r := call(t, ts, "POST", "/api/articles", c.ctype, c.body, testToken)
		if r.Status != 200 || r.Body["indexed"].(float64) < 1 {
			t.Fatalf("%s: %d %s", c.ctype, r.Status, r.Raw)
		}
		id := r.Body["ids"].([]any)[0].(string)
		if a := call(t, ts, "GET", "/api/articles/"+id, "", "", ""); a.Body["title"] != c.title || a.Body["source"] != c.source {
			t.Errorf("%s: stored %s", c.ctype, a.Raw)
		}
	}
	dup := `<rss version="2.0"><channel><title>Dup</title><item><guid>https://dup.example/1</guid><title>One</title></item>` +
		`<item><guid>https://dup.example/2</guid><title>Two</title></item><item><guid>https://dup.example/1</guid><title>One again</title></item></channel></rss>`
	r := call(t, ts, "POST", "/api/articles", "application/rss+xml", dup, testToken)
	errs, _ := r.Body["errors"].([]any)
	if r.Status != 200 || r.Body["indexed"].(float64) != 2 || len(errs) != 1 {
		t.Fatalf("repeated guid: %d %s", r.Status, r.Raw)
	}
	if e := errs[0].(map[string]any); e["index"].(float64) != 2 || e["code"] != "conflict" {
		t.Errorf("repeated guid error: %v", e)
	}
	if r := call(t, ts, "POST", "/api/articles", "application/pdf", dup, testToken); r.Status != 415 {
		t.Errorf("pdf: %d %s", r.Status, r.Raw)
	}
}
