package alerts

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

var benchAlerts = 10000

const reutersPath = "../../shared/corpus/reuters21578.jsonl"

// corpus returns n Reuters articles (skipping the test without the corpus).
func corpus(tb testing.TB, n int) []*news.Article {
	f, err := os.Open(reutersPath)
	if err != nil {
		tb.Skip("no Reuters corpus at " + reutersPath)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var out []*news.Article
	for sc.Scan() && len(out) < n {
		var d struct{ ID, Title, Body, Source, Date string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			tb.Fatal(err)
		}
		if d.Body == "" {
			d.Body = d.Title
		}
		a := &news.Article{ID: d.ID, Title: d.Title, Body: d.Body, Source: d.Source}
		a.Date, _ = time.Parse(time.RFC3339, d.Date)
		out = append(out, a)
	}
	return out
}

// seedAlerts creates n alerts in one write, all at watermark w, with ids
// starting with prefix, and returns them.
func seedAlerts(tb testing.TB, s *Service, rng *rand.Rand, vocab []string, n int, w uint64, prefix string) []*Alert {
	tb.Helper()
	as := make([]*Alert, n)
	for i := range as {
		a := &Alert{Info: Info{ID: fmt.Sprintf("%s%06d", prefix, i), Name: "a", Query: BenchQuery(rng, vocab), Schedule: "@hourly",
			Timezone: "UTC", WebhookURL: "http://127.0.0.1:1/", Enabled: true, MaxMatchesPerDelivery: 100},
			Progress: Progress{Watermark: w}, Version: 1, Secret: "whsec_AAAA"}
		if i%10 == 0 {
			a.Filters.Sources = []string{"reuters21578"}
		}
		as[i] = a
	}
	if err := s.store.Create(context.Background(), as...); err != nil {
		tb.Fatal(err)
	}
	return as
}

func BenchmarkEvaluate(b *testing.B) {
	arts := corpus(b, 3000)
	rng := rand.New(rand.NewPCG(1, 2))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.Open(engine.Config{DataDir: b.TempDir(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	if _, _, err := eng.Ingest(context.Background(), arts[:2000]); err != nil {
		b.Fatal(err)
	}
	w := eng.IndexedSeq()
	if _, _, err := eng.Ingest(context.Background(), arts[2000:]); err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{Store: testStore(b, eng), Engine: eng, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, len(arts))
	for i, a := range arts {
		texts[i] = a.Body
	}
	all := seedAlerts(b, s, rng, Vocabulary(texts, 0.002, 0.05), benchAlerts, w, "al_")
	var r0, r1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	b.ResetTimer()
	defer func() {
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) / time.Duration(b.N)
		b.ReportMetric(cpu.Seconds(), "cpu-s/op")
	}()
	for i := 0; i < b.N; i++ {
		jobs := s.prepare(all, time.Now())
		if _, err := s.evaluate(context.Background(), jobs, eng.IndexedSeq()); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			m := 0
			for _, j := range jobs {
				m += len(j.matches)
			}
			b.ReportMetric(float64(m), "matches")
		}
	}
}

// BenchmarkRunAlerts is one full round: evaluation and the commit of the
// outbox, sent-sets and watermarks (10,000 alerts, 1,000 new articles).
func BenchmarkRunAlerts(b *testing.B) {
	arts := corpus(b, 3000)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.Open(engine.Config{DataDir: b.TempDir(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	if _, _, err := eng.Ingest(context.Background(), arts[:2000]); err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{Store: testStore(b, eng), Engine: eng, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, len(arts))
	for i, a := range arts {
		texts[i] = a.Body
	}
	vocab := Vocabulary(texts, 0.002, 0.05)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rng := rand.New(rand.NewPCG(1, uint64(i)))
		// A fresh set of alerts each round (the earlier ones stay, unrun).
		all := seedAlerts(b, s, rng, vocab, benchAlerts, eng.IndexedSeq(), fmt.Sprintf("al_%d_", i))
		for _, a := range arts[2000:] {
			a.ID = fmt.Sprintf("%s-%d", a.ID, i)
		}
		if _, _, err := eng.Ingest(context.Background(), arts[2000:]); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := s.RunAlerts(context.Background(), all)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Matches), "matches")
	}
}

// BenchmarkSenderDrain measures the sender pool alone: the outbox holds
// the deliveries of one round (200 alerts, up to 10 matches each per
// delivery, over 1,000 Reuters articles) and the pool delivers them to a
// local receiver. It reports deliveries per second.
func BenchmarkSenderDrain(b *testing.B) {
	arts := corpus(b, 1000)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
	}))
	defer recv.Close()
	var delivered int64
	var took time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		eng, err := engine.Open(engine.Config{DataDir: b.TempDir(), Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		s, err := New(Config{Store: testStore(b, eng), Engine: eng, Logger: quiet, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		if err != nil {
			b.Fatal(err)
		}
		ins := make([]*Input, 200)
		words := []string{"said", "market", "oil", "bank", "trade", "prices", "company", "government"}
		for k := range ins {
			name, q, hook := fmt.Sprint("drain ", k), words[k%len(words)], recv.URL+"/hook"
			ins[k] = &Input{Name: &name, Query: &q, WebhookURL: &hook, MaxMatchesPerDelivery: intp(10)}
		}
		if _, err := s.CreateMany(context.Background(), ins); err != nil {
			b.Fatal(err)
		}
		if _, _, err := eng.Ingest(context.Background(), arts); err != nil {
			b.Fatal(err)
		}
		res, err := s.RunAll(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		got.Store(0)
		b.StartTimer()
		start := time.Now()
		if err := s.Start(); err != nil {
			b.Fatal(err)
		}
		for got.Load() < int64(res.Deliveries) {
			time.Sleep(time.Millisecond)
		}
		// The last outcomes are recorded when Stop returns.
		if err := s.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		delivered += int64(res.Deliveries)
		b.StopTimer()
		eng.Close()
	}
	b.ReportMetric(float64(delivered)/took.Seconds(), "deliveries/s")
}
