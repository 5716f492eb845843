package feeds

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/extract"
	"github.com/watchword/watchword/internal/testutil"
)

// webhook is a local alert receiver.
type webhook struct {
	*testutil.Receiver
	t *testing.T
}

func newWebhook(t *testing.T) (*webhook, *testutil.Receiver) {
	rc := testutil.NewReceiver(t, nil)
	return &webhook{rc, t}, rc
}

// counts is the number of deliveries and, per article id, how many of
// them carried it.
func (h *webhook) counts() (int, map[string]int) {
	got := h.Requests()
	per := map[string]int{}
	for _, m := range got {
		var p struct {
			Type string `json:"type"`
			Data struct {
				Matches []struct {
					ID string `json:"id"`
				} `json:"matches"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &p); err != nil || p.Type != alerts.EventMatched {
			h.t.Errorf("webhook got %q (%v)", m.Body, err)
		}
		for _, a := range p.Data.Matches {
			per[a.ID]++
		}
	}
	return len(got), per
}

func extractor(t *testing.T) engine.ExtractFunc {
	x, err := extract.New()
	if err != nil {
		t.Fatal(err)
	}
	return func(title, body string) engine.Extracted {
		r := x.Extract(title, body)
		return engine.Extracted{Speakers: r.Speakers, Countries: r.Countries, MainCountries: r.MainCountries, Topics: r.Topics}
	}
}

// TestFeedEntryFiresAlertOnce: an entry that matches an alert, found by
// entity extraction on the feed's text, is delivered to the alert's
// webhook exactly once: not again when the feed republishes and reorders
// it, nor when it is edited (the article is rewritten under the same id).
func TestFeedEntryFiresAlertOnce(t *testing.T) {
	e := newEnv(t, extractor(t), nil)
	ast, err := boltstore.New(context.Background(), e.eng.Store(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	al, err := alerts.New(alerts.Config{
		Store: ast, Engine: e.eng, Logger: quiet, Allow: loopback, MinInterval: time.Second,
		RetrySchedule: []time.Duration{0, 100 * time.Millisecond}, Timeout: 5 * time.Second, Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := al.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = al.Stop(ctx)
	})
	hook, hookSrv := newWebhook(t)
	name, q, url := "Peskov", "speaker:peskov", hookSrv.URL+"/hook"
	alert, err := al.Create(context.Background(), &alerts.Input{Name: &name, Query: &q, WebhookURL: &url, Schedule: strp("@daily")})
	if err != nil {
		t.Fatal(err)
	}

	o := newOrigin(t)
	match := rssItem{"https://wire.example/peskov", "Kremlin rejects proposal",
		"<p>Kremlin spokesman Dmitry Peskov said on Monday that the proposal was unacceptable.</p>", "Mon, 10 Mar 2025 08:00:00 GMT"}
	other := rssItem{"https://wire.example/harvest", "Harvest begins early", "<p>Farmers in the valley began the harvest two weeks early.</p>", "Mon, 10 Mar 2025 09:00:00 GMT"}
	o.serve("application/rss+xml", rss("Test Wire", match, other), "")
	feed := e.create(t, o.url("/rss"), nil)
	if r := e.poll(t, feed.ID); r.Added != 2 {
		t.Fatalf("poll 1: %+v", r)
	}
	if a, _ := e.eng.Article(context.Background(), idOf(match.guid)); a == nil || len(a.Speakers) == 0 {
		t.Fatalf("no speakers extracted from the feed entry: %+v", a)
	}

	run := func(want int) {
		t.Helper()
		res, err := al.RunNow(context.Background(), alert.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Matches != want {
			t.Fatalf("alert run: %d new matches, want %d", res.Matches, want)
		}
	}
	run(1)
	testutil.WaitFor(t, "the delivery", 10*time.Second, func() bool { n, _ := hook.counts(); return n == 1 })

	// Republished, reordered, with a new date: not ingested, not sent.
	m2 := match
	m2.date = "Tue, 11 Mar 2025 08:00:00 GMT"
	o.serve("application/rss+xml", rss("Test Wire", other, m2), "")
	if r := e.poll(t, feed.ID); r.Added != 0 || r.Updated != 0 || r.Unchanged != 2 {
		t.Fatalf("poll 2: %+v", r)
	}
	run(0)

	// Edited: the article is rewritten (new ingest sequence, same id); the
	// alert's sent-set keeps it from being sent again.
	m3 := m2
	m3.body = "<p>Kremlin spokesman Dmitry Peskov said on Monday that the proposal was unacceptable, and repeated it on Tuesday.</p>"
	o.serve("application/rss+xml", rss("Test Wire", other, m3), "")
	if r := e.poll(t, feed.ID); r.Updated != 1 || r.Added != 0 {
		t.Fatalf("poll 3: %+v", r)
	}
	run(0)

	time.Sleep(300 * time.Millisecond) // let a stray delivery arrive if there were one
	n, per := hook.counts()
	if n != 1 || per[idOf(match.guid)] != 1 || len(per) != 1 {
		t.Fatalf("webhook got %d deliveries carrying %v, want one carrying %s", n, per, idOf(match.guid))
	}
}
