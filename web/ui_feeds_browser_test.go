package web

// The feeds page end to end in a real browser against the real feeds API:
// add a feed served by a local server (the first write asks for the
// token), see its entries counted and searchable, poll again, see a
// failing feed's status, pause it, and delete it with confirmation.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/news"
)

// newFeedsUIServer serves the UI and the feeds API over the demo corpus,
// with loopback feeds allowed.
func newFeedsUIServer(t *testing.T) (*httptest.Server, *feeds.Service) {
	t.Helper()
	var svc *feeds.Service
	ts, _ := newUITestServer(t, func(cfg *Config) {
		var err error
		svc, err = feeds.New(feeds.Config{
			Engine: cfg.Engine, Store: feedStore(t, cfg.Engine), Logger: quiet, Version: "test", Timeout: 5 * time.Second, MinInterval: time.Minute,
			Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = svc.Stop(ctx)
		})
		cfg.Feeds = svc
	})
	return ts, svc
}

func TestUIFeedsShell(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	p := getPage(t, nil, ts.URL+"/feeds")
	if p.Status != 200 || !strings.Contains(p.Body, `data-page="feeds"`) || !strings.Contains(p.Body, `<a href="/feeds" aria-current="page">Feeds</a>`) ||
		!regexp.MustCompile(`<script src="/static/api\.js\?v=\w+" defer></script>\s*<script src="/static/feeds\.js\?v=\w+" defer>`).MatchString(p.Body) {
		t.Errorf("/feeds: %d %s", p.Status, p.Body)
	}
	if p := getPage(t, nil, ts.URL+"/"); !strings.Contains(p.Body, `<a href="/feeds">Feeds</a>`) || strings.Contains(p.Body, "feeds.js") {
		t.Errorf("the search page's nav lacks Feeds, or loads the feeds script")
	}
}

func TestUIBrowserFeedFlow(t *testing.T) {
	ts, svc := newFeedsUIServer(t)
	var failing atomic.Bool
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title><link>https://gazette.example/</link>
<item><guid>https://gazette.example/ferry</guid><title>Ferry timetable changes</title><description>&lt;p&gt;The harbour authority said the winter ferry timetable starts on Monday.&lt;/p&gt;</description><pubDate>Mon, 10 Mar 2025 08:00:00 GMT</pubDate></item>
<item><guid>https://gazette.example/pier</guid><title>Pier repairs finished</title><description>&lt;p&gt;Repairs to the north pier finished ahead of schedule.&lt;/p&gt;</description><pubDate>Tue, 11 Mar 2025 08:00:00 GMT</pubDate></item>
<item><guid>https://gazette.example/gulls</guid><title>Gull census</title><description>&lt;p&gt;Volunteers counted the gulls on the breakwater.&lt;/p&gt;</description><pubDate>Wed, 12 Mar 2025 08:00:00 GMT</pubDate></item>
</channel></rss>`))
	}))
	defer origin.Close()
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)

	b.open("/feeds")
	b.waitJS(`/No feeds yet/.test(document.querySelector("#status").textContent)`)
	b.shoot("feeds-empty")

	// Add: the first write asks for the token, then the feed is created
	// and polled at once.
	feedURL := origin.URL + "/gazette.xml?session=abc123&edition=weekly-harbour-and-coast"
	b.do(chromedp.SetValue(chromedp.CSS("#f-url"), feedURL))
	b.do(chromedp.Click(chromedp.CSS("#f-submit")))
	b.waitJS(`!document.querySelector("#token-form").hidden`)
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), testToken))
	b.do(chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	b.waitJS(`/3 new articles/.test(document.querySelector("#act-status").textContent)`)
	b.waitJS(`/3 articles/.test(document.querySelector("#feeds-table tbody").textContent)`)
	row := eval[string](b, `document.querySelector("#feeds-table tbody tr").textContent`)
	for _, want := range []string{"Harbour Gazette", feedURL, "@every 1h", "ok", "3 articles"} {
		if !strings.Contains(row, want) {
			t.Errorf("feed row lacks %q: %q", want, row)
		}
	}
	vs, err := svc.Views(context.Background())
	if err != nil || len(vs) != 1 || vs[0].ItemsIngested != 3 || vs[0].Source != "Harbour Gazette" {
		t.Fatalf("feeds after add: %+v %v", vs, err)
	}
	b.shoot("feeds")

	// Poll now: nothing new.
	b.do(chromedp.Click(chromedp.CSS("#feeds-table button.poll")))
	b.waitJS(`/0 new articles/.test(document.querySelector("#act-status").textContent)`)

	// The count links to the feed's articles in the search.
	b.clickAndLoad(`#feeds-table tbody a[href^="/?"]`)
	if n := hitCount(b); n != 3 {
		t.Errorf("the feed's articles: %d hits, want 3", n)
	}
	if loc := b.location(); !strings.Contains(loc, "source=Harbour+Gazette") {
		t.Errorf("articles link went to %s", loc)
	}

	// A failing feed shows its error and failure count.
	failing.Store(true)
	b.open("/feeds")
	b.waitJS(`document.querySelector("#feeds-table tbody tr")`)
	b.do(chromedp.Click(chromedp.CSS("#feeds-table button.poll")))
	b.waitJS(`/the poll failed: HTTP 503/.test(document.querySelector("#act-status").textContent)`)
	b.do(chromedp.Click(chromedp.CSS("#feeds-table button.poll")))
	b.waitJS(`/failing ×2/.test(document.querySelector("#feeds-table tbody").textContent)`)
	if txt := eval[string](b, `document.querySelector("#feeds-table tbody").textContent`); !strings.Contains(txt, "HTTP 503 Service Unavailable") || !strings.Contains(txt, "backing off") {
		t.Errorf("failing feed row: %q", txt)
	}
	b.shoot("feeds-failing")

	// Pause, then delete with confirmation: the articles stay.
	b.do(chromedp.Click(chromedp.CSS("#feeds-table button.toggle")))
	b.waitJS(`/paused/.test(document.querySelector("#act-status").textContent) && document.querySelector("#feeds-table button.toggle").textContent === "Resume"`)
	if v, _ := svc.Get(context.Background(), vs[0].ID); v.Enabled {
		t.Error("pause did not pause")
	}
	eval[bool](b, `window.confirm = () => true, true`)
	b.do(chromedp.Click(chromedp.CSS("#feeds-table button.delete")))
	b.waitJS(`/No feeds yet/.test(document.querySelector("#status").textContent)`)
	if _, err := svc.Get(context.Background(), vs[0].ID); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("feed still there after delete: %v", err)
	}
	b.open("/?source=" + "Harbour+Gazette")
	if n := hitCount(b); n != 3 {
		t.Errorf("after deleting the feed: %d of its articles, want 3", n)
	}
}
