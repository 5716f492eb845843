package main

import (
	"bytes"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/watchword/watchword/internal/smtptest"
	"github.com/watchword/watchword/internal/testutil"
)

// The email flags: a complete set reaches the alert service's SMTP
// config; a missing or broken one is a usage error (exit 2) that never
// repeats the password.
func TestServeSMTPFlags(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	var f alertFlags
	f.register(fs)
	if err := fs.Parse([]string{"--smtp-url", "smtps://mailer:hunter2@mail.example.com", "--smtp-from", "watchword@example.com", "--public-url", "https://ww.example.com"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.smtp()
	if err != nil || c.Host != "mail.example.com" || c.Port != 465 || !c.ImplicitTLS || c.Password != "hunter2" || c.From != "watchword@example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--smtp-url", "smtp://mailer:hunter2@mail.example.com", "--smtp-from", "w@example.com"},                                             // no --public-url
		{"--smtp-url", "smtp://mailer:hunter2@mail.example.com", "--public-url", "https://ww.example.com"},                                   // no --smtp-from
		{"--smtp-url", "smtp://mailer:hunter2@mail.example.com:x", "--smtp-from", "w@example.com", "--public-url", "https://ww.example.com"}, // bad port
		{"--smtp-url", "smtp://mailer:hunter2@mail.example.com", "--smtp-from", "w@example.com", "--public-url", "ftp://ww.example.com"},     // bad public URL
		{"--smtp-from", "w@example.com"}, // no --smtp-url
	} {
		var out, errb strings.Builder
		if code := run(append([]string{"serve", "--data", dir}, args...), &out, &errb); code != 2 || strings.Contains(errb.String(), "hunter2") {
			t.Errorf("serve %v: exit %d, want 2 without the password (%s)", args, code, errb.String())
		}
	}
}

// End to end through the flags: a server started with --smtp-url (a
// relay without TLS or AUTH: the child process cannot trust the test's
// certificate), --smtp-from and --public-url mails an alert created
// with the CLI's --email.
func TestServeMailsAnAlert(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	relay := smtptest.Start(t, smtptest.Options{NoTLS: true})
	s := startServer(t, t.TempDir(), "--smtp-url", "smtp://"+relay.Host+":"+strconv.Itoa(relay.Port)+"?starttls=optional",
		"--smtp-from", "watchword@example.com", "--public-url", "https://ww.example.com")
	var out, errb bytes.Buffer
	if code := run([]string{"alerts", "create", "--server", s.base, "--token", "crash-token", "--name", "desk", "--query", "ukraine",
		"--email", "analyst@example.com", "--schedule", "@daily"}, &out, &errb); code != 0 {
		t.Fatalf("create: %d %s %s", code, out.String(), errb.String())
	}
	id := regexp.MustCompile(`al_[0-9a-f]+`).FindString(out.String())
	if _, err := post(s.base, []byte(`{"id":"k1","title":"Ukraine talks","body":"Ukraine news."}`+"\n")); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.base+"/api/alerts/"+id+"/run", nil)
	req.Header.Set("Authorization", "Bearer crash-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("run: %v %v", resp, err)
	}
	resp.Body.Close()
	testutil.WaitFor(t, "the email", 10*time.Second, func() bool { return len(relay.Messages()) == 1 })
	m := relay.Messages()[0]
	if m.From != "watchword@example.com" || m.To[0] != "analyst@example.com" || !bytes.Contains(m.Data, []byte("https://ww.example.com/alerts/"+id+"/pause?token=")) {
		t.Fatalf("message %q -> %q:\n%s", m.From, m.To, m.Data)
	}
}
