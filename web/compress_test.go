package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// fetchEncoded GETs u with Accept-Encoding (none when enc is ""), and
// returns the response, the bytes on the wire and the decoded body.
func fetchEncoded(t testing.TB, u, enc string, hdr ...string) (*http.Response, int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if enc != "" {
		req.Header.Set("Accept-Encoding", enc)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	// Without Go's transparent gzip, so the body is what was on the wire.
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	wire, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := wire
	switch resp.Header.Get("Content-Encoding") {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(wire))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return resp, len(wire), body
}

// TestCompression: pages, API answers and static text are compressed
// (≥ 60% smaller for / and a 20-hit search), say Vary: Accept-Encoding,
// decode to the same bytes; small bodies are not compressed.
func TestCompression(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	for _, path := range []string{"/", "/api/search?size=20", "/static/app.css", "/static/alerts.js", "/api/openapi.json"} {
		_, plainSize, plain := fetchEncoded(t, ts.URL+path, "")
		for _, enc := range []string{"gzip", "zstd", "gzip, deflate, br, zstd"} {
			resp, wire, body := fetchEncoded(t, ts.URL+path, enc)
			want := strings.TrimSpace(strings.Split(enc, ",")[0])
			if strings.Contains(enc, ",") {
				want = "zstd" // preferred when both are accepted
			}
			if got := resp.Header.Get("Content-Encoding"); got != want {
				t.Errorf("%s with %q: Content-Encoding %q, want %q", path, enc, got, want)
				continue
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s: Vary %q", path, resp.Header.Get("Vary"))
			}
			// The search page and answer show the time the search took:
			// compare the static files byte for byte.
			if strings.HasPrefix(path, "/static/") && !bytes.Equal(body, plain) {
				t.Errorf("%s with %s decodes to %d bytes, plain %d", path, enc, len(body), len(plain))
			}
			saved := 1 - float64(wire)/float64(plainSize)
			t.Logf("%s: %d bytes plain, %d with %s (%.0f%% smaller)", path, plainSize, wire, want, 100*saved)
			if (path == "/" || strings.HasPrefix(path, "/api/search")) && saved < 0.6 {
				t.Errorf("%s with %s is only %.0f%% smaller", path, want, 100*saved)
			}
		}
		if strings.HasPrefix(path, "/api/search") {
			if n := strings.Count(string(plain), `"id"`); n < 20 {
				t.Errorf("the search answer has %d hits, want 20", n)
			}
		}
	}
	// The export streams compressed, in both formats, and decodes to the
	// plain bytes.
	for _, f := range []string{"ndjson", "csv"} {
		u := ts.URL + "/api/search/export?format=" + f
		_, plainSize, plain := fetchEncoded(t, u, "")
		resp, wire, body := fetchEncoded(t, u, "gzip")
		if resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, plain) {
			t.Errorf("export %s: Content-Encoding %q, %d bytes decoded, plain %d", f, resp.Header.Get("Content-Encoding"), len(body), len(plain))
		}
		t.Logf("export %s: %d bytes plain, %d with gzip", f, plainSize, wire)
	}
	// Small bodies stay plain (a 404 error, the 246-byte icon), still with
	// Vary, as the same URL may answer big another time.
	for _, path := range []string{"/api/articles/nope", "/static/icon.svg"} {
		resp, _, _ := fetchEncoded(t, ts.URL+path, "gzip")
		if ce := resp.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("%s (small): Content-Encoding %q", path, ce)
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q", path, resp.Header.Get("Vary"))
		}
	}
}

