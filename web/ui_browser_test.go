package web

// End-to-end tests of the UI in a real, headless Chromium. They are
// skipped, with a message, only when /usr/bin/chromium is absent; CI
// installs it (.ci/run). Screenshots of every page at 375 and 1440 px go
// to artifacts/screenshots/ (git-ignored) for a human to look at.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// screenshotDir is where the browser tests save screenshots.
var screenshotDir = filepath.Join("..", "artifacts", "screenshots")

// newBrowser starts a headless Chromium for the test and returns a tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser tests need Chromium at %s (apt-get install -y chromium): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	// Start the browser now, without a deadline (a deadline on the first
	// Run would bound the browser's whole life).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	// Script errors and CSP violations fail the test. (Network entries
	// are left out: the pages answer 400 and 401 on purpose.)
	var mu sync.Mutex
	var problems []string
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	messages := chromedp.Console(lctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && m.Source != "network" {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return ctx
}

// browser wraps a tab with helpers that fail the test.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true; it survives page
// loads (the condition is evaluated again in the new document).
func (b *browser) waitJS(js string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+js+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("timed out waiting for %s (last error: %v); page is %s", js, last, b.location())
}

func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
	b.waitJS(`document.body`)
}

// clickAndLoad clicks a link or button that loads a new page and waits for
// it.
func (b *browser) clickAndLoad(sel string) {
	b.t.Helper()
	before := b.location()
	b.do(chromedp.Click(chromedp.CSS(sel)))
	b.waitJS(fmt.Sprintf(`location.href !== %q`, before))
}

func (b *browser) viewport(w int64) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(w, 900))
}

// noHorizontalScroll checks the page fits its viewport width.
func (b *browser) noHorizontalScroll(what string) {
	b.t.Helper()
	if over := eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		wide := eval[string](b, `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 5).map(e => e.tagName + "." + e.className).join(", ")`)
		b.t.Errorf("%s at %d px scrolls sideways by %d px (too wide: %s)", what, eval[int](b, `window.innerWidth`), over, wide)
	}
}

// shoot saves a full-page PNG at both widths, checking for sideways
// scrolling at each.
func (b *browser) shoot(name string) {
	b.t.Helper()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	for _, w := range []int64{375, 1440} {
		b.viewport(w)
		time.Sleep(100 * time.Millisecond) // let layout settle
		b.noHorizontalScroll(name)
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.viewport(1440)
}

// colorScheme emulates prefers-color-scheme ("" resets).
func (b *browser) colorScheme(scheme string) {
	b.t.Helper()
	p := emulation.SetEmulatedMediaParams{}
	if scheme != "" {
		p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, p)
		return err
	}))
}

func hitCount(b *browser) int { return eval[int](b, `document.querySelectorAll("li.hit").length`) }

