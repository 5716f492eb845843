package alerts

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/smtptest"
	"github.com/watchword/watchword/internal/testutil"
)

const testPublicURL = "https://watchword.example.com"

// syncBuffer is a log sink tests read while the service writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newMailEnv is a service that mails through srv (STARTTLS required,
// AUTH PLAIN with srv's credentials) and logs into the returned buffer.
func newMailEnv(t *testing.T, srv *smtptest.Server, mutate func(*Config)) (*env, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	e := newEnv(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.SMTP = &SMTPConfig{Host: srv.Host, Port: srv.Port, Username: srv.Username, Password: srv.Password,
			StartTLS: StartTLSRequired, From: "watchword@example.com", TLSConfig: srv.TLSConfig()}
		c.PublicURL = testPublicURL + "/"
		if mutate != nil {
			mutate(c)
		}
	})
	return e, logs
}

func (e *env) createMail(t *testing.T, to []string, mutate func(*Input)) View {
	t.Helper()
	in := &Input{Name: strp("Kremlin <watch> & more"), Query: strp("ukraine"), Schedule: strp("@daily"), Email: &to}
	if mutate != nil {
		mutate(in)
	}
	v, err := e.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitDeliveries waits until every delivery of the alert is finished
// and returns them.
func (e *env) waitDeliveries(t *testing.T, id string, n int) []*Delivery {
	t.Helper()
	var ds []*Delivery
	testutil.WaitFor(t, "deliveries finished", 10*time.Second, func() bool {
		ds = e.deliveries(t, id)
		if len(ds) != n {
			return false
		}
		for _, d := range ds {
			if d.Status != StatusSucceeded && d.Status != StatusFailed {
				return false
			}
		}
		return true
	})
	return ds
}

// parsedMail is a received message, decoded.
type parsedMail struct {
	h     mail.Header
	parts map[string]string // media type -> decoded body
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v); want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	out := parsedMail{h: m.Header, parts: map[string]string{}}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if pp["charset"] != "" && !strings.EqualFold(pp["charset"], "utf-8") {
			t.Errorf("%s charset %q", pt, pp["charset"])
		}
		b, err := io.ReadAll(p) // quoted-printable is decoded by multipart
		if err != nil {
			t.Fatal(err)
		}
		out.parts[pt] = string(b)
	}
	return out
}

func mailArticles() []*news.Article {
	d := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	return []*news.Article{
		{ID: "m1", Title: "Ukraine <script>alert(1)</script> & talks", Body: "Talks on Ukraine resumed in Geneva.",
			URL: "https://news.example/a?x=1&y=2", Source: "wire", Date: d,
			Supplied: news.Facets{Speakers: []string{"Dmitry Peskov"}, Countries: []string{"Ukraine", "Russia"}}},
		{ID: "m2", Title: "Grain deal", Body: "Ukraine grain exports rise.", Source: "daily", Date: d.Add(time.Hour)},
	}
}

