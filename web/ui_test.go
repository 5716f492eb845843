package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/watchword/watchword/internal/demo"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/extract"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/news"
)

// demoExtractor is the real entity extractor, built once per test binary.
var demoExtractor = sync.OnceValues(func() (engine.ExtractFunc, error) {
	x, err := extract.New()
	if err != nil {
		return nil, err
	}
	return func(title, body string) engine.Extracted {
		r := x.Extract(title, body)
		return engine.Extracted{Speakers: r.Speakers, Countries: r.Countries, MainCountries: r.MainCountries, Topics: r.Topics}
	}, nil
})

// newDemoEngine opens an engine in a temp dir, with the real extractor,
// loaded with the demo corpus.
func newDemoEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	ext, err := demoExtractor()
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := engine.Open(engine.Config{DataDir: tb.TempDir(), Logger: quiet, Extract: ext})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { eng.Close() })
	items, err := ingest.DecodeNDJSON(demo.Articles)
	if err != nil {
		tb.Fatal(err)
	}
	arts := make([]*news.Article, 0, len(items))
	for _, it := range items {
		if it.Err != nil {
			tb.Fatal(it.Err)
		}
		arts = append(arts, it.Article)
	}
	if _, rejected, err := eng.Ingest(context.Background(), arts); err != nil || len(rejected) > 0 {
		tb.Fatalf("demo ingest: %v %v", err, rejected)
	}
	return eng
}

// newUITestServer serves the demo corpus through the real server.
func newUITestServer(tb testing.TB, mutate func(*Config)) (*httptest.Server, *engine.Engine) {
	tb.Helper()
	eng := newDemoEngine(tb)
	cfg := Config{Engine: eng, Token: testToken, Logger: quiet, MaxBody: 4 << 20}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	return ts, eng
}

type page struct {
	Status int
	Header http.Header
	Body   string
}

func getPage(t *testing.T, client *http.Client, u string) page {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(b)}
}

func TestUISearchPage(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	p := getPage(t, nil, ts.URL+"/?q="+url.QueryEscape("Peskov AND Ukraine"))
	if p.Status != 200 || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<mark>Peskov</mark>`, `<mark>Ukraine</mark>`, `class="hit"`, `id="facet-country"`, `id="facet-speaker"`,
		`id="facet-topic"`, `id="facet-source"`, `Create alert from this search`, `href="/alerts/new?q=Peskov&#43;AND&#43;Ukraine"`,
		`class="hist"`, ` ms</span>`, `<details class="help">`, `href="/articles/`,
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("search page lacks %s", want)
		}
	}
	// An article's own text never reaches the page unescaped: the demo
	// corpus has quotes, which the snippet escapes.
	if strings.Contains(p.Body, `<mark><`) {
		t.Error("markup inside a mark")
	}
	// A facet link toggles the filter and drops nothing else.
	p = getPage(t, nil, ts.URL+"/?q=Peskov&country=Ukraine&country=Russia&sort=newest")
	if !strings.Contains(p.Body, `aria-label="Remove filter country: Ukraine"`) {
		t.Error("no removable chip for the country filter")
	}
	if !strings.Contains(p.Body, `href="/?country=Russia&amp;q=Peskov&amp;sort=newest" aria-label="Remove filter country: Ukraine"`) {
		t.Errorf("remove link does not keep the other state:\n%s", regexp.MustCompile(`<div class="active"[\s\S]*?</div>`).FindString(p.Body))
	}
}

