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
