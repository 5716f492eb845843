package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseRetry(t *testing.T) {
	got, err := parseRetry("0s, 1s,2s")
	if err != nil || len(got) != 3 || got[2] != 2*time.Second {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := parseRetry("0s,soon"); err == nil {
		t.Fatal("bad schedule accepted")
	}
	if got, err := parseRetry(""); err != nil || got != nil {
		t.Fatalf("%v %v", got, err)
	}
}

func TestAlertsCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()
	s := startServer(t, t.TempDir(), "--webhook-allow", "127.0.0.0/8")
	// flags after the subcommand name; positional ids last
	runCLI := func(sub string, rest ...string) (string, string, int) {
		var out, errb bytes.Buffer
		args := append([]string{"alerts", sub, "--server", s.base, "--token", "crash-token"}, rest...)
		code := run(args, &out, &errb)
		return out.String(), errb.String(), code
	}
	out, errs, code := runCLI("create", "--name", "ua", "--query", "ukraine AND (", "--webhook", recv.URL)
	if code == 0 || !strings.Contains(errs, "query_syntax") {
		t.Fatalf("bad query: %d %s %s", code, out, errs)
	}
	out, errs, code = runCLI("create", "--name", "ua", "--query", "ukraine", "--webhook", recv.URL, "--schedule", "@daily")
	if code != 0 || !strings.Contains(out, "whsec_") {
		t.Fatalf("create: %d %s %s", code, out, errs)
	}
	createOut := out
	id := regexp.MustCompile(`al_[0-9a-f]+`).FindString(out)
	if _, err := post(s.base, []byte(`{"id":"k1","body":"Ukraine news."}`+"\n")); err != nil {
		t.Fatal(err)
	}
	out, errs, code = runCLI("list")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "@daily") {
		t.Fatalf("list: %d %s %s", code, out, errs)
	}
	out, errs, code = runCLI("preview", id)
	if code != 0 || !strings.Contains(out, "1 new matches") || !strings.Contains(out, "k1") {
		t.Fatalf("preview: %d %s %s", code, out, errs)
	}
	oldSecret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=_-]+`).FindString(createOut)
	out, errs, code = runCLI("rotate-secret", id, "--grace", "2h")
	newSecret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=_-]+`).FindString(out)
	if code != 0 || newSecret == "" || newSecret == oldSecret || !strings.Contains(out, "keeps signing until") {
		t.Fatalf("rotate-secret: %d %q %s (old %q)", code, out, errs, oldSecret)
	}
	if _, errs, code = runCLI("rotate-secret", id, "--grace", "1000h"); code == 0 || !strings.Contains(errs, "invalid") {
		t.Fatalf("rotate-secret beyond the longest grace: %d %s", code, errs)
	}
	out, errs, code = runCLI("delete", id)
	if code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("delete: %d %s %s", code, out, errs)
	}
	if _, errs, code = runCLI("delete", id); code == 0 || !strings.Contains(errs, "not_found") {
		t.Fatalf("delete again: %d %s", code, errs)
	}
}
