package web

// The alert page's delivery history in a real browser: each delivery
// lists the articles it carried by title, linked to their pages, with
// its status, attempts and, for a retrying one, the next attempt time.

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

func TestUIBrowserAlertHistory(t *testing.T) {
	ts, svc, ingestOne := newAlertsUIServer(t, func(c *alerts.Config) {
		c.RetrySchedule = []time.Duration{0, time.Hour} // the second attempt an hour away: retrying
	})
	var fail atomic.Bool
	rcv := testutil.NewReceiver(t, func(r *http.Request, n int) int {
		if fail.Load() {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	ctx := context.Background()
	q, name, hook, sched := "zqxhistory", "History test", rcv.URL+"/hook", "@daily"
	v, err := svc.Create(ctx, &alerts.Input{Name: &name, Query: &q, WebhookURL: &hook, Schedule: &sched})
	if err != nil {
		t.Fatal(err)
	}
	ingestOne(&news.Article{ID: "h1", Title: "Harbour cranes & strikes", Body: "zqxhistory harbour cranes", Date: time.Now().UTC(), Source: "Wire"})
	ingestOne(&news.Article{ID: "h2", Title: "Second <story> of the day", Body: "zqxhistory second story", Date: time.Now().UTC(), Source: "Wire"})
	if _, err := svc.RunNow(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the first delivery", 10*time.Second, func() bool {
		ds, _ := svc.Deliveries(ctx, v.ID, 10)
		return len(ds) == 1 && ds[0].Status == alerts.StatusSucceeded
	})
	ingestOne(&news.Article{ID: "h3", Title: "Third title, retrying", Body: "zqxhistory third", Date: time.Now().UTC(), Source: "Wire"})
	fail.Store(true)
	if _, err := svc.RunNow(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "a retrying delivery", 10*time.Second, func() bool {
		ds, _ := svc.Deliveries(ctx, v.ID, 10)
		return len(ds) == 2 && ds[0].Status == alerts.StatusRetrying
	})

	b.viewport(1440)
	b.open("/alerts/" + v.ID)
	b.waitJS(`document.querySelectorAll("#deliveries-table tbody tr").length === 2`)
	rows := eval[[]string](b, `Array.from(document.querySelectorAll("#deliveries-table tbody tr")).map(tr => tr.textContent)`)
	if !strings.Contains(rows[0], "Third title, retrying") || !strings.Contains(rows[0], "retrying") || !strings.Contains(rows[0], "HTTP 503") {
		t.Errorf("newest row (retrying): %q", rows[0])
	}
	if !strings.Contains(rows[1], "Harbour cranes & strikes") || !strings.Contains(rows[1], "Second <story> of the day") || !strings.Contains(rows[1], "succeeded") {
		t.Errorf("older row: %q", rows[1])
	}
	// Titles, linked to the article pages, not counts.
	links := eval[[]string](b, `Array.from(document.querySelectorAll("#deliveries-table .sent-articles a")).map(a => a.getAttribute("href") + " " + a.textContent)`)
	want := map[string]bool{"/articles/h3 Third title, retrying": true, "/articles/h1 Harbour cranes & strikes": true, "/articles/h2 Second <story> of the day": true}
	for _, l := range links {
		delete(want, l)
	}
	if len(want) > 0 || len(links) != 3 {
		t.Errorf("article links %q; missing %v", links, want)
	}
	// The retrying delivery shows when it is tried next, an hour away.
	next := eval[string](b, `(document.querySelector("#deliveries-table tbody tr .next-attempt time") || {getAttribute: () => ""}).getAttribute("datetime")`)
	at, err := time.Parse(time.RFC3339Nano, next)
	if err != nil || at.Before(time.Now().Add(50*time.Minute)) {
		t.Errorf("next attempt %q (%v), want about an hour from now", next, err)
	}
	if attempts := eval[string](b, `document.querySelector("#deliveries-table tbody tr").children[3].textContent`); !strings.Contains(attempts, "1") {
		t.Errorf("attempts cell %q", attempts)
	}

	// A new feed link: the first write asks for the token; the link is
	// shown once and reads the feed without any other key.
	b.do(chromedp.Click(chromedp.CSS("#act-feed")))
	b.waitJS(`!document.querySelector("#token-form").hidden`)
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), testToken))
	b.do(chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	b.waitJS(`!document.querySelector("#feed-new").hidden && /feed\.atom\?key=/.test(document.querySelector("#feed-url").textContent)`)
	feedURL := eval[string](b, `document.querySelector("#feed-url").textContent`)
	res, err := http.Get(feedURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("GET %s: %d %s", feedURL, res.StatusCode, res.Header.Get("Content-Type"))
	}
	b.waitJS(`/feed link made/.test(document.querySelector("#d-feed-since").textContent)`)
	b.shoot("alert-history")
}
