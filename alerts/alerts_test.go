package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type env struct {
	eng *engine.Engine
	svc *Service
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	return newEnvWith(t, mutate, nil)
}

// newEnvWith is newEnv with a hook that runs before the service starts.
func newEnvWith(t *testing.T, mutate func(*Config), beforeStart func(*Service)) *env {
	t.Helper()
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Store: testStore(t, eng), Engine: eng, Logger: quiet, MinInterval: time.Second,
		RetrySchedule: []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond},
		Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Timeout:       2 * time.Second, Version: "test",
	}
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if beforeStart != nil {
		beforeStart(svc)
	}
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
		eng.Close()
	})
	return &env{eng: eng, svc: svc}
}

func (e *env) ingest(t *testing.T, arts ...*news.Article) {
	t.Helper()
	if _, rej, err := e.eng.Ingest(context.Background(), arts); err != nil || len(rej) > 0 {
		t.Fatalf("ingest: %v %v", err, rej)
	}
}

func art(id, body string) *news.Article { return &news.Article{ID: id, Body: body, Source: "wire"} }

// hook is a webhook receiver on loopback that verifies every signature
// with the Standard Webhooks reference library.
type hook struct {
	t      *testing.T
	srv    *httptest.Server
	secret string

	mu       sync.Mutex
	respond  func(n int, w http.ResponseWriter) int // n: request number from 1; returns a status, 0: 200
	n        int
	ids      []string            // webhook-id per request
	articles map[string][]string // article id -> webhook-ids that carried it
	bodies   []Payload
	raw      [][]byte // the bodies as received
	badSig   int
}

