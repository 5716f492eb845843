package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
	"github.com/watchword/watchword/internal/testutil"
)

func apiCall(t *testing.T, method, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRestoreStartsHeld backs up a store with a pending delivery, an
// alert and a feed due every second, restores it into a new data
// directory and serves it: over several scheduler ticks no webhook is
// posted and no feed fetched; after POST /api/admin/resume the pending
// delivery arrives exactly once, and the mark is gone for good. A second
// restore served with --resume-schedulers sends at once.
func TestRestoreStartsHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	var posts, fetches atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posts.Add(1) }))
	defer rcv.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Farm</title><item><guid>h1</guid><title>Harvest</title><description>The harvest began early.</description></item></channel></rss>`)
	}))
	defer origin.Close()

	// The source: an alert and a feed due every second, and a delivery
	// waiting in the outbox (no sender ran).
	src := t.TempDir()
	eng, err := engine.Open(engine.Config{DataDir: src, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	loop := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	asvc, err := alerts.New(alerts.Config{Store: alertStore(t, eng), Engine: eng, Logger: quietLog, Allow: loop, MinInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	name, q, sched, hook := "held", "heldword", "@every 1s", rcv.URL+"/hook"
	v, err := asvc.Create(context.Background(), &alerts.Input{Name: &name, Query: &q, Schedule: &sched, WebhookURL: &hook})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := eng.Ingest(context.Background(), []*news.Article{{ID: "h1", Body: "A heldword story from Tbilisi."}}); err != nil {
		t.Fatal(err)
	}
	if r, err := asvc.RunNow(context.Background(), v.ID); err != nil || r.Deliveries != 1 {
		t.Fatalf("run: %+v %v", r, err)
	}
	fsvc, err := feeds.New(feeds.Config{Engine: eng, Store: feedStore(t, eng), Logger: quietLog, Allow: loop, MinInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	furl := origin.URL + "/rss"
	if _, err := fsvc.Create(context.Background(), &feeds.Input{URL: &furl, Schedule: &sched}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/held.db"
	if code, out := runCmd(t, "backup", "--data", src, "--out", file); code != 0 {
		t.Fatalf("backup: %s", out)
	}

	dst := t.TempDir() + "/restored"
	code, out := runCmd(t, "restore", "--data", dst, "--in", file)
	if code != 0 || !strings.Contains(out, "start held") {
		t.Fatalf("restore: %d %s", code, out)
	}
	flags := []string{"--webhook-allow", "127.0.0.0/8", "--feed-allow", "127.0.0.0/8", "--log-level", "debug", "--webhook-retry", "0s,1s"}
	s := startServer(t, dst, flags...)
	if s.count("HELD: this store was restored from held.db") != 1 {
		t.Errorf("no loud HELD line in the log")
	}
	// Several ticks of both schedules pass, each skipped.
	testutil.WaitFor(t, "3 held alert evaluations and 3 held feed polls", 30*time.Second, func() bool {
		return s.count("alerts: evaluation held after restore") >= 3 && s.count("feeds: poll held after restore") >= 3
	})
	if n, m := posts.Load(), fetches.Load(); n != 0 || m != 0 {
		t.Fatalf("while held: %d webhook posts and %d feed fetches", n, m)
	}
	// Manual runs are refused while held; search works.
	if code, body := apiCall(t, "POST", s.base+"/api/alerts/"+v.ID+"/run", "crash-token"); code != 409 || !strings.Contains(body, "resume") {
		t.Errorf("run while held: %d %s", code, body)
	}
	if code, body := apiCall(t, "GET", s.base+"/api/search?q=heldword", ""); code != 200 || !strings.Contains(body, `"total":1`) {
		t.Errorf("search while held: %d %s", code, body)
	}
	for _, p := range []string{"/", "/alerts", "/feeds"} {
		resp, err := http.Get(s.base + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `id="held-banner"`) || !strings.Contains(string(b), "/api/admin/resume") {
			t.Errorf("page %s has no held banner", p)
		}
	}

	// Resume: the token is needed; then the delivery arrives, once.
	if code, _ := apiCall(t, "POST", s.base+"/api/admin/resume", ""); code != 401 {
		t.Errorf("resume without the token: %d", code)
	}
	if code, body := apiCall(t, "POST", s.base+"/api/admin/resume", "crash-token"); code != 200 || !strings.Contains(body, `"resumed":true`) {
		t.Fatalf("resume: %d %s", code, body)
	}
	testutil.WaitFor(t, "the pending delivery", 15*time.Second, func() bool { return posts.Load() >= 1 })
	// Over several more ticks (three feed polls, alert runs in between)
	// nothing is sent again.
	testutil.WaitFor(t, "3 feed polls after resuming", 15*time.Second, func() bool { return fetches.Load() >= 3 })
	if n := posts.Load(); n != 1 {
		t.Errorf("after resuming the receiver got %d posts, want exactly 1", n)
	}
	if code, body := apiCall(t, "POST", s.base+"/api/admin/resume", "crash-token"); code != 200 || !strings.Contains(body, `"resumed":false`) {
		t.Errorf("second resume: %d %s", code, body)
	}
	if code, _ := apiCall(t, "GET", s.base+"/", ""); code != 200 {
		t.Errorf("search page: %d", code)
	}
	// The mark is cleared durably.
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	st, err := store.Open(engine.StorePath(dst))
	if err != nil {
		t.Fatal(err)
	}
	if reason, err := st.Held(); reason != "" || err != nil {
		t.Errorf("held mark after resuming: %q %v", reason, err)
	}
	st.Close()

	// --resume-schedulers releases a restored store at start.
	dst2 := t.TempDir() + "/restored2"
	if code, out := runCmd(t, "restore", "--data", dst2, "--in", file); code != 0 {
		t.Fatalf("restore: %s", out)
	}
	s2 := startServer(t, dst2, append([]string{"--resume-schedulers"}, flags...)...)
	testutil.WaitFor(t, "the delivery of the second restore", 15*time.Second, func() bool { return posts.Load() >= 2 })
	if s2.count("HELD:") != 0 || s2.count("resumed the schedulers of a restored store") != 1 {
		t.Errorf("--resume-schedulers log: %d HELD lines", s2.count("HELD:"))
	}
	t.Logf("posts %d, fetches %d", posts.Load(), fetches.Load())
}

// alertStore keeps the alerts in the engine's bbolt file.
func alertStore(t testing.TB, eng *engine.Engine) alerts.Store {
	t.Helper()
	st, err := boltstore.New(context.Background(), eng.Store(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
