package extract

import (
	"os"
	"testing"
	"time"
)

const seedPath = "../../../shared/seed/000_737f9d1df81a10fb.txt"

// benchCorpus returns realistic article texts: the seed article and, when
// the Reuters corpus is present, every 20th Reuters article with a body.
func benchCorpus(b *testing.B, every int) (titles, bodies []string, bytes int64) {
	b.Helper()
	raw, err := os.ReadFile(seedPath)
	if err != nil {
		b.Skipf("seed article not present: %v", err)
	}
	_, body, err := parseSeedFormat(raw)
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	titles, bodies = append(titles, ""), append(bodies, body)
	if _, err := os.Stat(corpusPath("reuters21578.jsonl")); err == nil {
		docs := loadReuters(b)
		for i := 0; i < len(docs); i += every {
			titles = append(titles, docs[i].Title)
			bodies = append(bodies, docs[i].Dateline+" "+docs[i].Body)
		}
	}
	for i := range bodies {
		bytes += int64(len(titles[i]) + len(bodies[i]))
	}
	return titles, bodies, bytes
}

// runExtract runs Extract b.N times round-robin over the articles and
// reports ns per KB of text, by wall time and by process CPU time.
func runExtract(b *testing.B, titles, bodies []string, total int64) {
	x := newTestExtractor(b)
	avg := float64(total) / float64(len(bodies))
	b.SetBytes(int64(avg))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		k := i % len(bodies)
		x.Extract(titles[k], bodies[k])
	}
	cpu := processCPU() - cpu0
	b.StopTimer()
	kb := avg / 1024 * float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/kb, "ns/KB")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/kb, "cpu-ns/KB")
	}
}

// BenchmarkExtract runs Extract over the seed article and a sample of
// Reuters articles; one op is one article.
func BenchmarkExtract(b *testing.B) {
	titles, bodies, total := benchCorpus(b, 20)
	runExtract(b, titles, bodies, total)
}

// BenchmarkExtractSeed runs Extract over the seed article only.
func BenchmarkExtractSeed(b *testing.B) {
	titles, bodies, total := benchCorpus(b, 1<<30)
	runExtract(b, titles[:1], bodies[:1], int64(len(bodies[0])))
	_ = total
}

// TestReutersThroughput extracts every Reuters article once (title,
// dateline and body, as ingest would) and logs the CPU time per article and
// per KB. It only measures; BenchmarkExtract is the tracked number.
func TestReutersThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement only")
	}
	docs := loadReuters(t)
	x := newTestExtractor(t)
	var total int
	cpu0, wall0 := processCPU(), time.Now()
	for i := range docs {
		d := &docs[i]
		x.Extract(d.Title, d.Dateline+" "+d.Body)
		total += len(d.Title) + len(d.Dateline) + len(d.Body) + 1
	}
	cpu, wall := processCPU()-cpu0, time.Since(wall0)
	n := float64(len(docs))
	t.Logf("Reuters: %d articles, %d bytes: wall %v (%.1f µs/article), CPU %v (%.1f µs/article, %.1f µs/KB)",
		len(docs), total, wall.Round(time.Millisecond), float64(wall.Microseconds())/n,
		cpu.Round(time.Millisecond), float64(cpu.Microseconds())/n, float64(cpu.Microseconds())/(float64(total)/1024))
}