func newHook(t *testing.T) *hook {
	h := &hook{t: t, articles: map[string][]string{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.n++
	n := h.n
	secret := h.secret
	respond := h.respond
	h.mu.Unlock()
	if respond != nil {
		if st := respond(n, w); st != 0 && st/100 != 2 {
			w.WriteHeader(st)
			return
		}
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		h.t.Errorf("reference library: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := wh.Verify(body, r.Header); err != nil {
		h.badSig++
		h.t.Errorf("signature does not verify with the reference library: %v", err)
	}
	if r.Header.Get("user-agent") != "Watchword/test" || r.Header.Get("content-type") != "application/json" {
		h.t.Errorf("headers: %v", r.Header)
	}
	var p struct {
		Type string `json:"type"`
		Data struct {
			Matches []struct {
				Match
				Story *DeliveredStory `json:"story"`
			} `json:"matches"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &p)
	id := r.Header.Get("webhook-id")
	h.ids = append(h.ids, id)
	for _, m := range p.Data.Matches {
		h.articles[m.ID] = append(h.articles[m.ID], id)
		if m.Story != nil { // the other copies of its story, delivered with it
			for _, c := range m.Story.Copies {
				h.articles[c.ID] = append(h.articles[c.ID], id)
			}
		}
	}
	var full Payload
	_ = json.Unmarshal(body, &full)
	h.bodies = append(h.bodies, full)
	h.raw = append(h.raw, body)
}

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ids)
}

func (h *hook) got() map[string][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]string{}
	for k, v := range h.articles {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func strp(s string) *string { return &s }
func intp(i int) *int       { return &i }

func (e *env) create(t *testing.T, h *hook, q string, mutate func(*Input)) View {
	t.Helper()
	in := &Input{Name: strp("test"), Query: strp(q), Schedule: strp("@daily"), WebhookURL: strp(h.srv.URL + "/hook?token=abc")}
	if mutate != nil {
		mutate(in)
	}
	v, err := e.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.Secret, "whsec_") {
		t.Fatalf("secret %q", v.Secret)
	}
	h.mu.Lock()
	h.secret = v.Secret
	h.mu.Unlock()
	return v
}

func (e *env) deliveries(t *testing.T, id string) []*Delivery {
	t.Helper()
	ds, err := e.svc.Deliveries(context.Background(), id, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestValidateRejectsBadInput(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Allow = nil; c.MinInterval = time.Minute })
	good := func() *Input {
		return &Input{Name: strp("n"), Query: strp("ukraine"), Schedule: strp("@hourly"), WebhookURL: strp("https://93.184.215.14/hook")}
	}
	cases := []struct {
		name string
		mut  func(*Input)
		code string
		pos  int
	}{
		{"broken query", func(in *Input) { in.Query = strp("peskov AND (ukraine") }, news.ECodeQuerySyntax, 11},
		{"TZ=", func(in *Input) { in.Schedule = strp("TZ=") }, news.ECodeInvalid, -1},
		{"CRON_TZ=", func(in *Input) { in.Schedule = strp("CRON_TZ=") }, news.ECodeInvalid, -1},
		{"CRON_TZ=garbage", func(in *Input) { in.Schedule = strp("CRON_TZ=Nowhere/Land 0 * * * *") }, news.ECodeInvalid, -1},
		{"CRON_TZ without spec", func(in *Input) { in.Schedule = strp("CRON_TZ=UTC") }, news.ECodeInvalid, -1},
		{"@every 0s", func(in *Input) { in.Schedule = strp("@every 0s") }, news.ECodeInvalid, -1},
		{"@every 500ms", func(in *Input) { in.Schedule = strp("@every 500ms") }, news.ECodeInvalid, -1},
		{"@every 30s below min", func(in *Input) { in.Schedule = strp("@every 30s") }, news.ECodeInvalid, -1},
		{"never fires", func(in *Input) { in.Schedule = strp("0 0 30 2 *") }, news.ECodeInvalid, -1},
		{"garbage spec", func(in *Input) { in.Schedule = strp("every tuesday") }, news.ECodeInvalid, -1},
		{"unknown timezone", func(in *Input) { in.Timezone = strp("Mars/Olympus") }, news.ECodeInvalid, -1},
		{"ftp url", func(in *Input) { in.WebhookURL = strp("ftp://example.com/x") }, news.ECodeInvalid, -1},
		{"metadata url", func(in *Input) { in.WebhookURL = strp("http://169.254.169.254/") }, news.ECodeInvalid, -1},
		{"private url", func(in *Input) { in.WebhookURL = strp("http://10.0.0.1/") }, news.ECodeInvalid, -1},
		{"loopback url", func(in *Input) { in.WebhookURL = strp("http://127.0.0.1:9/") }, news.ECodeInvalid, -1},
		{"localhost url", func(in *Input) { in.WebhookURL = strp("http://localhost:9/") }, news.ECodeInvalid, -1},
		{"ipv6 link-local", func(in *Input) { in.WebhookURL = strp("http://[fe80::1]/") }, news.ECodeInvalid, -1},
		{"ipv6 ula", func(in *Input) { in.WebhookURL = strp("http://[fd00::1]/") }, news.ECodeInvalid, -1},
		{"1 MiB name", func(in *Input) { in.Name = strp(strings.Repeat("n", 1<<20)) }, news.ECodeInvalid, -1},
		{"max matches 0 is default, 1001 not", func(in *Input) { in.MaxMatchesPerDelivery = intp(1001) }, news.ECodeInvalid, -1},
		{"no webhook", func(in *Input) { in.WebhookURL = nil }, news.ECodeInvalid, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := good()
			c.mut(in)
			_, err := e.svc.Create(context.Background(), in)
			if news.ErrorCode(err) != c.code {
				t.Fatalf("err %v, want code %s", err, c.code)
			}
			if c.pos >= 0 {
				var ne *news.Error
				if !errorsAs(err, &ne) || ne.Position == nil || *ne.Position != c.pos {
					t.Fatalf("want position %d, got %v", c.pos, err)
				}
			}
		})
	}
	if _, err := DecodeInput([]byte(`{"name":"x","filters":{"speeker":["a"]}}`)); news.ErrorCode(err) != news.ECodeBadRequest {
		t.Fatalf("unknown filter field: %v", err)
	}
	if _, err := DecodeInput([]byte(`{"name":"x","secret":"whsec_x"}`)); news.ErrorCode(err) != news.ECodeBadRequest {
		t.Fatalf("read-only field: %v", err)
	}
	all, _ := e.svc.List(context.Background())
	if len(all) != 0 {
		t.Fatalf("bad input saved %d alerts", len(all))
	}
	// The good one works, and a PATCH with a bad value changes nothing.
	v, err := e.svc.Create(context.Background(), good())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Update(context.Background(), v.ID, &Input{Schedule: strp("TZ=")}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("patch: %v", err)
	}
	if got, _ := e.svc.Get(context.Background(), v.ID); got.Schedule != "@hourly" || got.Secret != "" {
		t.Fatalf("after bad patch: %+v", got)
	}
}

func errorsAs(err error, ne **news.Error) bool {
	e, ok := err.(*news.Error)
	if ok {
		*ne = e
	}
	return ok
}

func TestNewMatchesAreSentOnce(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	e.ingest(t, art("old1", "Ukraine talks resumed."), art("old2", "More on Ukraine."))
	a := e.create(t, h, "ukraine", func(in *Input) { in.MaxMatchesPerDelivery = intp(2) })

	res, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil || res.Matches != 0 {
		t.Fatalf("existing articles must not be sent: %+v %v", res, err)
	}
	e.ingest(t, art("n1", "Ukraine grain deal."), art("n2", "Weather in Spain."), art("n3", "Kyiv and Ukraine."),
		art("n4", "Ukraine again."), art("n5", "Ukraine five."))
	e.ingest(t, art("gone", "Ukraine story that is deleted."))
	if err := e.eng.Delete(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	res, err = e.svc.RunNow(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Matches != 4 || res.Deliveries != 2 {
		t.Fatalf("want 4 matches in 2 deliveries (chunks of 2), got %+v", res)
	}
	testutil.WaitFor(t, "2 webhooks", 5*time.Second, func() bool { return h.count() == 2 })
	got := h.got()
	for _, id := range []string{"n1", "n3", "n4", "n5"} {
		if len(got[id]) != 1 {
			t.Errorf("%s delivered %d times", id, len(got[id]))
		}
	}
	if _, ok := got["n2"]; ok {
		t.Error("non-matching article sent")
	}
	if _, ok := got["gone"]; ok {
		t.Error("deleted article sent")
	}
	h.mu.Lock()
	b := h.bodies[0]
	h.mu.Unlock()
	if b.Type != EventMatched || b.Timestamp.IsZero() {
		t.Errorf("payload %+v", b)
	}
	data, _ := json.Marshal(b.Data)
	if !strings.Contains(string(data), `"total_new":4`) || !strings.Contains(string(data), `\u003cmark\u003eUkraine\u003c/mark\u003e`) {
		t.Errorf("payload data %s", data)
	}

	// Re-ingesting the same id (a new seq) is not sent again; nor is
	// anything on a second run.
	e.ingest(t, art("n1", "Ukraine grain deal, updated."))
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Matches != 0 {
		t.Fatalf("re-ingested article re-sent: %+v %v", res, err)
	}
	ds := e.deliveries(t, a.ID)
	if len(ds) != 2 {
		t.Fatalf("deliveries %d", len(ds))
	}
	testutil.WaitFor(t, "succeeded", 5*time.Second, func() bool {
		for _, d := range e.deliveries(t, a.ID) {
			if d.Status != StatusSucceeded || d.Attempts != 1 || d.LastStatusCode != 200 {
				return false
			}
		}
		return true
	})
	// Deleted after the run, before the send: left out of the payload
	// (the receiver is failing while it is deleted).
	h.mu.Lock()
	h.respond = func(n int, w http.ResponseWriter) int { return 503 }
	h.mu.Unlock()
	e.ingest(t, art("late", "Ukraine late story."), art("late2", "Ukraine kept story."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Delete(context.Background(), "late"); err != nil {
		t.Fatal(err)
	}
	// An attempt may have built its payload just before the delete and be
	// on its way; keep failing up to the first request after the delete, so
	// every attempt that can succeed was built after it.
	h.mu.Lock()
	n0 := h.n
	h.respond = func(n int, w http.ResponseWriter) int {
		if n <= n0+1 {
			return 503
		}
		return 0
	}
	h.mu.Unlock()
	testutil.WaitFor(t, "late2", 5*time.Second, func() bool { return len(h.got()["late2"]) == 1 })
	if _, ok := h.got()["late"]; ok {
		t.Error("article deleted before the send was sent")
	}
}

func TestPreviewMovesNothing(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("p1", "Ukraine one."), art("p2", "Ukraine two."), art("p3", "Other."))
	for i := 0; i < 2; i++ {
		p, err := e.svc.Preview(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalNew != 2 || len(p.Matches) != 2 {
			t.Fatalf("preview %+v", p)
		}
	}
	got, _ := e.svc.Get(context.Background(), a.ID)
	if got.Watermark != a.Watermark || got.LastRunAt != nil || len(e.deliveries(t, a.ID)) != 0 {
		t.Fatalf("preview moved something: %+v", got)
	}
	time.Sleep(100 * time.Millisecond)
	if h.count() != 0 {
		t.Fatal("preview sent something")
	}
}

func TestReceiverDownThenUp(t *testing.T) {
	e := newEnv(t, nil)
	// A port with nothing listening yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := &hook{t: t, articles: map[string][]string{}}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	in := &Input{Name: strp("down"), Query: strp("ukraine"), Schedule: strp("@daily"), WebhookURL: strp("http://" + addr + "/")}
	v, err := e.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	h.secret = v.Secret
	e.ingest(t, art("d1", "Ukraine down."))
	if _, err := e.svc.RunNow(context.Background(), v.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "a failed attempt", 5*time.Second, func() bool {
		ds := e.deliveries(t, v.ID)
		return len(ds) == 1 && ds[0].Attempts >= 1 && ds[0].Status == StatusRetrying
	})
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	h.srv.Listener = ln2
	h.srv.Start()
	defer h.srv.Close()
	testutil.WaitFor(t, "delivery after the receiver came up", 5*time.Second, func() bool {
		ds := e.deliveries(t, v.ID)
		return ds[0].Status == StatusSucceeded
	})
	if got := h.got(); len(got["d1"]) != 1 {
		t.Fatalf("got %v", got)
	}
}

func TestReceiverErrorsRetryThenFailThenRedeliver(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	h.respond = func(n int, w http.ResponseWriter) int { return 500 }
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("r1", "Ukraine retry."))
	start := time.Now()
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "failed", 5*time.Second, func() bool { return e.deliveries(t, a.ID)[0].Status == StatusFailed })
	d := e.deliveries(t, a.ID)[0]
	if d.Attempts != 3 || d.LastStatusCode != 500 || d.LastError == "" || time.Since(start) < 250*time.Millisecond {
		t.Fatalf("after the schedule: %+v in %s", d, time.Since(start))
	}
	if got, _ := e.svc.Get(context.Background(), a.ID); got.LastDeliveryStatus != StatusFailed {
		t.Fatalf("alert status %q", got.LastDeliveryStatus)
	}
	h.mu.Lock()
	h.respond = nil
	h.mu.Unlock()
	if _, err := e.svc.Redeliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "redelivered", 5*time.Second, func() bool { return e.deliveries(t, a.ID)[0].Status == StatusSucceeded })
	h.mu.Lock()
	ids := append([]string(nil), h.ids...)
	h.mu.Unlock()
	if len(ids) != 1 || ids[0] != d.ID {
		t.Fatalf("webhook ids %v, want the delivery id %s", ids, d.ID)
	}
	if _, err := e.svc.Redeliver(context.Background(), "msg_nope"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Fatalf("redeliver unknown: %v", err)
	}
}

func TestReceiverTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Timeout = 150 * time.Millisecond })
	h := newHook(t)
	h.respond = func(n int, w http.ResponseWriter) int {
		if n == 1 {
			time.Sleep(600 * time.Millisecond)
		}
		return 0
	}
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("t1", "Ukraine slow."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "success after a timeout", 5*time.Second, func() bool { return e.deliveries(t, a.ID)[0].Status == StatusSucceeded })
	d := e.deliveries(t, a.ID)[0]
	if d.Attempts != 2 {
		t.Fatalf("%+v", d)
	}
}

func TestRetryAfterAndGone(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	var times []time.Time
	h.respond = func(n int, w http.ResponseWriter) int {
		times = append(times, time.Now())
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			return 429
		}
		return 0
	}
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("ra", "Ukraine rate limited."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "success after 429", 5*time.Second, func() bool { return e.deliveries(t, a.ID)[0].Status == StatusSucceeded })
	h.mu.Lock()
	gap := times[1].Sub(times[0])
	h.mu.Unlock()
	if gap < 900*time.Millisecond {
		t.Fatalf("Retry-After: 1 not honoured: second attempt after %s", gap)
	}

	// 410 Gone disables the alert.
	h.mu.Lock()
	h.respond = func(n int, w http.ResponseWriter) int { return 410 }
	h.mu.Unlock()
	e.ingest(t, art("g1", "Ukraine gone."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "disabled", 5*time.Second, func() bool {
		got, _ := e.svc.Get(context.Background(), a.ID)
		return !got.Enabled
	})
	ds := e.deliveries(t, a.ID)
	if ds[0].Status != StatusFailed || ds[0].Attempts != 1 || ds[0].LastStatusCode != 410 {
		t.Fatalf("%+v", ds[0])
	}
}

func TestScheduleFiresAndEditsApply(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", func(in *Input) { in.Schedule = strp("@every 1s") })
	e.ingest(t, art("s1", "Ukraine scheduled."))
	testutil.WaitFor(t, "scheduled delivery", 5*time.Second, func() bool { return h.count() == 1 })
	// Pausing takes effect at once.
	if _, err := e.svc.Update(context.Background(), a.ID, &Input{Enabled: new(bool)}); err != nil {
		t.Fatal(err)
	}
	e.ingest(t, art("s2", "Ukraine paused."))
	time.Sleep(1500 * time.Millisecond)
	if h.count() != 1 {
		t.Fatal("paused alert ran")
	}
	on := true
	if _, err := e.svc.Update(context.Background(), a.ID, &Input{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "resumed delivery", 5*time.Second, func() bool { return len(h.got()["s2"]) == 1 })
}

func TestGuardAtConnectTime(t *testing.T) {
	// No allow list: the sender refuses to dial loopback even if the URL
	// got past validation (as with DNS rebinding).
	e := newEnv(t, func(c *Config) { c.Allow = nil })
	h := newHook(t)
	out := e.svc.sender.client.post(context.Background(), h.srv.URL+"/?q=secret", []string{"whsec_AAAA"}, "msg_x", []byte("{}"))
	if out.err == nil || out.retry || h.count() != 0 {
		t.Fatalf("loopback dialled: %+v", out)
	}
	if strings.Contains(out.err.Error(), "q=secret") {
		t.Fatalf("error leaks the query string: %v", out.err)
	}
}

func TestSendTestEventAndRotate(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	r, err := e.svc.SendTest(context.Background(), a.ID)
	if err != nil || !r.OK || r.StatusCode != 200 {
		t.Fatalf("test event: %+v %v", r, err)
	}
	v, err := e.svc.RotateSecret(context.Background(), a.ID, 0)
	if err != nil || v.Secret == a.Secret || !strings.HasPrefix(v.Secret, "whsec_") {
		t.Fatalf("rotate: %+v %v", v, err)
	}
	h.mu.Lock()
	h.secret = v.Secret
	h.mu.Unlock()
	if r, err := e.svc.SendTest(context.Background(), a.ID); err != nil || !r.OK {
		t.Fatalf("after rotation: %+v %v", r, err)
	}
	if h.count() != 2 || h.badSig != 0 {
		t.Fatalf("count %d bad %d", h.count(), h.badSig)
	}
}

func TestSignMatchesReferenceLibrary(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now()
	body := []byte(`{"type":"alert.test"}`)
	sig, err := Sign(secret, "msg_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := wh.Sign("msg_1", ts, body)
	if err != nil || ref != sig {
		t.Fatalf("ours %s, reference %s (%v)", sig, ref, err)
	}
	hdr := http.Header{}
	hdr.Set("webhook-id", "msg_1")
	hdr.Set("webhook-timestamp", fmt.Sprint(ts.Unix()))
	hdr.Set("webhook-signature", sig)
	if err := wh.Verify(body, hdr); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteRemovesEverything(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	h.respond = func(n int, w http.ResponseWriter) int { return 500 }
	a := e.create(t, h, "ukraine", nil)
	e.ingest(t, art("x1", "Ukraine x."))
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Get(context.Background(), a.ID); news.ErrorCode(err) != news.ECodeNotFound {
		t.Fatal(err)
	}
	if err := e.svc.Delete(context.Background(), a.ID); news.ErrorCode(err) != news.ECodeNotFound {
		t.Fatal(err)
	}
}
