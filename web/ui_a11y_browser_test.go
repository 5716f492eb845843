package web

// Browser tests of the UI on phones and keyboards (#20): layout shift at
// phone size, focus and keyboard use, and axe-core on every page.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/watchword/watchword/alerts"
)

// slowScripts delays every script by d, as a phone's network does: the
// page is then painted before any script runs, so a script that moves
// content after the first paint shows up as layout shift.
func slowScripts(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".js") {
			time.Sleep(d) // the simulated network, not a wait on a condition
		}
		h.ServeHTTP(w, r)
	})
}

// evalAwait evaluates js and waits for the promise it returns.
func evalAwait[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// layoutShift loads path in a fresh tab at 390×844 and returns the summed
// layout-shift score (CLS without the session windows: an upper bound).
func layoutShift(b *browser, path, ready string) float64 {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate("about:blank"))
	b.open(path)
	b.waitJS(ready) // the pages the API fills in: once filled
	// Two frames after load, so a shift caused by the last script counts.
	evalAwait[bool](b, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
	return evalAwait[float64](b, `new Promise(r => {
		let sum = 0;
		new PerformanceObserver(l => {
			for (const e of l.getEntries()) if (!e.hadRecentInput) sum += e.value;
		}).observe({type: "layout-shift", buffered: true});
		setTimeout(() => r(sum), 100);
	})`)
}

// TestUIBrowserNoLayoutShift: at phone size the Refine panel is folded
// before the first paint, so nothing moves after it (issue #20: CLS was
// 0.53 because app.js folded it after the paint).
func TestUIBrowserNoLayoutShift(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	slow := httptest.NewServer(slowScripts(ts.Config.Handler, 400*time.Millisecond))
	t.Cleanup(slow.Close)
	b := &browser{t: t, ctx: newBrowser(t), base: slow.URL}
	// Every load is a first visit: a cached app.js would run before the
	// first paint and hide a shift.
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return err
	}))
	for _, p := range []string{"/", "/?q=Kremlin&country=Russia"} {
		if cls := layoutShift(b, p, "true"); cls > 0.05 {
			t.Errorf("%s: layout shift %.3f at 390×844, want ≤ 0.05", p, cls)
		} else {
			t.Logf("%s: layout shift %.3f", p, cls)
		}
		if eval[bool](b, `document.querySelector(".facets").checkVisibility()`) {
			t.Errorf("%s: the Refine panel is open at 390 px", p)
		}
		// One tap opens it.
		b.do(chromedp.Click(chromedp.CSS("details.refine > summary")))
		b.waitJS(`document.querySelector(".facets").checkVisibility()`)
	}
	// On a wide screen the facets are a sidebar, always shown.
	b.do(chromedp.EmulateViewport(1440, 900))
	b.open("/?q=Kremlin")
	if !eval[bool](b, `document.querySelector(".facets").checkVisibility() && getComputedStyle(document.querySelector("details.refine > summary")).display === "none"`) {
		t.Error("the facets are not a sidebar at 1440 px")
	}
}

// TestUIBrowserLayoutShiftAllPages measures the layout shift of the other
// pages at 390×844 with slow scripts, the alert and feed pages once the
// API has filled them in.
func TestUIBrowserLayoutShiftAllPages(t *testing.T) {
	ts, svc, _ := newAlertsUIServer(t, nil)
	rcv := newReceiver(t)
	v, err := svc.Create(context.Background(), &alerts.Input{Name: ptr("Kremlin"), Query: ptr("Kremlin"), WebhookURL: ptr(rcv.URL + "/hook")})
	if err != nil {
		t.Fatal(err)
	}
	slow := httptest.NewServer(slowScripts(ts.Config.Handler, 400*time.Millisecond))
	t.Cleanup(slow.Close)
	b := &browser{t: t, ctx: newBrowser(t), base: slow.URL}
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return err
	}))
	b.open("/")
	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", testToken)+`), true`)
	article := eval[string](b, `document.querySelector("li.hit h2 a").getAttribute("href")`)
	for _, p := range []struct{ path, ready string }{
		{"/?q=" + url.QueryEscape("Peskov AND (Ukraine"), `true`},
		{"/?q=zzyzx", `true`},
		{article, `true`},
		{"/articles/no-such-id", `true`},
		{"/alerts", `document.querySelector("#alerts-table tbody tr")`},
		{"/alerts/new?q=Kremlin", `/Matches/.test(document.querySelector("#query-live").textContent)`},
		{"/alerts/" + v.ID, `!document.querySelector("#detail").hidden && !document.querySelector("#deliveries").hidden`},
		{"/feeds", `!/Loading/.test(document.querySelector("#status").textContent)`},
	} {
		if cls := layoutShift(b, p.path, p.ready); cls > 0.05 {
			t.Errorf("%s: layout shift %.3f at 390×844, want ≤ 0.05", p.path, cls)
		} else {
			t.Logf("%s: layout shift %.3f", p.path, cls)
		}
	}
}

