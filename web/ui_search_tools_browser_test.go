package web

// The search page's tools in a real browser: the time picker, previous
// and next pages, the facet filter boxes and "show more", the
// histogram's brush (pointer and keyboard), and saving a search and
// reopening it.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

func TestUIBrowserSearchTools(t *testing.T) {
	ts, eng := newUITestServer(t, nil)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/")
	b.shoot("search-tools")

	// The time picker: a relative range is a link; it stays relative in
	// the URL and is named in the filter chips.
	b.clickAndLoad(`ul.date-choices a[href*="now-30d"]`)
	if loc := b.location(); !strings.Contains(loc, "from=now-30d") {
		t.Fatalf("after Last 30 days: %s", loc)
	}
	if !eval[bool](b, `/last 30 days/.test(document.querySelector(".active").textContent) && document.querySelector("ul.date-choices a.on").textContent === "Last 30 days"`) {
		t.Error("the last 30 days are not shown as the current range")
	}
	// A custom date replaces the relative range.
	b.do(chromedp.SetValue(chromedp.CSS("#from"), "2025-01-01"))
	eval[bool](b, `document.querySelector("#from").dispatchEvent(new Event("change")), true`)
	b.clickAndLoad("form.search button.apply")
	if loc, _ := url.Parse(b.location()); loc.Query().Get("from") != "2025-01-01" || len(loc.Query()["from"]) != 1 {
		t.Fatalf("custom from after a relative range: %s", loc)
	}
	b.clickAndLoad(`ul.date-choices a`) // Any time
	if loc := b.location(); strings.Contains(loc, "from=") {
		t.Fatalf("after Any time: %s", loc)
	}

	// Pages: "1–20 of N", next, previous.
	n, err := eng.DocCount(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	heading := func() string { return eval[string](b, `document.querySelector("#results-heading").textContent`) }
	if want := fmt.Sprintf("1–20 of %d results", n); !strings.HasPrefix(heading(), want) {
		t.Errorf("first page heading %q, want %q", heading(), want)
	}
	b.clickAndLoad("nav.paging a.more")
	if want := fmt.Sprintf("21–40 of %d results", n); !strings.HasPrefix(heading(), want) {
		t.Errorf("second page heading %q, want %q", heading(), want)
	}
	if eval[string](b, `document.activeElement.id`) != "results-heading" {
		t.Errorf("the focus after Next is on %s, want the results heading", eval[string](b, activeJS))
	}
	b.shoot("search-page-2")
	b.clickAndLoad("nav.paging a.prev")
	if want := fmt.Sprintf("1–20 of %d results", n); !strings.HasPrefix(heading(), want) {
		t.Errorf("back on the first page, heading %q", heading())
	}

	// The facet filter narrows the values as you type; Enter asks the
	// server, which looks through every value.
	b.do(chromedp.Click(chromedp.CSS("#fq-country")))
	b.key("ukr")
	b.waitJS(`Array.from(document.querySelectorAll("#fv-country li")).filter(li => !li.hidden).length >= 1`)
	if !eval[bool](b, `Array.from(document.querySelectorAll("#fv-country li")).filter(li => !li.hidden).every(li => /ukr/i.test(li.textContent))`) {
		t.Error("the country filter shows values without ukr")
	}
	b.key("zzz")
	b.waitJS(`!document.querySelector("#fv-country").parentNode.querySelector(".facet-none").hidden`)
	b.key(kb.Backspace + kb.Backspace + kb.Backspace)
	b.key(kb.Enter)
	b.waitJS(`/fq\.country=ukr/.test(location.href)`)
	if eval[string](b, `document.activeElement.id`) != "fq-country" {
		t.Errorf("the focus after filtering is on %s, want the filter box", eval[string](b, activeJS))
	}
	b.open("/")
	b.clickAndLoad(`a.facet-more[href*="more=country"]`)
	if got := eval[int](b, `document.querySelectorAll("#fv-country li").length`); got <= uiFacetSize {
		t.Errorf("Show more Countries shows %d", got)
	}
	if !eval[bool](b, `document.activeElement.classList.contains("facet-more")`) {
		t.Errorf("the focus after Show more is on %s", eval[string](b, activeJS))
	}

	// The brush: drag from the first bar to the third zooms to their
	// dates; so do Shift+Right twice and Enter from the first bar.
	b.open("/")
	bars := eval[int](b, `document.querySelectorAll("figure.hist a[data-from]").length`)
	if bars < 3 {
		t.Fatalf("the histogram has %d bars with links; the test needs 3", bars)
	}
	from := eval[string](b, `document.querySelectorAll("figure.hist a[data-from]")[0].getAttribute("data-from")`)
	to := eval[string](b, `document.querySelectorAll("figure.hist a[data-from]")[2].getAttribute("data-to")`)
	center := func(i int) (float64, float64) {
		xy := eval[[]float64](b, fmt.Sprintf(`(() => { const r = document.querySelectorAll("figure.hist a[data-from] rect.hit-area")[%d].getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2]; })()`, i))
		return xy[0], xy[1]
	}
	x0, y0 := center(0)
	x2, y2 := center(2)
	b.do(chromedp.MouseEvent(chromedp.MousePressed, x0, y0, chromedp.ButtonLeft))
	b.do(chromedp.MouseEvent(chromedp.MouseMoved, (x0+x2)/2, y0, chromedp.ButtonLeft))
	b.do(chromedp.MouseEvent(chromedp.MouseMoved, x2, y2, chromedp.ButtonLeft))
	b.do(chromedp.MouseEvent(chromedp.MouseReleased, x2, y2, chromedp.ButtonLeft))
	b.waitJS(`/from=/.test(location.href)`)
	if loc, _ := url.Parse(b.location()); loc.Query().Get("from") != from || loc.Query().Get("to") != to {
		t.Errorf("after the drag: %s, want from %s to %s", loc, from, to)
	}
	b.open("/")
	eval[bool](b, `document.querySelector("figure.hist a[data-from]").focus(), true`)
	for range 2 {
		b.do(chromedp.KeyEvent(kb.ArrowRight, chromedp.KeyModifiers(chromedp.ModifierShift)))
	}
	if !eval[bool](b, `document.querySelectorAll("figure.hist a.brushed").length === 3`) {
		t.Error("Shift+Right twice does not mark three bars")
	}
	b.key(kb.Enter)
	b.waitJS(`/from=/.test(location.href)`)
	if loc, _ := url.Parse(b.location()); loc.Query().Get("from") != from || loc.Query().Get("to") != to {
		t.Errorf("after the keyboard brush: %s, want from %s to %s", loc, from, to)
	}
}

// TestUIBrowserSavedSearches: save a search from the search page (the
// first save asks for a key), find it in the list, reopen it, and turn
// it into an alert.
func TestUIBrowserSavedSearches(t *testing.T) {
	ts, _ := newUITestServer(t, func(cfg *Config) {
		withKeys(t, false)(cfg)
		withSaved(t, 0)(cfg)
	})
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/?q=Peskov&country=Russia&from=now-30d")
	b.clickAndLoad("a.save-link")
	b.waitJS(`document.querySelector("#save-form")`)
	if got := eval[string](b, `document.querySelector("#s-name").value`); got != "Peskov, country: Russia, date: last 30 days" {
		t.Errorf("proposed name %q", got)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#s-name"), "Peskov in Russia"))
	b.do(chromedp.Click(chromedp.CSS("#s-submit")))
	// No key yet: the page asks for one, then saves.
	b.waitJS(`!document.querySelector("#token-form").hidden`)
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), testToken))
	b.do(chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	b.waitJS(`document.querySelector("#saved-table tbody tr") && /Peskov in Russia/.test(document.querySelector("#saved-table").textContent)`)
	b.shoot("saved-searches")
	b.clickAndLoad("#saved-table tbody td a")
	loc, _ := url.Parse(b.location())
	if q := loc.Query(); q.Get("q") != "Peskov" || q.Get("country") != "Russia" || q.Get("from") != "now-30d" {
		t.Errorf("reopened: %s", loc)
	}
	b.open("/saved")
	b.waitJS(`document.querySelector("#saved-table tbody tr")`)
	b.clickAndLoad(`#saved-table a[href^="/alerts/new"]`)
	b.waitJS(`document.querySelector("#a-query")`)
	if got := eval[string](b, `document.querySelector("#a-query").value`); got != "Peskov" {
		t.Errorf("the alert form's query %q", got)
	}
	if !eval[bool](b, `!!document.querySelector('#a-filters input[data-kind="country"][value="Russia"]')`) {
		t.Error("the alert form lacks the country filter")
	}
}

