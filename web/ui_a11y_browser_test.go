package web

// Browser tests of the UI on phones and keyboards (#20): layout shift at
// phone size, focus and keyboard use, and axe-core on every page.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
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
func layoutShift(b *browser, path string) float64 {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate("about:blank"))
	b.open(path)
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
		if cls := layoutShift(b, p); cls > 0.05 {
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
