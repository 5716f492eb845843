package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// received is one request a recorder got, as it came over the wire.
type received struct {
	body []byte
	hdr  http.Header
}

// recorder is a webhook receiver that keeps every request, so that the
// test can verify each with whichever secret it likes.
type recorder struct{ *testutil.Receiver }

func newRecorder(t *testing.T) *recorder { return &recorder{testutil.NewReceiver(t, nil)} }

func (r *recorder) n() int { return r.Count() }

func (r *recorder) last() received {
	got := r.Requests()
	m := got[len(got)-1]
	return received{body: m.Body, hdr: m.Header}
}

// verifies tells whether the reference library accepts a request with
// secret (timestamp tolerance enforced).
func verifies(t *testing.T, secret string, m received) bool {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.Verify(m.body, m.hdr) == nil
}

// deliverOne ingests a matching article, runs the alert and returns the
// delivery the receiver got.
func deliverOne(t *testing.T, e *env, r *recorder, alertID, articleID string) received {
	t.Helper()
	n := r.n()
	e.ingest(t, art(articleID, "Ukraine story "+articleID+"."))
	if res, err := e.svc.RunNow(context.Background(), alertID); err != nil || res.Deliveries != 1 {
		t.Fatalf("run: %+v %v", res, err)
	}
	testutil.WaitFor(t, "a delivery", 5*time.Second, func() bool { return r.n() == n+1 })
	m := r.last()
	if !bytes.Contains(m.body, []byte(`"id":"`+articleID+`"`)) {
		t.Fatalf("delivery without %s: %s", articleID, m.body)
	}
	return m
}

// storedAlert reads an alert's definition as the store holds it.
func storedAlert(t *testing.T, e *env, id string) []byte {
	t.Helper()
	a, err := e.svc.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A rotation with a grace keeps the old secret signing beside the new
// one: a delivery carries both signatures, and the reference library
// verifies it with either secret. Once the grace is over only the new
// one signs and the old secret is gone from the store.
func TestRotationGraceSignsWithBothSecrets(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, func(c *Config) { c.Clock = clock.Now })
	r := newRecorder(t)
	in := &Input{Name: strp("rot"), Query: strp("ukraine"), Schedule: strp("@daily"), WebhookURL: strp(r.URL + "/hook")}
	created, err := e.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	oldSecret := created.Secret
	other, _ := NewSecret()

	m := deliverOne(t, e, r, created.ID, "before")
	if sig := m.hdr.Get("webhook-signature"); strings.Count(sig, "v1,") != 1 || !verifies(t, oldSecret, m) {
		t.Fatalf("before the rotation: signature %q", sig)
	}

	v, err := e.svc.RotateSecret(context.Background(), created.ID, DefaultRotationGrace)
	if err != nil {
		t.Fatal(err)
	}
	newSecret := v.Secret
	if !strings.HasPrefix(newSecret, "whsec_") || newSecret == oldSecret {
		t.Fatalf("new secret %q", newSecret)
	}
	wantExp := clock.Now().Add(24 * time.Hour)
	if len(v.PreviousSecrets) != 1 || !v.PreviousSecrets[0].ExpiresAt.Equal(wantExp) {
		t.Fatalf("rotation answer: previous secrets %+v, want one expiring at %s", v.PreviousSecrets, wantExp)
	}
	if g, _ := e.svc.Get(context.Background(), created.ID); g.Secret != "" || len(g.PreviousSecrets) != 1 {
		t.Fatalf("get after rotation: %+v", g)
	}

	// During the grace: both signatures, space-separated, new first.
	clock.Add(23 * time.Hour)
	m = deliverOne(t, e, r, created.ID, "during")
	sigs := strings.Split(m.hdr.Get("webhook-signature"), " ")
	if len(sigs) != 2 {
		t.Fatalf("during the grace: signature header %q, want two", m.hdr.Get("webhook-signature"))
	}
	if sigs[0] != mustSign(t, newSecret, m) || sigs[1] != mustSign(t, oldSecret, m) {
		t.Fatalf("signatures %q, want the new secret's then the old one's", sigs)
	}
	if !verifies(t, newSecret, m) || !verifies(t, oldSecret, m) {
		t.Fatalf("during the grace the reference library must verify with either secret: new %v old %v",
			verifies(t, newSecret, m), verifies(t, oldSecret, m))
	}
	if verifies(t, other, m) {
		t.Fatal("a third secret verifies")
	}
	// The test event is signed the same way.
	if res, err := e.svc.SendTest(context.Background(), created.ID); err != nil || !res.OK {
		t.Fatalf("test event: %+v %v", res, err)
	}
	if m := r.last(); !verifies(t, newSecret, m) || !verifies(t, oldSecret, m) {
		t.Fatal("test event during the grace: not verifiable with both secrets")
	}
	if !bytes.Contains(storedAlert(t, e, created.ID), []byte(strings.TrimPrefix(oldSecret, secretPrefix))) {
		t.Fatal("the old secret is not kept during the grace")
	}

	// After the grace: only the new signature; the old secret is erased.
	clock.Add(time.Hour + time.Second)
	m = deliverOne(t, e, r, created.ID, "after")
	if sig := m.hdr.Get("webhook-signature"); strings.Contains(sig, " ") {
		t.Fatalf("after the grace: signature header %q, want one", sig)
	}
	if !verifies(t, newSecret, m) || verifies(t, oldSecret, m) {
		t.Fatalf("after the grace: new %v (want true) old %v (want false)", verifies(t, newSecret, m), verifies(t, oldSecret, m))
	}
	if raw := storedAlert(t, e, created.ID); bytes.Contains(raw, []byte(strings.TrimPrefix(oldSecret, secretPrefix))) {
		t.Fatalf("the old secret is still in the store: %s", raw)
	}
	if g, _ := e.svc.Get(context.Background(), created.ID); len(g.PreviousSecrets) != 0 {
		t.Fatalf("get after the grace: %+v", g.PreviousSecrets)
	}
}

