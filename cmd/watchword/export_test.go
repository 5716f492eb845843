package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/web"
)

// TestSearchExport: `watchword search Q --export csv|ndjson` streams
// every hit of a real server to stdout in date order; a broken query is
// the API's error with a caret under the position.
func TestSearchExport(t *testing.T) {
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var arts []*news.Article
	for i := range 30 {
		arts = append(arts, &news.Article{ID: "h" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Body: "harbour story",
			Date: time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC)})
	}
	if _, _, err := eng.Ingest(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Engine: eng, Token: "T", Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	var out, errb bytes.Buffer
	if code := run([]string{"search", "harbour", "--export", "csv", "--sort", "oldest", "--server", ts.URL}, &out, &errb); code != 0 {
		t.Fatalf("export csv: %d %s", code, errb.String())
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(rows) != 31 || rows[0][0] != "id" {
		t.Fatalf("csv export: %d rows, %v: %.300s", len(rows), err, out.String())
	}
	if rows[1][1] != "2024-01-01T00:00:00Z" || rows[30][1] != "2024-01-30T00:00:00Z" {
		t.Fatalf("--sort oldest: first %v last %v", rows[1], rows[30])
	}
	out.Reset()
	if code := run([]string{"search", "harbour", "--export", "ndjson", "--server", ts.URL}, &out, &errb); code != 0 {
		t.Fatalf("export ndjson: %d %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 30 || !strings.Contains(lines[0], `"date":"2024-01-30T00:00:00Z"`) {
		t.Fatalf("ndjson export (newest first): %d lines, first %.200s", len(lines), lines[0])
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"search", "harbour AND (", "--export", "csv", "--server", ts.URL}, &out, &errb); code == 0 || out.Len() != 0 ||
		!strings.Contains(errb.String(), "^") || !strings.Contains(errb.String(), "query_syntax") {
		t.Fatalf("broken query: code %d stdout %q stderr %q", code, out.String(), errb.String())
	}
}
