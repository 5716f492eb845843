package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/engine"
)

func newAlertServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newTestServer(t, withAlerts(t))
}

// withAlerts gives a test server a running alerts service.
func withAlerts(t *testing.T) func(*Config) {
	return func(cfg *Config) {
		svc, err := alerts.New(alerts.Config{Store: alertStore(t, cfg.Engine),
			Engine: cfg.Engine, Logger: quiet, MinInterval: time.Second, Version: "test",
			Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			RetrySchedule: []time.Duration{0, 50 * time.Millisecond},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Stop(context.Background()) })
		cfg.Alerts = svc
	}
}

func TestAlertAPI(t *testing.T) {
	ts := newAlertServer(t)
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("webhook-signature") == "" {
			w.WriteHeader(400)
			return
		}
		hits.Add(1)
	}))
	defer recv.Close()
	alertJSON := func(mut string) string {
		return fmt.Sprintf(`{"name":"ukraine","query":"ukraine","schedule":"@daily","webhook_url":%q%s}`, recv.URL+"/hook", mut)
	}

	// Bad input: 4xx with the error shape, nothing saved.
	bad := []struct{ body, code string }{
		{`{"name":"x","query":"peskov AND (ukraine","webhook_url":"` + recv.URL + `"}`, "query_syntax"},
		{alertJSON(`,"schedule":"TZ="`), "invalid"},
		{alertJSON(`,"schedule":"CRON_TZ="`), "invalid"},
		{alertJSON(`,"schedule":"@every 0s"`), "invalid"},
		{alertJSON(`,"schedule":"@every 500ms"`), "invalid"},
		{alertJSON(`,"schedule":"0 0 30 2 *"`), "invalid"},
		{alertJSON(`,"timezone":"Mars/Base"`), "invalid"},
		{`{"name":"x","query":"a","webhook_url":"ftp://example.com/"}`, "invalid"},
		{`{"name":"x","query":"a","webhook_url":"http://169.254.169.254/"}`, "invalid"},
		{`{"name":"x","query":"a","webhook_url":"http://10.0.0.1/"}`, "invalid"},
		{alertJSON(`,"filters":{"speeker":["x"]}`), "bad_request"},
		{alertJSON(`,"max_matches_per_delivery":5000`), "invalid"},
		{`{"name":"` + strings.Repeat("n", 1<<20-200) + `","query":"a","webhook_url":"` + recv.URL + `"}`, "invalid"},
		{`not json`, "bad_request"},
	}
	for _, b := range bad {
		r := call(t, ts, "POST", "/api/alerts", "application/json", b.body, testToken)
		if r.Status != 400 || errorOf(t, r) != b.code {
			t.Errorf("%.80s: %d %.200s", b.body, r.Status, r.Raw)
		}
	}
	r := call(t, ts, "POST", "/api/alerts", "application/json", `{"name":"x","query":"peskov AND (ukraine","webhook_url":"`+recv.URL+`"}`, testToken)
	if e := r.Body["error"].(map[string]any); e["position"] != float64(11) {
		t.Errorf("query error without position: %s", r.Raw)
	}
	if r := call(t, ts, "GET", "/api/alerts", "", "", testToken); len(r.Body["alerts"].([]any)) != 0 {
		t.Fatalf("bad input saved: %s", r.Raw)
	}
	if r := call(t, ts, "POST", "/api/alerts", "application/json", alertJSON(""), ""); r.Status != 401 {
		t.Fatalf("create without token: %d", r.Status)
	}

	// Create: 201 and the secret, once.
	r = call(t, ts, "POST", "/api/alerts", "application/json", alertJSON(""), testToken)
	if r.Status != 201 || !strings.HasPrefix(fmt.Sprint(r.Body["secret"]), "whsec_") {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := r.Body["id"].(string)
	r = call(t, ts, "GET", "/api/alerts/"+id, "", "", testToken)
	if r.Status != 200 || r.Body["secret"] != nil || r.Body["next_run_at"] == nil {
		t.Fatalf("get: %s", r.Raw)
	}
	if r := call(t, ts, "GET", "/api/alerts/nope", "", "", testToken); r.Status != 404 || errorOf(t, r) != "not_found" {
		t.Fatalf("unknown: %s", r.Raw)
	}
	if r := call(t, ts, "PATCH", "/api/alerts/"+id, "application/json", `{"schedule":"@every 0s"}`, testToken); r.Status != 400 {
		t.Fatalf("bad patch: %s", r.Raw)
	}
	if r := call(t, ts, "PATCH", "/api/alerts/"+id, "application/json", `{"name":"renamed"}`, testToken); r.Status != 200 || r.Body["name"] != "renamed" {
		t.Fatalf("patch: %s", r.Raw)
	}

	// New articles: preview shows them and moves nothing; run sends them.
	if r := call(t, ts, "POST", "/api/articles", "application/json", `[{"id":"u1","body":"Ukraine news."},{"id":"u2","body":"Spain news."}]`, testToken); r.Status != 200 {
		t.Fatalf("ingest: %s", r.Raw)
	}
	for i := 0; i < 2; i++ {
		r = call(t, ts, "GET", "/api/alerts/"+id+"/preview", "", "", testToken)
		if r.Status != 200 || r.Body["total_new"] != float64(1) {
			t.Fatalf("preview: %s", r.Raw)
		}
	}
	r = call(t, ts, "POST", "/api/alerts/"+id+"/run", "", "", testToken)
	if r.Status != 200 || r.Body["matches"] != float64(1) {
		t.Fatalf("run: %s", r.Raw)
	}
	deadline := time.Now().Add(5 * time.Second)
	var ds []map[string]any
	for time.Now().Before(deadline) {
		r = call(t, ts, "GET", "/api/alerts/"+id+"/deliveries", "", "", testToken)
		raw, _ := json.Marshal(r.Body["deliveries"])
		_ = json.Unmarshal(raw, &ds)
		if len(ds) == 1 && ds[0]["status"] == "succeeded" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(ds) != 1 || ds[0]["status"] != "succeeded" || ds[0]["attempts"] != float64(1) || hits.Load() != 1 {
		t.Fatalf("deliveries: %v hits %d", ds, hits.Load())
	}
	for _, k := range []string{"id", "status", "attempts", "last_status_code", "last_error", "next_attempt_at", "article_ids", "created_at"} {
		if _, ok := ds[0][k]; !ok {
			t.Errorf("delivery lacks %s", k)
		}
	}
	if r := call(t, ts, "POST", "/api/deliveries/"+ds[0]["id"].(string)+"/redeliver", "", "", testToken); r.Status != 202 {
		t.Fatalf("redeliver: %s", r.Raw)
	}
	r = call(t, ts, "POST", "/api/alerts/"+id+"/test", "", "", testToken)
	if r.Status != 200 || r.Body["ok"] != true || r.Body["status_code"] != float64(200) {
		t.Fatalf("test: %s", r.Raw)
	}
	r = call(t, ts, "POST", "/api/alerts/"+id+"/rotate-secret", "", "", testToken)
	if r.Status != 200 || !strings.HasPrefix(fmt.Sprint(r.Body["secret"]), "whsec_") {
		t.Fatalf("rotate: %s", r.Raw)
	}
	if r := call(t, ts, "DELETE", "/api/alerts/"+id, "", "", testToken); r.Status != 200 {
		t.Fatalf("delete: %s", r.Raw)
	}
	if r := call(t, ts, "GET", "/api/alerts/"+id, "", "", testToken); r.Status != 404 {
		t.Fatalf("after delete: %s", r.Raw)
	}
}

func TestAlertAPIWithoutService(t *testing.T) {
	ts := newTestServer(t, nil)
	if r := call(t, ts, "GET", "/api/alerts", "", "", testToken); r.Status != 503 || errorOf(t, r) != "unavailable" {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
}

// The retry action and a filter-only alert over HTTP, with every status
// web/openapi.json documents for them.
func TestAlertAPIRetryAndFilterOnly(t *testing.T) {
	ts := newTestServer(t, func(cfg *Config) {
		svc, err := alerts.New(alerts.Config{Store: alertStore(t, cfg.Engine),
			Engine: cfg.Engine, Logger: quiet, MinInterval: time.Second, Version: "test",
			Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			RetrySchedule: []time.Duration{0, time.Hour},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Stop(context.Background()) })
		cfg.Alerts = svc
	})
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer recv.Close()

	// No query, a filter: every new article from that source.
	r := call(t, ts, "POST", "/api/alerts", "application/json", `{"name":"nw","filters":{"source":["Wire"]},"webhook_url":"`+recv.URL+`/h"}`, testToken)
	if r.Status != 201 || r.Body["query"] != "" {
		t.Fatalf("filter-only alert: %d %s", r.Status, r.Raw)
	}
	id := r.Body["id"].(string)
	for _, body := range []string{`{"name":"all","webhook_url":"` + recv.URL + `/h"}`, `{"name":"all","query":"  ","filters":{},"webhook_url":"` + recv.URL + `/h"}`} {
		if r := call(t, ts, "POST", "/api/alerts", "application/json", body, testToken); r.Status != 400 || errorOf(t, r) != "invalid" {
			t.Errorf("neither query nor filter: %d %s", r.Status, r.Raw)
		}
	}
	if r := call(t, ts, "POST", "/api/articles", "application/json", `[{"id":"a1","body":"Any text.","source":"Wire"},{"id":"a2","body":"Any text.","source":"Other"}]`, testToken); r.Status != 200 {
		t.Fatalf("ingest: %s", r.Raw)
	}
	if r := call(t, ts, "POST", "/api/alerts/"+id+"/run", "", "", testToken); r.Status != 200 || r.Body["matches"] != float64(1) {
		t.Fatalf("run: %s", r.Raw)
	}

	// The first attempt fails: retrying, next attempt in an hour.
	delivery := func() map[string]any {
		r := call(t, ts, "GET", "/api/alerts/"+id+"/deliveries", "", "", testToken)
		ds, _ := r.Body["deliveries"].([]any)
		if len(ds) != 1 {
			t.Fatalf("deliveries: %s", r.Raw)
		}
		return ds[0].(map[string]any)
	}
	deadline := time.Now().Add(5 * time.Second)
	d := delivery()
	for d["status"] != "retrying" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		d = delivery()
	}
	if d["status"] != "retrying" || d["next_attempt_at"] == nil {
		t.Fatalf("want a retrying delivery with next_attempt_at: %v", d)
	}
	did := d["id"].(string)
	if r := call(t, ts, "POST", "/api/deliveries/"+did+"/redeliver", "", "", testToken); r.Status != 409 || errorOf(t, r) != "conflict" {
		t.Errorf("redeliver while retrying: %d %s", r.Status, r.Raw)
	}
	if r := call(t, ts, "POST", "/api/deliveries/"+did+"/retry", "", "", ""); r.Status != 401 {
		t.Errorf("retry without token: %d", r.Status)
	}
	if r := call(t, ts, "POST", "/api/deliveries/nope/retry", "", "", testToken); r.Status != 404 || errorOf(t, r) != "not_found" {
		t.Errorf("retry unknown: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "POST", "/api/deliveries/"+did+"/retry", "", "", testToken)
	if r.Status != 202 || r.Body["status"] != "retrying" {
		t.Fatalf("retry: %d %s", r.Status, r.Raw)
	}
	if at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(r.Body["next_attempt_at"])); err != nil || time.Since(at) > 5*time.Second {
		t.Errorf("retry moved next_attempt_at to %v (%v), want now", r.Body["next_attempt_at"], err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for d["status"] != "succeeded" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		d = delivery()
	}
	if d["status"] != "succeeded" || d["attempts"] != float64(2) || hits.Load() != 2 {
		t.Fatalf("after retry: %v, %d requests", d, hits.Load())
	}
	if r := call(t, ts, "POST", "/api/deliveries/"+did+"/retry", "", "", testToken); r.Status != 409 || errorOf(t, r) != "conflict" {
		t.Errorf("retry a succeeded delivery: %d %s", r.Status, r.Raw)
	}
}

// rotate-secret takes an optional grace: the answer shows the new secret
// once and until when the replaced one still signs; a bad grace is a
// JSON 4xx. The fields option is validated and shown.
func TestAlertAPIRotateGraceAndFields(t *testing.T) {
	ts := newAlertServer(t)
	create := `{"name":"f","query":"ukraine","schedule":"@daily","webhook_url":"http://127.0.0.1:9/hook","fields":["title","url"]}`
	r := call(t, ts, "POST", "/api/alerts", "application/json", create, testToken)
	if r.Status != 201 {
		t.Fatalf("create: %s", r.Raw)
	}
	id := r.Body["id"].(string)
	if got := fmt.Sprint(r.Body["fields"]); got != "[id title url]" {
		t.Errorf("fields %s, want [id title url]", got)
	}
	if got := fmt.Sprint(r.Body["previous_secrets"]); got != "[]" {
		t.Errorf("previous_secrets %s, want []", got)
	}
	for _, c := range []struct{ body, code string }{
		{`{"fields":[]}`, "invalid"},
		{`{"fields":["snipet"]}`, "invalid"},
		{`{"fields":"title"}`, "bad_request"},
	} {
		if r := call(t, ts, "PATCH", "/api/alerts/"+id, "application/json", c.body, testToken); r.Status != 400 || errorOf(t, r) != c.code {
			t.Errorf("PATCH %s: %d %s, want 400 %s", c.body, r.Status, r.Raw, c.code)
		}
	}
	all := `{"fields":["id","title","date","source","url","snippet","speakers","countries","topics"]}`
	if r := call(t, ts, "PATCH", "/api/alerts/"+id, "application/json", all, testToken); r.Status != 200 || len(r.Body["fields"].([]any)) != 9 {
		t.Fatalf("PATCH every field: %s", r.Raw)
	}

	before := time.Now()
	r = call(t, ts, "POST", "/api/alerts/"+id+"/rotate-secret", "application/json", `{"grace":"1h"}`, testToken)
	if r.Status != 200 || !strings.HasPrefix(fmt.Sprint(r.Body["secret"]), "whsec_") {
		t.Fatalf("rotate: %s", r.Raw)
	}
	prev := r.Body["previous_secrets"].([]any)
	if len(prev) != 1 {
		t.Fatalf("previous_secrets: %s", r.Raw)
	}
	exp, err := time.Parse(time.RFC3339Nano, prev[0].(map[string]any)["expires_at"].(string))
	if err != nil || exp.Before(before.Add(time.Hour-time.Second)) || exp.After(time.Now().Add(time.Hour+time.Second)) {
		t.Fatalf("expires_at %v %v, want in an hour", exp, err)
	}
	if _, ok := prev[0].(map[string]any)["secret"]; ok {
		t.Fatal("the rotation answer shows a replaced secret")
	}
	// Without a body: the default grace (24 h); the earlier one is kept.
	r = call(t, ts, "POST", "/api/alerts/"+id+"/rotate-secret", "", "", testToken)
	if r.Status != 200 || len(r.Body["previous_secrets"].([]any)) != 2 {
		t.Fatalf("rotate without a body: %s", r.Raw)
	}
	exp, _ = time.Parse(time.RFC3339Nano, r.Body["previous_secrets"].([]any)[0].(map[string]any)["expires_at"].(string))
	if d := time.Until(exp); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("default grace: expires in %s", d)
	}
	// The secret is never in a read.
	if r := call(t, ts, "GET", "/api/alerts/"+id, "", "", testToken); r.Body["secret"] != nil || strings.Contains(r.Raw, "whsec_") {
		t.Fatalf("get shows a secret: %s", r.Raw)
	}
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"grace":"8d"}`, 400, "invalid"},
		{`{"grace":"200h"}`, 400, "invalid"},
		{`{"grace":3600}`, 400, "bad_request"},
		{`{"grace":"1h","x":1}`, 400, "bad_request"},
	} {
		if r := call(t, ts, "POST", "/api/alerts/"+id+"/rotate-secret", "application/json", c.body, testToken); r.Status != c.status || errorOf(t, r) != c.code {
			t.Errorf("rotate %s: %d %s", c.body, r.Status, r.Raw)
		}
	}
	if r := call(t, ts, "POST", "/api/alerts/al_nope/rotate-secret", "", "", testToken); r.Status != 404 || errorOf(t, r) != "not_found" {
		t.Errorf("rotate a missing alert: %d %s", r.Status, r.Raw)
	}
	// grace 0 ends every grace at once.
	r = call(t, ts, "POST", "/api/alerts/"+id+"/rotate-secret", "application/json", `{"grace":"0s"}`, testToken)
	if r.Status != 200 || len(r.Body["previous_secrets"].([]any)) != 0 {
		t.Fatalf("abrupt rotation: %s", r.Raw)
	}
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
