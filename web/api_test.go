package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/engine"
)

const testToken = "test-token"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newTestServer(t *testing.T, mutate func(*Config)) *httptest.Server {
	t.Helper()
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Engine: eng, Token: testToken, Logger: quiet, MaxBody: 4 << 20}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); eng.Close() })
	return ts
}

type response struct {
	Status int
	Body   map[string]any
	Raw    string
}

func call(t *testing.T, ts *httptest.Server, method, path, ctype, body string, token string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		t.Fatalf("%s %s: response is not JSON (%d): %.200s", method, path, resp.StatusCode, raw)
	}
	return r
}

// errorOf checks the error shape and returns its code.
func errorOf(t *testing.T, r response) string {
	t.Helper()
	e, ok := r.Body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.Raw)
	}
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		t.Fatalf("error without code or message: %s", r.Raw)
	}
	return code
}

func TestIngestFormats(t *testing.T) {
	ts := newTestServer(t, nil)
	r := call(t, ts, "POST", "/api/articles", "application/json",
		`{"title":"Kremlin talks","body":"Dmitry Peskov said Ukraine must want peace.","date":"2025-03-10","source":"Wire","speakers":["Dmitry Peskov"]}`, testToken)
	if r.Status != 200 || r.Body["indexed"].(float64) != 1 {
		t.Fatalf("json object: %d %s", r.Status, r.Raw)
	}
	id := r.Body["ids"].([]any)[0].(string)

	r = call(t, ts, "POST", "/api/articles", "application/json",
		`[{"body":"Kyiv said Ukraine was attacked.","id":"k1"},{"body":""},{"body":"Second good one, Ukraine again.","id":"k2"}]`, testToken)
	if r.Status != 200 || r.Body["indexed"].(float64) != 2 {
		t.Fatalf("json array: %d %s", r.Status, r.Raw)
	}
	errs := r.Body["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["index"].(float64) != 1 {
		t.Errorf("array errors = %v", errs)
	}

	r = call(t, ts, "POST", "/api/articles", "application/x-ndjson",
		"{\"body\":\"ndjson one about Ukraine\"}\n{broken\n{\"body\":\"ndjson three\",\"date\":\"yesterday\"}\n{\"body\":\"ndjson four\"}\n", testToken)
	if r.Status != 200 || r.Body["indexed"].(float64) != 2 {
		t.Fatalf("ndjson: %d %s", r.Status, r.Raw)
	}
	if errs := r.Body["errors"].([]any); len(errs) != 2 {
		t.Errorf("ndjson errors = %v", errs)
	}

	r = call(t, ts, "POST", "/api/articles", "text/plain; charset=utf-8",
		" date 2025-03-11 The Kremlin said on Tuesday that Peskov would speak about Ukraine.", testToken)
	if r.Status != 200 || r.Body["indexed"].(float64) != 1 {
		t.Fatalf("text: %d %s", r.Status, r.Raw)
	}

	r = call(t, ts, "GET", "/api/articles/"+id, "", "", "")
	if r.Status != 200 || r.Body["title"] != "Kremlin talks" || r.Body["seq"].(float64) != 1 {
		t.Errorf("get article: %d %s", r.Status, r.Raw)
	}

	r = call(t, ts, "GET", "/api/search?q="+url.QueryEscape("Peskov AND Ukraine")+"&facet_size=5", "", "", "")
	if r.Status != 200 || r.Body["total"].(float64) != 2 {
		t.Fatalf("search: %d %s", r.Status, r.Raw)
	}
	hits := r.Body["hits"].([]any)
	h := hits[0].(map[string]any)
	for _, k := range []string{"id", "title", "date", "source", "url", "score", "snippet", "speakers", "countries", "topics"} {
		if _, ok := h[k]; !ok {
			t.Errorf("hit lacks %q: %v", k, h)
		}
	}
	if !strings.Contains(h["snippet"].(string), "<mark>") {
		t.Errorf("snippet without marks: %v", h["snippet"])
	}
	facets := r.Body["facets"].(map[string]any)
	for _, k := range []string{"speakers", "countries", "topics", "sources"} {
		if _, ok := facets[k]; !ok {
			t.Errorf("facets lack %q", k)
		}
	}
	sp := facets["speakers"].([]any)
	if len(sp) != 1 || sp[0].(map[string]any)["value"] != "Dmitry Peskov" || sp[0].(map[string]any)["count"].(float64) != 1 {
		t.Errorf("speaker facet = %v", sp)
	}
	r = call(t, ts, "GET", "/api/search?q=ukraine&speaker="+url.QueryEscape("Dmitry Peskov"), "", "", "")
	if r.Body["total"].(float64) != 1 {
		t.Errorf("speaker filter total = %v", r.Body["total"])
	}

	r = call(t, ts, "DELETE", "/api/articles/"+id, "", "", testToken)
	if r.Status != 200 {
		t.Errorf("delete: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "GET", "/api/articles/"+id, "", "", "")
	if r.Status != 404 || errorOf(t, r) != "not_found" {
		t.Errorf("get deleted: %d %s", r.Status, r.Raw)
	}
}

func TestBadInputIsA4xx(t *testing.T) {
	ts := newTestServer(t, nil)
	nested := strings.Repeat("(", 10000) + "x" + strings.Repeat(")", 10000)
	big := `{"body":"` + strings.Repeat("a", 2<<20) + `"}`
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"malformed json", "POST", "/api/articles", "application/json", `{"body": "x",`, 400, "bad_request"},
		{"wrong content type", "POST", "/api/articles", "application/pdf", `<a/>`, 415, "unsupported_media"},
		{"xml that is not a feed", "POST", "/api/articles", "application/xml", `<a/>`, 400, "bad_request"},
		{"no content type", "POST", "/api/articles", "", `{"body":"x"}`, 415, "unsupported_media"},
		{"empty body", "POST", "/api/articles", "application/json", ``, 400, "bad_request"},
		{"date yesterday", "POST", "/api/articles", "application/json", `{"body":"x","date":"yesterday"}`, 400, "invalid"},
		{"2 MiB body field", "POST", "/api/articles", "application/json", big, 413, "too_large"},
		{"invalid utf-8 json", "POST", "/api/articles", "application/json", "{\"body\":\"\xff\xfe\"}", 400, "bad_request"},
		{"invalid utf-8 text", "POST", "/api/articles", "text/plain", "date 2025-01-01 \xff\xfe", 400, "invalid"},
		{"all ndjson lines bad", "POST", "/api/articles", "application/x-ndjson", "{bad\n[]\n", 400, "bad_request"},
		{"json null", "POST", "/api/articles", "application/json", `null`, 400, "bad_request"},
		{"wrong field type", "POST", "/api/articles", "application/json", `{"body":["x"]}`, 400, "invalid"},
		{"size -1", "GET", "/api/search?q=x&size=-1", "", "", 400, "invalid"},
		{"size 100000", "GET", "/api/search?q=x&size=100000", "", "", 400, "invalid"},
		{"size word", "GET", "/api/search?q=x&size=ten", "", "", 400, "invalid"},
		{"10000 nested parentheses", "GET", "/api/search?q=" + url.QueryEscape(nested), "", "", 400, "query_syntax"},
		{"unclosed parenthesis", "GET", "/api/search?q=" + url.QueryEscape("Peskov AND (Ukraine"), "", "", 400, "query_syntax"},
		{"unknown field", "GET", "/api/search?q=foo:bar", "", "", 400, "query_syntax"},
		{"bad from", "GET", "/api/search?from=yesterday", "", "", 400, "invalid"},
		{"bad sort", "GET", "/api/search?sort=random", "", "", 400, "invalid"},
		{"internal sort", "GET", "/api/search?sort=unordered", "", "", 400, "invalid"},
		{"bad cursor", "GET", "/api/search?cursor=zzz", "", "", 400, "invalid"},
		{"huge query", "GET", "/api/search?q=" + strings.Repeat("a", 70000), "", "", 413, "too_large"},
		{"missing article", "GET", "/api/articles/nope", "", "", 404, "not_found"},
		{"unknown route", "GET", "/api/nothing", "", "", 404, "not_found"},
		{"wrong method", "PUT", "/api/search", "", "", 405, "method_not_allowed"},
	}
	for _, c := range cases {
		r := call(t, ts, c.method, c.path, c.ctype, c.body, testToken)
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d (%.200s)", c.name, r.Status, c.status, r.Raw)
			continue
		}
		if code := errorOf(t, r); code != c.code {
			t.Errorf("%s: code %s, want %s", c.name, code, c.code)
		}
	}
	r := call(t, ts, "GET", "/api/search?q="+url.QueryEscape("Peskov AND (Ukraine"), "", "", "")
	pos := r.Body["error"].(map[string]any)["position"]
	if pos != float64(11) {
		t.Errorf("unclosed parenthesis position = %v, want 11", pos)
	}
	// Nothing was lost: the server still answers and holds nothing bogus.
	r = call(t, ts, "GET", "/api/search?q=", "", "", "")
	if r.Status != 200 || r.Body["total"].(float64) != 0 {
		t.Errorf("after bad input: %d %s", r.Status, r.Raw)
	}
}

