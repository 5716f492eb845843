package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/keys"
	keysbolt "github.com/watchword/watchword/internal/keys/boltstore"
)

// withKeys gives a test server a key store in its own store file.
func withKeys(t *testing.T, private bool) func(*Config) {
	return func(cfg *Config) {
		ks, err := keysbolt.New(context.Background(), cfg.Engine.Store())
		if err != nil {
			t.Fatal(err)
		}
		cfg.Keys = keys.New(ks, cfg.Token, nil)
		cfg.Private = private
	}
}

func createKey(t *testing.T, ts *httptest.Server, by, name, scope string) (string, string) {
	t.Helper()
	r := call(t, ts, "POST", "/api/keys", "application/json", `{"name":"`+name+`","scope":"`+scope+`"}`, by)
	if r.Status != http.StatusCreated {
		t.Fatalf("create %s key: %d %s", scope, r.Status, r.Raw)
	}
	k := r.Body["key"].(map[string]any)
	if _, ok := k["hash"]; ok {
		t.Fatalf("the hash went out: %s", r.Raw)
	}
	return k["id"].(string), r.Body["secret"].(string)
}

// TestKeyScopes: each route asks for the scope its issue names, with a
// 401 for no or a bad key and a 403 naming the scope for a weaker one.
func TestKeyScopes(t *testing.T) {
	logs := &syncBuffer{}
	ts := newTestServer(t, func(cfg *Config) {
		withKeys(t, true)(cfg)
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	readID, read := createKey(t, ts, testToken, "Ann (reader)", "read")
	_, write := createKey(t, ts, testToken, "ingest bot", "write")
	_, admin := createKey(t, ts, testToken, "ops", "admin")
	article := `{"id":"k1","body":"Harbour story."}`
	for _, c := range []struct {
		method, path, body, key string
		want                    int
	}{
		{"GET", "/api/search?q=harbour", "", "", 401},
		{"GET", "/api/search?q=harbour", "", "ww_key_000000000000_nope", 401},
		{"GET", "/api/search?q=harbour", "", read, 200},
		{"POST", "/api/articles", article, read, 403},
		{"POST", "/api/articles", article, write, 200},
		{"GET", "/api/keys", "", write, 403},
		{"GET", "/api/backup", "", write, 403},
		{"POST", "/api/admin/resume", "", write, 403},
		{"GET", "/api/keys", "", admin, 200},
		{"GET", "/api/whoami", "", read, 200},
		{"GET", "/api/whoami", "", "", 401},
	} {
		r := call(t, ts, c.method, c.path, "application/json", c.body, c.key)
		if r.Status != c.want {
			t.Errorf("%s %s with %.12s: %d %s, want %d", c.method, c.path, c.key, r.Status, r.Raw, c.want)
			continue
		}
		if c.want == 403 && (errorOf(t, r) != "forbidden" || !strings.Contains(r.Raw, "needs a")) {
			t.Errorf("%s %s: %s", c.method, c.path, r.Raw)
		}
	}
	who := call(t, ts, "GET", "/api/whoami", "", "", read)
	if who.Body["scope"] != "read" || who.Body["key_id"] != readID || who.Body["name"] != "Ann (reader)" {
		t.Fatalf("whoami: %s", who.Raw)
	}
	// An admin key makes keys; the list shows no secret and no hash.
	_, _ = createKey(t, ts, admin, "made by ops", "read")
	list := call(t, ts, "GET", "/api/keys", "", "", testToken)
	ks := list.Body["keys"].([]any)
	if len(ks) != 4 || strings.Contains(list.Raw, `"hash"`) || strings.Contains(list.Raw, read) {
		t.Fatalf("list: %s", list.Raw)
	}
	if by := ks[3].(map[string]any)["created_by"]; by == "token" || by == "" {
		t.Fatalf("the key made by ops says created_by %v", by)
	}

	// Revoked: refused at once.
	if r := call(t, ts, "DELETE", "/api/keys/"+readID, "", "", admin); r.Status != 200 || r.Body["revoked_at"] == nil {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "GET", "/api/search?q=harbour", "", "", read); r.Status != 401 {
		t.Fatalf("a revoked key searched: %d", r.Status)
	}
	for _, c := range []struct{ method, path, body, code string }{
		{"POST", "/api/keys", `{"name":"x","scope":"root"}`, "invalid"},
		{"POST", "/api/keys", `{"name":"","scope":"read"}`, "invalid"},
		{"POST", "/api/keys", `{"name":"x","scope":"read","secret":"mine"}`, "bad_request"},
		{"DELETE", "/api/keys/key_nope", "", "not_found"},
		{"DELETE", "/api/keys/token", "", "invalid"},
	} {
		r := call(t, ts, c.method, c.path, "application/json", c.body, testToken)
		if r.Status/100 != 4 || errorOf(t, r) != c.code {
			t.Errorf("%s %s %s: %d %s, want %s", c.method, c.path, c.body, r.Status, r.Raw, c.code)
		}
	}
	for _, secret := range []string{read, write, admin} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("a key's secret is in the log")
		}
	}
}

// TestReadKeysSeeRedactedURLs: a webhook URL's query string is shown
// whole only to a key that may write.
func TestReadKeysSeeRedactedURLs(t *testing.T) {
	ts := newTestServer(t, func(cfg *Config) {
		withKeys(t, false)(cfg)
		withAlerts(t)(cfg)
	})
	_, read := createKey(t, ts, testToken, "reader", "read")
	_, write := createKey(t, ts, testToken, "writer", "write")
	r := call(t, ts, "POST", "/api/alerts", "application/json",
		`{"name":"a","query":"harbour","schedule":"@every 1h","webhook_url":"http://127.0.0.1:9/hook?secret=s3cr3t"}`, write)
	if r.Status != http.StatusCreated {
		t.Fatalf("create alert: %d %s", r.Status, r.Raw)
	}
	id := r.Body["id"].(string)
	for key, whole := range map[string]bool{read: false, write: true, testToken: true} {
		g := call(t, ts, "GET", "/api/alerts/"+url.PathEscape(id), "", "", key)
		if g.Status != 200 || strings.Contains(g.Raw, "s3cr3t") != whole {
			t.Errorf("alert read with %.10q: %d %s (want the query shown: %v)", key, g.Status, g.Raw, whole)
		}
	}
}

// TestSignInWithAKey: the sign-in form takes any valid key; the session
// ends when its key is revoked.
func TestSignInWithAKey(t *testing.T) {
	ts := newTestServer(t, withKeys(t, true))
	id, read := createKey(t, ts, testToken, "reader", "read")
	jar := &cookieJar{}
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(ts.URL+"/login", url.Values{"token": {read}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with a read key: %d", resp.StatusCode)
	}
	page := func() int {
		resp, err := client.Get(ts.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := page(); got != 200 {
		t.Fatalf("the search page signed in: %d", got)
	}
	if r := call(t, ts, "DELETE", "/api/keys/"+id, "", "", testToken); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	if got := page(); got != http.StatusUnauthorized {
		t.Fatalf("the search page after the key was revoked: %d, want the sign-in form (401)", got)
	}
}