// TestCompressionTypesAndStreaming: compressed content types and bodies
// that already have an encoding are left alone; a flushing handler
// streams through the compression.
func TestCompressionTypesAndStreaming(t *testing.T) {
	big := bytes.Repeat([]byte("watchword "), 1000)
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(big)
	zw.Close()
	gzipped := zb.Bytes()
	next := make(chan struct{})
	h, err := compressed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(big)
		case "/backup":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(big)
		case "/encoded":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipped)
		case "/stream":
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Write(append(big, '\n'))
			w.(http.Flusher).Flush()
			<-next // the client must have the first line before the second is written
			w.Write([]byte("{\"done\":true}\n"))
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	for _, p := range []string{"/png", "/backup"} {
		resp, wire, _ := fetchEncoded(t, ts.URL+p, "gzip")
		if ce := resp.Header.Get("Content-Encoding"); ce != "" || wire != len(big) {
			t.Errorf("%s: Content-Encoding %q, %d bytes", p, ce, wire)
		}
	}
	if resp, wire, _ := fetchEncoded(t, ts.URL+"/encoded", "gzip"); resp.Header.Get("Content-Encoding") != "gzip" || wire != len(gzipped) {
		t.Errorf("an encoded body was encoded again: %d bytes", wire)
	}

	req, _ := http.NewRequest("GET", ts.URL+"/stream", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: &http.Transport{}, Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("stream: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(zr)
	line, err := r.ReadString('\n')
	if err != nil || len(line) != len(big)+1 {
		t.Fatalf("first streamed line: %d bytes, %v", len(line), err)
	}
	close(next)
	if line, err = r.ReadString('\n'); err != nil || line != "{\"done\":true}\n" {
		t.Fatalf("second streamed line %q, %v", line, err)
	}
}

// TestStaticCachingCompressed: a fingerprinted static file is cached for
// a year as immutable, and revalidates with the ETag of its compressed
// form too.
func TestStaticCachingCompressed(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	u := ts.URL + "/static/app.css?v=" + loadedUI().version
	resp, _, _ := fetchEncoded(t, u, "gzip")
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control %q", cc)
	}
	etag := resp.Header.Get("ETag")
	if !strings.HasSuffix(etag, `-gzip"`) {
		t.Errorf("compressed ETag %q does not name its encoding", etag)
	}
	if resp, _, _ := fetchEncoded(t, u, "gzip", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %d, want 304", etag, resp.StatusCode)
	}
	plain, _, _ := fetchEncoded(t, u, "")
	if plain.Header.Get("ETag") == etag {
		t.Errorf("plain and gzip bodies share the ETag %s", etag)
	}
	// The page links the fingerprinted URL.
	_, _, page := fetchEncoded(t, ts.URL+"/", "")
	if !strings.Contains(string(page), `/static/app.css?v=`+loadedUI().version) {
		t.Error("the page does not link the fingerprinted app.css")
	}
}

// BenchmarkCompression serves / and a 20-hit search answer in-process
// without and with each encoding; the difference in ns/op is the CPU
// cost of compressing one answer (docs/benchmarks.md).
func BenchmarkCompression(b *testing.B) {
	eng := newDemoEngine(b)
	s, err := New(Config{Engine: eng, Token: testToken, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	// The page alone: a handler that writes the 44.7 KB of / as it is,
	// so the figures are the compression's and nothing else's.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	page := rec.Body.Bytes()
	only, err := compressed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.Write(page)
	}))
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range []string{"identity", "gzip", "zstd"} {
		b.Run("page-only/"+enc, func(b *testing.B) {
			b.ReportAllocs()
			var wire int
			for b.Loop() {
				req := httptest.NewRequest("GET", "/", nil)
				req.Header.Set("Accept-Encoding", enc)
				rec := httptest.NewRecorder()
				only.ServeHTTP(rec, req)
				wire = rec.Body.Len()
			}
			b.ReportMetric(float64(wire), "wire-bytes")
		})
	}
	for _, path := range []string{"/", "/api/search?size=20"} {
		for _, enc := range []string{"identity", "gzip", "zstd"} {
			b.Run(strings.TrimPrefix(path, "/api")+"/"+enc, func(b *testing.B) {
				b.ReportAllocs()
				var wire int
				for b.Loop() {
					req := httptest.NewRequest("GET", path, nil)
					req.Header.Set("Accept-Encoding", enc)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("%s: %d", path, rec.Code)
					}
					wire = rec.Body.Len()
				}
				b.ReportMetric(float64(wire), "wire-bytes")
			})
		}
	}
}
