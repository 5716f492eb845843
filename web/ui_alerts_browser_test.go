package web

// The alert pages end to end in a real browser against the real alerts
// API: create an alert from a search (the first write asks for the token),
// send a test webhook, ingest a matching article, run it, see the delivery
// in the UI log and at a local receiver, redeliver, pause (the scheduled
// path then skips it), edit and delete.

import (
	"context"
	"github.com/watchword/watchword/internal/keys"
	keysbolt "github.com/watchword/watchword/internal/keys/boltstore"
	"github.com/watchword/watchword/internal/saved"
	savedbolt "github.com/watchword/watchword/internal/saved/boltstore"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// receiver is a local webhook target that records what it gets.
type receiver struct{ *testutil.Receiver }

func newReceiver(t *testing.T) *receiver { return &receiver{testutil.NewReceiver(t, nil)} }

// got is the bodies received so far.
func (r *receiver) got() []string {
	var out []string
	for _, m := range r.Requests() {
		out = append(out, string(m.Body))
	}
	return out
}

// newAlertsUIServer serves the UI and the alerts API (web.Config.Alerts)
// over the demo corpus, with loopback webhooks allowed and quick retries;
// mutate, when set, changes the alerts' configuration.
func newAlertsUIServer(t *testing.T, mutate func(*alerts.Config)) (*httptest.Server, *alerts.Service, func(*news.Article)) {
	t.Helper()
	eng := newDemoEngine(t)
	cfg := alerts.Config{Store: alertStore(t, eng),
		Engine: eng, Logger: quiet,
		Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		RetrySchedule: []time.Duration{0, 100 * time.Millisecond},
		Timeout:       5 * time.Second,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := alerts.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
	})
	ks, err := keysbolt.New(context.Background(), eng.Store())
	if err != nil {
		t.Fatal(err)
	}
	ss, err := savedbolt.New(context.Background(), eng.Store())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Alerts: svc, Token: testToken, Keys: keys.New(ks, testToken, nil), Saved: saved.New(ss, nil, 0), Logger: quiet, MaxBody: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	ingestOne := func(a *news.Article) {
		if _, rej, err := eng.Ingest(context.Background(), []*news.Article{a}); err != nil || len(rej) > 0 {
			t.Fatalf("ingest: %v %v", err, rej)
		}
	}
	return ts, svc, ingestOne
}

