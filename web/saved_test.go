package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/saved"
	savedbolt "github.com/watchword/watchword/internal/saved/boltstore"
)

// withSaved gives a test server saved searches (at most max per key) in
// its own store file.
func withSaved(t *testing.T, max int) func(*Config) {
	return func(cfg *Config) {
		st, err := savedbolt.New(context.Background(), cfg.Engine.Store())
		if err != nil {
			t.Fatal(err)
		}
		cfg.Saved = saved.New(st, nil, max)
	}
}

// TestSavedSearchesPerKey: a key keeps its own saved searches (a read
// key too), sees none of another key's (404, as an unknown id), an admin
// sees and changes all; no key is a 401; the count per key is bounded.
func TestSavedSearchesPerKey(t *testing.T) {
	ts := newTestServer(t, func(cfg *Config) {
		withKeys(t, false)(cfg)
		withSaved(t, 3)(cfg)
	})
	annID, ann := createKey(t, ts, testToken, "Ann", "read")
	_, bob := createKey(t, ts, testToken, "Bob", "write")
	body := `{"name":" Kremlin, last week ","search":{"query":"Kremlin","filters":{"country":["Russia"," "]},"from":"now-7d","sort":"newest"}}`
	r := call(t, ts, "POST", "/api/saved-searches", "application/json", body, ann)
	if r.Status != http.StatusCreated {
		t.Fatalf("create with a read key: %d %s", r.Status, r.Raw)
	}
	id := r.Body["id"].(string)
	if r.Body["name"] != "Kremlin, last week" || r.Body["owner"] != annID || r.Body["created_by"] != annID || r.Body["from"] != "now-7d" ||
		fmt.Sprint(r.Body["filters"]) != "map[country:[Russia]]" || strings.Contains(r.Raw, ann) {
		t.Errorf("created: %s", r.Raw)
	}
	// No key: 401 JSON, on an open server too.
	for _, c := range [][2]string{{"GET", "/api/saved-searches"}, {"GET", "/api/saved-searches/" + id}, {"DELETE", "/api/saved-searches/" + id}} {
		if r := call(t, ts, c[0], c[1], "", "", ""); r.Status != 401 || errorOf(t, r) != "unauthorized" {
			t.Errorf("%s %s without a key: %d %s", c[0], c[1], r.Status, r.Raw)
		}
	}
	// Bob sees none of Ann's.
	if r := call(t, ts, "GET", "/api/saved-searches", "", "", bob); r.Status != 200 || len(r.Body["saved_searches"].([]any)) != 0 {
		t.Errorf("Bob's list: %d %s", r.Status, r.Raw)
	}
	for _, c := range []struct{ method, body string }{{"GET", ""}, {"PATCH", `{"name":"mine now"}`}, {"DELETE", ""}} {
		ct := ""
		if c.body != "" {
			ct = "application/json"
		}
		if r := call(t, ts, c.method, "/api/saved-searches/"+id, ct, c.body, bob); r.Status != 404 || errorOf(t, r) != "not_found" {
			t.Errorf("%s of Ann's search by Bob: %d %s", c.method, r.Status, r.Raw)
		}
	}
	if r := call(t, ts, "GET", "/api/saved-searches?all=true", "", "", bob); r.Status != 403 || errorOf(t, r) != "forbidden" {
		t.Errorf("all=true by a write key: %d %s", r.Status, r.Raw)
	}
	// Ann renames hers; the search stays.
	r = call(t, ts, "PATCH", "/api/saved-searches/"+id, "application/json", `{"name":"Kremlin"}`, ann)
	if r.Status != 200 || r.Body["name"] != "Kremlin" || r.Body["query"] != "Kremlin" || r.Body["version"] != float64(2) {
		t.Errorf("rename: %d %s", r.Status, r.Raw)
	}
	// The admin sees everyone's with all=true, and only its own without.
	if r := call(t, ts, "GET", "/api/saved-searches?all=true", "", "", testToken); r.Status != 200 || len(r.Body["saved_searches"].([]any)) != 1 {
		t.Errorf("admin, all: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "GET", "/api/saved-searches", "", "", testToken); r.Status != 200 || len(r.Body["saved_searches"].([]any)) != 0 {
		t.Errorf("admin, own: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "GET", "/api/saved-searches/"+id, "", "", testToken); r.Status != 200 {
		t.Errorf("admin reads Ann's: %d %s", r.Status, r.Raw)
	}
	// Bad input: each a 4xx JSON error.
	for _, c := range []struct{ body, code string }{
		{`{"name":""}`, "invalid"},
		{`{"search":{"query":"x"}}`, "invalid"},
		{`{"name":"x","search":{"sort":"random"}}`, "invalid"},
		{`{"name":"x","search":{"from":"yesterday"}}`, "invalid"},
		{`{"name":"x","search":{"to":"now-7x"}}`, "invalid"},
		{`{"name":"x","owner":"key_other"}`, "bad_request"},
		{`{"name":"` + strings.Repeat("n", 201) + `"}`, "invalid"},
		{`{"name":"x","search":{"query":"` + strings.Repeat("q", saved.MaxQueryBytes+1) + `"}}`, "too_large"},
	} {
		if r := call(t, ts, "POST", "/api/saved-searches", "application/json", c.body, ann); r.Status/100 != 4 || errorOf(t, r) != c.code {
			t.Errorf("create %.60s: %d %s, want %s", c.body, r.Status, r.Raw, c.code)
		}
	}
	// At most 3 per key: the fourth is a conflict; Bob still has room.
	for i := range 2 {
		if r := call(t, ts, "POST", "/api/saved-searches", "application/json", fmt.Sprintf(`{"name":"n%d"}`, i), ann); r.Status != 201 {
			t.Fatalf("create %d: %d %s", i, r.Status, r.Raw)
		}
	}
	if r := call(t, ts, "POST", "/api/saved-searches", "application/json", `{"name":"one too many"}`, ann); r.Status != 409 || errorOf(t, r) != "conflict" {
		t.Errorf("a fourth search: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "POST", "/api/saved-searches", "application/json", `{"name":"Bob's"}`, bob); r.Status != 201 {
		t.Errorf("Bob's first: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "DELETE", "/api/saved-searches/"+id, "", "", ann); r.Status != 200 || r.Body["deleted"] != true {
		t.Errorf("delete: %d %s", r.Status, r.Raw)
	}
}

// TestAlertReadsNeedAKey: on an open server alert definitions need a
// read key (no key: 401 JSON); a read key reads but does not write
// (403 JSON); alerts and feeds record the key that created them, shown
// to admin keys only.
func TestAlertReadsNeedAKey(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>T</title></channel></rss>`)
	}))
	t.Cleanup(origin.Close)
	ts := newTestServer(t, func(cfg *Config) {
		withKeys(t, false)(cfg)
		withAlerts(t)(cfg)
		fsvc, err := feeds.New(feeds.Config{Engine: cfg.Engine, Store: feedStore(t, cfg.Engine), Logger: quiet,
			Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Version: "test", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Feeds = fsvc
	})
	_, read := createKey(t, ts, testToken, "reader", "read")
	writeID, write := createKey(t, ts, testToken, "writer", "write")
	_, admin := createKey(t, ts, testToken, "ops", "admin")
	r := call(t, ts, "POST", "/api/alerts", "application/json", `{"name":"a","query":"harbour","schedule":"@every 1h","webhook_url":"http://127.0.0.1:9/hook"}`, write)
	if r.Status != 201 {
		t.Fatalf("create alert: %d %s", r.Status, r.Raw)
	}
	if _, ok := r.Body["created_by"]; ok {
		t.Errorf("a write key was shown created_by: %s", r.Raw)
	}
	id := r.Body["id"].(string)
	for _, p := range []string{"/api/alerts", "/api/alerts/" + id, "/api/alerts/" + id + "/deliveries", "/api/alerts/" + id + "/preview"} {
		if r := call(t, ts, "GET", p, "", "", ""); r.Status != 401 || errorOf(t, r) != "unauthorized" {
			t.Errorf("GET %s without a key: %d %s", p, r.Status, r.Raw)
		}
		if r := call(t, ts, "GET", p, "", "", read); r.Status != 200 || strings.Contains(r.Raw, "created_by") {
			t.Errorf("GET %s with a read key: %d %s", p, r.Status, r.Raw)
		}
	}
	for _, c := range [][3]string{{"POST", "/api/alerts", `{"name":"b","query":"x","webhook_url":"http://127.0.0.1:9/h"}`}, {"PATCH", "/api/alerts/" + id, `{"enabled":false}`}, {"DELETE", "/api/alerts/" + id, ""}, {"POST", "/api/alerts/" + id + "/run", ""}} {
		ct := ""
		if c[2] != "" {
			ct = "application/json"
		}
		if r := call(t, ts, c[0], c[1], ct, c[2], read); r.Status != 403 || errorOf(t, r) != "forbidden" {
			t.Errorf("%s %s with a read key: %d %s, want 403", c[0], c[1], r.Status, r.Raw)
		}
	}
	for _, key := range []string{admin, testToken} {
		if r := call(t, ts, "GET", "/api/alerts/"+id, "", "", key); r.Body["created_by"] != writeID {
			t.Errorf("created_by shown to an admin: %s, want %s", r.Raw, writeID)
		}
		if r := call(t, ts, "GET", "/api/alerts", "", "", key); !strings.Contains(r.Raw, `"created_by":"`+writeID+`"`) {
			t.Errorf("alert list to an admin: %s", r.Raw)
		}
	}
	r = call(t, ts, "POST", "/api/feeds", "application/json", `{"url":"`+origin.URL+`/rss"}`, write)
	if r.Status != 201 || strings.Contains(r.Raw, "created_by") {
		t.Fatalf("create feed: %d %s", r.Status, r.Raw)
	}
	fid := r.Body["id"].(string)
	if r := call(t, ts, "GET", "/api/feeds/"+fid, "", "", admin); r.Body["created_by"] != writeID {
		t.Errorf("feed created_by to an admin: %s", r.Raw)
	}
	if r := call(t, ts, "GET", "/api/feeds/"+fid, "", "", read); strings.Contains(r.Raw, "created_by") {
		t.Errorf("feed created_by to a read key: %s", r.Raw)
	}
}

// TestPagesShowTheScope: signed in with a read key, a page names the key
// and its scope and marks the body, so the write controls are hidden
// (the server refuses the writes whatever the page shows); an admin's
// page is not marked read.
func TestPagesShowTheScope(t *testing.T) {
	ts := newTestServer(t, withKeys(t, false))
	_, read := createKey(t, ts, testToken, "Ann (reader)", "read")
	for key, want := range map[string]string{read: `<body data-scope="read">`, testToken: `<body data-scope="admin">`, "": `<body>`} {
		jar := &cookieJar{}
		client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if key != "" {
			resp, err := client.PostForm(ts.URL+"/login", url.Values{"token": {key}, "next": {"/"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		for _, path := range []string{"/", "/alerts", "/saved"} {
			resp, err := client.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), want) {
				t.Errorf("%s signed in with %.8q: no %s", path, key, want)
			}
			if key == read && !strings.Contains(string(b), "Ann (reader) <span class=\"scope\">(read key)</span>") {
				t.Errorf("%s does not name the read key", path)
			}
		}
	}
}
