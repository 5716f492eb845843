package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/watchword/watchword/alerts"
)

// TestUIBrowserRedactedEditKeepsURL: a tab with a read key sees the
// webhook URL without its query string and no Edit (its scope does not
// allow it); with a key that may write, editing the alert's name keeps
// the stored URL whole.
func TestUIBrowserRedactedEditKeepsURL(t *testing.T) {
	ts, svc, _ := newAlertsUIServer(t, nil)
	rcv := newReceiver(t)
	hook := rcv.URL + "/hook?secret=KEEPME"
	name, query := "Kremlin", "Peskov"
	v, err := svc.Create(context.Background(), &alerts.Input{Name: &name, Query: &query, WebhookURL: &hook})
	if err != nil {
		t.Fatal(err)
	}
	_, read := createKey(t, ts, testToken, "reader", "read")
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.open("/")
	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", read)+`), true`)
	b.open("/alerts/" + v.ID)
	b.waitJS(`!document.querySelector("#detail").hidden && document.body.getAttribute("data-scope") === "read"`)
	shown := eval[string](b, `document.querySelector("#d-webhook").textContent`)
	if strings.Contains(shown, "KEEPME") || !strings.Contains(shown, rcv.URL+"/hook") || !strings.Contains(shown, "hidden") {
		t.Errorf("webhook shown to a read key: %q", shown)
	}
	if eval[bool](b, `document.querySelector("#act-edit").getClientRects().length > 0 || document.querySelector("#act-delete").getClientRects().length > 0`) {
		t.Error("a read key's page shows Edit or Delete")
	}
	b.shoot("alert-read-key")
	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", testToken)+`), true`)
	b.open("/alerts/" + v.ID)
	b.waitJS(`!document.querySelector("#detail").hidden`)
	b.do(chromedp.Click(chromedp.CSS("#act-edit")))
	b.do(chromedp.SetValue(chromedp.CSS("#a-name"), "Kremlin (edited)"))
	b.do(chromedp.Click(chromedp.CSS("#a-submit")))
	b.waitJS(`/Saved/.test(document.querySelector("#act-status").textContent)`)
	got, err := svc.Get(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Kremlin (edited)" || got.WebhookURL != hook {
		t.Errorf("after the edit: name %q webhook %q, want the URL kept as %q", got.Name, got.WebhookURL, hook)
	}
}
