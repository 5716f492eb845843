package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// limitsServer is a server over an engine holding the words co0 … co99,
// its engine, and its log.
func limitsServer(t *testing.T, mutate func(*Config)) (*httptest.Server, *engine.Engine, *syncBuffer) {
	t.Helper()
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var arts []*news.Article
	for i := range 100 {
		arts = append(arts, &news.Article{ID: fmt.Sprintf("a%d", i), Title: "t", Body: fmt.Sprintf("co%d plain words", i), Date: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	if _, rejected, err := eng.Ingest(context.Background(), arts); err != nil || len(rejected) > 0 {
		t.Fatal(err, rejected)
	}
	logs := &syncBuffer{}
	cfg := Config{Engine: eng, Token: testToken, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); eng.Close() })
	return ts, eng, logs
}

func errorDetailOf(t *testing.T, body string) errorDetail {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an error body: %s", body)
	}
	return e.Error
}

// TestSearchBudget checks that a query over its budget is a 400
// query_too_broad with the position of the part that blew it, in the API
// and on the UI search page.
func TestSearchBudget(t *testing.T) {
	ts, _, _ := limitsServer(t, nil)
	many := strings.Repeat("co* OR ", 255) + "co*" // about 50 expansions each in each shard
	for _, tc := range []struct {
		q   string
		pos int // -1: any co* after the first
	}{
		{many, -1},
		{"plain x.*", 8},
		{`"` + strings.Repeat("plain ", 1000) + `"`, 0},
	} {
		resp, body := rawCall(t, ts, "GET", "/api/search?q="+url.QueryEscape(tc.q), nil, "")
		e := errorDetailOf(t, body)
		if resp.StatusCode != 400 || e.Code != news.ECodeQueryBroad || e.Position == nil ||
			(tc.pos >= 0 && *e.Position != tc.pos) || (tc.pos < 0 && (*e.Position == 0 || *e.Position%7 != 0)) {
			t.Errorf("%.40s: %d %s", tc.q, resp.StatusCode, body)
		}
		resp, page := rawCall(t, ts, "GET", "/?q="+url.QueryEscape(tc.q), nil, "")
		if resp.StatusCode != 400 || !strings.Contains(page, "<h1>Query too broad</h1>") {
			t.Errorf("UI %.40s: %d %.300s", tc.q, resp.StatusCode, page)
		}
	}
	if resp, body := rawCall(t, ts, "GET", "/api/search?q=co*+OR+co1*", nil, ""); resp.StatusCode != 200 {
		t.Errorf("a query within budget: %d %s", resp.StatusCode, body)
	}
}

// TestSearchTimeout checks that a search running past --search-timeout
// is a 503 with code timeout, in the API and on the UI page.
func TestSearchTimeout(t *testing.T) {
	ts, eng, _ := limitsServer(t, func(c *Config) { c.SearchTimeout = 50 * time.Millisecond })
	//lint:ignore SA1019 a test hook on the index; no engine API is needed for it
	eng.Index().OnCollect(func(ctx context.Context) { <-ctx.Done() }) // a search that never ends by itself
	resp, body := rawCall(t, ts, "GET", "/api/search?q=plain", nil, "")
	if e := errorDetailOf(t, body); resp.StatusCode != 503 || e.Code != news.ECodeTimeout {
		t.Errorf("API: %d %s", resp.StatusCode, body)
	}
	resp, page := rawCall(t, ts, "GET", "/?q=plain", nil, "")
	if resp.StatusCode != 503 || !strings.Contains(page, "ran out of time") {
		t.Errorf("UI: %d %.300s", resp.StatusCode, page)
	}
	//lint:ignore SA1019 a test hook on the index; no engine API is needed for it
	eng.Index().OnCollect(nil)
	if resp, body := rawCall(t, ts, "GET", "/api/search?q=plain", nil, ""); resp.StatusCode != 200 {
		t.Errorf("after: %d %s", resp.StatusCode, body)
	}
}

// TestSearchClientGone hangs up on a running search: the search must stop
// within 100 ms, and the server answers nothing and logs the request as
// 499 (client went away), not as a failure.
func TestSearchClientGone(t *testing.T) {
	ts, eng, logs := limitsServer(t, nil)
	for _, path := range []string{"/api/search?q=plain", "/?q=plain"} {
		// Each shard's collector calls the hook: the first says the
		// search runs, the first to see the context end says when.
		running := make(chan struct{})
		stopped := make(chan time.Time, 1)
		var once, onceStop sync.Once
		//lint:ignore SA1019 a test hook on the index; no engine API is needed for it
		eng.Index().OnCollect(func(ctx context.Context) {
			once.Do(func() { close(running) })
			<-ctx.Done()
			onceStop.Do(func() { stopped <- time.Now() })
		})
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, "GET", ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(HeaderRequestID, "gone-1")
		errc := make(chan error, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				err = fmt.Errorf("got an answer: %d", resp.StatusCode)
			}
			errc <- err
		}()
		<-running
		cancel()
		hungUp := time.Now()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: client: %v", path, err)
		}
		select {
		case at := <-stopped:
			if d := at.Sub(hungUp); d > 100*time.Millisecond {
				t.Errorf("%s: the search saw the hang-up after %s", path, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the search still runs 5 s after the client hung up", path)
		}
		// The access log line comes once the handler has returned.
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(logs.String(), `"status":499`) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no 499 access line in %s", path, logs.String())
			}
			time.Sleep(time.Millisecond)
		}
		if time.Since(hungUp) > 100*time.Millisecond {
			t.Errorf("%s: the handler returned %s after the hang-up", path, time.Since(hungUp))
		}
		all := logs.String()
		if strings.Contains(all, `"level":"ERROR"`) || !strings.Contains(all, "client went away") {
			t.Errorf("%s: log %s", path, all)
		}
		logs.mu.Lock()
		logs.b.Reset()
		logs.mu.Unlock()
	}
}

// TestReadRateLimit checks that searches, article reads and the UI
// search page share a per-client limit of their own: over it, 429 with
// Retry-After and the JSON error; writes are counted apart.
func TestReadRateLimit(t *testing.T) {
	ts, _, _ := limitsServer(t, func(c *Config) { c.ReadRateLimit = 2; c.RateLimit = 1000 })
	for _, path := range []string{"/api/search?q=plain", "/api/articles/a1", "/?q=plain"} {
		var codes []int
		var last *http.Response
		var lastBody string
		for range 6 {
			resp, body := rawCall(t, ts, "GET", path, nil, "")
			codes = append(codes, resp.StatusCode)
			if resp.StatusCode == 429 {
				last, lastBody = resp, body
			}
		}
		if last == nil {
			t.Fatalf("%s: no 429 in %v", path, codes)
		}
		if e := errorDetailOf(t, lastBody); last.Header.Get("Retry-After") == "" || e.Code != news.ECodeRateLimited || !strings.Contains(e.Message, "read requests") {
			t.Errorf("%s: 429 answer: %v %s", path, last.Header, lastBody)
		}
	}
	// Writes have their own counts, and probes none.
	for _, p := range []string{"/healthz"} {
		if resp, _ := rawCall(t, ts, "GET", p, nil, ""); resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if resp, body := rawCall(t, ts, "DELETE", "/api/articles/none", map[string]string{"Authorization": "Bearer " + testToken}, ""); resp.StatusCode != 404 {
		t.Errorf("a write after the reads ran out: %d %s", resp.StatusCode, body)
	}
}
