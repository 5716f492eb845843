package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
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
