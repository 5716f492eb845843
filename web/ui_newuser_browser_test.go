package web

// The UI as a new user met it (issue #13): the way back from an article
// to the same results, an alert from a search by filters only, the first
// page of an empty server, retrying a delivery now, and the schedule
// preview of a sub-minute interval. Each in a real browser, with
// screenshots in artifacts/screenshots/.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// sameParams fails the test unless two URLs carry the same path and
// query parameters (in any order).
func sameParams(t *testing.T, what, got, want string) {
	t.Helper()
	g, err1 := url.Parse(got)
	w, err2 := url.Parse(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: %v %v", what, err1, err2)
	}
	if g.Path != w.Path || !reflect.DeepEqual(g.Query(), w.Query()) {
		t.Errorf("%s: at %s, want %s", what, got, want)
	}
}

func TestUIBrowserBackToResults(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)

	// The second page of a dated, sorted search: the article and back.
	b.open("/?" + url.Values{"q": {"NOT zzyzx"}, "from": {"2025-01-01"}, "to": {"2026-12-31"}, "sort": {"oldest"}}.Encode())
	b.clickAndLoad("a.more")
	page2 := strings.Replace(b.location(), "&focus=results", "", 1) // the back link is the page, not where the focus was
	if !strings.Contains(page2, "cursor=") {
		t.Fatalf("More results went to %s", page2)
	}
	first := eval[string](b, `document.querySelector("li.hit h2 a").textContent`)
	b.clickAndLoad("li.hit h2 a")
	if !strings.Contains(b.location(), "/articles/") {
		t.Fatalf("hit link went to %s", b.location())
	}
	if txt := eval[string](b, `document.querySelector(".story .back a").textContent`); !strings.Contains(txt, "Back to results") {
		t.Errorf("back link reads %q", txt)
	}
	b.shoot("article-from-page2")
	b.clickAndLoad(".story .back a")
	sameParams(t, "back from page 2", b.location(), page2)
	if got := eval[string](b, `document.querySelector("li.hit h2 a").textContent`); got != first {
		t.Errorf("back on page 2 shows %q first, want %q", got, first)
	}
	if v := eval[string](b, `document.querySelector("#sort").value + " " + document.querySelector("#from").value + " " + document.querySelector("#to").value`); v != "oldest 2025-01-01 2026-12-31" {
		t.Errorf("sort and dates after back: %q", v)
	}

	// Filters, with and without a query.
	for _, start := range []string{
		"/?" + url.Values{"q": {"Peskov"}, "country": {"Ukraine"}, "sort": {"newest"}, "from": {"2025-01-01"}}.Encode(),
		"/?" + url.Values{"country": {"Russia"}}.Encode(),
	} {
		b.open(start)
		from := b.location()
		if hitCount(b) == 0 {
			t.Fatalf("%s: no hits", start)
		}
		b.clickAndLoad("li.hit h2 a")
		if txt := eval[string](b, `document.querySelector(".story .back a").textContent`); !strings.Contains(txt, "Back to results") {
			t.Errorf("%s: back link reads %q", start, txt)
		}
		b.clickAndLoad(".story .back a")
		sameParams(t, "back from "+start, b.location(), from)
		if n := eval[int](b, `document.querySelectorAll(".active .chip.removable").length`); n == 0 {
			t.Errorf("%s: the filters are gone after back", start)
		}
	}

	// Opened without a search (a link from elsewhere): "Search".
	b.open("/articles/" + url.PathEscape(eval[string](b, `decodeURIComponent(document.querySelector("li.hit h2 a").pathname.split("/")[2])`)))
	if txt := eval[string](b, `document.querySelector(".story .back a").textContent`); !strings.Contains(txt, "Search") || eval[string](b, `document.querySelector(".story .back a").getAttribute("href")`) != "/" {
		t.Errorf("back link without a search: %q", txt)
	}
}

