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