func TestBodyLimitAndAuth(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxBody = 1024 })
	r := call(t, ts, "POST", "/api/articles", "application/json", `{"body":"`+strings.Repeat("a", 2000)+`"}`, testToken)
	if r.Status != 413 || errorOf(t, r) != "too_large" {
		t.Errorf("over limit: %d %s", r.Status, r.Raw)
	}
	for _, tok := range []string{"", "wrong"} {
		r = call(t, ts, "POST", "/api/articles", "application/json", `{"body":"x"}`, tok)
		if r.Status != 401 || errorOf(t, r) != "unauthorized" {
			t.Errorf("token %q: %d %s", tok, r.Status, r.Raw)
		}
		r = call(t, ts, "DELETE", "/api/articles/x", "", "", tok)
		if r.Status != 401 {
			t.Errorf("delete with token %q: %d", tok, r.Status)
		}
	}
	if r := call(t, ts, "GET", "/api/search?q=x", "", "", ""); r.Status != 200 {
		t.Errorf("open read: %d", r.Status)
	}

	private := newTestServer(t, func(c *Config) { c.Private = true })
	if r := call(t, private, "GET", "/api/search?q=x", "", "", ""); r.Status != 401 {
		t.Errorf("private read without token: %d", r.Status)
	}
	if r := call(t, private, "GET", "/api/search?q=x", "", "", testToken); r.Status != 200 {
		t.Errorf("private read with token: %d", r.Status)
	}
}
