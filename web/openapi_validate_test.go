package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/content"
	oaserrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/keys"
	keysbolt "github.com/watchword/watchword/internal/keys/boltstore"
	"github.com/watchword/watchword/internal/saved"
	savedbolt "github.com/watchword/watchword/internal/saved/boltstore"
	"github.com/watchword/watchword/internal/schedule"
	"github.com/watchword/watchword/internal/testutil"
)

// fullServer is the real router with alerts and feeds wired as
// cmd/watchword wires them (one shared scheduler, the hold of a
// restored store, Resume clearing it), over a Bleve index in t.TempDir().
type fullServer struct {
	s  *Server
	ts *httptest.Server
}

type fullOptions struct {
	private   bool
	rateLimit float64 // writes and reads per second per client; 0: no limit
	held      bool
}

func newFullServer(t *testing.T, o fullOptions) *fullServer {
	t.Helper()
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var hold *schedule.Hold
	if o.held {
		hold = schedule.NewHold("restored in a test")
	}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	sched := schedule.NewCron(quiet)
	asvc, err := alerts.New(alerts.Config{Store: alertStore(t, eng), Engine: eng, Logger: quiet, MinInterval: time.Second, Version: "test",
		Allow: loopback, RetrySchedule: []time.Duration{0, time.Hour}, Cron: sched, Hold: hold})
	if err != nil {
		t.Fatal(err)
	}
	if err := asvc.Start(); err != nil {
		t.Fatal(err)
	}
	fsvc, err := feeds.New(feeds.Config{Engine: eng, Store: feedStore(t, eng), Logger: quiet, MinInterval: time.Minute, Allow: loopback,
		Timeout: 5 * time.Second, Version: "test", Cron: sched, Hold: hold})
	if err != nil {
		t.Fatal(err)
	}
	if err := fsvc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	sched.Start()
	ks, err := keysbolt.New(context.Background(), eng.Store())
	if err != nil {
		t.Fatal(err)
	}
	ss, err := savedbolt.New(context.Background(), eng.Store())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Token: testToken, Keys: keys.New(ks, testToken, nil), Saved: saved.New(ss, nil, 0), Private: o.private, MaxBody: 4 << 20, Logger: quiet,
		RateLimit: o.rateLimit, ReadRateLimit: o.rateLimit, Alerts: asvc, Feeds: fsvc, Hold: hold,
		Resume: func(ctx context.Context) error {
			if err := eng.ClearHeld(ctx); err != nil {
				return err
			}
			hold.Release()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		_ = fsvc.Stop(context.Background())
		_ = asvc.Stop(context.Background())
		<-sched.Stop().Done()
		eng.Close()
	})
	return &fullServer{s: s, ts: ts}
}

// oasCheck sends requests to a real server and validates every request
// and every response against web/openapi.json with libopenapi-validator:
// schemas (undocumented properties included, by the validator's strict
// mode), status codes, parameters, content types, security and headers.
type oasCheck struct {
	t     *testing.T
	v     validator.Validator
	doc   map[string]any
	every map[string]string // header -> const value ("" when any)
	paths []string          // documented path templates
	seen  map[string]map[int]int
}

// newOASCheck builds the validator from doc (the document as JSON).
func newOASCheck(t *testing.T, doc []byte) *oasCheck {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	c := &oasCheck{t: t, doc: m, every: map[string]string{}, seen: map[string]map[int]int{}}
	// The headers on every response (the root extension): the validator
	// is told they are declared, and check checks each on every answer.
	every, ok := m["x-every-response-headers"].(map[string]any)
	if !ok {
		t.Fatal("the document has no x-every-response-headers")
	}
	for name, h := range every {
		c.every[name] = ""
		if cv, ok := c.resolve(h)["schema"].(map[string]any)["const"].(string); ok {
			c.every[name] = cv
		}
	}
	names := make([]string, 0, len(c.every))
	for n := range c.every {
		names = append(names, n)
	}
	for p := range m["paths"].(map[string]any) {
		c.paths = append(c.paths, p)
	}
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatalf("libopenapi: %v", err)
	}
	opts := []config.Option{config.WithStrictMode(), config.WithStrictIgnoredHeadersExtra(names...),
		config.WithFormatAssertions(), config.WithRejectUndeclaredRequestBody(),
		config.WithStandardBodyDecoders(), config.WithRejectUnsupportedBodyContent()}
	// The document gives NDJSON, the XML feeds and SVG as opaque strings
	// (type string): the validator is to take them as text, not parse
	// x-ndjson as one JSON value or XML into objects.
	for _, mt := range []string{"application/x-ndjson", "application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "image/svg+xml"} {
		opts = append(opts, config.WithBodyDecoder(mt, content.TextDecoder()))
	}
	v, errs := validator.NewValidator(d, opts...)
	if len(errs) > 0 {
		t.Fatalf("libopenapi-validator: %v", errs)
	}
	c.v = v
	return c
}

