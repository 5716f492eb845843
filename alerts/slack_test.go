package alerts

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// A slack alert posts {"text","blocks"} with mrkdwn links and Slack's
// escaping, signed like every webhook (the hook verifies the signature
// with the Standard Webhooks reference library).
func TestSlackFormat(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PublicURL = testPublicURL })
	h := newHook(t)
	a := e.create(t, h, "ukraine", func(in *Input) {
		in.Name = strp("Kyiv <desk> & co")
		in.WebhookFormat = strp(FormatSlack)
	})
	if a.WebhookFormat != FormatSlack {
		t.Fatalf("webhook_format %q", a.WebhookFormat)
	}
	e.ingest(t, mailArticles()...)
	e.ingest(t, &news.Article{ID: "m3", Title: "Pipe | and > in a title", Body: "Ukraine news.", URL: "https://news.example/p|q>r", Source: "wire"})
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the slack message", 5*time.Second, func() bool { return h.count() == 1 })
	h.mu.Lock()
	raw := h.raw[0]
	h.mu.Unlock()
	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		t.Fatalf("not the slack shape: %v\n%s", err, raw)
	}
	if msg.Text != `Watchword alert "Kyiv &lt;desk&gt; &amp; co": 3 new articles` {
		t.Errorf("text %q", msg.Text)
	}
	if len(msg.Blocks) != 4 {
		t.Fatalf("%d blocks; want a head and one per match:\n%s", len(msg.Blocks), raw)
	}
	for _, b := range msg.Blocks {
		if b.Type != "section" || b.Text == nil || b.Text.Type != "mrkdwn" {
			t.Fatalf("block %+v", b)
		}
	}
	if want := "<" + testPublicURL + "/alerts/" + a.ID + "|Kyiv &lt;desk&gt; &amp; co>: 3 new articles"; msg.Blocks[0].Text.Text != want {
		t.Errorf("head %q, want %q", msg.Blocks[0].Text.Text, want)
	}
	all := string(raw)
	for _, want := range []string{
		"*<https://news.example/a?x=1&amp;y=2|Ukraine &lt;script&gt;alert(1)&lt;/script&gt; &amp; talks>*\nwire · 2 Mar 2026 09:30 UTC\nTalks on Ukraine resumed in Geneva.\n_Speakers: Dmitry Peskov · Countries: Ukraine, Russia_",
		"*Grain deal*",
		"*<https://news.example/p%7Cq%3Er|Pipe | and &gt; in a title>*",
	} {
		if !strings.Contains(all, strings.ReplaceAll(strings.ReplaceAll(want, "\n", `\n`), `"`, `\"`)) {
			t.Errorf("body lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(all, "<mark>") || strings.Contains(all, "<script>") {
		t.Errorf("unescaped markup:\n%s", raw)
	}
	if h.badSig != 0 {
		t.Error("bad signature")
	}
}

// A Slack URL that answers 404 is retried on the schedule and then
// failed, in the delivery log; the matches stay on the delivery.
func TestSlack404IsRetriedThenFailed(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	h.respond = func(int, http.ResponseWriter) int { return http.StatusNotFound }
	a := e.create(t, h, "ukraine", func(in *Input) { in.WebhookFormat = strp(FormatSlack) })
	e.ingest(t, mailArticles()...)
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	d := e.waitDeliveries(t, a.ID, 1)[0]
	if d.Status != StatusFailed || d.Attempts != 3 || d.LastStatusCode != 404 || len(d.ArticleIDs) != 2 {
		t.Fatalf("delivery %+v; want failed after 3 attempts with 404", d)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n != 3 {
		t.Fatalf("%d requests; want 3", h.n)
	}
}
