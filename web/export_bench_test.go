package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// BenchmarkExport streams an NDJSON export of every article through a
// real HTTP server and reports hits/s. It exports the data directory
// named by WW_EXPORT_DATA (for example a copy of a 1M bench directory's
// watchword/; the engine opens it, so never the original), else 20,000
// synthetic articles ingested into a temporary one.
//
//	WW_EXPORT_DATA=/tmp/copy/watchword go test -run XXX -bench Export -benchtime 1x -cpuprofile cpu.out ./web/
func BenchmarkExport(b *testing.B) {
	dir := os.Getenv("WW_EXPORT_DATA")
	fill := dir == ""
	if fill {
		dir = b.TempDir()
	}
	eng, err := engine.Open(engine.Config{DataDir: dir, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	if fill {
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		for k := range 20 {
			arts := make([]*news.Article, 1000)
			for i := range arts {
				n := k*1000 + i
				arts[i] = &news.Article{ID: fmt.Sprintf("a%05d", n), Title: fmt.Sprintf("Harbour report %d", n),
					Body:   fmt.Sprintf("The harbour story number %d, told at some length: the ships came in late, the cranes stood idle, and the port authority said it would review the schedule after talks with the unions on Monday.", n),
					Source: "Wire", URL: fmt.Sprintf("https://example.com/%d", n), Date: base.Add(time.Duration(n) * time.Minute)}
			}
			if _, _, err := eng.Ingest(context.Background(), arts); err != nil {
				b.Fatal(err)
			}
		}
	}
	srv, err := New(Config{Engine: eng, Token: testToken, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	hits := 0
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequest("GET", ts.URL+"/api/search/export?format=ndjson", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Accept-Encoding", "identity") // as curl without --compressed
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("export: %s", resp.Status)
		}
		n, err := countLines(resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		hits += n
	}
	b.ReportMetric(float64(hits)/b.Elapsed().Seconds(), "hits/s")
}

// countLines reads r to the end and counts its newlines.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 256<<10)
	n := 0
	for {
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				n++
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