// key presses keys (kb constants or text) in the focused element.
func (b *browser) key(keys string) {
	b.t.Helper()
	b.do(chromedp.KeyEvent(keys))
}

// slash presses "/" as one keyDown with its text, as a keyboard does:
// chromedp's KeyEvent sends the text apart, which a prevented keydown
// does not stop.
func (b *browser) slash() {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
			p := input.DispatchKeyEventParams{Type: typ, Key: "/", Code: "Slash", WindowsVirtualKeyCode: 191, NativeVirtualKeyCode: 191}
			if typ == input.DispatchKeyEventTypeKeyDown {
				p.Text, p.UnmodifiedText = "/", "/"
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	}))
}

// activeJS describes the focused element for messages.
const activeJS = `(() => { const e = document.activeElement; if (!e) return "nothing"; return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && e.className.baseVal === undefined ? "." + e.className : "") + " " + JSON.stringify((e.textContent || e.value || "").trim().slice(0, 40)); })()`

// tabUntil presses Tab until the focused element matches the CSS
// selector, at most max times, and returns how many it took.
func (b *browser) tabUntil(sel string, max int) int {
	b.t.Helper()
	for n := 1; n <= max; n++ {
		b.key(kb.Tab)
		if eval[bool](b, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
			return n
		}
	}
	b.t.Fatalf("%s not reached in %d Tabs; focus is on %s at %s", sel, max, eval[string](b, activeJS), b.location())
	return 0
}

// keyAndLoad presses a key that loads a new page and waits for it.
func (b *browser) keyAndLoad(keys string) {
	b.t.Helper()
	before := b.location()
	b.key(keys)
	b.waitJS(fmt.Sprintf(`location.href !== %q`, before))
}

// focusIs fails the test unless the focused element matches sel.
func (b *browser) focusIs(what, sel string) {
	b.t.Helper()
	b.waitJS(`document.readyState === "complete"`)
	if !eval[bool](b, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
		b.t.Errorf("%s: focus is on %s, want %s", what, eval[string](b, activeJS), sel)
	}
}

