package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/boltstore"
)

// feedStore keeps the feeds in eng's store file, as serve does.
func feedStore(t testing.TB, eng *engine.Engine) feeds.Store {
	t.Helper()
	st, err := boltstore.New(context.Background(), eng.Store())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

const cliRSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>CLI Wire</title><link>https://cli.example/</link>
<item><guid>https://cli.example/1</guid><title>Peskov on talks</title><description>Kremlin spokesman Dmitry Peskov said talks on Ukraine had stalled.</description><pubDate>Mon, 10 Mar 2025 08:00:00 GMT</pubDate></item>
<item><guid>https://cli.example/2</guid><title>Harvest</title><description>The harvest began early.</description><pubDate>Mon, 10 Mar 2025 09:00:00 GMT</pubDate></item>
</channel></rss>`

// TestFeedsCommand drives `watchword feeds` and `watchword ingest` of a
// feed file against a real server process, and checks that one scheduler
// runs both the feed polls and the alerts: a feed polled every second
// brings in an entry that an alert running every second delivers once.
func TestFeedsCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	var mu sync.Mutex
	doc := cliRSS
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		d := doc
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, d)
	}))
	defer origin.Close()
	var deliveries []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		deliveries = append(deliveries, string(b))
		mu.Unlock()
	}))
	defer hook.Close()

	s := startServer(t, t.TempDir(), "--feed-allow", "127.0.0.0/8", "--webhook-allow", "127.0.0.0/8",
		"--min-feed-interval", "1s", "--min-alert-interval", "1s")
	runCLI := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		args = append(args[:2:2], append([]string{"--server", s.base, "--token", "crash-token"}, args[2:]...)...)
		code := run(args, &out, &errb)
		return out.String(), errb.String(), code
	}

	// add polls at once and prints what came in.
	out, errs, code := runCLI("feeds", "add", "--source", "CLI Wire", origin.URL+"/rss")
	if code != 0 || !strings.Contains(out, "2 entries, 2 added") || !strings.Contains(out, "Peskov on talks") {
		t.Fatalf("feeds add: %d %s %s", code, out, errs)
	}
	id := regexp.MustCompile(`fd_[0-9a-f]+`).FindString(out)
	out, errs, code = runCLI("feeds", "list")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "CLI Wire") || !regexp.MustCompile(`\bok\s+2\b`).MatchString(out) {
		t.Fatalf("feeds list: %d %s %s", code, out, errs)
	}
	out, errs, code = runCLI("feeds", "poll", id)
	if code != 0 || !strings.Contains(out, "0 added") {
		t.Fatalf("feeds poll: %d %s %s", code, out, errs)
	}
	if _, errs, code = runCLI("feeds", "add", "ftp://example.com/x"); code != 1 || !strings.Contains(errs, "invalid") {
		t.Fatalf("bad feed: %d %s", code, errs)
	}

	// The same entries from a file are the same articles.
	file := filepath.Join(t.TempDir(), "wire.rss")
	if err := os.WriteFile(file, []byte(cliRSS), 0o600); err != nil {
		t.Fatal(err)
	}
	var iout, ierr bytes.Buffer
	if code := run([]string{"ingest", "--server", s.base, "--token", "crash-token", file}, &iout, &ierr); code != 0 || !strings.Contains(iout.String(), "2 stored") {
		t.Fatalf("ingest .rss: %d %s %s", code, iout.String(), ierr.String())
	}
	if n := serverTotal(t, s.base); n != 2 {
		t.Fatalf("%d articles after the file ingest, want 2", n)
	}

	// Scheduled: an alert and a feed, both every second, on one scheduler.
	if _, errs, code := runCLI("alerts", "create", "--name", "p", "--query", "lavrov", "--webhook", hook.URL+"/h", "--schedule", "@every 1s"); code != 0 {
		t.Fatalf("alerts create: %s", errs)
	}
	if _, errs, code := runCLI("feeds", "add", "--schedule", "@every 1s", "--no-poll", origin.URL+"/rss2"); code != 0 {
		t.Fatalf("feeds add scheduled: %s", errs)
	}
	mu.Lock()
	doc = strings.Replace(cliRSS, "</channel>", `<item><guid>https://cli.example/3</guid><title>Lavrov speaks</title><description>Sergei Lavrov spoke in Geneva.</description></item></channel>`, 1)
	mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(deliveries)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond) // more scheduled polls and runs: no second delivery
	mu.Lock()
	got := append([]string(nil), deliveries...)
	mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], "Lavrov speaks") {
		t.Fatalf("webhook deliveries: %q", got)
	}
	if n := serverTotal(t, s.base); n != 3 {
		t.Errorf("%d articles, want 3", n)
	}

	out, errs, code = runCLI("feeds", "remove", id)
	if code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("feeds remove: %d %s %s", code, out, errs)
	}
	if _, errs, code = runCLI("feeds", "remove", id); code == 0 || !strings.Contains(errs, "not_found") {
		t.Fatalf("remove again: %d %s", code, errs)
	}
}

func serverTotal(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/search?q=")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Total int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.Total
}