func TestUIBrowserAlertFlow(t *testing.T) {
	ts, svc, ingestOne := newAlertsUIServer(t, nil)
	rcv := newReceiver(t)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)

	// From a search to the prefilled form; the first write asks for the
	// token, a wrong one is refused with a clear message.
	b.open("/?q=" + url.QueryEscape("Peskov AND Ukraine"))
	b.clickAndLoad("a.alert-link")
	b.do(chromedp.SetValue(chromedp.CSS("#a-name"), "Kremlin on Ukraine"))
	b.do(chromedp.SetValue(chromedp.CSS("#a-webhook"), rcv.URL+"/hook"))
	b.do(chromedp.Click(chromedp.CSS("#a-submit")))
	b.waitJS(`!document.querySelector("#token-form").hidden`)
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), "wrong-token"))
	b.do(chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	b.waitJS(`!document.querySelector("#token-form").hidden && /not accepted/.test(document.querySelector("#token-msg").textContent)`)
	b.shoot("alert-token")
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), testToken))
	b.do(chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	b.waitJS(`!document.querySelector("#created").hidden`)
	secret := eval[string](b, `document.querySelector("#secret").textContent`)
	if !strings.HasPrefix(secret, "whsec_") && len(secret) < 16 {
		t.Errorf("secret shown: %q", secret)
	}
	b.shoot("alert-created")
	views, err := svc.Views(context.Background())
	if err != nil || len(views) != 1 {
		t.Fatalf("alerts after create: %v %v", views, err)
	}
	id := views[0].ID
	if views[0].Query != "Peskov AND Ukraine" || views[0].WebhookURL != rcv.URL+"/hook" {
		t.Errorf("created %+v", views[0])
	}

	// The list.
	b.open("/alerts")
	b.waitJS(`document.querySelector("#alerts-table tbody tr")`)
	if txt := eval[string](b, `document.querySelector("#alerts-table tbody").textContent`); !strings.Contains(txt, "Kremlin on Ukraine") || !strings.Contains(txt, "Peskov AND Ukraine") {
		t.Errorf("list: %q", txt)
	}
	b.shoot("alerts")

	// The detail page: a test webhook reaches the receiver.
	b.clickAndLoad("#alerts-table tbody a")
	b.waitJS(`!document.querySelector("#detail").hidden`)
	b.do(chromedp.Click(chromedp.CSS("#act-test")))
	b.waitJS(`/Test webhook/.test(document.querySelector("#act-status").textContent)`)
	if msg := eval[string](b, `document.querySelector("#act-status").textContent`); !strings.Contains(msg, "HTTP 200") {
		t.Errorf("test webhook: %q", msg)
	}
	if n := len(rcv.got()); n != 1 {
		t.Errorf("receiver got %d requests after the test event", n)
	}

	// A matching article arrives; Run now delivers it; the log shows it.
	ingestOne(&news.Article{Title: "Peskov says Ukraine talks stall", Body: "Kremlin spokesman Dmitry Peskov said on Monday that talks with Ukraine had stalled.", Date: time.Now().UTC(), Source: "Test Wire"})
	b.do(chromedp.Click(chromedp.CSS("#act-run")))
	b.waitJS(`/Ran now/.test(document.querySelector("#act-status").textContent)`)
	if msg := eval[string](b, `document.querySelector("#act-status").textContent`); !strings.Contains(msg, "1 new match") {
		t.Errorf("run now: %q", msg)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(rcv.got()) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := rcv.got()
	if len(got) < 2 || !strings.Contains(got[1], "Peskov says Ukraine talks stall") {
		t.Fatalf("receiver: %q", got)
	}
	for i := 0; i < 100; i++ {
		b.do(chromedp.Click(chromedp.CSS("#refresh")))
		time.Sleep(100 * time.Millisecond)
		if eval[bool](b, `/succeeded/.test(document.querySelector("#deliveries-table tbody").textContent)`) {
			break
		}
	}
	if txt := eval[string](b, `document.querySelector("#deliveries-table tbody").textContent`); !strings.Contains(txt, "succeeded") {
		t.Errorf("deliveries log: %q", txt)
	}
	b.shoot("alert")

	// Redeliver sends the same delivery again.
	b.do(chromedp.Click(chromedp.CSS("#deliveries-table tbody button")))
	b.waitJS(`/Redeliver/.test(document.querySelector("#act-status").textContent)`)
	if msg := eval[string](b, `document.querySelector("#act-status").textContent`); !strings.Contains(msg, "queued") {
		t.Errorf("redeliver: %q", msg)
	}
	deadline = time.Now().Add(15 * time.Second)
	for len(rcv.got()) < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(rcv.got()); n != 3 {
		t.Fatalf("receiver has %d requests after redeliver, want 3", n)
	}

	// Pause: the scheduled path skips the alert.
	b.do(chromedp.Click(chromedp.CSS("#act-toggle")))
	b.waitJS(`/Paused/.test(document.querySelector("#act-status").textContent)`)
	if v, err := svc.Get(context.Background(), id); err != nil || v.Enabled {
		t.Errorf("after pause: %+v %v", v, err)
	}
	ingestOne(&news.Article{Title: "Peskov rejects Ukraine proposal", Body: "Dmitry Peskov rejected the Ukraine proposal.", Date: time.Now().UTC()})
	if _, err := svc.RunAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rcv.got()); n != 3 {
		t.Errorf("a paused alert delivered: receiver has %d requests", n)
	}
	if txt := eval[string](b, `document.querySelector("#act-toggle").textContent`); txt != "Resume" {
		t.Errorf("toggle says %q after pause", txt)
	}

	// Edit with live validation, then delete with confirmation.
	b.do(chromedp.Click(chromedp.CSS("#act-edit")))
	b.do(chromedp.SetValue(chromedp.CSS("#a-name"), "Kremlin on Ukraine (edited)"))
	b.do(chromedp.Click(chromedp.CSS("#a-submit")))
	b.waitJS(`/Saved/.test(document.querySelector("#act-status").textContent)`)
	if v, _ := svc.Get(context.Background(), id); v.Name != "Kremlin on Ukraine (edited)" {
		t.Errorf("edited name %q", v.Name)
	}
	eval[bool](b, `window.confirm = () => true, true`)

	// Rotate: the new secret once, and until when the old one signs.
	b.do(chromedp.Click(chromedp.CSS("#act-rotate")))
	b.waitJS(`!document.querySelector("#rotated").hidden`)
	if s := eval[string](b, `document.querySelector("#secret").textContent`); !strings.HasPrefix(s, "whsec_") {
		t.Errorf("rotated secret shown: %q", s)
	}
	if g := eval[string](b, `document.querySelector("#rotated-grace").textContent`); !strings.Contains(g, "keeps signing beside it until") {
		t.Errorf("rotation grace: %q", g)
	}
	if v, _ := svc.Get(context.Background(), id); len(v.PreviousSecrets) != 1 || time.Until(v.PreviousSecrets[0].ExpiresAt) < 23*time.Hour {
		t.Errorf("after rotating in the UI: previous secrets %+v", v.PreviousSecrets)
	}
	b.shoot("alert-rotated")

	b.clickAndLoad("#act-delete")
	if _, err := svc.Get(context.Background(), id); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("alert still there after delete")
	}
	if !strings.HasSuffix(b.location(), "/alerts") {
		t.Errorf("after delete: %s", b.location())
	}
}
