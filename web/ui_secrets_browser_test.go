package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/watchword/watchword/alerts"
)

// TestUIBrowserRedactedEditKeepsURL: a tab without the token sees the
// webhook URL without its query string; editing the alert's name there
// (the save asks for the token) keeps the stored URL whole instead of
// saving the redacted one back.
func TestUIBrowserRedactedEditKeepsURL(t *testing.T) {
	ts, svc, _ := newAlertsUIServer(t, nil)
	rcv := newReceiver(t)
	hook := rcv.URL + "/hook?secret=KEEPME"
	name, query := "Kremlin", "Peskov"
	v, err := svc.Create(context.Background(), &alerts.Input{Name: &name, Query: &query, WebhookURL: &hook})
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.open("/alerts/" + v.ID)
	b.waitJS(`!document.querySelector("#detail").hidden`)
	shown := eval[string](b, `document.querySelector("#d-webhook").textContent`)
	if strings.Contains(shown, "KEEPME") || !strings.Contains(shown, rcv.URL+"/hook") || !strings.Contains(shown, "hidden") {
		t.Errorf("webhook shown without the token: %q", shown)
	}
	b.do(chromedp.Click(chromedp.CSS("#act-edit")))
	b.do(chromedp.SetValue(chromedp.CSS("#a-name"), "Kremlin (edited)"))
	b.do(chromedp.Click(chromedp.CSS("#a-submit")))
	b.waitJS(`!document.querySelector("#token-form").hidden`)
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), testToken))
	b.do(chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	b.waitJS(`/Saved/.test(document.querySelector("#act-status").textContent)`)
	got, err := svc.Get(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Kremlin (edited)" || got.WebhookURL != hook {
		t.Errorf("after the edit: name %q webhook %q, want the URL kept as %q", got.Name, got.WebhookURL, hook)
	}
}