func TestUIBrowserSearch(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)

	// Type a query and submit the form.
	b.open("/")
	b.shoot("browse")
	b.do(chromedp.SetValue(chromedp.CSS("#q"), "Peskov AND Ukraine"))
	before := b.location()
	b.do(chromedp.Submit(chromedp.CSS("#q")))
	b.waitJS(fmt.Sprintf(`location.href !== %q && document.querySelector("li.hit")`, before))
	if loc := b.location(); !strings.HasSuffix(loc, "/?q=Peskov+AND+Ukraine") {
		t.Errorf("URL after search: %s", loc)
	}
	if n := eval[int](b, `document.querySelectorAll(".snippet mark").length`); n == 0 {
		t.Error("no <mark> highlights in the snippets")
	}
	firstTotal := eval[string](b, `document.querySelector("#results-heading").textContent`)
	firstHits := hitCount(b)
	firstURL := b.location()
	b.shoot("search")
	b.colorScheme("dark")
	if bg := eval[string](b, `getComputedStyle(document.body).backgroundColor`); bg == "rgb(251, 251, 249)" {
		t.Errorf("dark mode keeps the light background %s", bg)
	}
	b.shoot("search-dark")
	b.colorScheme("")

	// Click a country facet whose count is below the total: results narrow
	// and the URL carries the filter.
	href := eval[string](b, `(() => {
		const total = document.querySelectorAll("li.hit").length;
		for (const a of document.querySelectorAll("#facet-country ~ ul a.fv")) {
			const n = +a.querySelector(".count").textContent;
			if (n < total) { a.id = "pick"; return a.getAttribute("href"); }
		}
		return "";
	})()`)
	if href == "" {
		t.Fatal("no country facet narrows the results")
	}
	b.clickAndLoad("#pick")
	if loc := b.location(); !strings.Contains(loc, "country=") {
		t.Errorf("URL after facet click: %s", loc)
	}
	if n := hitCount(b); n == 0 || n >= firstHits {
		t.Errorf("facet click: %d hits, before %d", n, firstHits)
	}
	if n := eval[int](b, `document.querySelectorAll(".active .chip.removable").length`); n != 1 {
		t.Errorf("%d active filter chips, want 1", n)
	}
	if !eval[bool](b, `document.querySelector("#facet-country ~ ul a.fv.on") !== null`) {
		t.Error("the chosen facet is not shown as checked")
	}
	b.shoot("search-filtered")

	// The back button restores the previous results.
	// (history.back rather than chromedp.NavigateBack, which waits for a
	// load event that a page restored from the back/forward cache never
	// fires.)
	eval[bool](b, `setTimeout(() => history.back(), 0), true`)
	b.waitJS(fmt.Sprintf(`location.href === %q`, firstURL))
	if got := eval[string](b, `document.querySelector("#results-heading").textContent`); got != firstTotal || hitCount(b) != firstHits {
		t.Errorf("after back: %q %d hits, want %q %d", got, hitCount(b), firstTotal, firstHits)
	}

	// Removing the filter chip is one click.
	b.open("/?q=Peskov&country=Ukraine")
	b.clickAndLoad(".active .chip.removable")
	if loc := b.location(); strings.Contains(loc, "country=") {
		t.Errorf("chip did not remove the filter: %s", loc)
	}

	// The syntax help opens with one click.
	b.do(chromedp.Click(chromedp.CSS("details.help summary")))
	b.waitJS(`document.querySelector("details.help").open`)
	b.shoot("search-help")

	// A syntax error is shown inline, with the query and its position.
	b.open("/")
	b.do(chromedp.SetValue(chromedp.CSS("#q"), "Peskov AND (Ukraine"))
	before = b.location()
	b.do(chromedp.Submit(chromedp.CSS("#q")))
	b.waitJS(fmt.Sprintf(`location.href !== %q && document.querySelector(".qerror")`, before))
	msg := eval[string](b, `document.querySelector(".qerror").innerText`)
	if !strings.Contains(msg, "unclosed parenthesis") || !strings.Contains(msg, "at character 12") || !strings.Contains(msg, "^") {
		t.Errorf("syntax error block: %q", msg)
	}
	if v := eval[string](b, `document.querySelector("#q").value`); v != "Peskov AND (Ukraine" {
		t.Errorf("query box after error: %q", v)
	}
	if m := eval[string](b, `document.querySelector(".qerror mark").textContent`); m != "(" {
		t.Errorf("marked character %q, want (", m)
	}
	b.shoot("search-error")

	// Sorting by date is applied with its button (a change alone does not
	// reload: an ArrowDown would), keeps the query and the focus.
	b.open("/?q=Kremlin")
	eval[bool](b, `(() => { const s = document.querySelector("#sort"); s.value = "oldest"; s.dispatchEvent(new Event("change")); return true; })()`)
	if loc := b.location(); strings.Contains(loc, "sort=") {
		t.Errorf("a sort change alone reloaded the page: %s", loc)
	}
	b.clickAndLoad("button.apply")
	b.waitJS(`document.activeElement && document.activeElement.id === "sort"`)
	if loc := b.location(); !strings.Contains(loc, "sort=oldest") || !strings.Contains(loc, "q=Kremlin") {
		t.Errorf("after sort change: %s", loc)
	}
	dates := eval[[]string](b, `Array.from(document.querySelectorAll("li.hit time")).map(t => t.getAttribute("datetime"))`)
	for i := 1; i < len(dates); i++ {
		if dates[i] < dates[i-1] {
			t.Errorf("oldest first is not sorted: %v", dates)
			break
		}
	}

	// Paging: More results carries the cursor.
	b.open("/")
	b.clickAndLoad("a.more")
	if loc := b.location(); !strings.Contains(loc, "cursor=") {
		t.Errorf("More results: %s", loc)
	}
	if hitCount(b) == 0 {
		t.Error("second page is empty")
	}

	// The article page, from a search, highlights the query's words.
	b.open("/?q=" + url.QueryEscape("Peskov AND Ukraine"))
	b.clickAndLoad("li.hit h2 a")
	if !strings.Contains(b.location(), "/articles/") {
		t.Fatalf("article link went to %s", b.location())
	}
	if n := eval[int](b, `document.querySelectorAll(".story .body mark").length`); n == 0 {
		t.Error("no highlighted words on the article page")
	}
	if n := eval[int](b, `document.querySelectorAll(".entities a.chip").length`); n == 0 {
		t.Error("no entity links on the article page")
	}
	b.shoot("article")
	b.clickAndLoad(".entities a.chip")
	if loc := b.location(); !strings.Contains(loc, "/?") || hitCount(b) == 0 {
		t.Errorf("entity link: %s with %d hits", loc, hitCount(b))
	}

	// No match, and a missing article: full pages with a way on.
	b.open("/?q=zzyzx")
	if !eval[bool](b, `!!document.querySelector(".empty") && !document.querySelector("details.refine")`) {
		t.Error("no-match page")
	}
	b.shoot("search-empty")
	b.open("/articles/no-such-id")
	if !eval[bool](b, `document.querySelector("h1").textContent === "Not found" && !!document.querySelector("main a[href='/']")`) {
		t.Error("404 page")
	}
	b.shoot("notfound")

	// Keyboard: the query box, facets and results are reachable with Tab
	// and the focus is visible.
	b.open("/?q=Kremlin")
	outline := eval[string](b, `(() => { const a = document.querySelector("a.fv"); a.focus(); return getComputedStyle(a).outlineStyle; })()`)
	if outline == "none" || outline == "" {
		t.Errorf("focused facet link has outline %q", outline)
	}
}

