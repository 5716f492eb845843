package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/testutil"
)

// exportServer serves n articles about "harbour" (one with a title a
// spreadsheet would run as a formula) and 5 about something else.
func exportServer(t *testing.T, n int) (*Server, string) {
	t.Helper()
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Engine: eng, Token: testToken, Logger: quiet, MaxBody: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts2.Close(); eng.Close() })
	var docs []string
	for i := range n + 5 {
		word, title := "harbour", fmt.Sprintf("Harbour report %d", i)
		if i >= n {
			word, title = "inland", fmt.Sprintf("Inland report %d", i)
		}
		if i == 0 {
			title = "=HYPERLINK(\"http://evil.example\",\"click\")"
		}
		docs = append(docs, fmt.Sprintf(`{"id":"a%04d","title":%q,"body":"The %s story %d, with a \"quote\", and a comma.","date":"2024-03-%02dT10:00:00Z","source":"Wire","speakers":["Ann Lee","Bo Kim"]}`,
			i, title, word, i, 1+i%28))
	}
	r := call(t, ts2, "POST", "/api/articles", "application/json", "["+strings.Join(docs, ",")+"]", testToken)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("ingest: %d %s", r.Status, r.Raw)
	}
	return srv, ts2.URL
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestExportNDJSONAndCSV(t *testing.T) {
	_, base := exportServer(t, 1203)

	resp := get(t, base+"/api/search/export?q=harbour&format=ndjson&sort=oldest")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), ".ndjson") {
		t.Fatalf("ndjson: %d %v", resp.StatusCode, resp.Header)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	seen := map[string]bool{}
	var last time.Time
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(seen)+1, err, sc.Text())
		}
		id, _ := rec["id"].(string)
		d, err := time.Parse(time.RFC3339, rec["date"].(string))
		if err != nil || seen[id] || d.Before(last) || !strings.Contains(rec["body"].(string), "harbour") {
			t.Fatalf("record %v: twice, out of date order or not a match (%v)", rec, err)
		}
		if _, ok := rec["supplied"]; ok {
			t.Fatalf("bookkeeping fields exported: %v", rec)
		}
		seen[id], last = true, d
	}
	if sc.Err() != nil || len(seen) != 1203 {
		t.Fatalf("ndjson: %d records (%v), want 1203", len(seen), sc.Err())
	}

	resp = get(t, base+"/api/search/export?q=harbour&format=csv&speaker=Ann+Lee")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %d %v", resp.StatusCode, resp.Header)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(ExportColumns, ",") || len(rows) != 1204 {
		t.Fatalf("csv: header %v and %d rows, want the columns and 1203 rows", rows[0], len(rows)-1)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	formula := 0
	for _, r := range rows[1:] {
		if r[col["speakers"]] != "Ann Lee; Bo Kim" || !strings.Contains(r[col["body"]], `"quote", and a comma`) {
			t.Fatalf("csv row %v", r)
		}
		if strings.HasPrefix(r[col["title"]], "=") {
			t.Fatalf("a formula cell went out as is: %q", r[col["title"]])
		}
		if strings.HasPrefix(r[col["title"]], "'=HYPERLINK") {
			formula++
		}
	}
	if formula != 1 {
		t.Fatalf("%d neutralised formula titles, want 1", formula)
	}

	// No match: a CSV with its header only, an empty NDJSON.
	rows, err = csv.NewReader(get(t, base+"/api/search/export?q=nothingatall&format=csv").Body).ReadAll()
	if err != nil || len(rows) != 1 {
		t.Fatalf("empty csv: %v %v", rows, err)
	}
	body, _ := io.ReadAll(get(t, base+"/api/search/export?q=nothingatall").Body)
	if len(body) != 0 {
		t.Fatalf("empty ndjson: %q", body)
	}
}

func TestExportBadInput(t *testing.T) {
	_, base := exportServer(t, 3)
	for _, tc := range []struct{ q, code string }{
		{"q=harbour+AND+(", "query_syntax"},
		{"q=harbour&format=xml", "invalid"},
		{"q=harbour&sort=relevance", "invalid"},
		{"q=harbour&size=10", "invalid"},
		{"q=harbour&cursor=abc", "invalid"},
		{"q=x.*", "query_too_broad"},
		{"q=harbour&from=yesterday", "invalid"},
	} {
		resp := get(t, base+"/api/search/export?"+tc.q)
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode/100 != 4 || e.Error.Code != tc.code {
			t.Errorf("%s: %d %+v (%v), want a 4xx %s", tc.q, resp.StatusCode, e, err, tc.code)
		}
	}
}

func TestExportSlotsAndClientsThatLeave(t *testing.T) {
	s, base := exportServer(t, 3000)
	// Clients that read a little and hang up: each export stops and
	// gives its slot back.
	for range MaxExports + 2 {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/search/export?q=harbour&format=csv", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("export %d", resp.StatusCode)
		}
		if _, err := io.ReadFull(resp.Body, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		cancel()
		resp.Body.Close()
	}
	testutil.WaitFor(t, "every export slot free after the clients left", 10*time.Second, func() bool { return len(s.exports) == 0 })

	// With every slot taken, one more is a 429 with Retry-After.
	for range MaxExports {
		s.exports <- struct{}{}
	}
	resp := get(t, base+"/api/search/export?q=harbour")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("export with every slot taken: %d %v", resp.StatusCode, resp.Header)
	}
	for range MaxExports {
		<-s.exports
	}
}

// TestExportFromTheSearchPage: the search page links to the export of the
// same search (query and filters; a relevance sort becomes newest
// first); under --private a signed-in session follows the link on the
// page route, while the API route still takes no cookie.
func TestExportFromTheSearchPage(t *testing.T) {
	ts := newTestServer(t, withKeys(t, true))
	var docs []string
	for i := range 30 {
		docs = append(docs, fmt.Sprintf(`{"id":"p%02d","body":"The harbour story %d.","date":"2024-05-%02dT08:00:00Z","speakers":["Ann Lee"]}`, i, i, 1+i%28))
	}
	if r := call(t, ts, "POST", "/api/articles", "application/json", "["+strings.Join(docs, ",")+"]", testToken); r.Status/100 != 2 {
		t.Fatal(r.Raw)
	}
	jar := &cookieJar{}
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(ts.URL+"/login", url.Values{"token": {testToken}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = client.Get(ts.URL + "/?q=harbour&speaker=Ann+Lee&sort=relevance")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`href="(/export\?[^"]*format=csv[^"]*)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSV export link on the search page")
	}
	link := html.UnescapeString(string(m[1]))
	u, _ := url.Parse(link)
	if q := u.Query(); q.Get("q") != "harbour" || q.Get("speaker") != "Ann Lee" || q.Has("sort") || q.Has("cursor") {
		t.Fatalf("export link %s: want the query and filter, no relevance sort, no cursor", link)
	}
	resp, err = client.Get(ts.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(rows) != 31 {
		t.Fatalf("following the link signed in: %d, %d rows, %v", resp.StatusCode, len(rows), err)
	}
	resp, err = client.Get(ts.URL + "/api/search/export?q=harbour")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the API export with only the session cookie: %d, want 401", resp.StatusCode)
	}
}