// grace 0 is abrupt, and ends earlier graces too; the grace is bounded
// and so is the number of secrets signing at once.
func TestRotationAbruptAndBounds(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, func(c *Config) { c.Clock = clock.Now })
	r := newRecorder(t)
	in := &Input{Name: strp("rot"), Query: strp("ukraine"), Schedule: strp("@daily"), WebhookURL: strp(r.URL + "/hook")}
	created, err := e.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []time.Duration{-time.Second, MaxRotationGrace + time.Second} {
		if _, err := e.svc.RotateSecret(context.Background(), created.ID, g); news.ErrorCode(err) != news.ECodeInvalid {
			t.Fatalf("grace %s: %v, want invalid", g, err)
		}
	}
	if _, err := e.svc.RotateSecret(context.Background(), "al_missing", time.Hour); news.ErrorCode(err) != news.ECodeNotFound {
		t.Fatalf("missing alert: %v", err)
	}
	secrets := []string{created.Secret}
	for i := 0; i < MaxPreviousSecrets; i++ {
		clock.Add(time.Minute)
		v, err := e.svc.RotateSecret(context.Background(), created.ID, MaxRotationGrace)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, v.Secret)
		if len(v.PreviousSecrets) != i+1 || !v.PreviousSecrets[0].ExpiresAt.Equal(clock.Now().Add(MaxRotationGrace)) {
			t.Fatalf("rotation %d: %+v", i, v.PreviousSecrets)
		}
	}
	if _, err := e.svc.RotateSecret(context.Background(), created.ID, time.Hour); news.ErrorCode(err) != news.ECodeConflict {
		t.Fatalf("rotation beyond %d secrets in grace: %v, want conflict", MaxPreviousSecrets, err)
	}
	m := deliverOne(t, e, r, created.ID, "four")
	for i, s := range secrets {
		if !verifies(t, s, m) {
			t.Fatalf("secret %d of %d does not verify during its grace", i, len(secrets))
		}
	}
	v, err := e.svc.RotateSecret(context.Background(), created.ID, 0)
	if err != nil || len(v.PreviousSecrets) != 0 {
		t.Fatalf("abrupt rotation: %+v %v", v.PreviousSecrets, err)
	}
	m = deliverOne(t, e, r, created.ID, "abrupt")
	if m.hdr.Get("webhook-signature") != mustSign(t, v.Secret, m) {
		t.Fatalf("after an abrupt rotation: %q", m.hdr.Get("webhook-signature"))
	}
	for _, s := range secrets {
		if verifies(t, s, m) {
			t.Fatal("a replaced secret verifies after an abrupt rotation")
		}
	}
}

// mustSign is the signature of a received request with secret.
func mustSign(t *testing.T, secret string, m received) string {
	t.Helper()
	sec, err := strconv.ParseInt(m.hdr.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(secret, m.hdr.Get("webhook-id"), time.Unix(sec, 0), m.body)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// The sweeper erases a replaced secret at its expiry even when the alert
// sends nothing (wall clock, a short grace; waits on the store).
func TestRotationSweeperErasesExpiredSecret(t *testing.T) {
	e := newEnv(t, nil)
	r := newRecorder(t)
	in := &Input{Name: strp("rot"), Query: strp("ukraine"), Schedule: strp("@daily"), WebhookURL: strp(r.URL + "/hook")}
	created, err := e.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	old := []byte(strings.TrimPrefix(created.Secret, secretPrefix))
	if _, err := e.svc.RotateSecret(context.Background(), created.ID, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(storedAlert(t, e, created.ID), old) {
		t.Fatal("the replaced secret is not kept during its grace")
	}
	testutil.WaitFor(t, "the replaced secret to be erased", 5*time.Second, func() bool {
		return !bytes.Contains(storedAlert(t, e, created.ID), old)
	})
	if r.n() != 0 {
		t.Fatalf("%d requests", r.n())
	}
}

func TestDecodeRotation(t *testing.T) {
	cases := []struct {
		body string
		want time.Duration
		code string
	}{
		{"", DefaultRotationGrace, ""},
		{"  \n", DefaultRotationGrace, ""},
		{`{}`, DefaultRotationGrace, ""},
		{`{"grace":"36h"}`, 36 * time.Hour, ""},
		{`{"grace":"0s"}`, 0, ""},
		{`{"grace":"168h"}`, MaxRotationGrace, ""},
		{`{"grace":"169h"}`, 0, news.ECodeInvalid},
		{`{"grace":"-1h"}`, 0, news.ECodeInvalid},
		{`{"grace":"7d"}`, 0, news.ECodeInvalid},
		{`{"grace":86400}`, 0, news.ECodeBadRequest},
		{`{"grase":"1h"}`, 0, news.ECodeBadRequest},
		{`{"grace":"1h"} {}`, 0, news.ECodeBadRequest},
		{`[`, 0, news.ECodeBadRequest},
	}
	for _, c := range cases {
		got, err := DecodeRotation([]byte(c.body))
		if news.ErrorCode(err) != c.code || (c.code == "" && got != c.want) {
			t.Errorf("%q: %s %v, want %s %q", c.body, got, err, c.want, c.code)
		}
	}
}
