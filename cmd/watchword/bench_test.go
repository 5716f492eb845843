package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchIngestPairs runs the ingest benchmark on a tiny corpus and
// checks that the loads with and without extraction alternate which runs
// first and that the summary reports the shares.
func TestBenchIngestPairs(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus.jsonl")
	var b bytes.Buffer
	for i := 0; i < 30; i++ {
		line, err := json.Marshal(corpusDoc{
			ID: fmt.Sprintf("doc-%d", i), Source: "test", Date: "2025-01-02T03:04:05Z",
			Title: "Japan and Brazil talk trade",
			Body:  "TOKYO, Jan 2 - Japan said on Thursday it would buy more coffee from Brazil, Foreign Minister Taro Aso said.",
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(corpus, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "ingest", "--corpus", corpus, "--sqlite", "", "--pairs", "3", "--data", filepath.Join(dir, "data")}, &stdout, &stderr); code != 0 {
		t.Fatalf("bench ingest exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"pair 1 (with first)", "pair 2 (without first)", "pair 3 (with first)", "extraction costs", "of CPU time"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Only the first load with extraction is kept in the data directory.
	entries, err := os.ReadDir(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "watchword" {
		t.Errorf("data directory holds %q, want only the kept load", names)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

// TestBenchHostile runs the hostile-query benchmark on a tiny corpus: the
// server must refuse the worst queries with query_too_broad, answer the
// rest, and the report must carry the RSS figures.
func TestBenchHostile(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus.jsonl")
	var b bytes.Buffer
	for i := 0; i < 30; i++ {
		line, err := json.Marshal(corpusDoc{
			ID: fmt.Sprintf("doc-%d", i), Source: "test", Date: "2025-01-02T03:04:05Z",
			Title: "Japan and Brazil talk trade",
			Body:  fmt.Sprintf("TOKYO, Jan 2 - Japan said on Thursday it would buy more coffee from Brazil, company%d and coal%d said.", i, i),
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(corpus, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "hostile", "--corpus", corpus, "--sqlite", ""}, &stdout, &stderr); code != 0 {
		t.Fatalf("bench hostile exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	out := stdout.String()
	rows := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "  "); i > 0 {
			rows[l[:i]] = l
		}
	}
	for name, want := range map[string]string{
		"co* OR co* … ×256":     "400 query_too_broad",
		"phrase of 1,000 words": "400 query_too_broad",
		"x.*":                   "400 query_too_broad",
		"* alone":               "400 query_syntax",
		"nesting 64 levels":     "200",
		"OR of 10 words":        "200",
	} {
		if !strings.Contains(rows[name], want) {
			t.Errorf("%s: row %q, want %q", name, rows[name], want)
		}
	}
	if !strings.Contains(out, "growth of the peak") || !strings.Contains(out, "every query refused (4xx) or answered") {
		t.Errorf("no RSS summary:\n%s", out)
	}
}