// TestUIBrowserKeyboardSearch walks the search pages with the keyboard
// alone: search, the skip links (first result ≤ 5 Tabs from the query
// box, More results ≤ 25), a facet, sort, page 2, an article and back,
// with the focus coming back to the control used after each reload.
func TestUIBrowserKeyboardSearch(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/")
	// The first result: Tabs to "Skip to results", Enter, one Tab.
	b.slash() // app.js: "/" focuses the query box
	b.focusIs("the / key", "#q")
	n := b.tabUntil(`.skips a[href="#results"]`, 5)
	b.key(kb.Enter)
	n += b.tabUntil(`li.hit h2 a`, 1)
	t.Logf("first result: %d Tabs from the query box (and one Enter)", n)
	if n > 5 {
		t.Errorf("first result takes %d Tabs, want ≤ 5", n)
	}
	// More results: "Skip to pages", Enter, one Tab.
	b.slash()
	n = b.tabUntil(`.skips a[href="#pages"]`, 25)
	b.key(kb.Enter)
	n += b.tabUntil(`a.more`, 1)
	t.Logf("More results: %d Tabs from the query box (and one Enter)", n)
	if n > 25 {
		t.Errorf("More results takes %d Tabs, want ≤ 25", n)
	}

	// Page 2: the focus is on the results heading, the next Tabs reach the
	// first result (past "Create alert", the two export links and "First page").
	b.keyAndLoad(kb.Enter)
	if !strings.Contains(b.location(), "cursor=") {
		t.Fatalf("More results went to %s", b.location())
	}
	page2 := b.location()
	b.focusIs("page 2", `#results-heading`)
	b.tabUntil(`li.hit h2 a`, 5)

	// The article and back to the results, by keyboard.
	b.keyAndLoad(kb.Enter)
	if !strings.Contains(b.location(), "/articles/") {
		t.Fatalf("Enter on a result went to %s", b.location())
	}
	b.tabUntil(`.back a`, 8)
	b.keyAndLoad(kb.Enter)
	sameParams(t, "back to the results", b.location(), strings.Replace(page2, "&focus=results", "", 1))

	// A search.
	b.slash()
	b.key("Kremlin")
	b.keyAndLoad(kb.Enter)
	b.waitJS(`document.querySelector("li.hit")`)
	if !strings.Contains(b.location(), "q=Kremlin") {
		t.Fatalf("search went to %s", b.location())
	}

	// Empty histogram months are no tab stops.
	if s := eval[string](b, `Array.from(document.querySelectorAll(".hist a")).map(a => a.getAttribute("aria-label")).filter(l => / 0 matches$/.test(l)).join(", ")`); s != "" {
		t.Errorf("empty months are tab stops: %s", s)
	}
	if eval[int](b, `document.querySelectorAll(".hist rect.bar").length`) <= eval[int](b, `document.querySelectorAll(".hist a").length`) {
		t.Log("no empty month in this histogram")
	}

	// A facet, by keyboard: Enter on it reloads with the filter and the
	// focus on the same value, now ticked; Enter again removes it.
	b.slash()
	b.tabUntil(`#facet-country ~ ul a.fv`, 60)
	name := eval[string](b, `document.activeElement.querySelector(".name").textContent`)
	b.keyAndLoad(kb.Enter)
	if !strings.Contains(b.location(), "country=") {
		t.Fatalf("facet went to %s", b.location())
	}
	b.focusIs("after ticking "+name, `a.fv.on`)
	if got := eval[string](b, `document.activeElement.querySelector(".name").textContent`); got != name {
		t.Errorf("focus on facet %q after ticking %q", got, name)
	}
	b.keyAndLoad(kb.Enter)
	if strings.Contains(b.location(), "country=") {
		t.Errorf("Enter on a ticked facet kept it: %s", b.location())
	}
	b.focusIs("after unticking "+name, `a.fv:not(.on)`)

	// Sort: ArrowDown changes the value without a reload (the focus stays
	// and the next Tab reaches Apply); Apply reloads with the focus on the
	// sort again.
	b.slash()
	b.tabUntil(`#sort`, 20) // the four date choices, then the date fields, three stops each
	before := b.location()
	b.key(kb.ArrowDown)
	b.tabUntil(`button.apply`, 1)
	if b.location() != before {
		t.Errorf("ArrowDown on the sort reloaded the page: %s", b.location())
	}
	b.keyAndLoad(kb.Enter)
	if !strings.Contains(b.location(), "sort=") {
		t.Errorf("Apply went to %s", b.location())
	}
	b.focusIs("after Apply", `#sort`)
}

// focusProblemsJS focuses every tab stop of the page as a keyboard would
// and lists those whose focus indicator is missing, thinner than 2 px or
// below 3:1 against the background around it (WCAG 1.4.11, 2.4.7).
const focusProblemsJS = `(() => {
	const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
	const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
	const bgOf = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return getComputedStyle(e).backgroundColor; } return getComputedStyle(document.documentElement).backgroundColor; };
	const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + JSON.stringify((e.getAttribute("aria-label") || e.textContent || e.value || "").trim().slice(0, 30));
	const bad = [];
	const els = Array.from(document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]")).filter(e => e.tabIndex >= 0 && !e.disabled && e.checkVisibility());
	for (const e of els) {
		e.focus({focusVisible: true});
		if (document.activeElement !== e) continue;
		const s = getComputedStyle(e);
		if (s.outlineStyle === "none" || parseFloat(s.outlineWidth) < 2) { bad.push(name(e) + ": no focus outline"); continue; }
		const a = lum(s.outlineColor), b = lum(bgOf(e.parentElement || e));
		const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < 3) bad.push(name(e) + ": focus outline " + ratio.toFixed(2) + ":1");
	}
	if (document.activeElement) document.activeElement.blur();
	return bad.length + " of " + els.length + (bad.length ? ": " + bad.slice(0, 8).join("; ") : "");
})()`

// checkFocusVisible fails the test for every tab stop of the current
// page without a visible focus.
func (b *browser) checkFocusVisible(what string) {
	b.t.Helper()
	res := eval[string](b, focusProblemsJS)
	if !strings.HasPrefix(res, "0 of ") {
		b.t.Errorf("%s: tab stops without a visible focus: %s", what, res)
	}
}

