package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/smtptest"
	"github.com/watchword/watchword/internal/testutil"
)

// The List-Unsubscribe link of a real email, followed over HTTP: a GET
// shows the confirmation and pauses nothing; a POST (RFC 8058's
// one-click body) pauses the alert; a link with a wrong token is a 404
// and pauses nothing.
func TestEmailPauseLink(t *testing.T) {
	const public = "https://watchword.example.com"
	srv := smtptest.Start(t, smtptest.Options{})
	var eng *engine.Engine
	ts := newTestServer(t, func(cfg *Config) {
		svc, err := alerts.New(alerts.Config{Store: alertStore(t, cfg.Engine),
			Engine: cfg.Engine, Logger: quiet, MinInterval: time.Second, Version: "test",
			Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			RetrySchedule: []time.Duration{0, 50 * time.Millisecond},
			SMTP: &alerts.SMTPConfig{Host: srv.Host, Port: srv.Port, Username: srv.Username, Password: srv.Password,
				StartTLS: alerts.StartTLSRequired, From: "watchword@example.com", TLSConfig: srv.TLSConfig()},
			PublicURL: public,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Stop(context.Background()) })
		cfg.Alerts = svc
		eng = cfg.Engine
	})

	// A bad address is a 400 naming the field; nothing is saved.
	r := call(t, ts, "POST", "/api/alerts", "application/json", `{"name":"n","query":"ukraine","email":["analyst@example.com\r\nBcc: x@example.com"]}`, testToken)
	if r.Status != 400 || errorOf(t, r) != "invalid" || !strings.Contains(r.Raw, "email[0]") {
		t.Fatalf("bad address: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "POST", "/api/alerts", "application/json", `{"name":"Desk","query":"ukraine","schedule":"@daily","email":["analyst@example.com","desk@example.com"]}`, testToken)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := r.Body["id"].(string)
	if fmt.Sprint(r.Body["email"]) != "[analyst@example.com desk@example.com]" || r.Body["webhook_format"] != "standard" {
		t.Fatalf("answer %s", r.Raw)
	}
	if _, rej, err := eng.Ingest(context.Background(), []*news.Article{{ID: "a1", Title: "Ukraine talks", Body: "Ukraine talks resumed.", URL: "https://news.example/a1"}}); err != nil || len(rej) > 0 {
		t.Fatal(err, rej)
	}
	if r := call(t, ts, "POST", "/api/alerts/"+id+"/run", "", "", testToken); r.Status != 200 {
		t.Fatalf("run: %d %s", r.Status, r.Raw)
	}
	testutil.WaitFor(t, "the emails", 10*time.Second, func() bool { return len(srv.Messages()) == 2 })
	// Two deliveries carried the article (one per address): the alert's
	// feed has it once.
	if resp, feed := rawCall(t, ts, "GET", "/api/alerts/"+id+"/feed.atom", map[string]string{"Authorization": "Bearer " + testToken}, ""); resp.StatusCode != 200 || strings.Count(feed, "<entry>") != 1 {
		t.Errorf("feed: %d, %d entries:\n%s", resp.StatusCode, strings.Count(feed, "<entry>"), feed)
	}
	m, err := mail.ReadMessage(bytes.NewReader(srv.Messages()[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(link, public+"/alerts/"+id+"/pause?token=") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %q", m.Header.Get("List-Unsubscribe"))
	}
	path := strings.TrimPrefix(link, public)

	enabled := func() bool {
		r := call(t, ts, "GET", "/api/alerts/"+id, "", "", testToken)
		return r.Body["enabled"] == true
	}
	// The delivery log shows the address to the token, not to anyone.
	if r := call(t, ts, "GET", "/api/alerts/"+id+"/deliveries", "", "", testToken); !strings.Contains(r.Raw, `"target":"email","recipient":"analyst@example.com"`) {
		t.Errorf("deliveries: %s", r.Raw)
	}
	// Anonymous reads of alerts need a key now (item 8); a reader
	// without write sees the addresses shortened (alerts.View.Redacted,
	// alerts.Delivery.Redacted).
	if r := call(t, ts, "GET", "/api/alerts/"+id+"/deliveries", "", "", ""); strings.Contains(r.Raw, "analyst@") {
		t.Errorf("anonymous deliveries: %s", r.Raw)
	}
	if r := call(t, ts, "GET", "/api/alerts/"+id, "", "", ""); strings.Contains(r.Raw, "analyst@") {
		t.Errorf("anonymous alert: %s", r.Raw)
	}

	resp, body := rawCall(t, ts, "GET", path, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Pause the alert <strong>Desk</strong>?") || !strings.Contains(body, `<form method="post" action="`+strings.ReplaceAll(path, "&", "&amp;")+`"`) {
		t.Fatalf("GET: %d %s", resp.StatusCode, body)
	}
	if !enabled() {
		t.Fatal("a GET of the pause link paused the alert")
	}
	for _, bad := range []string{"/alerts/" + id + "/pause?token=x" + path[len(path)-10:], "/alerts/" + id + "/pause", "/alerts/al_nope/pause?token=" + path[strings.Index(path, "token=")+6:]} {
		if resp, body := rawCall(t, ts, "POST", bad, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "List-Unsubscribe=One-Click"); resp.StatusCode != 404 || !strings.Contains(body, "not valid") {
			t.Errorf("POST %s: %d %s", bad, resp.StatusCode, body)
		}
	}
	if !enabled() {
		t.Fatal("a bad token paused the alert")
	}
	resp, body = rawCall(t, ts, "POST", path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "List-Unsubscribe=One-Click")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "is paused") {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	if enabled() {
		t.Fatal("the POST did not pause the alert")
	}
	// Again: already paused, not an error.
	if resp, _ := rawCall(t, ts, "POST", path, nil, ""); resp.StatusCode != 200 {
		t.Fatalf("second POST: %d", resp.StatusCode)
	}
}
