package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestUIBrowserAlertMainCountry: an alert made from a search filtered by
// main country keeps that filter (the form's script knows the kind).
func TestUIBrowserAlertMainCountry(t *testing.T) {
	ts, svc, _ := newAlertsUIServer(t, nil)
	rcv := newReceiver(t)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/alerts/new?q=" + url.QueryEscape("uranium") + "&main_country=Niger")
	b.do(chromedp.SetValue(chromedp.CSS("#a-name"), "Niger uranium"))
	b.do(chromedp.SetValue(chromedp.CSS("#a-webhook"), rcv.URL+"/hook"))
	b.do(chromedp.Click(chromedp.CSS("#a-submit")))
	b.waitJS(`!document.querySelector("#token-form").hidden`)
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), testToken))
	b.do(chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	b.waitJS(`!document.querySelector("#created").hidden`)
	views, err := svc.Views(context.Background())
	if err != nil || len(views) != 1 {
		t.Fatalf("alerts after create: %v %v", views, err)
	}
	if f := views[0].Filters; strings.Join(f.MainCountries, ",") != "Niger" || len(f.Countries) != 0 {
		t.Errorf("filters %+v, want main_country Niger only", f)
	}
}
