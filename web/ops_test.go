package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/watchword/watchword/internal/engine"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func rawCall(t *testing.T, ts *httptest.Server, method, path string, hdr map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func TestHealthAndReady(t *testing.T) {
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Token: testToken, Logger: quiet, Private: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, body := rawCall(t, ts, "GET", p, nil, "")
		if resp.StatusCode != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
			t.Errorf("%s (no token, --private): %d %s", p, resp.StatusCode, body)
		}
	}
	// Shutdown begins: not ready, still alive.
	s.closing.Store(true)
	resp, body := rawCall(t, ts, "GET", "/readyz", nil, "")
	if resp.StatusCode != 503 || !strings.Contains(body, `"code":"unavailable"`) || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz while shutting down: %d %s", resp.StatusCode, body)
	}
	s.closing.Store(false)
	// Store closed: not ready.
	eng.Close()
	resp, body = rawCall(t, ts, "GET", "/readyz", nil, "")
	if resp.StatusCode != 503 || !strings.Contains(body, `"code":"unavailable"`) {
		t.Errorf("/readyz with the store closed: %d %s", resp.StatusCode, body)
	}
	if resp, _ := rawCall(t, ts, "GET", "/healthz", nil, ""); resp.StatusCode != 200 {
		t.Errorf("/healthz with the store closed: %d", resp.StatusCode)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts := newTestServer(t, func(c *Config) { c.Registry = reg })
	call(t, ts, "POST", "/api/articles", "application/x-ndjson",
		`{"id":"m1","body":"Metrics story one."}`+"\n"+`{"id":"m2"}`+"\n"+`{"id":"m3","body":"Metrics story three."}`, testToken)
	call(t, ts, "GET", "/api/search?q=metrics", "", "", "")
	call(t, ts, "GET", "/api/articles/m1", "", "", "")
	call(t, ts, "GET", "/api/articles/nope", "", "", "")
	// Another layer registers its own collector in the same registry.
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "watchword_test_extra_total", Help: "x"})
	reg.MustRegister(extra)
	extra.Inc()

	resp, body := rawCall(t, ts, "GET", "/metrics", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`watchword_http_requests_total{method="GET",route="/api/articles/:id",status="200"} 1`,
		`watchword_http_requests_total{method="GET",route="/api/articles/:id",status="404"} 1`,
		`watchword_http_requests_total{method="POST",route="/api/articles",status="200"} 1`,
		`watchword_http_request_duration_seconds_bucket{method="GET",route="/api/search",le="+Inf"} 1`,
		`watchword_search_duration_seconds_count 1`,
		`watchword_articles_ingested_total 3`,
		`watchword_articles_indexed_total 2`,
		`watchword_articles_rejected_total{code="invalid"} 1`,
		`watchword_articles 2`,
		`watchword_index_lag 0`,
		`watchword_index_compactions_total 0`,
		`watchword_test_extra_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "/api/articles/m1") || strings.Contains(body, "nope") {
		t.Error("/metrics labels raw paths instead of route patterns")
	}
	// Two articles indexed: at least one segment, and no error (-1).
	if m := regexp.MustCompile(`(?m)^watchword_index_segments (\d+)$`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("/metrics: watchword_index_segments is %v, want a count above 0", m)
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newTestServer(t, func(c *Config) { c.Logger = log })

	// A sane incoming id is kept and echoed.
	resp, _ := rawCall(t, ts, "GET", "/api/search?q=secret+words&token=abc", map[string]string{HeaderRequestID: "req-42.a:b"}, "")
	if got := resp.Header.Get(HeaderRequestID); got != "req-42.a:b" {
		t.Errorf("echoed request id %q", got)
	}
	// An insane one is replaced.
	resp, _ = rawCall(t, ts, "GET", "/healthz", map[string]string{HeaderRequestID: "bad id <script>"}, "")
	if got := resp.Header.Get(HeaderRequestID); !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(got) {
		t.Errorf("generated request id %q", got)
	}
	// A failing write: the error line and the access line carry the id;
	// the token is never logged.
	resp, _ = rawCall(t, ts, "POST", "/api/articles", map[string]string{
		HeaderRequestID: "write-1", "Authorization": "Bearer wrong-secret-token", "Content-Type": "application/json",
	}, `{"body":"x"}`)
	if resp.StatusCode != 401 {
		t.Fatalf("status %d", resp.StatusCode)
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		lines = append(lines, m)
	}
	find := func(id string) map[string]any {
		for _, m := range lines {
			if m["msg"] == "http request" && m["request_id"] == id {
				return m
			}
		}
		t.Fatalf("no access log line for %s in %s", id, logs.String())
		return nil
	}
	a := find("req-42.a:b")
	if a["route"] != "/api/search" || a["method"] != "GET" || a["status"] != float64(200) || a["q_len"] != float64(len("secret words")) {
		t.Errorf("access line %v", a)
	}
	if _, ok := a["duration_ms"]; !ok {
		t.Errorf("access line without duration: %v", a)
	}
	if w := find("write-1"); w["status"] != float64(401) || w["route"] != "/api/articles" {
		t.Errorf("access line %v", w)
	}
	all := logs.String()
	for _, secret := range []string{"secret words", "secret+words", "wrong-secret-token", "token=abc", "Bearer"} {
		if strings.Contains(all, secret) {
			t.Errorf("the log contains %q: %s", secret, all)
		}
	}
}

// TestErrorLogCarriesRequestID checks that the error handler logs through
// the request's logger.
func TestErrorLogCarriesRequestID(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Token: testToken, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	eng.Close() // every search now fails with a 500
	resp, _ := rawCall(t, ts, "GET", "/api/search?q=x", map[string]string{HeaderRequestID: "boom-1"}, "")
	if resp.StatusCode != 500 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(l, "request failed") {
			if !strings.Contains(l, `"request_id":"boom-1"`) {
				t.Errorf("error line without the request id: %s", l)
			}
			return
		}
	}
	t.Errorf("no error line: %s", logs.String())
}

func TestSecureHeaders(t *testing.T) {
	ts := newTestServer(t, nil)
	resp, _ := rawCall(t, ts, "GET", "/api/search?q=x", nil, "")
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); csp != "" {
		t.Errorf("CSP on JSON: %q", csp)
	}
	resp, _ = rawCall(t, ts, "GET", "/", nil, "")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/ is %s", resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("HTML CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("HTML CSP %q allows inline code", csp)
	}
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.RateLimit = 2 })
	var codes []int
	var last *http.Response
	var lastBody string
	for i := 0; i < 6; i++ {
		resp, body := rawCall(t, ts, "DELETE", "/api/articles/none", map[string]string{"Authorization": "Bearer " + testToken}, "")
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == 429 {
			last, lastBody = resp, body
		}
	}
	if last == nil {
		t.Fatalf("no 429 in %v", codes)
	}
	if last.Header.Get("Retry-After") == "" || !strings.Contains(lastBody, `"code":"rate_limited"`) {
		t.Errorf("429 answer: %v %s", last.Header, lastBody)
	}
	// Reads have a limit of their own (off here: ReadRateLimit is 0).
	for i := 0; i < 10; i++ {
		if resp, _ := rawCall(t, ts, "GET", "/api/search?q=x", nil, ""); resp.StatusCode != 200 {
			t.Fatalf("read %d: %d", i, resp.StatusCode)
		}
	}
}

func TestLimitBody(t *testing.T) {
	ts := newTestServer(t, nil)
	big := strings.Repeat("x", SmallBodyLimit+1)
	// The article ingest takes --max-body (4 MiB in tests), not 1 MiB.
	resp, body := rawCall(t, ts, "POST", "/api/articles", map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "text/plain"},
		"date 2025-01-01 "+big[:SmallBodyLimit-100])
	if resp.StatusCode != 200 {
		t.Errorf("ingest just under 1 MiB: %d %.200s", resp.StatusCode, body)
	}
	// Other write routes have the small limit, even for chunked bodies.
	resp, body = rawCall(t, ts, "DELETE", "/api/articles/x", map[string]string{"Authorization": "Bearer " + testToken}, big)
	if resp.StatusCode != 413 || !strings.Contains(body, `"code":"too_large"`) || !strings.Contains(body, "1048576 bytes") {
		t.Errorf("DELETE with a big body: %d %.200s", resp.StatusCode, body)
	}
	// Alert bodies too, whatever the handler reads them with.
	resp, body = rawCall(t, ts, "POST", "/api/alerts", map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "application/json"},
		`{"name":"`+big+`"}`)
	if resp.StatusCode != 413 || !strings.Contains(body, "1048576 bytes") {
		t.Errorf("POST /api/alerts with a big body: %d %.200s", resp.StatusCode, body)
	}
}

// openAPIDoc is the part of the description the route test reads.
type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// TestOpenAPICoversRoutes fails when a route echo has (API, probes,
// metrics, pages, static files) is missing from web/openapi.json or the
// description has an operation with no route.
func TestOpenAPICoversRoutes(t *testing.T) {
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s, err := New(Config{Engine: eng, Token: testToken, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(OpenAPISpec(), &doc); err != nil {
		t.Fatalf("web/openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	routes := map[string]bool{}
	for _, r := range s.e.Routes() {
		routes[strings.ToLower(r.Method)+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	described := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				described[m+" "+p] = true
			}
		}
	}
	var missing, extra []string
	for r := range routes {
		if !described[r] {
			missing = append(missing, r)
		}
	}
	for d := range described {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, m := range missing {
		t.Errorf("route %s is not in web/openapi.json", m)
	}
	for _, x := range extra {
		t.Errorf("web/openapi.json describes %s, which has no route", x)
	}

	// Every $ref resolves.
	var whole any
	json.Unmarshal(OpenAPISpec(), &whole)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, ok := x.(string); k == "$ref" && ok {
					var cur any = whole
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						m, _ := cur.(map[string]any)
						cur = m[part]
					}
					if cur == nil {
						t.Errorf("$ref %s does not resolve", ref)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(whole)

	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, body := rawCall(t, ts, "GET", "/api/openapi.json", nil, "")
	if resp.StatusCode != 200 || !json.Valid([]byte(body)) {
		t.Errorf("GET /api/openapi.json: %d", resp.StatusCode)
	}
}

func TestPanicIsLoggedWithRequestID(t *testing.T) {
	var logs syncBuffer
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s, err := New(Config{Engine: eng, Token: testToken, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.e.GET("/api/test-panic", func(echo.Context) error { panic("boom") })
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, body := rawCall(t, ts, "GET", "/api/test-panic", map[string]string{HeaderRequestID: "panic-1"}, "")
	if resp.StatusCode != 500 || !strings.Contains(body, `"code":"internal"`) {
		t.Errorf("panic answer: %d %s", resp.StatusCode, body)
	}
	l := logs.String()
	if !strings.Contains(l, `"msg":"web: panic"`) || !strings.Contains(l, `"request_id":"panic-1","method":"GET","route":"/api/test-panic","status":500`) {
		t.Errorf("log: %s", l)
	}
}
