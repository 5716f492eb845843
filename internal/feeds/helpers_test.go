package feeds

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// env is a real engine in a temporary directory with a feed service on it.
type env struct {
	eng   *engine.Engine
	svc   *Service
	clock *testutil.Clock
}

func newEnv(t *testing.T, ext engine.ExtractFunc, mutate func(*Config)) *env {
	t.Helper()
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet, Extract: ext})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return newEnvOn(t, eng, mutate)
}

func newEnvOn(t *testing.T, eng *engine.Engine, mutate func(*Config)) *env {
	t.Helper()
	c := &testutil.Clock{}
	cfg := Config{Engine: eng, Store: OpenTestStore(t, eng), Logger: quiet, Allow: loopback, Version: "test", Timeout: 5 * time.Second, MinInterval: time.Second, Now: c.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
	})
	return &env{eng: eng, svc: svc, clock: c}
}

func strp(s string) *string { return &s }

func (e *env) create(t *testing.T, url string, mutate func(*Input)) View {
	t.Helper()
	in := &Input{URL: strp(url)}
	if mutate != nil {
		mutate(in)
	}
	v, err := e.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) poll(t *testing.T, id string) *PollResult {
	t.Helper()
	r, err := e.svc.Poll(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// stored returns every stored article by id.
func (e *env) stored(t *testing.T) map[string]*news.Article {
	t.Helper()
	res, err := e.eng.Search(context.Background(), engine.SearchParams{Q: "", Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.eng.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if int(res.Total) != n {
		t.Fatalf("index has %d articles, store %d", res.Total, n)
	}
	out := map[string]*news.Article{}
	for _, h := range res.Hits {
		a, err := e.eng.Article(context.Background(), h.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[a.ID] = a
	}
	return out
}

// origin is a local feed server whose answer the test changes between
// polls. It honours If-None-Match when the document has an ETag and
// records what it was asked and how much it wrote.
type origin struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	answer  func(w http.ResponseWriter, r *http.Request)
	reqs    []*http.Request
	times   []time.Time
	written atomic.Int64
}

func newOrigin(t *testing.T) *origin {
	o := &origin{t: t}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.reqs = append(o.reqs, r.Clone(context.Background()))
		o.times = append(o.times, time.Now())
		answer := o.answer
		o.mu.Unlock()
		if answer == nil {
			http.NotFound(w, r)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) url(path string) string { return o.srv.URL + path }

func (o *origin) set(answer func(w http.ResponseWriter, r *http.Request)) {
	o.mu.Lock()
	o.answer = answer
	o.mu.Unlock()
}

// serve answers with doc, and 304 when the request's If-None-Match is etag.
func (o *origin) serve(ctype, doc, etag string) {
	o.set(func(w http.ResponseWriter, r *http.Request) {
		if etag != "" {
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Header().Set("Content-Type", ctype)
		n, _ := io.WriteString(w, doc)
		o.written.Add(int64(n))
	})
}

func (o *origin) status(code int, header ...string) {
	o.set(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, "<html>error</html>")
	})
}

// huge streams size bytes of a never-ending RSS document, with or
// without a Content-Length.
func (o *origin) huge(size int64, withLength bool) {
	o.written.Store(0)
	o.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		if withLength {
			w.Header().Set("Content-Length", fmt.Sprint(size))
		}
		head := `<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>`
		n, err := io.WriteString(w, head)
		o.written.Add(int64(n))
		chunk := []byte(strings.Repeat(`<item><guid>https://huge.example/x</guid><title>x</title></item>`, 1024))
		for left := size - int64(n); left > 0 && err == nil; left -= int64(n) {
			n, err = w.Write(chunk[:min(int64(len(chunk)), left)])
			o.written.Add(int64(n))
		}
	})
}

func (o *origin) requests() []*http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*http.Request(nil), o.reqs...)
}

func (o *origin) requestTimes() []time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]time.Time(nil), o.times...)
}

func (o *origin) last() *http.Request {
	rs := o.requests()
	if len(rs) == 0 {
		o.t.Fatal("no request reached the origin")
	}
	return rs[len(rs)-1]
}

// rssItem is one entry of a test RSS document.
type rssItem struct{ guid, title, body, date string }

func rss(title string, items ...rssItem) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>` + title +
		`</title><link>https://wire.example/</link>` + "\n")
	for _, it := range items {
		fmt.Fprintf(&b, "<item><guid>%s</guid><link>%s</link><title>%s</title><content:encoded><![CDATA[%s]]></content:encoded>", it.guid, it.guid, it.title, it.body)
		if it.date != "" {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.date)
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}

func idOf(key string) string { return news.DeriveID(key, time.Time{}, "", "") }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