// TestUIBrowserKeyboardAlerts creates, pauses and edits an alert with the
// keyboard alone: a missing field is marked aria-invalid, announced
// (role=alert) and focused; Cancel and Save give the focus back to Edit.
func TestUIBrowserKeyboardAlerts(t *testing.T) {
	ts, svc, _ := newAlertsUIServer(t, nil)
	rcv := newReceiver(t)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/alerts/new?q=Kremlin")
	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", testToken)+`), true`)
	b.open("/alerts/new?q=Kremlin")

	// Name, then Enter: the webhook URL is missing.
	b.tabUntil(`#a-name`, 15)
	b.key("Kremlin watch")
	b.key(kb.Enter)
	b.waitJS(`!document.querySelector("#form-error").hidden`)
	if !eval[bool](b, `document.querySelector("#form-error").getAttribute("role") === "alert"`) {
		t.Error("the form error is not announced (role=alert)")
	}
	if got := eval[string](b, `Array.from(document.querySelectorAll("#alert-form [aria-invalid=true]")).map(e => e.id).join(",")`); got != "a-webhook" {
		t.Errorf("aria-invalid fields %q, want a-webhook", got)
	}
	b.focusIs("after the missing webhook", `#a-webhook`)
	b.key(rcv.URL + "/hook")
	b.key(kb.Enter)
	b.waitJS(`!document.querySelector("#created").hidden`)
	if n := eval[int](b, `document.querySelectorAll("#alert-form [aria-invalid=true]").length`); n != 0 {
		t.Errorf("%d fields still aria-invalid after a good submit", n)
	}
	views, err := svc.Views(context.Background())
	if err != nil || len(views) != 1 {
		t.Fatalf("alerts after create: %v %v", views, err)
	}
	id := views[0].ID

	// Pause.
	b.open("/alerts/" + id)
	b.waitJS(`!document.querySelector("#detail").hidden`)
	b.tabUntil(`#act-toggle`, 20)
	b.key(kb.Enter)
	b.waitJS(`/Resume/.test(document.querySelector("#act-toggle").textContent)`)
	if v, _ := svc.Views(context.Background()); len(v) != 1 || v[0].Enabled {
		t.Errorf("after Pause: %+v", v)
	}

	// Edit, Cancel: the focus is back on Edit; Edit, Save: again.
	b.tabUntil(`#act-edit`, 6)
	b.key(kb.Enter)
	b.waitJS(`!document.querySelector("#alert-form").hidden`)
	b.focusIs("after Edit", `#a-name`)
	b.tabUntil(`#a-cancel`, 40)
	b.key(kb.Enter)
	b.waitJS(`document.querySelector("#alert-form").hidden`)
	b.focusIs("after Cancel", `#act-edit`)
	b.key(kb.Enter)
	b.waitJS(`!document.querySelector("#alert-form").hidden`)
	b.key(" again")
	b.key(kb.Enter)
	b.waitJS(`document.querySelector("#alert-form").hidden && /Saved/.test(document.querySelector("#act-status").textContent)`)
	b.focusIs("after Save", `#act-edit`)
	if v, _ := svc.Views(context.Background()); len(v) != 1 || v[0].Name != "Kremlin watch again" {
		t.Errorf("after Save: %+v", v)
	}
}

// axeSource is axe-core's axe.min.js, from $AXE_CORE_JS or, by default,
// where .ci/run installs it (npm install --prefix ~/.cache/watchword-ci
// axe-core@4). Without it the axe test skips, except under CI=1, where a
// missing file fails it: CI must never pass by not checking.
func axeSource(t *testing.T) string {
	t.Helper()
	p := os.Getenv("AXE_CORE_JS")
	if p == "" {
		home, _ := os.UserHomeDir()
		p = filepath.Join(home, ".cache", "watchword-ci", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is needed in CI (CI=%s): %v; .ci/run installs it", os.Getenv("CI"), err)
		}
		t.Skipf("axe-core not found (set AXE_CORE_JS, or npm install --prefix ~/.cache/watchword-ci axe-core@4): %v", err)
	}
	return string(b)
}

