package web

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/keys"
)

// TestLocalPath: next= keeps the browser on this site, whatever tricks
// the value plays with slashes, backslashes, control characters or
// %-encoding.
func TestLocalPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/", "/"},
		{"/?q=Peskov", "/?q=Peskov"},
		{"/?country=Russia&q=Peskov+AND+Ukraine&sort=newest", "/?country=Russia&q=Peskov+AND+Ukraine&sort=newest"},
		{"/articles/a%2541?q=x", "/articles/a%2541?q=x"},
		{"/alerts/new?q=" + url.QueryEscape("https://x.example/a"), "/alerts/new?q=https%3A%2F%2Fx.example%2Fa"},
		{"/feeds#top", "/feeds#top"},
		{"", "/"},
		{"evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"//evil.example/", "/"},
		{"///evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"\\/evil.example/", "/"},
		{"/\t/evil.example/", "/"},
		{"/%09/evil.example/", "/"},
		{"/\r\n/evil.example/", "/"},
		{"/%0d%0a/evil.example/", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/%2f/evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/%252F%252Fevil.example", "/"},
		{"/%25252F%25252Fevil.example", "/"},
		{"/a//b", "/"},
		{"/%zz", "/"},
		{"/\x00", "/"},
		{"/\x7f", "/"},
		{"/" + strings.Repeat("a", maxNextBytes), "/"},
	} {
		if got := localPath(c.in); got != c.want {
			t.Errorf("localPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func postLogin(t *testing.T, client *http.Client, ts *httptest.Server, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func sessionOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no session cookie in %d %v", resp.StatusCode, resp.Header)
	return nil
}

// TestLoginRedirectStaysLocal: POST /login with a hostile next= sends the
// browser to / on this site.
func TestLoginRedirectStaysLocal(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Private = true })
	for _, next := range []string{"/%09/evil.example/", "/\\evil.example", "/%2F%2Fevil.example", "//evil.example", "/\t/evil.example", "https://evil.example", "/\r\n/evil.example"} {
		resp, _ := postLogin(t, noRedirect, ts, url.Values{"token": {testToken}, "next": {next}}, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("next=%q: %d Location %q", next, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := postLogin(t, noRedirect, ts, url.Values{"token": {testToken}, "next": {"/?q=Peskov"}}, nil)
	if loc := resp.Header.Get("Location"); loc != "/?q=Peskov" {
		t.Errorf("a local next is lost: %q", loc)
	}
}

// TestLogoutRevokesSession: a copy of the cookie taken before signing out
// no longer opens pages afterwards.
func TestLogoutRevokesSession(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Private = true })
	resp, _ := postLogin(t, noRedirect, ts, url.Values{"token": {testToken}, "next": {"/"}}, nil)
	ck := sessionOf(t, resp)
	if strings.Contains(ck.Value, testToken) || len(ck.Value) < 43 {
		t.Fatalf("session cookie %q", ck.Value)
	}
	get := func(ck *http.Cookie) int {
		req, _ := http.NewRequest("GET", ts.URL+"/feeds", nil)
		req.AddCookie(ck)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(ck); st != 200 {
		t.Fatalf("signed in: %d", st)
	}
	// A second sign-in is another session; the first still works.
	resp2, _ := postLogin(t, noRedirect, ts, url.Values{"token": {testToken}}, nil)
	other := sessionOf(t, resp2)
	if other.Value == ck.Value {
		t.Fatal("two sign-ins share a session id")
	}
	req, _ := http.NewRequest("POST", ts.URL+"/logout", nil)
	req.AddCookie(ck)
	out, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if out.StatusCode != http.StatusSeeOther || sessionOf(t, out).MaxAge >= 0 {
		t.Errorf("logout: %d %v", out.StatusCode, out.Header)
	}
	if st := get(ck); st != http.StatusUnauthorized {
		t.Errorf("replayed cookie after logout: %d, want 401", st)
	}
	if st := get(other); st != 200 {
		t.Errorf("the other session went too: %d", st)
	}
	if st := get(&http.Cookie{Name: sessionCookie, Value: "forged"}); st != http.StatusUnauthorized {
		t.Errorf("forged cookie: %d", st)
	}
}

// TestSessionCookieSecure: Secure when the request came over TLS, or
// through a trusted proxy that says https; never on the word of an
// untrusted client.
func TestSessionCookieSecure(t *testing.T) {
	for _, c := range []struct {
		name   string
		tls    bool
		trust  bool
		proto  string
		secure bool
	}{
		{"plain", false, false, "", false},
		{"TLS", true, false, "", true},
		{"proxy https, trusted", false, true, "https", true},
		{"proxy HTTPS list, trusted", false, true, "HTTPS, http", true},
		{"proxy http, trusted", false, true, "http", false},
		{"proxy https, not trusted", false, false, "https", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			s, err := New(Config{Engine: eng, Token: testToken, Logger: quiet, Private: true, TrustProxy: c.trust})
			if err != nil {
				t.Fatal(err)
			}
			var ts *httptest.Server
			client := noRedirect
			if c.tls {
				ts = httptest.NewTLSServer(s.Handler())
				client = &http.Client{
					Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}},
					CheckRedirect: noRedirect.CheckRedirect,
				}
			} else {
				ts = httptest.NewServer(s.Handler())
			}
			defer ts.Close()
			hdr := map[string]string{}
			if c.proto != "" {
				hdr["X-Forwarded-Proto"] = c.proto
			}
			resp, _ := postLogin(t, client, ts, url.Values{"token": {testToken}}, hdr)
			ck := sessionOf(t, resp)
			if ck.Secure != c.secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("cookie Secure=%v HttpOnly=%v SameSite=%v, want Secure=%v", ck.Secure, ck.HttpOnly, ck.SameSite, c.secure)
			}
		})
	}
}