func TestEmailDeliveryMessage(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	e, logs := newMailEnv(t, srv, nil)
	a := e.createMail(t, []string{"Analyst One <analyst@example.com>"}, nil)
	if len(a.Email) != 1 || a.Email[0] != "analyst@example.com" || a.WebhookURL != "" {
		t.Fatalf("stored email %q webhook %q", a.Email, a.WebhookURL)
	}
	e.ingest(t, mailArticles()...)
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Matches != 2 || res.Deliveries != 1 {
		t.Fatalf("run: %+v %v", res, err)
	}
	ds := e.waitDeliveries(t, a.ID, 1)
	d := ds[0]
	if d.Status != StatusSucceeded || d.Target != TargetEmail || d.Recipient != "analyst@example.com" || d.LastStatusCode != 250 || d.Attempts != 1 {
		t.Fatalf("delivery %+v", d)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if msgs[0].From != "watchword@example.com" || len(msgs[0].To) != 1 || msgs[0].To[0] != "analyst@example.com" {
		t.Fatalf("envelope %q -> %q", msgs[0].From, msgs[0].To)
	}
	if srv.Auths() != 1 {
		t.Errorf("AUTH %d times", srv.Auths())
	}
	m := parseMail(t, msgs[0].Data)
	subj, err := new(mime.WordDecoder).DecodeHeader(m.h.Get("Subject"))
	if err != nil || !strings.Contains(subj, "Kremlin <watch> & more") || !strings.Contains(subj, "2 new articles") {
		t.Errorf("subject %q (%v)", subj, err)
	}
	if got := m.h.Get("Message-Id"); got != "<"+d.ID+"@watchword.example.com>" {
		t.Errorf("Message-ID %q", got)
	}
	pause := testPublicURL + "/alerts/" + a.ID + "/pause?token="
	lu := m.h.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<"+pause) || !strings.HasSuffix(lu, ">") || len(lu) < len(pause)+40 {
		t.Errorf("List-Unsubscribe %q", lu)
	}
	if got := m.h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	pauseURL := strings.Trim(lu, "<>")
	if pauseURL != e.svc.PauseURL(mustAlert(t, e, a.ID)) {
		t.Errorf("pause URL %q is not the alert's", pauseURL)
	}

	text, html := m.parts["text/plain"], m.parts["text/html"]
	if text == "" || html == "" {
		t.Fatalf("parts %v", keys(m.parts))
	}
	for _, want := range []string{
		"Ukraine <script>alert(1)</script> & talks", "https://news.example/a?x=1&y=2", "wire · 2 Mar 2026 09:30 UTC",
		"Talks on Ukraine resumed in Geneva.", "Speakers: Dmitry Peskov · Countries: Ukraine, Russia",
		"Grain deal", testPublicURL + "/alerts/" + a.ID, pauseURL,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "<mark>") || strings.Contains(text, "javascript:") {
		t.Errorf("text part has markup or an unsafe link:\n%s", text)
	}
	for _, want := range []string{
		`<a href="https://news.example/a?x=1&amp;y=2">Ukraine &lt;script&gt;alert(1)&lt;/script&gt; &amp; talks</a>`,
		`<mark>Ukraine</mark>`, `wire · 2 Mar 2026 09:30 UTC`, `Speakers: Dmitry Peskov · Countries: Ukraine, Russia`,
		`<a href="` + testPublicURL + `/alerts/` + a.ID + `">Kremlin &lt;watch&gt; &amp; more</a>`,
		`<a href="` + strings.ReplaceAll(pauseURL, "&", "&amp;") + `">Pause this alert</a>`,
		`<strong>Grain deal</strong>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "javascript:") {
		t.Errorf("HTML part has unescaped markup or an unsafe link:\n%s", html)
	}
	if strings.Contains(logs.String(), srv.Password) {
		t.Error("the SMTP password is in the log")
	}
}

func mustAlert(t *testing.T, e *env, id string) *Alert {
	t.Helper()
	a, err := e.svc.load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A 451 is retried: the message arrives once, on the second attempt.
func TestEmail451IsRetriedAndDeliveredOnce(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	srv.OnRcpt(func(n int, _ string) error {
		if n == 1 {
			return smtptest.Reject(451, "try again later")
		}
		return nil
	})
	e, _ := newMailEnv(t, srv, nil)
	a := e.createMail(t, []string{"analyst@example.com"}, nil)
	e.ingest(t, mailArticles()...)
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	d := e.waitDeliveries(t, a.ID, 1)[0]
	if d.Status != StatusSucceeded || d.Attempts != 2 || d.LastStatusCode != 250 {
		t.Fatalf("delivery %+v; want succeeded on the 2nd attempt", d)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages; want 1", n)
	}
}

// A 550 for one address fails that address's delivery at once; the
// other address gets its message, once. The matches stay sent (a run
// does not send them again), and the failed delivery keeps them: a
// redelivery sends them to the address once it can take them.
func TestEmail550FailsThatRecipientOnly(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	var refuse sync.Map
	refuse.Store("gone@example.com", true)
	srv.OnRcpt(func(_ int, to string) error {
		if _, ok := refuse.Load(to); ok {
			return smtptest.Reject(550, "no such mailbox")
		}
		return nil
	})
	e, _ := newMailEnv(t, srv, nil)
	a := e.createMail(t, []string{"analyst@example.com", "gone@example.com"}, nil)
	e.ingest(t, mailArticles()...)
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Deliveries != 2 {
		t.Fatalf("run: %+v %v", res, err)
	}
	ds := e.waitDeliveries(t, a.ID, 2)
	by := map[string]*Delivery{}
	for _, d := range ds {
		by[d.Recipient] = d
	}
	ok, bad := by["analyst@example.com"], by["gone@example.com"]
	if ok == nil || ok.Status != StatusSucceeded || ok.Attempts != 1 {
		t.Fatalf("analyst's delivery %+v", ok)
	}
	if bad == nil || bad.Status != StatusFailed || bad.Attempts != 1 || bad.LastStatusCode != 550 || !strings.Contains(bad.LastError, "550") {
		t.Fatalf("refused delivery %+v; want failed after 1 attempt with 550", bad)
	}
	if len(bad.ArticleIDs) != 2 {
		t.Fatalf("the failed delivery lost its matches: %v", bad.ArticleIDs)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "analyst@example.com" {
		t.Fatalf("messages %+v", msgs)
	}
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Matches != 0 {
		t.Fatalf("a second run sent the matches again: %+v %v", res, err)
	}
	refuse.Delete("gone@example.com")
	if _, err := e.svc.Redeliver(context.Background(), bad.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the redelivery", 10*time.Second, func() bool { return len(srv.Messages()) == 2 })
	if m := srv.Messages()[1]; m.To[0] != "gone@example.com" || !bytes.Contains(m.Data, []byte("Grain deal")) {
		t.Fatalf("redelivered %q", m.To)
	}
}

// A server that is down is retried on the schedule; the errors and the
// log never carry the password.
func TestEmailServerDownIsRetried(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	srv.Close()
	e, logs := newMailEnv(t, srv, nil)
	a := e.createMail(t, []string{"analyst@example.com"}, nil)
	e.ingest(t, mailArticles()...)
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	d := e.waitDeliveries(t, a.ID, 1)[0]
	if d.Status != StatusFailed || d.Attempts != 3 || !strings.Contains(d.LastError, "connect to smtp://127.0.0.1:") {
		t.Fatalf("delivery %+v; want failed after the 3 attempts of the schedule, with the connection error", d)
	}
	if strings.Contains(d.LastError, srv.Password) || strings.Contains(logs.String(), srv.Password) {
		t.Fatal("the SMTP password is in an error or the log")
	}
	if !strings.Contains(logs.String(), "delivery retrying") {
		t.Errorf("no retry in the log:\n%s", logs.String())
	}
}

// smtp:// requires STARTTLS: a server that does not offer it gets
// nothing (and no password); starttls=optional sends in clear.
func TestEmailStartTLSRequired(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{NoTLS: true})
	e, _ := newMailEnv(t, srv, func(c *Config) { c.RetrySchedule = []time.Duration{0} })
	a := e.createMail(t, []string{"analyst@example.com"}, nil)
	e.ingest(t, mailArticles()...)
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	d := e.waitDeliveries(t, a.ID, 1)[0]
	if d.Status != StatusFailed || !strings.Contains(strings.ToLower(d.LastError), "starttls") || len(srv.Messages()) != 0 || srv.Auths() != 0 {
		t.Fatalf("delivery %+v, %d messages, %d auths; want nothing sent without TLS", d, len(srv.Messages()), srv.Auths())
	}
	// The refused session's connection is closed, not left to time out.
	testutil.WaitFor(t, "no connection left open", 5*time.Second, func() bool { return srv.Active() == 0 })

	// In clear, go-mail offers no password (no PLAIN or LOGIN): the
	// optional policy is for a relay that needs no AUTH.
	e2, _ := newMailEnv(t, srv, func(c *Config) { c.SMTP.StartTLS, c.SMTP.Username = StartTLSOptional, "" })
	a2 := e2.createMail(t, []string{"analyst@example.com"}, nil)
	e2.ingest(t, mailArticles()...)
	if _, err := e2.svc.RunNow(context.Background(), a2.ID); err != nil {
		t.Fatal(err)
	}
	if d := e2.waitDeliveries(t, a2.ID, 1)[0]; d.Status != StatusSucceeded || len(srv.Messages()) != 1 {
		t.Fatalf("optional STARTTLS: %+v", d)
	}
}

// An alert with a webhook and an address makes one delivery for each,
// in the same commit: each arrives once.
func TestEmailAndWebhookEachDeliveredOnce(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	e, _ := newMailEnv(t, srv, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", func(in *Input) { in.Email = &[]string{"analyst@example.com"} })
	e.ingest(t, mailArticles()...)
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Deliveries != 2 || res.Matches != 2 {
		t.Fatalf("run: %+v %v", res, err)
	}
	ds := e.waitDeliveries(t, a.ID, 2)
	targets := map[string]int{}
	for _, d := range ds {
		if d.Status != StatusSucceeded {
			t.Errorf("delivery %+v", d)
		}
		targets[d.Target]++
	}
	if targets[TargetWebhook] != 1 || targets[TargetEmail] != 1 {
		t.Fatalf("targets %v", targets)
	}
	if h.count() != 1 || len(srv.Messages()) != 1 {
		t.Fatalf("%d webhooks, %d emails", h.count(), len(srv.Messages()))
	}
}

func TestEmailValidation(t *testing.T) {
	noSMTP := newEnv(t, nil)
	_, err := noSMTP.svc.Create(context.Background(), &Input{Name: strp("n"), Query: strp("q"), Email: &[]string{"a@example.com"}})
	if news.ErrorCode(err) != news.ECodeInvalid || !strings.Contains(err.Error(), "--smtp-url") {
		t.Fatalf("email without SMTP: %v", err)
	}
	srv := smtptest.Start(t, smtptest.Options{})
	e, _ := newMailEnv(t, srv, nil)
	many := make([]string, MaxEmailRecipients+1)
	for i := range many {
		many[i] = "a" + string(rune('a'+i)) + "@example.com"
	}
	for _, c := range []struct {
		email []string
		want  string
	}{
		{[]string{"not an address"}, "email[0]"},
		{[]string{"a@example.com", "a@example.com\r\nBcc: victim@example.com"}, "email[1]"},
		{[]string{"a@example.com\nBcc: victim@example.com"}, "control character"},
		{[]string{""}, "empty"},
		{[]string{"a@example.com", "A@example.com"}, "twice"},
		{[]string{"nodomain@"}, "email[0]"},
		{[]string{"a@" + strings.Repeat("x", 260) + ".com"}, "longer"},
		{many, "limit of 10"},
	} {
		_, err := e.svc.Create(context.Background(), &Input{Name: strp("n"), Query: strp("q"), Email: &c.email})
		if news.ErrorCode(err) != news.ECodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v; want invalid naming %q", c.email, err, c.want)
		}
	}
	if _, err := e.svc.Create(context.Background(), &Input{Name: strp("n"), Query: strp("q")}); news.ErrorCode(err) != news.ECodeInvalid || !strings.Contains(err.Error(), "webhook_url or email") {
		t.Errorf("no target: %v", err)
	}
	if _, err := e.svc.Create(context.Background(), &Input{Name: strp("n"), Query: strp("q"), Email: &[]string{"a@example.com"}, WebhookFormat: strp("teams")}); news.ErrorCode(err) != news.ECodeInvalid || !strings.Contains(err.Error(), "webhook_format") {
		t.Errorf("bad webhook_format: %v", err)
	}
	all, _ := e.svc.List(context.Background())
	if len(all) != 0 {
		t.Fatalf("bad input saved %d alerts", len(all))
	}
	// An email-only alert can drop its address only for a webhook.
	v := e.createMail(t, []string{"a@example.com"}, nil)
	if _, err := e.svc.SendTest(context.Background(), v.ID); news.ErrorCode(err) != news.ECodeConflict {
		t.Errorf("test event of an alert without a webhook: %v, want a conflict", err)
	}
	if got := v.Redacted().Email; len(got) != 1 || got[0] != "a…@example.com" {
		t.Errorf("redacted email %q", got)
	}
	if _, err := e.svc.Update(context.Background(), v.ID, &Input{Email: &[]string{}}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Errorf("dropping the only target: %v", err)
	}
}

func TestParseSMTPURL(t *testing.T) {
	c, err := ParseSMTPURL("smtp://user%40x:p%40ss:word@mail.example.com", "Watch <watch@example.com>")
	if err != nil || c.Host != "mail.example.com" || c.Port != 587 || c.Username != "user@x" || c.Password != "p@ss:word" ||
		c.ImplicitTLS || c.StartTLS != StartTLSRequired || c.From != "watch@example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	if s := c.String(); strings.Contains(s, "p@ss") || s != "smtp://mail.example.com:587 (STARTTLS required)" {
		t.Errorf("String %q", s)
	}
	c, err = ParseSMTPURL("smtps://u:pw@mail.example.com:2465", "w@example.com")
	if err != nil || !c.ImplicitTLS || c.Port != 2465 {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = ParseSMTPURL("smtp://localhost:25?starttls=optional", "w@example.com")
	if err != nil || c.StartTLS != StartTLSOptional || c.Port != 25 || c.Username != "" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []struct{ url, from string }{
		{"http://u:hunter2@mail.example.com", "w@example.com"},
		{"smtp://u:hunter2@mail.example.com:99999", "w@example.com"},
		{"smtp://u:hunter2@mail.example.com:x", "w@example.com"},
		{"smtp://u:hunter2@mail.example.com?tls=no", "w@example.com"},
		{"smtps://u:hunter2@mail.example.com?starttls=optional", "w@example.com"},
		{"smtp://u:hunter2@", "w@example.com"},
		{"smtp://u:hunter2@mail.example.com", ""},
		{"smtp://u:hunter2@mail.example.com", "not an address"},
	} {
		_, err := ParseSMTPURL(bad.url, bad.from)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s %q: %v", bad.url, bad.from, err)
		}
	}
}

// An alert name with a line break cannot add a header to the email.
func TestEmailSubjectInjection(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	e, _ := newMailEnv(t, srv, nil)
	a := e.createMail(t, []string{"analyst@example.com"}, func(in *Input) { in.Name = strp("Desk\r\nBcc: victim@example.com") })
	e.ingest(t, mailArticles()...)
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	e.waitDeliveries(t, a.ID, 1)
	msgs := srv.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	m := parseMail(t, msgs[0].Data)
	if m.h.Get("Bcc") != "" {
		t.Fatalf("the name added a Bcc header: %q", m.h.Get("Bcc"))
	}
	if subj, _ := new(mime.WordDecoder).DecodeHeader(m.h.Get("Subject")); !strings.Contains(subj, "Desk  Bcc: victim@example.com") {
		t.Errorf("subject %q", subj)
	}
}

// smtps://: TLS from the first byte, then AUTH.
func TestEmailImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: true})
	e, _ := newMailEnv(t, srv, func(c *Config) { c.SMTP.ImplicitTLS = true })
	a := e.createMail(t, []string{"analyst@example.com"}, nil)
	e.ingest(t, mailArticles()...)
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if d := e.waitDeliveries(t, a.ID, 1)[0]; d.Status != StatusSucceeded || len(srv.Messages()) != 1 || srv.Auths() != 1 {
		t.Fatalf("delivery %+v, %d messages, %d auths", d, len(srv.Messages()), srv.Auths())
	}
}