func TestUIBrowserPrivateLogin(t *testing.T) {
	ts, _ := newUITestServer(t, func(c *Config) { c.Private = true })
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)
	b.open("/?q=Kremlin")
	if !eval[bool](b, `!!document.querySelector("form[action='/login']")`) {
		t.Fatal("no login form under --private")
	}
	b.shoot("login")
	b.do(chromedp.SetValue(chromedp.CSS("#token"), "wrong"))
	before := b.location()
	b.do(chromedp.Submit(chromedp.CSS("#token")))
	b.waitJS(fmt.Sprintf(`location.href !== %q || document.querySelector(".error")`, before))
	b.waitJS(`document.querySelector(".error")`)
	if msg := eval[string](b, `document.querySelector(".error").textContent`); !strings.Contains(msg, "not valid") {
		t.Errorf("wrong token message: %q", msg)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#token"), testToken))
	b.do(chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	b.waitJS(`document.querySelector("li.hit")`)
	if loc := b.location(); !strings.Contains(loc, "q=Kremlin") {
		t.Errorf("after login: %s", loc)
	}
	// The token is also kept for the tab, for the API calls of the alert
	// pages.
	if tok := eval[string](b, `sessionStorage.getItem("watchword.token") || ""`); tok != testToken {
		t.Errorf("sessionStorage token %q", tok)
	}
	// The cookie is HttpOnly: scripts cannot see it.
	if c := eval[string](b, `document.cookie`); c != "" {
		t.Errorf("document.cookie = %q", c)
	}
}

// TestUIBrowserAlertPages checks the alert pages' search-side parts (the
// link from a search, the prefilled form, the live query and schedule
// checks) and, when the alerts API is not served, that the pages say so
// instead of breaking.
func TestUIBrowserAlertPages(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	b := &browser{t: t, ctx: newBrowser(t), base: ts.URL}
	b.viewport(1440)

	// From a filtered search to a prefilled alert form.
	b.open("/?q=" + url.QueryEscape("Peskov AND Ukraine") + "&country=Russia")
	b.clickAndLoad("a.alert-link")
	if loc := b.location(); !strings.Contains(loc, "/alerts/new?") || !strings.Contains(loc, "country=Russia") {
		t.Fatalf("alert link went to %s", loc)
	}
	if v := eval[string](b, `document.querySelector("#a-query").value`); v != "Peskov AND Ukraine" {
		t.Errorf("prefilled query %q", v)
	}
	if v := eval[string](b, `Array.from(document.querySelectorAll("#a-filters input:checked")).map(c => c.dataset.kind + "=" + c.value).join(",")`); v != "country=Russia" {
		t.Errorf("prefilled filters %q", v)
	}
	// Live query check against /api/search.
	b.waitJS(`/Matches \d+ archive articles? now/.test(document.querySelector("#query-live").textContent)`)
	b.do(chromedp.SetValue(chromedp.CSS("#a-query"), "Peskov AND (Ukraine"))
	eval[bool](b, `document.querySelector("#a-query").dispatchEvent(new Event("input")), true`)
	b.waitJS(`document.querySelector("#query-live mark")`)
	if msg := eval[string](b, `document.querySelector("#query-live").textContent`); !strings.Contains(msg, "unclosed parenthesis") {
		t.Errorf("live syntax error: %q", msg)
	}
	if m := eval[string](b, `document.querySelector("#query-live mark").textContent`); m != "(" {
		t.Errorf("live syntax error marks %q", m)
	}
	// Schedule preview in the alert's time zone.
	b.do(chromedp.SetValue(chromedp.CSS("#a-tz"), "Asia/Tokyo"))
	b.do(chromedp.SetValue(chromedp.CSS("#a-schedule"), "30 8 * * 1-5"))
	eval[bool](b, `document.querySelector("#a-schedule").dispatchEvent(new Event("input")), true`)
	runs := eval[[]string](b, `Array.from(document.querySelectorAll("#schedule-live li")).map(li => li.textContent)`)
	if len(runs) != 3 {
		t.Fatalf("schedule preview: %q", runs)
	}
	for _, r := range runs {
		if !strings.Contains(r, "08:30") || strings.Contains(r, "Sat") || strings.Contains(r, "Sun") {
			t.Errorf("run %q is not 08:30 on a weekday in Tokyo", r)
		}
	}
	b.do(chromedp.SetValue(chromedp.CSS("#a-schedule"), "@every 15m"))
	eval[bool](b, `document.querySelector("#a-schedule").dispatchEvent(new Event("input")), true`)
	if n := eval[int](b, `document.querySelectorAll("#schedule-live li").length`); n != 3 {
		t.Errorf("@every preview has %d runs", n)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#a-schedule"), "61 * * * *"))
	eval[bool](b, `document.querySelector("#a-schedule").dispatchEvent(new Event("input")), true`)
	if msg := eval[string](b, `document.querySelector("#schedule-live").textContent`); !strings.Contains(msg, "out of range") {
		t.Errorf("bad schedule message %q", msg)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#a-schedule"), "0 8 * * *"))
	b.do(chromedp.SetValue(chromedp.CSS("#a-query"), "Peskov AND Ukraine"))
	eval[bool](b, `document.querySelector("#a-query").dispatchEvent(new Event("input")), document.querySelector("#a-schedule").dispatchEvent(new Event("input")), true`)
	b.waitJS(`/Matches/.test(document.querySelector("#query-live").textContent)`)
	b.shoot("alert-new")

	if apiStatus := getPage(t, nil, ts.URL+"/api/alerts").Status; apiStatus == 404 || apiStatus == 405 {
		// Without the alerts API the pages degrade with a clear message.
		b.open("/alerts")
		b.waitJS(`/not available/.test(document.querySelector("#status").textContent)`)
		b.shoot("alerts-no-api")
		b.open("/alerts/new?q=Kremlin")
		b.do(chromedp.SetValue(chromedp.CSS("#a-webhook"), "https://example.org/hook"))
		b.do(chromedp.Click(chromedp.CSS("#a-submit")))
		b.waitJS(`!document.querySelector("#form-error").hidden`)
		if msg := eval[string](b, `document.querySelector("#form-error").textContent`); !strings.Contains(msg, "not available") {
			t.Errorf("create without the API: %q", msg)
		}
		b.open("/alerts/some-id")
		b.waitJS(`/not available/.test(document.querySelector("#status").textContent)`)
		t.Log("the alerts API is not served: checked that the alert pages degrade")
	}
}
