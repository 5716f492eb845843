package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// metricSeries counts the series of the HTTP metrics in a /metrics page.
func metricSeries(t *testing.T, body string) int {
	t.Helper()
	n := 0
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "watchword_http_") {
			n++
		}
	}
	return n
}

// TestMetricsLabelsBounded sends thousands of made-up HTTP methods (each
// a 404 or 405) and checks /metrics does not grow a series per method.
func TestMetricsLabelsBounded(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Registry = prometheus.NewRegistry() })
	scrape := func() string {
		resp, body := rawCall(t, ts, "GET", "/metrics", nil, "")
		if resp.StatusCode != 200 {
			t.Fatalf("/metrics: %d", resp.StatusCode)
		}
		return body
	}
	send := func(method, path string) {
		req, err := http.NewRequest(method, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// Every standard method once on a route and off every route, so the
	// baseline holds the series a legitimate client can make.
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
		send(m, "/api/search")
		send(m, "/no/such/path")
	}
	send("M0", "/api/search")
	send("M0", "/no/such/path")
	scrape()
	before := metricSeries(t, scrape())
	const n = 2000
	for i := 0; i < n; i++ {
		path := "/api/search"
		if i%2 == 1 {
			path = "/no/such/path"
		}
		send(fmt.Sprintf("M%010d", i), path)
	}
	body := scrape()
	after := metricSeries(t, body)
	if after != before {
		t.Errorf("%d made-up methods grew the HTTP series from %d to %d", n, before, after)
	}
	if strings.Contains(body, `method="M0000000001"`) {
		t.Error("a made-up method is a label value")
	}
	if !strings.Contains(body, `watchword_http_requests_total{method="other",route="/api/search",status="405"}`) {
		t.Errorf("made-up methods are not counted as other:\n%s", grepLines(body, "watchword_http_requests_total"))
	}
}

func grepLines(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetricLabelSets(t *testing.T) {
	for in, want := range map[string]string{"GET": "GET", "CONNECT": "CONNECT", "get": "other", "M0000100042": "other", "": "other"} {
		if got := methodLabel(in); got != want {
			t.Errorf("methodLabel(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{200: "200", 429: "429", 299: "2xx", 599: "5xx", 999: "other", 0: "other"} {
		if got := statusLabel(in); got != want {
			t.Errorf("statusLabel(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestQueryStringMustParse: Go's url.ParseQuery refuses more than 10,000
// parameters (and bad escapes, and semicolons), and echo then drops every
// parameter, so /api/search?q=nothing-matches&... answered 200 with every
// article. Every such request is a 400 now, API and pages alike.
func TestQueryStringMustParse(t *testing.T) {
	const maxQP = 10000
	ts, _ := newUITestServer(t, nil)
	params := []string{"q=zzzznomatchzzzz"}
	for i := 1; i <= maxQP; i++ {
		params = append(params, fmt.Sprintf("p%d=1", i))
	}
	// At the limit: parsed, so the query is honoured (no hits).
	resp, body := rawCall(t, ts, "GET", "/api/search?"+strings.Join(params[:maxQP], "&"), nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"total":0`) {
		t.Fatalf("%d parameters: %d %.200s", maxQP, resp.StatusCode, body)
	}
	many := strings.Join(params, "&") // one over
	for _, c := range []struct{ name, path, want string }{
		{"too many, API", "/api/search?" + many, "more than 10000"},
		{"too many, search page", "/?" + many, "more than 10000"},
		{"too many, article", "/api/articles/x?" + many, "more than 10000"},
		{"bad escape", "/api/search?q=%zz", "invalid URL escape"},
		{"semicolon", "/api/search?q=a;b=c", "semicolon"},
	} {
		resp, body := rawCall(t, ts, "GET", c.path, nil, "")
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
			!strings.Contains(body, `"code":"bad_request"`) || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s %.300s", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}

// TestArticleIDDecodedOnce: ids are percent-decoded exactly once, on the
// article page and the API. Go puts the once-decoded path in URL.Path and
// keeps URL.RawPath only when the escaping is not the default one; echo
// routes on RawPath when set, so a parameter was sometimes decoded once
// (then the page decoded it again: a%2541 showed aA) and sometimes not at
// all (the API looked a%41 up literally).
func TestArticleIDDecodedOnce(t *testing.T) {
	ts := newTestServer(t, nil)
	r := call(t, ts, "POST", "/api/articles", "application/json",
		`[{"id":"aA","title":"Plain id","body":"The plain one."},{"id":"a%41","title":"Percent id","body":"The percent one."}]`, testToken)
	if r.Status != 200 || r.Body["indexed"].(float64) != 2 {
		t.Fatalf("ingest: %d %s", r.Status, r.Raw)
	}
	for _, c := range []struct{ path, id, title string }{
		{"a%2541", "a%41", "Percent id"}, // default escaping: RawPath empty
		{"a%41", "aA", "Plain id"},       // %41 need not be escaped: RawPath set
		{"aA", "aA", "Plain id"},
		{"%61A", "aA", "Plain id"},
		{"a%25%34%31", "a%41", "Percent id"},
		{articleURL("a%41", searchState{})[len("/articles/"):], "a%41", "Percent id"},
	} {
		if r := call(t, ts, "GET", "/api/articles/"+c.path, "", "", ""); r.Status != 200 || r.Body["id"] != c.id {
			t.Errorf("GET /api/articles/%s: %d id %v, want %s", c.path, r.Status, r.Body["id"], c.id)
		}
		p := getPage(t, nil, ts.URL+"/articles/"+c.path)
		if p.Status != 200 || !strings.Contains(p.Body, `<h1 dir="auto">`+c.title+"</h1>") {
			t.Errorf("page /articles/%s: %d, want %q", c.path, p.Status, c.title)
		}
	}
	// A delete removes exactly the article its URL names.
	if r := call(t, ts, "DELETE", "/api/articles/a%41", "", "", testToken); r.Status != 200 || r.Body["deleted"] != "aA" {
		t.Errorf("DELETE /api/articles/a%%41: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "GET", "/api/articles/a%2541", "", "", ""); r.Status != 200 {
		t.Errorf("a%%41 went with aA: %d", r.Status)
	}
	if r := call(t, ts, "DELETE", "/api/articles/a%2541", "", "", testToken); r.Status != 200 || r.Body["deleted"] != "a%41" {
		t.Errorf("DELETE /api/articles/a%%2541: %d %s", r.Status, r.Raw)
	}
}