// newEmptyUIServer serves the UI over an index with no article.
func newEmptyUIServer(t *testing.T) *httptest.Server {
	t.Helper()
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	s, err := New(Config{Engine: eng, Token: testToken, Logger: quiet, MaxBody: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func TestUIBrowserEmptyIndex(t *testing.T) {
	ts := newEmptyUIServer(t)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	for _, path := range []string{"/", "/?q=ukraine", "/?country=Russia"} {
		b.open(path)
		txt := eval[string](b, `document.querySelector("main").innerText`)
		for _, want := range []string{"No articles yet", "watchword ingest --server " + ts.URL, "curl -X POST " + ts.URL + "/api/articles", "Add an RSS, Atom or JSON Feed URL"} {
			if !strings.Contains(txt, want) {
				t.Errorf("%s on an empty server lacks %q", path, want)
			}
		}
		if strings.Contains(txt, "Try fewer words") || strings.Contains(txt, "0 results") {
			t.Errorf("%s on an empty server still says %q", path, txt)
		}
	}
	b.open("/")
	b.shoot("search-fresh-install")
	b.clickAndLoad(`.onboard a[href="/feeds"]`)
	if !strings.HasSuffix(b.location(), "/feeds") {
		t.Errorf("feeds link went to %s", b.location())
	}

	// One article later it is an ordinary search: no match is "no match".
	if r := call(t, ts, "POST", "/api/articles", "application/json", `{"body":"Grain prices rose in Kyiv."}`, testToken); r.Status != 200 {
		t.Fatalf("ingest: %d %s", r.Status, r.Raw)
	}
	b.open("/?q=zzyzx")
	if txt := eval[string](b, `document.querySelector("main").innerText`); strings.Contains(txt, "No articles yet") || !strings.Contains(txt, "No articles match") {
		t.Errorf("no match on a non-empty server: %q", txt)
	}
}

func TestUIBrowserFilterOnlyAlert(t *testing.T) {
	ts, svc, _ := newAlertsUIServer(t, nil)
	rcv := newReceiver(t)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)

	b.open("/?country=Russia")
	b.clickAndLoad("a.alert-link")
	if v := eval[string](b, `document.querySelector("#a-query").value`); v != "" {
		t.Errorf("query %q, want empty", v)
	}
	if v := eval[string](b, `document.querySelector("#a-name").value`); v != "country: Russia" {
		t.Errorf("proposed name %q", v)
	}
	b.waitJS(`/Matches \d+ archive articles? now \(no query/.test(document.querySelector("#query-live").textContent)`)
	b.do(chromedp.SetValue(chromedp.CSS("#a-webhook"), rcv.URL+"/hook"))
	b.shoot("alert-new-filters-only")

	// Without the filter there is neither query nor filter: said at once,
	// and the form is not sent.
	eval[bool](b, `(() => { const c = document.querySelector("#a-filters input"); c.checked = false; c.dispatchEvent(new Event("change")); return true; })()`)
	b.waitJS(`/a query or a filter/.test(document.querySelector("#query-live").textContent)`)
	b.do(chromedp.Click(chromedp.CSS("#a-submit")))
	b.waitJS(`!document.querySelector("#form-error").hidden`)
	if msg := eval[string](b, `document.querySelector("#form-error").textContent`); !strings.Contains(msg, "a query or a filter") {
		t.Errorf("form error %q", msg)
	}
	if !eval[bool](b, `document.querySelector("#token-form").hidden`) {
		t.Error("the form asked for the token for a request it should not send")
	}

	// With the filter it is created.
	eval[bool](b, `(() => { const c = document.querySelector("#a-filters input"); c.checked = true; c.dispatchEvent(new Event("change")); return true; })()`)
	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", testToken)+`), true`)
	b.do(chromedp.Click(chromedp.CSS("#a-submit")))
	b.waitJS(`!document.querySelector("#created").hidden`)
	views, err := svc.Views(context.Background())
	if err != nil || len(views) != 1 {
		t.Fatalf("alerts: %v %v", views, err)
	}
	if v := views[0]; v.Query != "" || !reflect.DeepEqual(v.Filters, index.Filters{Countries: []string{"Russia"}}) {
		t.Errorf("created %+v", v)
	}
	b.clickAndLoad("#created-link")
	b.waitJS(`!document.querySelector("#detail").hidden`)
	if q := eval[string](b, `document.querySelector("#d-query").textContent`); !strings.Contains(q, "every article that passes the filters") {
		t.Errorf("alert page query %q", q)
	}
	b.shoot("alert-filters-only")
}

func TestUIBrowserRetryNow(t *testing.T) {
	ts, svc, ingestOne := newAlertsUIServer(t, func(c *alerts.Config) { c.RetrySchedule = []time.Duration{0, time.Hour} })
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(rcv.Close)
	v, err := svc.Create(context.Background(), &alerts.Input{Name: ptr("retry"), Query: ptr("Peskov"), WebhookURL: ptr(rcv.URL + "/hook")})
	if err != nil {
		t.Fatal(err)
	}
	ingestOne(&news.Article{Title: "Peskov on grain", Body: "Dmitry Peskov spoke about grain.", Date: time.Now().UTC()})
	if _, err := svc.RunNow(context.Background(), v.ID); err != nil {
		t.Fatal(err)
	}
	var d *alerts.Delivery
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, err := svc.Deliveries(context.Background(), v.ID, 10)
		if err == nil && len(ds) == 1 && ds[0].Status == alerts.StatusRetrying {
			d = ds[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retrying delivery: %v %v", ds, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/")
	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", testToken)+`), true`) // alerts are read with a key
	b.open("/alerts/" + url.PathEscape(v.ID))
	b.waitJS(`document.querySelector("#deliveries-table tbody tr")`)
	row := eval[string](b, `document.querySelector("#deliveries-table tbody tr").innerText`)
	if !strings.Contains(row, "retrying") || !strings.Contains(row, "HTTP 503") {
		t.Errorf("delivery row %q", row)
	}
	// The next attempt, about an hour away, is shown, with seconds.
	if at := eval[string](b, `document.querySelector("#deliveries-table .next-attempt time").getAttribute("datetime")`); at != d.NextAttemptAt.Format(time.RFC3339Nano) {
		t.Errorf("next attempt shown for %q, want %s", at, d.NextAttemptAt.Format(time.RFC3339Nano))
	}
	if txt := eval[string](b, `document.querySelector("#deliveries-table .next-attempt").textContent`); !regexp.MustCompile(`\d:\d\d:\d\d`).MatchString(txt) {
		t.Errorf("next attempt reads %q", txt)
	}
	if btns := eval[string](b, `Array.from(document.querySelectorAll("#deliveries-table tbody button")).map(b => b.textContent).join(",")`); btns != "Retry now" {
		t.Errorf("buttons of a retrying delivery: %q", btns)
	}
	b.shoot("alert-retrying")

	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", testToken)+`), true`)
	b.do(chromedp.Click(chromedp.CSS("#deliveries-table tbody button")))
	b.waitJS(`/Retrying now/.test(document.querySelector("#act-status").textContent)`)
	deadline = time.Now().Add(10 * time.Second)
	for hits.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("receiver got %d requests, want 2 (the retry now)", n)
	}
	for i := 0; i < 100 && !eval[bool](b, `/succeeded/.test(document.querySelector("#deliveries-table tbody").textContent)`); i++ {
		b.do(chromedp.Click(chromedp.CSS("#refresh")))
		time.Sleep(100 * time.Millisecond)
	}
	row = eval[string](b, `document.querySelector("#deliveries-table tbody tr").innerText`)
	if !strings.Contains(row, "succeeded") || eval[string](b, `document.querySelector("#deliveries-table tbody button").textContent`) != "Redeliver" {
		t.Errorf("after retry now: %q", row)
	}
	b.shoot("alert-retried")
}

func TestUIBrowserScheduleSeconds(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/alerts/new?q=Kremlin")
	runs := func(spec string) []string {
		b.do(chromedp.SetValue(chromedp.CSS("#a-tz"), "UTC"))
		b.do(chromedp.SetValue(chromedp.CSS("#a-schedule"), spec))
		eval[bool](b, `document.querySelector("#a-schedule").dispatchEvent(new Event("input")), true`)
		return eval[[]string](b, `Array.from(document.querySelectorAll("#schedule-live li")).map(li => li.textContent)`)
	}
	secs := regexp.MustCompile(`\d:\d\d:\d\d`)
	for _, spec := range []string{"@every 15s", "@every 90s"} {
		got := runs(spec)
		if len(got) != 3 || got[0] == got[1] || got[1] == got[2] || got[0] == got[2] {
			t.Errorf("%s: runs %q, want three different times", spec, got)
		}
		for _, r := range got {
			if !secs.MatchString(r) {
				t.Errorf("%s: run %q has no seconds", spec, r)
			}
		}
	}
	b.shoot("alert-new-every-15s")
	// Whole minutes stay as they were, without seconds.
	for _, r := range runs("@every 15m") {
		if secs.MatchString(r) {
			t.Errorf("@every 15m: run %q shows seconds", r)
		}
	}
}

func ptr[T any](v T) *T { return &v }