// resolve follows a local $ref.
func (c *oasCheck) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	for m != nil && m["$ref"] != nil {
		var cur any = c.doc
		for _, part := range strings.Split(strings.TrimPrefix(m["$ref"].(string), "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		m, _ = cur.(map[string]any)
	}
	return m
}

// template returns the documented path that p matches (a literal segment
// beats a parameter), or "".
func (c *oasCheck) template(p string) string {
	segs := strings.Split(p, "/")
	best, bestLit := "", -1
	for _, tp := range c.paths {
		ts := strings.Split(tp, "/")
		if len(ts) != len(segs) {
			continue
		}
		lit, ok := 0, true
		for i := range ts {
			switch {
			case strings.HasPrefix(ts[i], "{"):
				ok = ok && segs[i] != ""
			case ts[i] == segs[i]:
				lit++
			default:
				ok = false
			}
		}
		if ok && lit > bestLit {
			best, bestLit = tp, lit
		}
	}
	return best
}

// req describes one request.
type req struct {
	method, path string
	ctype        string
	body         string
	token        bool
	hdr          map[string]string
}

// answer is a response, its body read.
type answer struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

func (r req) build(base string) *http.Request {
	hr, err := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
	if err != nil {
		panic(err)
	}
	if r.body == "" {
		hr.Body, hr.ContentLength = http.NoBody, 0
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	if r.token {
		hr.Header.Set("Authorization", "Bearer "+testToken)
	}
	for k, v := range r.hdr {
		hr.Header.Set(k, v)
	}
	return hr
}

// do sends r to ts, wants status (0: any), and validates both sides: the request
// must conform to the document exactly when conforms is set (a request
// the test makes wrong on purpose must be one the document rules out,
// unless the document cannot say so: a semantic error, a size limit),
// and the response must always conform.
func (c *oasCheck) do(ts *httptest.Server, r req, status int, conforms bool) answer {
	c.t.Helper()
	resp, err := noRedirect.Do(r.build(ts.URL))
	if err != nil {
		c.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.json)
	name := fmt.Sprintf("%s %.100s", r.method, r.path)
	if status != 0 && resp.StatusCode != status {
		c.t.Errorf("%s: status %d, want %d: %.300s", name, resp.StatusCode, status, raw)
	}
	u, _ := url.Parse(r.path)
	if tp := c.template(u.Path); tp != "" {
		op := strings.ToLower(r.method) + " " + tp
		if c.seen[op] == nil {
			c.seen[op] = map[int]int{}
		}
		c.seen[op][resp.StatusCode]++
	}
	// The request, as sent.
	vr := r.build(ts.URL)
	ok, errs := c.v.ValidateHttpRequest(vr)
	if ok != conforms {
		c.t.Errorf("%s: the request conforms to the document: %v, want %v%s", name, ok, conforms, oasErrors(errs))
	}
	// The response, always.
	vr = r.build(ts.URL)
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	if ok, errs := c.v.ValidateHttpResponse(vr, resp); !ok {
		c.t.Errorf("%s: %d response does not conform%s\n%.400s", name, resp.StatusCode, oasErrors(errs), raw)
	}
	for h, want := range c.every {
		got := resp.Header.Get(h)
		if got == "" || want != "" && got != want {
			c.t.Errorf("%s: header %s is %q, want %q", name, h, got, want)
		}
	}
	return a
}

func oasErrors(errs []*oaserrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n\t%s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n\t\t/%s: %s", strings.Join(f.InstancePath, "/"), f.Reason)
		}
	}
	return b.String()
}

