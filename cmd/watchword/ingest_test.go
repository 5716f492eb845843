package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// ingestTo runs ingest against the stand-in API and returns exit code,
// stdout, stderr and what the API received.
func ingestTo(t *testing.T, args ...string) (int, string, string, []recorded) {
	t.Helper()
	api := &apiRecorder{}
	ts := httptest.NewServer(api)
	defer ts.Close()
	var out, errb bytes.Buffer
	code := run(append([]string{"ingest", "--server", ts.URL, "--token", "t"}, args...), &out, &errb)
	return code, out.String(), errb.String(), api.take()
}

// posted decodes the NDJSON articles the API received.
func posted(t *testing.T, reqs []recorded) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range reqs {
		for _, ln := range strings.Split(strings.TrimSpace(r.body), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(ln), &m); err != nil {
				t.Fatalf("posted %q: %v", ln, err)
			}
			out = append(out, m)
		}
	}
	return out
}

// TestIngestToAPipe: with stderr not a terminal there are no escape codes
// or carriage returns; an unreadable file is a failed file, not a failed
// article; a bad line is a failed article.
func TestIngestToAPipe(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "good.jsonl"), []byte(`{"id":"g1","body":"One."}`+"\n"+`{"id":"g2","body":"Two."}`+"\n"+`{broken`+"\n"+`{"id":"g3","body":"Three."}`+"\n"), 0o600)
	// A dangling link: listed in the directory, unreadable even for root.
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "gone.json")); err != nil {
		t.Fatal(err)
	}
	code, out, errs, reqs := ingestTo(t, dir, "--batch", "2")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if want := "ingested 4 articles from 2 files"; !strings.Contains(out, want) || !strings.Contains(out, "3 stored, 1 failed; 1 file could not be read") {
		t.Errorf("summary %q, want %q ... 3 stored, 1 failed; 1 file could not be read", out, want)
	}
	if strings.ContainsAny(errs, "\r\x1b") {
		t.Errorf("escape codes or carriage returns written to a pipe: %q", errs)
	}
	if !strings.Contains(errs, "gone.json: open") || !strings.Contains(errs, "good.jsonl item 3: line 3") {
		t.Errorf("stderr lacks the failures: %q", errs)
	}
	if n := len(posted(t, reqs)); n != 3 || len(reqs) != 2 {
		t.Errorf("%d articles in %d requests, want 3 in 2", n, len(reqs))
	}
}

// TestProgressPlainLines: plain progress counts articles read, stored and
// failed, files, the rate, and estimates the time left from bytes.
func TestProgressPlainLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, progressPlain, 2, 1000, 0)
	p.interval = 0 // a line per update
	p.start = time.Now().Add(-10 * time.Second)
	p.fileRead(10)
	p.posted(5, 1, 600)
	line := strings.TrimSpace(b.String()[strings.LastIndex(strings.TrimSpace(b.String()), "\n")+1:])
	for _, want := range []string{"1/2 files", "10 articles read", "5 stored", "1 failed", "articles/s", "(60%)", "elapsed", "left"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "about 7s left") == false && strings.Contains(line, "about 6s left") == false {
		t.Errorf("10 s for 60%% should leave about 6-7 s: %q", line)
	}
	p.fileFailed("b.json: unreadable", 400)
	p.finish()
	if s := b.String(); strings.ContainsAny(s, "\r\x1b") || !strings.Contains(s, "2/2 files") || !strings.Contains(s, "(100%)") {
		t.Errorf("plain output: %q", s)
	}
}

// TestProgressBar: on a terminal the library's bar shows bytes and the
// counts, and a message clears the bar line first.
func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, progressBar, 3, 3<<20, 0)
	p.fileRead(100)
	p.posted(99, 1, 1<<20)
	p.message("a.jsonl item 7: body is required")
	p.finish()
	s := b.String()
	for _, want := range []string{"1/3 files, 100 articles read, 99 stored, 1 failed", "MB", "\x1b[2K\ra.jsonl item 7: body is required\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("bar output lacks %q: %q", want, s)
		}
	}
}

// TestIngestJSONFeedFile: a .json file holding a JSON Feed is read as a
// feed, not as article JSON.
func TestIngestJSONFeedFile(t *testing.T) {
	code, out, errs, reqs := ingestTo(t, "../../internal/ingest/testdata/jsonfeed.json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	arts := posted(t, reqs)
	if len(arts) != 2 || arts[0]["title"] != "Harbour reopens" || arts[1]["url"] != "https://wire.example/a/2" || arts[0]["source"] != "Test Wire JSON" {
		t.Errorf("posted %v", arts)
	}
}

// TestIngestCorpusFields: --map reads the corpus fields as facets, the
// fields left unread are named once per file, and [] is none supplied
// unless --keep-empty.
func TestIngestCorpusFields(t *testing.T) {
	file := "../../internal/ingest/testdata/corpus-fields.jsonl"
	code, out, errs, reqs := ingestTo(t, file)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if strings.Count(errs, "not read") != 1 || !strings.Contains(errs, "dateline, orgs, people, places") {
		t.Errorf("want one warning naming dateline, orgs, people, places: %q", errs)
	}
	arts := posted(t, reqs)
	if arts[0]["countries"] != nil || arts[1]["topics"] != nil {
		t.Errorf("without --map: countries %v, [] topics sent as %v (want none)", arts[0]["countries"], arts[1]["topics"])
	}
	if q := reqs[0].query; q["keep_empty"] != nil {
		t.Errorf("keep_empty sent without --keep-empty: %v", q)
	}

	code, out, errs, reqs = ingestTo(t, file, "--map", "places=countries,people=speakers", "--keep-empty")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if strings.Count(errs, "not read") != 1 || !strings.Contains(errs, ": not read: dateline, orgs (") {
		t.Errorf("want one warning naming dateline, orgs: %q", errs)
	}
	arts = posted(t, reqs)
	strs := func(v any) []string {
		var out []string
		for _, s := range v.([]any) {
			out = append(out, s.(string))
		}
		return out
	}
	if !slices.Equal(strs(arts[0]["countries"]), []string{"switzerland", "ukraine"}) || !slices.Equal(strs(arts[0]["speakers"]), []string{"Sergei Lavrov"}) {
		t.Errorf("mapped: %v", arts[0])
	}
	if v, ok := arts[1]["topics"].([]any); !ok || len(v) != 0 {
		t.Errorf("--keep-empty: [] topics sent as %#v", arts[1]["topics"])
	}
	if q := reqs[0].query; len(q["keep_empty"]) != 1 || q["keep_empty"][0] != "true" {
		t.Errorf("--keep-empty did not ask the server to keep empty lists: %v", q)
	}
}