// TestUIBrowserSaveAsksForTheTokenOnce: the saved-searches page's list
// and a save are both refused for want of a key before the key is given
// (here the list's refusal is held back until the save's has been shown,
// an order a loaded machine produced): giving the key runs both, so the
// search is saved. One retry slot kept only the last refused call, the
// list, and the save was lost.
func TestUIBrowserSaveAsksForTheTokenOnce(t *testing.T) {
	cfg := Config{Token: testToken, Logger: quiet, MaxBody: 4 << 20}
	cfg.Engine = newDemoEngine(t)
	withKeys(t, false)(&cfg)
	withSaved(t, 0)(&cfg)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	releaseList := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(releaseList) }) }
	t.Cleanup(release)
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && r.Method == http.MethodGet && r.URL.Path == "/api/saved-searches" {
			<-releaseList // the list's refusal is held until the test lets it go
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/saved?q=Peskov&country=Russia")
	b.waitJS(`document.querySelector("#save-form")`)
	b.do(chromedp.SetValue(chromedp.CSS("#s-name"), "Peskov in Russia"))
	b.do(chromedp.Click(chromedp.CSS("#s-submit")))
	// The save's refusal asked for the key (the list's is held back), then
	// the list's comes in, before the key is given.
	b.waitJS(`!document.querySelector("#token-form").hidden`)
	release()
	b.waitJS(`/Enter an API key to see your saved searches/.test(document.getElementById("status").textContent)`)
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), testToken))
	b.do(chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	b.waitJS(`document.querySelector("#saved-table tbody tr") && /Peskov in Russia/.test(document.querySelector("#saved-table").textContent)`)
}
