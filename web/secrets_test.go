package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	bolt "go.etcd.io/bbolt"
)

// setStoredURL rewrites one URL field of a stored JSON record, as a store
// written by hand or by another version could hold it: the API refuses
// user info in new URLs, but a read must hide it all the same.
func setStoredURL(t *testing.T, eng *engine.Engine, bucket, id, field, url string) {
	t.Helper()
	err := eng.Store().DB().Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		var m map[string]any
		if err := json.Unmarshal(b.Get([]byte(id)), &m); err != nil {
			return err
		}
		m[field] = url
		buf, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), buf)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestURLsRedactedWithoutToken reads alerts, deliveries and feeds whose
// URLs carry credentials in the query string and the user info through
// the real server: without the token they show scheme, host and path
// only; with it, in full; the signing secret never after creation; and
// no log line carries them.
func TestURLsRedactedWithoutToken(t *testing.T) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(testRSS))
	}))
	defer origin.Close()
	// A webhook receiver that is not there: the attempt fails with a
	// connection error, whose message names the URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadHost := ln.Addr().String()
	ln.Close()

	var eng *engine.Engine
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	ts := newTestServer(t, func(cfg *Config) {
		eng, cfg.Logger = cfg.Engine, log
		withKeys(t, false)(cfg)
		asvc, err := alerts.New(alerts.Config{Store: alertStore(t, cfg.Engine), Engine: cfg.Engine, Logger: log, MinInterval: time.Second, Version: "test",
			Allow: loopback, RetrySchedule: []time.Duration{0, 20 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		fsvc, err := feeds.New(feeds.Config{Engine: cfg.Engine, Store: feedStore(t, cfg.Engine), Logger: log, Allow: loopback, Version: "test", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := asvc.Start(); err != nil {
			t.Fatal(err)
		}
		if err := fsvc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = fsvc.Stop(context.Background()); _ = asvc.Stop(context.Background()) })
		cfg.Alerts, cfg.Feeds = asvc, fsvc
	})

	hook := "http://" + deadHost + "/hook?secret=HOOKSECRET#HOOKFRAG"
	r := call(t, ts, "POST", "/api/alerts", "application/json",
		fmt.Sprintf(`{"name":"n","query":"harvest","schedule":"@daily","webhook_url":%q}`, hook), testToken)
	if r.Status != 201 || r.Body["webhook_url"] != hook || !strings.HasPrefix(fmt.Sprint(r.Body["secret"]), "whsec_") {
		t.Fatalf("create alert: %d %s", r.Status, r.Raw)
	}
	alertID := r.Body["id"].(string)
	feedURL := origin.URL + "/rss?apikey=FEEDKEY"
	r = call(t, ts, "POST", "/api/feeds", "application/json", fmt.Sprintf(`{"url":%q}`, feedURL), testToken)
	if r.Status != 201 || r.Body["url"] != feedURL {
		t.Fatalf("create feed: %d %s", r.Status, r.Raw)
	}
	feedID := r.Body["id"].(string)

	// User info, which the API refuses in new URLs, in stored records.
	hook = "http://hookuser:HOOKPASS@" + deadHost + "/hook?secret=HOOKSECRET#HOOKFRAG"
	feedURL = strings.Replace(origin.URL, "http://", "http://feeduser:FEEDPASS@", 1) + "/rss?apikey=FEEDKEY"
	setStoredURL(t, eng, "alerts", alertID, "webhook_url", hook)
	setStoredURL(t, eng, "feeds", feedID, "url", feedURL)

	// The poll ingests an article the alert matches; its delivery fails.
	if r := call(t, ts, "POST", "/api/feeds/"+feedID+"/poll", "", "", testToken); r.Status != 200 || r.Body["added"] != float64(2) {
		t.Fatalf("poll: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "POST", "/api/alerts/"+alertID+"/run", "", "", testToken); r.Status != 200 || r.Body["matches"] != float64(1) {
		t.Fatalf("run: %d %s", r.Status, r.Raw)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = call(t, ts, "GET", "/api/alerts/"+alertID+"/deliveries", "", "", testToken)
		if strings.Contains(r.Raw, `"status":"failed"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery did not fail: %s", r.Raw)
		}
		time.Sleep(20 * time.Millisecond)
	}

	secrets := []string{"HOOKSECRET", "HOOKFRAG", "HOOKPASS", "hookuser", "FEEDKEY", "FEEDPASS", "feeduser", "whsec_"}
	hidden := func(what, raw string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(raw, s) {
				t.Errorf("%s shows %s: %s", what, s, raw)
			}
		}
	}
	// Alerts are read with a read key on every server (no key: 401);
	// feeds are open reads here.
	_, reader := createKey(t, ts, testToken, "reader", "read")
	reads := []string{"/api/alerts", "/api/alerts/" + alertID, "/api/alerts/" + alertID + "/deliveries", "/api/feeds", "/api/feeds/" + feedID}
	for _, p := range reads {
		toks := []string{"", "wrong-token", reader}
		if strings.HasPrefix(p, "/api/alerts") {
			for _, tok := range toks[:2] {
				if r := call(t, ts, "GET", p, "", "", tok); r.Status != 401 || errorOf(t, r) != "unauthorized" {
					t.Errorf("GET %s (token %q): %d %s, want 401", p, tok, r.Status, r.Raw)
				}
			}
			toks = toks[2:]
		}
		for _, tok := range toks {
			r := call(t, ts, "GET", p, "", "", tok)
			if r.Status != 200 {
				t.Fatalf("GET %s (token %q): %d %s", p, tok, r.Status, r.Raw)
			}
			hidden(fmt.Sprintf("GET %s (token %q)", p, tok), r.Raw)
		}
	}
	r = call(t, ts, "GET", "/api/alerts/"+alertID, "", "", reader)
	if want := "http://" + deadHost + "/hook"; r.Body["webhook_url"] != want || r.Body["redacted"] != true {
		t.Errorf("alert read with a read key: webhook_url %v redacted %v, want %s and true", r.Body["webhook_url"], r.Body["redacted"], want)
	}
	r = call(t, ts, "GET", "/api/feeds/"+feedID, "", "", "")
	if want := origin.URL + "/rss"; r.Body["url"] != want || r.Body["redacted"] != true {
		t.Errorf("anonymous feed: url %v redacted %v, want %s and true", r.Body["url"], r.Body["redacted"], want)
	}

	// With the token: the URLs whole, still never the signing secret.
	r = call(t, ts, "GET", "/api/alerts", "", "", testToken)
	if !strings.Contains(r.Raw, "HOOKSECRET") || !strings.Contains(r.Raw, "HOOKPASS") || strings.Contains(r.Raw, "whsec_") || strings.Contains(r.Raw, `"redacted"`) {
		t.Errorf("alerts with the token: %s", r.Raw)
	}
	r = call(t, ts, "GET", "/api/alerts/"+alertID, "", "", testToken)
	if r.Body["webhook_url"] != hook || r.Body["secret"] != nil {
		t.Errorf("alert with the token: %s", r.Raw)
	}
	r = call(t, ts, "GET", "/api/feeds/"+feedID, "", "", testToken)
	if r.Body["url"] != feedURL {
		t.Errorf("feed with the token: %s", r.Raw)
	}
	r = call(t, ts, "GET", "/api/feeds", "", "", testToken)
	if !strings.Contains(r.Raw, "FEEDKEY") || !strings.Contains(r.Raw, "FEEDPASS") {
		t.Errorf("feeds with the token: %s", r.Raw)
	}

	// The UI pages are shells filled from these API reads.
	for _, p := range []string{"/alerts", "/alerts/" + alertID, "/feeds"} {
		resp, body := rawCall(t, ts, "GET", p, nil, "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
		hidden("page "+p, body)
	}

	// No log line carries them either (the failed delivery and the poll
	// logged their URLs).
	out := logs.String()
	if !strings.Contains(out, "feeds: polled") || !strings.Contains(out, "alerts: delivery failed") {
		t.Fatalf("expected poll and delivery log lines, got:\n%s", out)
	}
	for _, s := range secrets[:len(secrets)-1] {
		if strings.Contains(out, s) {
			t.Errorf("a log line shows %s:\n%s", s, out)
		}
	}
}

// TestPrivateHidesAlertsAndFeeds: under --private a read without the
// token gets nothing at all, URLs or otherwise.
func TestPrivateHidesAlertsAndFeeds(t *testing.T) {
	ts := newTestServer(t, func(cfg *Config) {
		cfg.Private = true
		asvc, err := alerts.New(alerts.Config{Store: alertStore(t, cfg.Engine), Engine: cfg.Engine, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		fsvc, err := feeds.New(feeds.Config{Engine: cfg.Engine, Store: feedStore(t, cfg.Engine), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Alerts, cfg.Feeds = asvc, fsvc
	})
	for _, p := range []string{"/api/alerts", "/api/alerts/x", "/api/alerts/x/deliveries", "/api/feeds", "/api/feeds/x"} {
		if r := call(t, ts, "GET", p, "", "", ""); r.Status != 401 || errorOf(t, r) != "unauthorized" {
			t.Errorf("GET %s without the token under --private: %d %s", p, r.Status, r.Raw)
		}
	}
}