func TestUISearchPageErrors(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	p := getPage(t, nil, ts.URL+"/?q="+url.QueryEscape("Peskov AND (Ukraine"))
	if p.Status != http.StatusBadRequest {
		t.Errorf("status %d, want 400", p.Status)
	}
	for _, want := range []string{`class="qerror"`, `<h1>Query syntax error</h1>`, `unclosed parenthesis opened at character 12`, `at character 12`,
		"Peskov AND <mark>(</mark>Ukraine\n           ^", `<form class="search"`, `value="Peskov AND (Ukraine"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
	p = getPage(t, nil, ts.URL+"/?q=x&from=yesterday")
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `class="error"`) || !strings.Contains(p.Body, "from:") {
		t.Errorf("bad date: status %d", p.Status)
	}
	p = getPage(t, nil, ts.URL+"/?q=x&cursor=zzz")
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "cursor") {
		t.Errorf("bad cursor: status %d", p.Status)
	}
	// Multi-byte text before the error: the caret counts characters.
	p = getPage(t, nil, ts.URL+"/?q="+url.QueryEscape(`Erdoğan AND "Ankara`))
	if !strings.Contains(p.Body, "\n            ^") || strings.Contains(p.Body, "\n             ^") {
		t.Errorf("caret misplaced after multi-byte text:\n%s", regexp.MustCompile(`<pre class="caret">[\s\S]*?</pre>`).FindString(p.Body))
	}
}

// TestUIPaging: "21–40 of N" with previous and next pages, by links
// (no script): next carries the page number and the cursors that lead
// back, previous returns to the same hits.
func TestUIPaging(t *testing.T) {
	ts, eng := newUITestServer(t, nil)
	n, err := eng.DocCount(context.Background())
	if err != nil || n <= 2*uiPageSize {
		t.Fatalf("the test needs more than %d articles: %d %v", 2*uiPageSize, n, err)
	}
	link := func(body, class string) string {
		m := regexp.MustCompile(`<a class="` + class + `" href="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	firstHit := func(body string) string {
		m := regexp.MustCompile(`<li class="hit">\s*<h2[^>]*><a href="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	p := getPage(t, nil, ts.URL+"/")
	if want := fmt.Sprintf("1–%d of %d results", uiPageSize, n); !strings.Contains(p.Body, want) {
		t.Errorf("the first page does not say %q", want)
	}
	if link(p.Body, "prev") != "" {
		t.Error("a Previous link on the first page")
	}
	next := link(p.Body, "more")
	if !strings.Contains(next, "cursor=") || !strings.Contains(next, "page=2") {
		t.Fatalf("Next link without cursor and page: %q", next)
	}
	p2 := getPage(t, nil, ts.URL+next)
	if want := fmt.Sprintf("%d–%d of %d results", uiPageSize+1, 2*uiPageSize, n); p2.Status != 200 || !strings.Contains(p2.Body, want) {
		t.Fatalf("second page: %d, want %q", p2.Status, want)
	}
	if prev := link(p2.Body, "prev"); !strings.HasPrefix(prev, "/?") || strings.Contains(prev, "cursor=") {
		t.Errorf("Previous of page 2 is not the first page: %q", prev)
	}
	if firstHit(p.Body) == "" || firstHit(p.Body) == firstHit(p2.Body) {
		t.Errorf("pages do not differ: %q %q", firstHit(p.Body), firstHit(p2.Body))
	}
	p3 := getPage(t, nil, ts.URL+link(p2.Body, "more"))
	if want := fmt.Sprintf("%d–%d of %d results", 2*uiPageSize+1, min(3*uiPageSize, int(n)), n); !strings.Contains(p3.Body, want) || !strings.Contains(p3.Body, "First page") {
		t.Errorf("third page does not say %q or lacks First page", want)
	}
	back := getPage(t, nil, ts.URL+link(p3.Body, "prev"))
	if want := fmt.Sprintf("%d–%d of %d results", uiPageSize+1, 2*uiPageSize, n); !strings.Contains(back.Body, want) || firstHit(back.Body) != firstHit(p2.Body) {
		t.Errorf("Previous from page 3 is not page 2: %q", firstHit(back.Body))
	}
	// A page number that does not go with its cursors is not shown.
	bad := strings.Replace(link(p2.Body, "more"), "page=3", "page=9", 1)
	if p := getPage(t, nil, ts.URL+bad); p.Status != 200 || strings.Contains(p.Body, "161–") {
		t.Errorf("a made-up page number: %d", p.Status)
	}
}

func TestUIArticlePage(t *testing.T) {
	ts, eng := newUITestServer(t, nil)
	res, err := eng.Search(context.Background(), engine.SearchParams{Q: "Peskov AND Ukraine", Size: 1})
	if err != nil || len(res.Hits) == 0 {
		t.Fatal(err)
	}
	h := res.Hits[0]
	p := getPage(t, nil, ts.URL+articleURL(h.ID, searchState{Q: "Peskov AND Ukraine"}))
	if p.Status != 200 {
		t.Fatalf("status %d", p.Status)
	}
	for _, want := range []string{"<mark>Peskov</mark>", "Back to results", `href="` + h.URL + `"`, `href="/?speaker=Dmitry&#43;Peskov"`, `href="/?country=Ukraine"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("article page lacks %s", want)
		}
	}
	p = getPage(t, nil, ts.URL+articleURL(h.ID, searchState{}))
	if strings.Contains(p.Body, "<mark>") {
		t.Error("marks without a query")
	}
	p = getPage(t, nil, ts.URL+"/articles/nope")
	if p.Status != 404 || !strings.Contains(p.Body, "<h1>Not found</h1>") {
		t.Errorf("missing article: %d", p.Status)
	}
}

func TestUIPrivate(t *testing.T) {
	ts, _ := newUITestServer(t, func(c *Config) { c.Private = true })
	jar := &cookieJar{}
	client := &http.Client{Jar: jar}
	p := getPage(t, client, ts.URL+"/?q=Peskov")
	if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, `action="/login"`) || !strings.Contains(p.Body, `name="next" value="/?q=Peskov"`) {
		t.Fatalf("private page without cookie: %d", p.Status)
	}
	// Static files need no token (the login page uses them).
	if p := getPage(t, client, ts.URL+"/static/app.css"); p.Status != 200 {
		t.Errorf("static under --private: %d", p.Status)
	}
	resp, err := client.PostForm(ts.URL+"/login", url.Values{"token": {"wrong"}, "next": {"/?q=Peskov"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "not valid") {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	resp, err = client.PostForm(ts.URL+"/login", url.Values{"token": {testToken}, "next": {"//evil.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Host != strings.TrimPrefix(ts.URL, "http://") || resp.Request.URL.Path != "/" {
		t.Errorf("login redirected to %s", resp.Request.URL)
	}
	var ck *http.Cookie
	for _, c := range jar.cookies {
		if c.Name == sessionCookie {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || strings.Contains(ck.Value, testToken) {
		t.Fatalf("session cookie %+v", ck)
	}
	if p := getPage(t, client, ts.URL+"/?q=Peskov"); p.Status != 200 || !strings.Contains(p.Body, "Sign out") {
		t.Errorf("with cookie: %d", p.Status)
	}
	// The API still wants the bearer token, not the cookie.
	if p := getPage(t, client, ts.URL+"/api/search?q=Peskov"); p.Status != http.StatusUnauthorized {
		t.Errorf("API with only the cookie: %d", p.Status)
	}
}

// cookieJar is a minimal jar that keeps Set-Cookie as sent (so the test
// can check the attributes).
type cookieJar struct {
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		kept := j.cookies[:0]
		for _, o := range j.cookies {
			if o.Name != c.Name {
				kept = append(kept, o)
			}
		}
		j.cookies = kept
		if c.MaxAge >= 0 && c.Value != "" {
			j.cookies = append(j.cookies, c)
		}
	}
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]*http.Cookie, len(j.cookies))
	for i, c := range j.cookies {
		out[i] = &http.Cookie{Name: c.Name, Value: c.Value}
	}
	return out
}

func TestUIStatic(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	p := getPage(t, nil, ts.URL+"/")
	m := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("no versioned stylesheet link")
	}
	s := getPage(t, nil, ts.URL+m[1])
	if s.Status != 200 || !strings.HasPrefix(s.Header.Get("Content-Type"), "text/css") || !strings.Contains(s.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("css: %d %s %s", s.Status, s.Header.Get("Content-Type"), s.Header.Get("Cache-Control"))
	}
	if s := getPage(t, nil, ts.URL+"/static/nope.js"); s.Status != 404 {
		t.Errorf("missing static: %d", s.Status)
	}
}

// The CSP forbids inline scripts, inline styles and event handler
// attributes; none may creep into the templates.
func TestUITemplatesCSPClean(t *testing.T) {
	files, _ := filepath.Glob("ui/templates/*.html")
	if len(files) == 0 {
		t.Fatal("no templates")
	}
	bad := regexp.MustCompile(`(?i)\sstyle=|<style|\son[a-z]+=|javascript:`)
	script := regexp.MustCompile(`(?i)<script[^>]*>`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := bad.FindString(string(b)); m != "" {
			t.Errorf("%s: %q is not allowed by the CSP", f, m)
		}
		for _, m := range script.FindAllString(string(b), -1) {
			if !strings.Contains(m, " src=") {
				t.Errorf("%s: inline %s is not allowed by the CSP", f, m)
			}
		}
	}
}

// The search page (HTML + CSS + JS) stays under 100 KB uncompressed.
func TestUIPageWeight(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	for _, u := range []string{"/", "/?q=" + url.QueryEscape("Peskov AND Ukraine"), "/?q=Kremlin&sort=newest"} {
		p := getPage(t, nil, ts.URL+u)
		total := len(p.Body)
		for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+\.(?:css|js))[^"]*"`).FindAllStringSubmatch(p.Body, -1) {
			total += len(getPage(t, nil, ts.URL+m[1]).Body)
		}
		t.Logf("%s: %d bytes (HTML %d)", u, total, len(p.Body))
		if total > 100_000 {
			t.Errorf("%s weighs %d bytes", u, total)
		}
	}
}

// BenchmarkSearchPage measures the server render of the search page over
// the demo corpus: go test ./web -run '^$' -bench SearchPage
func BenchmarkSearchPage(b *testing.B) {
	ts, _ := newUITestServer(b, nil)
	s := ts.Config.Handler
	for _, q := range []string{"", "Peskov AND Ukraine", "Kremlin"} {
		b.Run("q="+q, func(b *testing.B) {
			target := "/?q=" + url.QueryEscape(q)
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}

func TestUIAlertShells(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	p := getPage(t, nil, ts.URL+"/alerts")
	if p.Status != 200 || !strings.Contains(p.Body, `data-page="alerts"`) || !regexp.MustCompile(`<script src="/static/alerts\.js\?v=\w+" defer>`).MatchString(p.Body) {
		t.Errorf("/alerts: %d", p.Status)
	}
	p = getPage(t, nil, ts.URL+"/alerts/new?q="+url.QueryEscape(`Peskov "white house"`)+"&country=Russia&topic=conflict,+war+and+peace")
	for _, want := range []string{`id="a-query" name="query" type="text" spellcheck="false" autocomplete="off" value="Peskov &#34;white house&#34;"`,
		`id="a-name" name="name" type="text" required maxlength="200" value="Peskov &#34;white house&#34;"`,
		`data-kind="country" value="Russia"`, `data-kind="topic" value="conflict, war and peace"`, `id="token-form"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("/alerts/new lacks %s", want)
		}
	}
	// A search by filters only: the query is optional (every article
	// that passes the filters) and the proposed name names the filters.
	p = getPage(t, nil, ts.URL+"/alerts/new?country=Russia&topic=energy")
	for _, want := range []string{`id="a-query" name="query" type="text" spellcheck="false" autocomplete="off" value=""`,
		`id="a-name" name="name" type="text" required maxlength="200" value="country: Russia, topic: energy"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("/alerts/new (filters only) lacks %s", want)
		}
	}
	p = getPage(t, nil, ts.URL+"/alerts/a1%3Cb%3E")
	if p.Status != 200 || !strings.Contains(p.Body, `data-id="a1&lt;b&gt;"`) {
		t.Errorf("/alerts/{id}: %d", p.Status)
	}
}

// TestUITimePickerAndFacets: the relative ranges are links that put date
// math in from (kept relative in the URL, read at each search), the API
// takes the same; a facet shows more values and narrows them to its
// filter box's text, without a script.
func TestUITimePickerAndFacets(t *testing.T) {
	ts, eng := newUITestServer(t, nil)
	p := getPage(t, nil, ts.URL+"/?q=Peskov")
	for _, want := range []string{`href="/?from=now-7d&amp;q=Peskov"`, `href="/?from=now-24h&amp;q=Peskov"`, `href="/?from=now-30d&amp;q=Peskov"`, `aria-current="true" class="on">Any time`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("search page lacks %s", want)
		}
	}
	p = getPage(t, nil, ts.URL+"/?q=Peskov&from=now-7d")
	if p.Status != 200 || !strings.Contains(p.Body, "last 7 days") || !strings.Contains(p.Body, `<input type="hidden" name="from" value="now-7d" data-relative>`) ||
		!strings.Contains(p.Body, `<input id="from" data-name="from" type="date">`) {
		t.Errorf("relative range: %d, chip, hidden field or nameless date field missing", p.Status)
	}
	// The whole corpus is dated in the past: the last 24 hours hold none
	// of it, and a relative range far enough back holds all of it.
	all, err := eng.DocCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]float64{"from=now-24h": 0, "from=now-100y": float64(all), "from=now-100y&to=now-99y": 0} {
		r := call(t, ts, "GET", "/api/search?"+q, "", "", "")
		if r.Status != 200 || r.Body["total"] != want {
			t.Errorf("GET /api/search?%s: %d total %v, want %v", q, r.Status, r.Body["total"], want)
		}
	}
	if r := call(t, ts, "GET", "/api/search?from=now-7x", "", "", ""); r.Status != 400 || errorOf(t, r) != "invalid" {
		t.Errorf("from=now-7x: %d %s", r.Status, r.Raw)
	}

	facet := func(body, param string) []string {
		sec := regexp.MustCompile(`(?s)<ul id="fv-` + param + `">(.*?)</ul>`).FindStringSubmatch(body)
		if sec == nil {
			return nil
		}
		var out []string
		for _, m := range regexp.MustCompile(`<span class="name">([^<]+)</span>`).FindAllStringSubmatch(sec[1], -1) {
			out = append(out, m[1])
		}
		return out
	}
	p = getPage(t, nil, ts.URL+"/")
	few := facet(p.Body, "country")
	if len(few) != uiFacetSize || !strings.Contains(p.Body, `Show more Countries`) {
		t.Fatalf("countries on the browse page: %d (%v), want %d and a Show more link", len(few), few, uiFacetSize)
	}
	p = getPage(t, nil, ts.URL+"/?more=country")
	if many := facet(p.Body, "country"); len(many) <= uiFacetSize || !strings.Contains(p.Body, "Show fewer Countries") {
		t.Errorf("countries shown in full: %d", len(many))
	}
	p = getPage(t, nil, ts.URL+"/?fq.country=UKR")
	if got := facet(p.Body, "country"); len(got) == 0 || slices.ContainsFunc(got, func(v string) bool { return !strings.Contains(strings.ToLower(v), "ukr") }) {
		t.Errorf("countries filtered by UKR: %v", got)
	}
	if !strings.Contains(p.Body, `name="fq.country" type="search" value="UKR"`) {
		t.Error("the filter box does not keep its text")
	}
	p = getPage(t, nil, ts.URL+"/?fq.country=zzzz")
	if !strings.Contains(p.Body, "No Countries match “zzzz”") {
		t.Error("a filter that matches nothing says nothing")
	}
}
