package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed/atom"
)

// getFeed fetches a feed with an optional bearer key and returns the
// status, content type and body.
func getFeed(t *testing.T, ts *httptest.Server, path, bearer string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

// TestAlertFeed: an alert's Atom feed lists what its deliveries carried,
// newest delivery first, and is valid Atom to gofeed's Atom parser (ids,
// titles, updated, links, summaries), with ids stable across requests.
// It is read with a read key, or with the alert's feed key in the URL,
// which a write key rotates: the old key stops working at once. Without
// either, with a wrong or rotated key, or with the key of another alert,
// the answer is a 401 JSON error; the key is never in an alert's JSON
// nor in the logs.
func TestAlertFeed(t *testing.T) {
	logs := &syncBuffer{}
	ts := newTestServer(t, func(cfg *Config) {
		withKeys(t, false)(cfg) // open reads: the feed still needs a key
		withAlerts(t)(cfg)
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, read := createKey(t, ts, testToken, "reader", "read")
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()
	mk := func(name string) string {
		r := call(t, ts, "POST", "/api/alerts", "application/json", `{"name":"`+name+`","query":"tin","schedule":"@daily","webhook_url":"`+recv.URL+`/hook"}`, testToken)
		if r.Status != 201 {
			t.Fatalf("create: %s", r.Raw)
		}
		return r.Body["id"].(string)
	}
	id, other := mk("Tin <watch>"), mk("other")
	ingestRun := func(arts string) {
		t.Helper()
		if r := call(t, ts, "POST", "/api/articles", "application/json", arts, testToken); r.Status != 200 {
			t.Fatalf("ingest: %s", r.Raw)
		}
		if r := call(t, ts, "POST", "/api/alerts/"+id+"/run", "", "", testToken); r.Status != 200 {
			t.Fatalf("run: %s", r.Raw)
		}
	}
	ingestRun(`[{"id":"t1","title":"Tin output & exports","url":"https://example.com/t1","date":"2026-01-01T10:00:00Z","body":"Tin output rose."},
		{"id":"t2","title":"Tin miners strike","date":"2026-01-02T10:00:00Z","body":"Tin miners went on strike."},
		{"id":"x1","title":"Cocoa","body":"Cocoa prices."}]`)
	ingestRun(`[{"id":"t3","title":"Tin smelter opens","url":"https://example.com/t3","date":"2026-01-03T10:00:00Z","body":"A tin smelter opened."}]`)

	feedPath := "/api/alerts/" + id + "/feed.atom"
	expectErr := func(path, bearer string, want int) {
		t.Helper()
		st, ct, body := getFeed(t, ts, path, bearer)
		if st != want || !strings.HasPrefix(ct, "application/json") || !strings.Contains(body, `"error":{"code":"`) {
			t.Errorf("GET %s: %d %s %s, want a %d JSON error", path, st, ct, body, want)
		}
	}
	expectErr(feedPath, "", 401)          // open reads do not open the feed
	expectErr(feedPath, "not-a-key", 401) // a bad bearer key

	parse := func(path, bearer string) *atom.Feed {
		t.Helper()
		st, ct, body := getFeed(t, ts, path, bearer)
		if st != 200 || ct != "application/atom+xml; charset=utf-8" {
			t.Fatalf("GET %s: %d %s %s", path, st, ct, body)
		}
		f, err := (&atom.Parser{}).Parse(strings.NewReader(body))
		if err != nil {
			t.Fatalf("not Atom: %v\n%s", err, body)
		}
		return f
	}
	f := parse(feedPath, read)
	if f.Title != "Watchword alert: Tin <watch>" || !strings.HasPrefix(f.ID, "urn:uuid:") || f.Updated == "" || f.Version != "1.0" {
		t.Fatalf("feed head: title %q id %q updated %q version %q", f.Title, f.ID, f.Updated, f.Version)
	}
	var titles []string
	ids := map[string]bool{}
	for _, e := range f.Entries {
		titles = append(titles, e.Title)
		if !strings.HasPrefix(e.ID, "urn:uuid:") || ids[e.ID] || e.UpdatedParsed == nil || len(e.Links) == 0 || e.Links[0].Href == "" || e.Summary == "" {
			t.Errorf("entry %+v: want a unique urn:uuid id, updated, a link and a summary", e)
		}
		ids[e.ID] = true
	}
	// Newest delivery first (t3), then the first delivery newest first.
	if got := strings.Join(titles, " | "); got != "Tin smelter opens | Tin miners strike | Tin output & exports" {
		t.Fatalf("entries %q", got)
	}
	if f.Entries[0].Links[0].Href != "https://example.com/t3" || !strings.HasSuffix(f.Entries[1].Links[0].Href, "/articles/t2") {
		t.Errorf("links: %q, %q", f.Entries[0].Links[0].Href, f.Entries[1].Links[0].Href)
	}
	if !strings.Contains(f.Entries[0].Summary, "<mark>tin</mark>") && !strings.Contains(f.Entries[0].Summary, "<mark>Tin</mark>") {
		t.Errorf("summary %q without the marked query word", f.Entries[0].Summary)
	}
	again := parse(feedPath, testToken)
	for i, e := range again.Entries {
		if e.ID != f.Entries[i].ID {
			t.Fatalf("entry %d id changed across requests: %q then %q", i, f.Entries[i].ID, e.ID)
		}
	}
	if again.ID != f.ID {
		t.Fatal("feed id changed across requests")
	}

	// The feed key: rotated with a write key only, shown once.
	if r := call(t, ts, "POST", "/api/alerts/"+id+"/feed-key", "", "", read); r.Status != 403 {
		t.Fatalf("rotate with a read key: %d %s", r.Status, r.Raw)
	}
	expectErr(feedPath+"?key=wwfeed_nothing", "", 401) // none made yet
	rotate := func() string {
		t.Helper()
		r := call(t, ts, "POST", "/api/alerts/"+id+"/feed-key", "", "", testToken)
		if r.Status != 200 {
			t.Fatalf("rotate: %d %s", r.Status, r.Raw)
		}
		key := r.Body["feed_key"].(string)
		if !strings.HasSuffix(r.Body["feed_url"].(string), feedPath+"?key="+url.QueryEscape(key)) {
			t.Fatalf("feed_url %v", r.Body["feed_url"])
		}
		return key
	}
	k1 := rotate()
	if f := parse(feedPath+"?key="+url.QueryEscape(k1), ""); len(f.Entries) != 3 {
		t.Fatalf("with the feed key: %d entries", len(f.Entries))
	}
	expectErr("/api/alerts/"+other+"/feed.atom?key="+url.QueryEscape(k1), "", 401) // another alert's
	expectErr("/api/alerts/nope/feed.atom?key="+url.QueryEscape(k1), "", 401)      // no probing for ids
	expectErr(feedPath+"?key="+url.QueryEscape(k1+"x"), "", 401)
	k2 := rotate()
	expectErr(feedPath+"?key="+url.QueryEscape(k1), "", 401) // rotated: the old one stops
	parse(feedPath+"?key="+url.QueryEscape(k2), "")
	for _, who := range []string{"", read, testToken} {
		r := call(t, ts, "GET", "/api/alerts/"+id, "", "", who)
		if strings.Contains(r.Raw, k2) || strings.Contains(r.Raw, "feed_key_hash") || r.Body["feed_key_created_at"] == nil {
			t.Fatalf("alert JSON as %q: %s", who, r.Raw)
		}
	}
	if !strings.Contains(logs.String(), "route=/api/alerts/:id/feed.atom") || !strings.Contains(logs.String(), "feed key rotated") {
		t.Fatalf("the feed requests and rotations are not logged:\n%s", logs.String())
	}
	for _, k := range []string{k1, k2} {
		if strings.Contains(logs.String(), k) || strings.Contains(logs.String(), url.QueryEscape(k)) {
			t.Fatalf("a feed key is in the logs:\n%s", logs.String())
		}
	}
}