// axeViolations injects axe-core into the page and returns its
// violations, one line each with the first few elements.
func (b *browser) axeViolations(src string) []string {
	b.t.Helper()
	if !eval[bool](b, `typeof axe !== "undefined"`) {
		eval[bool](b, src+"\n;true")
	}
	return evalAwait[[]string](b, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v =>
		v.id + " (" + v.impact + "): " + v.help + " — " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")))`)
}

// TestUIBrowserAxe runs axe-core on every page in light and dark, and
// checks that every tab stop shows a focus ring of at least 3:1; any
// violation fails.
func TestUIBrowserAxe(t *testing.T) {
	src := axeSource(t)
	ts, svc, _ := newAlertsUIServer(t, nil)
	rcv := newReceiver(t)
	v, err := svc.Create(context.Background(), &alerts.Input{Name: ptr("Kremlin"), Query: ptr("Kremlin"), WebhookURL: ptr(rcv.URL + "/hook")})
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := newUITestServer(t, func(c *Config) { c.Private = true })
	empty := newEmptyUIServer(t)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	// A headless tab has no focus of its own: without this, nothing
	// matches :focus-visible.
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	b.open("/")
	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", testToken)+`), true`)
	article := eval[string](b, `document.querySelector("li.hit h2 a").getAttribute("href")`)
	pages := []struct{ base, path, ready string }{
		{ts.URL, "/", `document.querySelector("li.hit")`},
		{ts.URL, "/?q=Kremlin&country=Russia&focus=facet%3Acountry%3ARussia", `document.querySelector("li.hit")`},
		{ts.URL, "/?q=" + url.QueryEscape("Peskov AND (Ukraine"), `document.querySelector(".qerror")`},
		{ts.URL, "/?q=zzyzx", `document.querySelector(".empty")`},
		{ts.URL, article, `document.querySelector(".story")`},
		{ts.URL, "/articles/no-such-id", `document.querySelector("h1")`},
		{ts.URL, "/alerts", `document.querySelector("#alerts-table tbody tr")`},
		{ts.URL, "/alerts/new?q=Kremlin", `/Matches/.test(document.querySelector("#query-live").textContent)`},
		{ts.URL, "/alerts/" + v.ID, `!document.querySelector("#detail").hidden`},
		{ts.URL, "/feeds", `document.querySelector("#status") && !/Loading/.test(document.querySelector("#status").textContent)`},
		{ts.URL, "/?from=now-100y&more=country&fq.topic=e", `document.querySelector("li.hit") && document.querySelector("#dates")`},
		{ts.URL, "/saved?q=Kremlin&from=now-7d", `document.querySelector("#save-form") && !/Loading/.test(document.querySelector("#status").textContent)`},
		{priv.URL, "/", `document.querySelector("form[action='/login']")`},
		{empty.URL, "/", `document.querySelector(".onboard")`},
	}
	for _, scheme := range []string{"light", "dark"} {
		b.colorScheme(scheme)
		for _, w := range []int64{1440, 390} {
			b.viewport(w)
			for _, p := range pages {
				b.do(chromedp.Navigate(p.base + p.path))
				b.waitJS(p.ready)
				what := fmt.Sprintf("%s (%s, %d px)", p.path, scheme, w)
				if p.base == priv.URL {
					what = "login " + what
				} else if p.base == empty.URL {
					what = "empty index " + what
				}
				for _, v := range b.axeViolations(src) {
					t.Errorf("axe on %s: %s", what, v)
				}
				b.checkFocusVisible(what)
			}
		}
	}
}

// TestUIBrowserFeedFormErrors: the feed form marks the field an error is
// about aria-invalid, announces it and focuses it, for a missing URL and
// for the API's refusal of a schedule.
func TestUIBrowserFeedFormErrors(t *testing.T) {
	ts, _ := newFeedsUIServer(t)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/feeds")
	eval[bool](b, `sessionStorage.setItem("watchword.token", `+fmt.Sprintf("%q", testToken)+`), true`)
	b.open("/feeds")
	b.tabUntil(`#f-url`, 20)
	b.key(kb.Enter)
	b.waitJS(`!document.querySelector("#form-error").hidden`)
	b.focusIs("missing URL", `#f-url[aria-invalid=true]`)
	b.key("http://127.0.0.1:1/feed.xml")
	b.tabUntil(`#f-schedule`, 1)
	b.key(kb.End + " nonsense")
	b.key(kb.Enter)
	b.waitJS(`/Not added/.test(document.querySelector("#form-error").textContent)`)
	b.focusIs("refused schedule", `#f-schedule[aria-invalid=true]`)
	if n := eval[int](b, `document.querySelectorAll("#feed-form [aria-invalid=true]").length`); n != 1 {
		t.Errorf("%d fields aria-invalid, want 1 (the schedule)", n)
	}
}