// hookRecorder is a webhook endpoint that records what it gets: /ok answers
// 204, anything else 500.
type hookRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func newHookRecorder(t *testing.T) *hookRecorder {
	rc := &hookRecorder{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs, rc.body = append(rc.reqs, r.Clone(context.Background())), append(rc.body, b)
		rc.mu.Unlock()
		if r.URL.Path == "/ok" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// count is the number of requests to path with events of type typ.
func (rc *hookRecorder) count(path, typ string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for i, r := range rc.reqs {
		if r.URL.Path == path && bytes.Contains(rc.body[i], []byte(`"type":"`+typ+`"`)) {
			n++
		}
	}
	return n
}

const testAtom = `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title>
<entry><id>urn:atom:1</id><title>Grain deal</title><link href="https://atom.example/1"/><updated>2025-03-11T08:00:00Z</updated><summary>The grain deal was extended.</summary></entry></feed>`

const testJSONFeed = `{"version":"https://jsonfeed.org/version/1.1","title":"JSON Wire","items":[{"id":"jf-1","url":"https://jf.example/1","title":"Pipeline","content_text":"The pipeline reopened on Tuesday.","date_published":"2025-03-12T08:00:00Z"}]}`

// TestOpenAPIValidatesTraffic serves the real router and sends every
// operation of web/openapi.json, with its error cases, validating each
// request and response against the document with libopenapi-validator in
// strict mode: an undocumented status, property, parameter or header is a
// failure. The webhook requests a receiver gets are validated against
// the document's webhooks. There are no exemptions.
func TestOpenAPIValidatesTraffic(t *testing.T) {
	c := newOASCheck(t, OpenAPISpec())
	if ok, errs := c.v.ValidateDocument(); !ok {
		t.Fatalf("web/openapi.json is not a valid OpenAPI 3.1 document%s", oasErrors(errs))
	}
	srv := newFullServer(t, fullOptions{})
	ts := srv.ts
	rc := newHookRecorder(t)

	// ---- ops ----
	c.do(ts, req{method: "GET", path: "/healthz"}, 200, true)
	// A query string that does not parse: the validator cannot read it
	// either, so to it the request has no parameters and conforms.
	c.do(ts, req{method: "GET", path: "/healthz?a=%zz"}, 400, true)
	c.do(ts, req{method: "GET", path: "/readyz", hdr: map[string]string{"X-Request-Id": "probe-1"}}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/openapi.json"}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/backup", token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/backup"}, 401, false)
	c.do(ts, req{method: "POST", path: "/api/admin/resume", token: true}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/admin/resume"}, 401, false)

	// ---- articles ----
	j := "application/json"
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: j, token: true,
		body: `{"id":"oas-1","title":"Peskov on grain","body":"Dmitry Peskov said the grain corridor to Ukraine stays open.","date":"2025-03-10","source":"Wire","url":"https://wire.example/1","speakers":["Dmitry Peskov"],"countries":["Russia"]}`}, 200, true)
	a := c.do(ts, req{method: "POST", path: "/api/articles", ctype: j, token: true,
		body: `[{"id":"oas-2","body":"Oil prices rose in Vienna."},{"id":"oas-bad","title":"no body"}]`}, 200, false)
	if len(a.json["errors"].([]any)) != 1 {
		t.Errorf("array with one bad item: %s", a.raw)
	}
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: "application/x-ndjson", token: true,
		body: `{"id":"oas-3","body":"Harvest began early in Kansas."}` + "\n"}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: "text/plain", token: true,
		body: "date 2025-03-09 The ministry published its weekly figures."}, 200, true)
	for _, f := range []struct{ ctype, body string }{
		{"application/rss+xml", testRSS}, {"application/atom+xml", testAtom}, {"application/feed+json", testJSONFeed},
		{"application/xml", strings.ReplaceAll(testRSS, "local.example", "xml.example")},
		{"text/xml; charset=utf-8", strings.ReplaceAll(testRSS, "local.example", "textxml.example")},
	} {
		c.do(ts, req{method: "POST", path: "/api/articles", ctype: f.ctype, token: true, body: f.body}, 200, true)
	}
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: j, token: true, body: `{"body": "unterminated`}, 400, false)
	a = c.do(ts, req{method: "POST", path: "/api/articles", ctype: j, token: true, body: `{"title":"no body"}`}, 400, false)
	if a.json["indexed"] == nil || a.json["error"] == nil {
		t.Errorf("nothing stored: want the error and the items: %s", a.raw)
	}
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: j, token: true, body: `[{"title":"a"},{"title":"b"}]`}, 400, false)
	big := strings.Repeat("word ", 1<<20/5+1)
	a = c.do(ts, req{method: "POST", path: "/api/articles", ctype: j, token: true, body: `{"body":"` + big + `"}`}, 413, false)
	if a.json["indexed"] == nil {
		t.Errorf("one article over the body limit: want the items: %.200s", a.raw)
	}
	huge := strings.Repeat(`{"body":"`+strings.Repeat("x", 1000)+`"}`+"\n", 4200)
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: "application/x-ndjson", token: true, body: huge}, 413, true)
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: "application/pdf", token: true, body: `%PDF`}, 415, false)
	c.do(ts, req{method: "POST", path: "/api/articles", token: true, body: `{"body":"x"}`}, 415, false)
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: j, body: `{"body":"x"}`}, 401, false)
	c.do(ts, req{method: "GET", path: "/api/articles/oas-1"}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/articles/nope"}, 404, true)
	c.do(ts, req{method: "DELETE", path: "/api/articles/oas-3", token: true}, 200, true)
	c.do(ts, req{method: "DELETE", path: "/api/articles/oas-3", token: true}, 404, true)
	c.do(ts, req{method: "DELETE", path: "/api/articles/oas-2"}, 401, false)
	c.do(ts, req{method: "DELETE", path: "/api/articles/oas-2", token: true, body: big}, 413, false)

	// ---- search ----
	a = c.do(ts, req{method: "GET", path: "/api/search?q=grain&speaker=Dmitry+Peskov&country=russia&sort=newest&size=1&facet_size=3&from=2025-01&to=2025-12-31"}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/search?size=1&sort=newest"}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/search?q=" + url.QueryEscape(`grian~1 OR "grain open"~3 OR peskov^2 AND date:>now-100y`)}, 200, true)
	a = c.do(ts, req{method: "GET", path: "/api/search?size=1&sort=oldest"}, 200, true)
	if cur, ok := a.json["next_cursor"].(string); ok {
		c.do(ts, req{method: "GET", path: "/api/search?size=1&sort=oldest&cursor=" + url.QueryEscape(cur)}, 200, true)
	} else {
		t.Errorf("no next_cursor on a first page of one: %s", a.raw)
	}
	c.do(ts, req{method: "GET", path: "/api/search?q=" + url.QueryEscape("peskov AND (grain")}, 400, true)
	c.do(ts, req{method: "GET", path: "/api/search?size=1000"}, 400, false)
	c.do(ts, req{method: "GET", path: "/api/search?sort=random"}, 400, false)
	c.do(ts, req{method: "GET", path: "/api/search?q=" + strings.Repeat("a", MaxQueryBytes+1)}, 413, false)
	c.do(ts, req{method: "GET", path: "/api/search/export?q=grain&sort=oldest&format=csv"}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/search/export?q=grain"}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/search/export?format=xml"}, 400, false)
	c.do(ts, req{method: "GET", path: "/export?q=grain&format=csv"}, 200, true)
	a = c.do(ts, req{method: "POST", path: "/api/keys", ctype: "application/json", body: `{"name":"reader","scope":"read"}`, token: true}, 201, true)
	c.do(ts, req{method: "POST", path: "/api/keys", ctype: "application/json", body: `{"name":"x","scope":"root"}`, token: true}, 400, false)
	c.do(ts, req{method: "GET", path: "/api/keys", token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/whoami", token: true}, 200, true)
	// Saved searches: create, list, get, rename, delete, each answer as documented.
	ss := c.do(ts, req{method: "POST", path: "/api/saved-searches", ctype: "application/json", token: true,
		body: `{"name":"Kremlin, last week","search":{"query":"Kremlin","filters":{"country":["Russia"]},"from":"now-7d","sort":"newest"}}`}, 201, true)
	savedID, _ := ss.json["id"].(string)
	c.do(ts, req{method: "POST", path: "/api/saved-searches", ctype: "application/json", token: true, body: `{"name":""}`}, 400, true)
	c.do(ts, req{method: "GET", path: "/api/saved-searches", token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/saved-searches?all=true", token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/saved-searches/" + savedID, token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/saved-searches/ss_nope", token: true}, 404, true)
	c.do(ts, req{method: "PATCH", path: "/api/saved-searches/" + savedID, ctype: "application/json", token: true, body: `{"name":"renamed"}`}, 200, true)
	c.do(ts, req{method: "PATCH", path: "/api/saved-searches/ss_nope", ctype: "application/json", token: true, body: `{"name":"x"}`}, 404, true)
	c.do(ts, req{method: "PATCH", path: "/api/saved-searches/" + savedID, ctype: "text/plain", token: true, body: `{"name":"x"}`}, 415, false)
	c.do(ts, req{method: "POST", path: "/api/saved-searches", ctype: "text/plain", token: true, body: `{"name":"x"}`}, 415, false)
	c.do(ts, req{method: "DELETE", path: "/api/saved-searches/" + savedID, token: true}, 200, true)
	c.do(ts, req{method: "DELETE", path: "/api/saved-searches/" + savedID, token: true}, 404, true)
	c.do(ts, req{method: "DELETE", path: "/api/keys/" + a.json["key"].(map[string]any)["id"].(string), token: true}, 200, true)
	c.do(ts, req{method: "DELETE", path: "/api/keys/key_000000000000", token: true}, 404, true)
	c.do(ts, req{method: "DELETE", path: "/api/keys/token", token: true}, 400, true)
	c.do(ts, req{method: "GET", path: "/api/search/export?q=" + strings.Repeat("a", MaxQueryBytes+1)}, 413, false)

	// ---- alerts ----
	alertBody := func(name, hook string) string {
		return fmt.Sprintf(`{"name":%q,"query":"grain OR oil OR pipeline","filters":{"country":["Russia"]},"schedule":"@daily","timezone":"Europe/Berlin","webhook_url":%q,"max_matches_per_delivery":10}`, name, hook)
	}
	a = c.do(ts, req{method: "POST", path: "/api/alerts", ctype: j, token: true, body: alertBody("ok", rc.URL+"/ok?secret=s")}, 201, true)
	okID, _ := a.json["id"].(string)
	a = c.do(ts, req{method: "POST", path: "/api/alerts", ctype: j, token: true,
		body: fmt.Sprintf(`{"name":"fails","query":"grain","webhook_url":%q}`, rc.URL+"/fail")}, 201, true)
	failID, _ := a.json["id"].(string)
	c.do(ts, req{method: "POST", path: "/api/alerts", ctype: j, token: true, body: `{"name":"x","query":"a (b","webhook_url":"` + rc.URL + `"}`}, 400, true)
	c.do(ts, req{method: "POST", path: "/api/alerts", ctype: j, token: true, body: `{"name":"x","query":"a","webhook_url":"` + rc.URL + `","colour":"red"}`}, 400, false)
	c.do(ts, req{method: "POST", path: "/api/alerts", ctype: j, token: true, body: `{"name":"` + big + `","query":"a","webhook_url":"` + rc.URL + `"}`}, 413, true)
	c.do(ts, req{method: "POST", path: "/api/alerts", ctype: "text/plain", token: true, body: alertBody("plain", rc.URL)}, 415, false)
	c.do(ts, req{method: "POST", path: "/api/alerts", ctype: j, body: alertBody("anon", rc.URL)}, 401, false)
	c.do(ts, req{method: "GET", path: "/api/alerts", token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/alerts", token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/alerts/" + okID, token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/alerts/al_nope", token: true}, 404, true)
	c.do(ts, req{method: "PATCH", path: "/api/alerts/" + okID, ctype: j, token: true, body: `{"enabled":false,"name":"ok, paused"}`}, 200, true)
	c.do(ts, req{method: "PATCH", path: "/api/alerts/" + okID, ctype: j, token: true, body: `{"schedule":"every day"}`}, 400, true)
	c.do(ts, req{method: "PATCH", path: "/api/alerts/" + okID, ctype: j, token: true, body: `{"watermark":3}`}, 400, false)
	c.do(ts, req{method: "PATCH", path: "/api/alerts/al_nope", ctype: j, token: true, body: `{"name":"x"}`}, 404, true)
	c.do(ts, req{method: "PATCH", path: "/api/alerts/" + okID, ctype: "text/plain", token: true, body: `{"name":"x"}`}, 415, false)
	c.do(ts, req{method: "GET", path: "/api/alerts/" + okID + "/preview", token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/alerts/al_nope/preview", token: true}, 404, true)
	// An alert sees articles stored after it was made.
	c.do(ts, req{method: "POST", path: "/api/articles", ctype: j, token: true,
		body: `{"id":"oas-4","title":"Pipeline","body":"The grain pipeline to Russia reopened.","date":"2025-03-13","countries":["Russia"]}`}, 200, true)
	if a := c.do(ts, req{method: "GET", path: "/api/alerts/" + okID + "/preview", token: true}, 200, true); a.json["total_new"] != float64(1) {
		t.Errorf("preview: want the new match: %s", a.raw)
	}
	a = c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/run", token: true}, 200, true)
	if a.json["deliveries"] != float64(1) {
		t.Errorf("run: want one delivery: %s", a.raw)
	}
	c.do(ts, req{method: "POST", path: "/api/alerts/" + failID + "/run", token: true}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/al_nope/run", token: true}, 404, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/test", token: true}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/al_nope/test", token: true}, 404, true)
	// Wait until the hookRecorder has the delivery of each alert, and the
	// outbox has recorded both outcomes.
	deliveries := func(id, status string) string {
		a := c.do(ts, req{method: "GET", path: "/api/alerts/" + id + "/deliveries", token: true}, 200, true)
		ds, _ := a.json["deliveries"].([]any)
		for _, d := range ds {
			if d := d.(map[string]any); d["status"] == status {
				return d["id"].(string)
			}
		}
		return ""
	}
	var okDel, failDel string
	testutil.WaitFor(t, "a succeeded delivery", 10*time.Second, func() bool { okDel = deliveries(okID, "succeeded"); return okDel != "" })
	testutil.WaitFor(t, "a retrying delivery", 10*time.Second, func() bool { failDel = deliveries(failID, "retrying"); return failDel != "" })
	c.do(ts, req{method: "GET", path: "/api/alerts/al_nope/deliveries", token: true}, 404, true)
	c.do(ts, req{method: "POST", path: "/api/deliveries/" + okDel + "/redeliver", token: true}, 202, true)
	c.do(ts, req{method: "POST", path: "/api/deliveries/" + failDel + "/redeliver", token: true}, 409, true)
	c.do(ts, req{method: "POST", path: "/api/deliveries/dl_nope/redeliver", token: true}, 404, true)
	c.do(ts, req{method: "POST", path: "/api/deliveries/" + failDel + "/retry", token: true}, 202, true)
	c.do(ts, req{method: "POST", path: "/api/deliveries/" + okDel + "/retry", token: true}, 409, true)
	c.do(ts, req{method: "POST", path: "/api/deliveries/dl_nope/retry", token: true}, 404, true)
	testutil.WaitFor(t, "the redelivery", 10*time.Second, func() bool { return rc.count("/ok", "alert.matched") == 2 })
	c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/rotate-secret", token: true}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/rotate-secret", ctype: j, token: true, body: `{"grace":"2h"}`}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/rotate-secret", ctype: j, token: true, body: `{}`}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/rotate-secret", token: true}, 409, true) // three replaced secrets in their grace
	c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/rotate-secret", ctype: j, token: true, body: `{"grace":"1y"}`}, 400, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/rotate-secret", ctype: "text/plain", token: true, body: `{"grace":"0s"}`}, 415, false)
	c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/rotate-secret", ctype: j, token: true, body: `{"grace":"0s"}`}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/al_nope/rotate-secret", token: true}, 404, true)
	// The alert's own feed: a read key or its feed key.
	c.do(ts, req{method: "GET", path: "/api/alerts/" + okID + "/feed.atom", token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/alerts/" + okID + "/feed.atom"}, 401, false)
	c.do(ts, req{method: "GET", path: "/api/alerts/al_nope/feed.atom", token: true}, 404, true)
	fk := c.do(ts, req{method: "POST", path: "/api/alerts/" + okID + "/feed-key", token: true}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/alerts/al_nope/feed-key", token: true}, 404, true)
	feedKey, _ := fk.json["feed_key"].(string)
	c.do(ts, req{method: "GET", path: "/api/alerts/" + okID + "/feed.atom?key=" + url.QueryEscape(feedKey)}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/alerts/" + okID + "/feed.atom?key=wwfeed_wrong"}, 401, true)
	c.do(ts, req{method: "DELETE", path: "/api/alerts/" + failID, token: true}, 200, true)
	c.do(ts, req{method: "DELETE", path: "/api/alerts/" + failID, token: true}, 404, true)

	// ---- feeds ----
	var originDown sync.Mutex
	down := false
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originDown.Lock()
		d := down
		originDown.Unlock()
		if d {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, strings.ReplaceAll(testRSS, "local.example", "polled.example"))
	}))
	defer origin.Close()
	a = c.do(ts, req{method: "POST", path: "/api/feeds", ctype: j, token: true, body: `{"url":"` + origin.URL + `/rss?key=k","schedule":"@every 2h","source":"Polled"}`}, 201, true)
	feedID, _ := a.json["id"].(string)
	c.do(ts, req{method: "POST", path: "/api/feeds", ctype: j, token: true, body: `{"url":"` + origin.URL + `/rss?key=k"}`}, 409, true)
	c.do(ts, req{method: "POST", path: "/api/feeds", ctype: j, token: true, body: `{"url":"ftp://example.com/feed"}`}, 400, true)
	c.do(ts, req{method: "POST", path: "/api/feeds", ctype: j, token: true, body: `{"link":"x"}`}, 400, false)
	c.do(ts, req{method: "POST", path: "/api/feeds", ctype: "application/x-www-form-urlencoded", token: true, body: `url=x`}, 415, false)
	c.do(ts, req{method: "GET", path: "/api/feeds"}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/feeds/" + feedID, token: true}, 200, true)
	c.do(ts, req{method: "GET", path: "/api/feeds/fd_nope"}, 404, true)
	c.do(ts, req{method: "POST", path: "/api/feeds/" + feedID + "/poll", token: true}, 200, true)
	originDown.Lock()
	down = true
	originDown.Unlock()
	c.do(ts, req{method: "POST", path: "/api/feeds/" + feedID + "/poll", token: true}, 200, true)
	c.do(ts, req{method: "POST", path: "/api/feeds/fd_nope/poll", token: true}, 404, true)
	c.do(ts, req{method: "GET", path: "/api/feeds"}, 200, true)
	c.do(ts, req{method: "PATCH", path: "/api/feeds/" + feedID, ctype: j, token: true, body: `{"enabled":false}`}, 200, true)
	c.do(ts, req{method: "PATCH", path: "/api/feeds/" + feedID, ctype: j, token: true, body: `{"schedule":"@every 1s"}`}, 400, true)
	c.do(ts, req{method: "PATCH", path: "/api/feeds/fd_nope", ctype: j, token: true, body: `{"enabled":true}`}, 404, true)
	c.do(ts, req{method: "PATCH", path: "/api/feeds/" + feedID, ctype: "text/plain", token: true, body: `{}`}, 415, false)
	a = c.do(ts, req{method: "POST", path: "/api/feeds", ctype: j, token: true, body: `{"url":"` + origin.URL + `/other"}`}, 201, true)
	c.do(ts, req{method: "PATCH", path: "/api/feeds/" + a.json["id"].(string), ctype: j, token: true, body: `{"url":"` + origin.URL + `/rss?key=k"}`}, 409, true)
	c.do(ts, req{method: "DELETE", path: "/api/feeds/" + feedID, token: true}, 200, true)
	c.do(ts, req{method: "DELETE", path: "/api/feeds/" + feedID, token: true}, 404, true)

	// ---- pages ----
	c.do(ts, req{method: "GET", path: "/"}, 200, true)
	c.do(ts, req{method: "GET", path: "/?q=grain&country=Russia&sort=&from=2025-01-01&to="}, 200, true)
	c.do(ts, req{method: "GET", path: "/?q=" + url.QueryEscape("a (b")}, 400, true)
	c.do(ts, req{method: "GET", path: "/?q=" + strings.Repeat("a", MaxQueryBytes+1)}, 413, true)
	c.do(ts, req{method: "GET", path: "/?q=a&x=%zz"}, 400, true)
	c.do(ts, req{method: "GET", path: "/articles/oas-1?q=grain"}, 200, true)
	c.do(ts, req{method: "GET", path: "/articles/nope"}, 404, true)
	c.do(ts, req{method: "GET", path: "/alerts"}, 200, true)
	c.do(ts, req{method: "GET", path: "/alerts/new?q=grain&country=Russia"}, 200, true)
	c.do(ts, req{method: "GET", path: "/alerts/" + okID}, 200, true)
	c.do(ts, req{method: "GET", path: "/alerts/" + strings.Repeat("x", 201)}, 404, true)
	c.do(ts, req{method: "GET", path: "/feeds"}, 200, true)
	c.do(ts, req{method: "GET", path: "/saved"}, 200, true)
	c.do(ts, req{method: "GET", path: "/saved?q=grain&from=now-7d"}, 200, true)
	c.do(ts, req{method: "GET", path: "/login?next=/alerts"}, 200, true)
	form := "application/x-www-form-urlencoded"
	c.do(ts, req{method: "POST", path: "/login", ctype: form, body: "token=" + testToken + "&next=/feeds"}, 303, true)
	c.do(ts, req{method: "POST", path: "/login", ctype: form, body: "token=wrong"}, 401, true)
	c.do(ts, req{method: "POST", path: "/login", ctype: form, body: "token=" + strings.Repeat("x", 5000)}, 413, true)
	c.do(ts, req{method: "POST", path: "/logout"}, 303, true)
	a = c.do(ts, req{method: "GET", path: "/static/app.css"}, 200, true)
	c.do(ts, req{method: "GET", path: "/static/app.css?v=1", hdr: map[string]string{"If-None-Match": a.header.Get("ETag")}}, 304, true)
	c.do(ts, req{method: "GET", path: "/static/app.js"}, 200, true)
	c.do(ts, req{method: "GET", path: "/static/icon.svg"}, 200, true)
	c.do(ts, req{method: "GET", path: "/static/nope.js"}, 404, true)

	// ---- the same router under --private, held as after a restore ----
	priv := newFullServer(t, fullOptions{private: true, held: true})
	// The document allows anonymous reads (--private is the server's
	// choice), so these requests conform; the answer is still documented.
	for _, p := range []string{"/api/search", "/api/articles/oas-1", "/api/feeds", "/metrics", "/", "/alerts", "/feeds", "/alerts/new", "/articles/x", "/alerts/x", "/saved"} {
		c.do(priv.ts, req{method: "GET", path: p}, 401, true)
	}
	c.do(priv.ts, req{method: "GET", path: "/api/alerts"}, 401, false) // alerts need a key on every server
	c.do(priv.ts, req{method: "GET", path: "/metrics", token: true}, 200, true)
	a = c.do(priv.ts, req{method: "POST", path: "/api/alerts", ctype: j, token: true, body: alertBody("held", rc.URL+"/ok")}, 201, true)
	heldID, _ := a.json["id"].(string)
	c.do(priv.ts, req{method: "POST", path: "/api/alerts/" + heldID + "/run", token: true}, 409, true)
	c.do(priv.ts, req{method: "POST", path: "/api/alerts/" + heldID + "/test", token: true}, 409, true)
	a = c.do(priv.ts, req{method: "POST", path: "/api/feeds", ctype: j, token: true, body: `{"url":"` + origin.URL + `/rss"}`}, 201, true)
	c.do(priv.ts, req{method: "POST", path: "/api/feeds/" + a.json["id"].(string) + "/poll", token: true}, 409, true)
	if a := c.do(priv.ts, req{method: "POST", path: "/api/admin/resume", token: true}, 200, true); a.json["resumed"] != true {
		t.Errorf("resume of a held store: %s", a.raw)
	}
	a = c.do(priv.ts, req{method: "POST", path: "/login", ctype: form, body: "token=" + testToken + "&next=/alerts"}, 303, true)
	cookie := ""
	for _, ck := range (&http.Response{Header: a.header}).Cookies() {
		if ck.Name == sessionCookie {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	c.do(priv.ts, req{method: "GET", path: "/alerts", hdr: map[string]string{"Cookie": cookie}}, 200, true)
	c.do(priv.ts, req{method: "GET", path: "/", token: true}, 200, true)

	// ---- rate limits ----
	slow := newFullServer(t, fullOptions{rateLimit: 0.01})
	for i := 0; ; i++ {
		a := c.do(slow.ts, req{method: "POST", path: "/login", ctype: form, body: "token=wrong"}, 0, true)
		if a.status == 429 {
			break
		}
		if a.status != 401 || i > 100 {
			t.Fatalf("POST /login %d: %d", i, a.status)
		}
	}

	// ---- every operation's cheap error answers ----
	c.sweep(t, ts, priv.ts, slow.ts, rc.URL)
	srv.s.closing.Store(true)
	c.do(ts, req{method: "GET", path: "/readyz"}, 503, true)
	srv.s.closing.Store(false)

	// ---- the globals: 405 on every path, 404 off them ----
	c.globals(ts)

	// ---- webhooks: what the receiver got ----
	rc.mu.Lock()
	got, bodies := rc.reqs, rc.body
	rc.mu.Unlock()
	c.webhooks(got, bodies)

	// ---- coverage ----
	var missing []string
	for p, item := range c.doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			if m == "parameters" {
				continue
			}
			op := m + " " + p
			succeeded := false
			for st := range c.seen[op] {
				succeeded = succeeded || st < 400
			}
			if !succeeded {
				missing = append(missing, op)
			}
			documented := slices.Sorted(func(yield func(string) bool) {
				for s := range c.resolve(item.(map[string]any)[m])["responses"].(map[string]any) {
					if !yield(s) {
						return
					}
				}
			})
			var unexercised []string
			for _, s := range documented {
				var n int
				fmt.Sscan(s, &n)
				if c.seen[op][n] == 0 {
					unexercised = append(unexercised, s)
				}
			}
			if len(unexercised) > 0 {
				t.Logf("%s: documented but not exercised: %v", op, unexercised)
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("documented operation %s was never answered with a success", m)
	}
}

// operation is one documented operation.
type operation struct {
	method, path string // path with its parameters filled in
	key          string // "post /api/alerts"
	responses    map[string]any
	anonymous    bool   // security allows no credentials
	credentials  bool   // security allows some credentials
	bodyType     string // the media type of the body, application/json if it may be
	bodyRequired bool
}

func (c *oasCheck) operations() []operation {
	var ops []operation
	fill := strings.NewReplacer("{id}", "x", "{name}", "app.css")
	for p, item := range c.doc["paths"].(map[string]any) {
		for m, o := range item.(map[string]any) {
			if m == "parameters" {
				continue
			}
			o := o.(map[string]any)
			op := operation{method: strings.ToUpper(m), path: fill.Replace(p), key: m + " " + p,
				responses: o["responses"].(map[string]any)}
			sec, ok := o["security"].([]any)
			if !ok {
				sec = c.doc["security"].([]any)
			}
			for _, r := range sec {
				if len(r.(map[string]any)) == 0 {
					op.anonymous = true
				} else {
					op.credentials = true
				}
			}
			if rb, ok := o["requestBody"].(map[string]any); ok {
				op.bodyRequired, _ = rb["required"].(bool)
				for ct := range rb["content"].(map[string]any) {
					if op.bodyType == "" || ct == "application/json" {
						op.bodyType = ct
					}
				}
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].key < ops[j].key })
	return ops
}

// sample is a request to op that conforms to the document.
func sample(op operation, hook string) req {
	r := req{method: op.method, path: op.path, token: op.credentials, ctype: op.bodyType}
	switch op.key {
	case "post /api/articles":
		r.body = `{"body":"A sample story."}`
	case "post /api/alerts":
		r.body = `{"name":"s","query":"sample","webhook_url":"` + hook + `/ok"}`
	case "post /api/feeds":
		r.body = `{"url":"http://127.0.0.1:9/sample.xml"}`
	case "patch /api/alerts/{id}", "patch /api/feeds/{id}":
		r.body = `{"enabled":true}`
	case "post /login":
		r.body, r.token = "token=wrong", false
	case "post /api/keys":
		r.body = `{"name":"sample","scope":"read"}`
	case "post /api/saved-searches", "patch /api/saved-searches/{id}":
		r.body = `{"name":"s","search":{"query":"sample"}}`
	default:
		if op.bodyRequired {
			panic("no sample body for " + op.key)
		}
		r.ctype = "" // an optional body left out
	}
	return r
}

// sweep sends each documented operation the error cases that need no
// state: a query string that does not parse (400); no credentials where
// they are needed, on the open server and under --private (401); a body
// over the route's limit (413); a write over the rate limit (429); the
// alert and feed routes of a server without those services (503).
func (c *oasCheck) sweep(t *testing.T, open, private, slow *httptest.Server, hook string) {
	bare := newTestServer(t, nil) // no alert or feed service
	// The slow server's one write and one read of the second are spent;
	// every limited route is then a 429 before anything else is looked at.
	c.do(slow, req{method: "DELETE", path: "/api/articles/x", token: true}, 0, true)
	c.do(slow, req{method: "GET", path: "/api/search"}, 0, true)
	big := strings.Repeat("x", SmallBodyLimit+1)
	for _, op := range c.operations() {
		has := func(status string) bool { return op.responses[status] != nil }
		r := sample(op, hook)
		if has("400") {
			q := r
			q.path += "?%zz"
			c.do(open, q, 400, true)
		}
		if has("401") {
			q := r
			q.token = false
			switch {
			case !op.anonymous:
				c.do(open, q, 401, false)
			case op.credentials:
				c.do(private, q, 401, true) // the document allows anonymous reads
			}
		}
		if has("413") && op.key != "post /api/articles" && op.key != "get /api/search" && op.key != "get /api/search/export" && op.key != "get /export" && op.key != "get /" && op.key != "post /login" {
			q := r
			if q.ctype == "application/json" {
				q.body = strings.Replace(q.body, `{`, `{"name":"`+big+`",`, 1)
				q.body = strings.Replace(q.body, `,"name":"s"`, ``, 1)
				c.do(open, q, 413, !strings.Contains(op.key, "feeds") && !strings.Contains(op.key, "saved-searches")) // a feed has no name, a saved search's is short: the document rules it out
			} else {
				q.ctype, q.body = "text/plain", big
				c.do(open, q, 413, false) // a body where the document has none
			}
		}
		if has("429") && op.key != "post /login" {
			c.do(slow, r, 429, true)
		}
		if has("503") && (strings.HasPrefix(op.path, "/api/alerts") || strings.HasPrefix(op.path, "/api/feeds") || strings.HasPrefix(op.path, "/api/deliveries") || strings.HasPrefix(op.path, "/api/saved-searches")) {
			c.do(bare, r, 503, true)
		}
	}
}

// globals checks the answers the document gives for every path at once:
// each method a path does not list is a 405 with the Allow header the
// document implies and the MethodNotAllowed response, OPTIONS is a 204
// with that Allow; a path it does not list is a 404 NotFound. The validator has no operation to check these
// against, so they are checked against a copy of the document with those
// operations spelled out.
func (c *oasCheck) globals(ts *httptest.Server) {
	t := c.t
	var spelled map[string]any
	if err := json.Unmarshal(OpenAPISpec(), &spelled); err != nil {
		t.Fatal(err)
	}
	paths := spelled["paths"].(map[string]any)
	methods := []string{"get", "post", "put", "patch", "delete"}
	type probe struct{ method, path, allow string }
	var probes []probe
	for p, item := range paths {
		item := item.(map[string]any)
		var allow []string
		for _, m := range methods {
			if item[m] != nil {
				allow = append(allow, strings.ToUpper(m))
			}
		}
		for _, m := range methods {
			if item[m] != nil {
				continue
			}
			item[m] = map[string]any{"security": []any{map[string]any{}}, "responses": map[string]any{
				"405": map[string]any{"$ref": "#/components/responses/MethodNotAllowed"}}}
			concrete := strings.NewReplacer("{id}", "x", "{name}", "app.css").Replace(p)
			probes = append(probes, probe{strings.ToUpper(m), concrete, strings.Join(append(allow, "OPTIONS"), ", ")})
		}
		item["options"] = map[string]any{"security": []any{map[string]any{}}, "responses": map[string]any{
			"204": map[string]any{"description": "Allow", "headers": map[string]any{"Allow": map[string]any{"$ref": "#/components/headers/Allow"}}}}}
		probes = append(probes, probe{"OPTIONS", strings.NewReplacer("{id}", "x", "{name}", "app.css").Replace(p), strings.Join(append(allow, "OPTIONS"), ", ")})
	}
	paths["/api/no-such-path"] = map[string]any{"get": map[string]any{"security": []any{map[string]any{}},
		"responses": map[string]any{"404": map[string]any{"$ref": "#/components/responses/NotFound"}}}}
	raw, _ := json.Marshal(spelled)
	g := newOASCheck(t, raw)
	for _, p := range probes {
		want := http.StatusMethodNotAllowed
		if p.method == http.MethodOptions {
			want = http.StatusNoContent
		}
		a := g.do(ts, req{method: p.method, path: p.path}, want, true)
		if got := a.header.Get("Allow"); !sameSet(got, p.allow) {
			t.Errorf("%s %s: Allow %q, the document lists %q", p.method, p.path, got, p.allow)
		}
	}
	g.do(ts, req{method: "GET", path: "/api/no-such-path"}, 404, true)
	if len(probes) < len(paths) {
		t.Errorf("only %d method probes for %d paths", len(probes), len(paths))
	}
}

func sameSet(a, b string) bool {
	split := func(s string) []string {
		var out []string
		for _, x := range strings.Split(s, ",") {
			out = append(out, strings.TrimSpace(x))
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(split(a), split(b))
}

// webhooks validates each request a receiver got against the document's
// webhooks, keyed by event type: the validator validates paths, so the
// webhook operations are checked as paths of a copy of the document.
func (c *oasCheck) webhooks(reqs []*http.Request, bodies [][]byte) {
	t := c.t
	var spelled map[string]any
	if err := json.Unmarshal(OpenAPISpec(), &spelled); err != nil {
		t.Fatal(err)
	}
	wh, _ := spelled["webhooks"].(map[string]any)
	if len(wh) == 0 {
		t.Fatal("the document has no webhooks")
	}
	paths := map[string]any{}
	for name, item := range wh {
		paths["/webhooks/"+name] = item
	}
	spelled["paths"] = paths
	raw, _ := json.Marshal(spelled)
	g := newOASCheck(t, raw)
	seen := map[string]int{}
	for i, r := range reqs {
		var p struct{ Type string }
		_ = json.Unmarshal(bodies[i], &p)
		seen[p.Type]++
		vr, _ := http.NewRequest(r.Method, "http://hookRecorder/webhooks/"+p.Type, bytes.NewReader(bodies[i]))
		vr.Header = r.Header.Clone()
		if ok, errs := g.v.ValidateHttpRequest(vr); !ok {
			t.Errorf("webhook %s does not conform to the document%s\n%.400s", p.Type, oasErrors(errs), bodies[i])
		}
	}
	for name := range wh {
		if seen[name] == 0 {
			t.Errorf("no %s webhook was received", name)
		}
	}
	t.Logf("webhooks validated: %v", seen)
}