// TestLoginLimits: the sign-in form takes a small body and a few attempts
// per client, then 429 with Retry-After.
func TestLoginLimits(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Private = true })
	big := url.Values{"token": {strings.Repeat("x", 5000)}}
	resp, body := postLogin(t, noRedirect, ts, big, nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"code":"too_large"`) {
		t.Errorf("5 kB form: %d %.200s", resp.StatusCode, body)
	}
	// The same without Content-Length (chunked): the reader stops it.
	req, _ := http.NewRequest("POST", ts.URL+"/login", io.MultiReader(strings.NewReader(big.Encode())))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r2, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b2), `"code":"too_large"`) {
		t.Errorf("5 kB chunked form: %d %.200s", r2.StatusCode, b2)
	}
	// Those two were attempts as well; keep guessing until refused.
	var codes []int
	for i := 0; i < 10; i++ {
		resp, body = postLogin(t, noRedirect, ts, url.Values{"token": {"guess"}}, nil)
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, `"code":"rate_limited"`) {
		t.Fatalf("no 429 after guesses: %v %.200s", codes, body)
	}
	if len(codes) > loginBurst-1 {
		t.Errorf("refused only after %d more attempts: %v", len(codes), codes)
	}
	// The right token is refused too while limited: no guessing around it.
	if resp, _ := postLogin(t, noRedirect, ts, url.Values{"token": {testToken}}, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right token while limited: %d", resp.StatusCode)
	}
}

func TestSessionStore(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := newSessionStore(3, time.Hour, func() time.Time { return now })
	var ids []string
	for i := 0; i < 4; i++ {
		id, err := st.create(keys.Principal{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		now = now.Add(time.Minute)
	}
	if st.len() != 3 || st.valid(ids[0]) || !st.valid(ids[1]) || !st.valid(ids[3]) {
		t.Errorf("the cap does not evict the oldest: len %d", st.len())
	}
	st.revoke(ids[2])
	if st.valid(ids[2]) || st.len() != 2 {
		t.Error("revoke")
	}
	now = now.Add(time.Hour)
	if st.valid(ids[3]) {
		t.Error("an expired session is valid")
	}
	if _, err := st.create(keys.Principal{}); err != nil || st.len() != 1 {
		t.Errorf("expired sessions are kept: len %d", st.len())
	}
	if st.valid("") {
		t.Error("empty id")
	}
}
