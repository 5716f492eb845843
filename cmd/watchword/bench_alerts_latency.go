package main

// bench alerts latency: the time from an ingest acknowledgement to the
// webhook delivery of a probe article, under a background of alerts.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/schedule"
)

// latencyReceiver is the webhook receiver of the latency bench: it
// notes when each probe article first arrives. It decodes only the
// payloads that carry a probe, to take little CPU from the service.
type latencyReceiver struct {
	mu         sync.Mutex
	probeAlert string               // only its deliveries count (a background alert may match a probe too)
	got        map[string]time.Time // probe article id -> first arrival
	requests   int
	ids        map[string]int // webhook-id -> requests that carried it
}

func (r *latencyReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var p struct {
		Data struct {
			Alert struct {
				ID string `json:"id"`
			} `json:"alert"`
			Matches []struct {
				ID string `json:"id"`
			} `json:"matches"`
		} `json:"data"`
	}
	r.mu.Lock()
	probe := r.probeAlert
	r.mu.Unlock()
	if probe != "" && bytes.Contains(body, []byte(probe)) {
		if err := json.Unmarshal(body, &p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.ids[req.Header.Get("webhook-id")]++
	if p.Data.Alert.ID != probe {
		p.Data.Matches = nil
	}
	for _, m := range p.Data.Matches {
		if _, seen := r.got[m.ID]; !seen && strings.HasPrefix(m.ID, probePrefix) {
			r.got[m.ID] = now
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// roundLog is a slog handler that prints errors and notes the duration
// of each scheduled round the service logs ("alerts: run").
type roundLog struct {
	slog.Handler
	mu         *sync.Mutex
	rounds     *[]time.Duration
	deliveries *int64 // created by the rounds
}

func (h roundLog) Enabled(ctx context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h roundLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "alerts: run" {
		h.mu.Lock()
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "took_ms":
				*h.rounds = append(*h.rounds, time.Duration(a.Value.Float64()*float64(time.Millisecond)))
			case "deliveries":
				*h.deliveries += a.Value.Int64()
			}
			return true
		})
		h.mu.Unlock()
	}
	if r.Level < slog.LevelError {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h roundLog) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

func (h roundLog) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	return h
}

const (
	probePrefix = "latency-probe-"
	probeWord   = "zqxlatencyprobe"
)

// benchAlertsLatencyOptions are the flags of bench alerts latency.
type benchAlertsLatencyOptions struct {
	corpus     string
	data       string
	reuse      bool
	archive    int
	schedule   string
	probes     int
	nAlerts    int
	rate       int
	senders    int
	seed       uint64
	gcPercent  int
	cpuProfile string
}

func newBenchAlertsLatencyCmd(stdout, stderr io.Writer) *cobra.Command {
	var o benchAlertsLatencyOptions
	c := &cobra.Command{
		Use:   "latency [flags]",
		Short: "Measure the time from an ingest acknowledgement to the webhook delivery",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return runBenchAlertsLatency(&o, stdout, stderr) },
	}
	fs := c.Flags()
	fs.StringVar(&o.corpus, "corpus", "../shared/corpus/reuters21578.jsonl", "JSONL corpus")
	fs.StringVar(&o.data, "data", "", "data directory to keep (default: a temporary one)")
	fs.BoolVar(&o.reuse, "reuse", false, "reuse the archive already in --data")
	fs.IntVar(&o.archive, "archive", 0, "archive articles (the corpus replicated; 0: the corpus once)")
	fs.StringVar(&o.schedule, "schedule", "@every 2s", "schedule of every alert (@every Ns, or @realtime)")
	fs.IntVar(&o.probes, "probes", 30, "probe articles, ingested at random moments")
	fs.IntVar(&o.nAlerts, "alerts", 1000, "background alerts on the same schedule, delivering to the same receiver")
	fs.IntVar(&o.rate, "rate", 500, "background articles ingested per second")
	fs.IntVar(&o.senders, "senders", alerts.DefaultSenders, "webhook senders")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	fs.IntVar(&o.gcPercent, "gc-percent", 200, "Go GC target percentage, as serve (GOGC overrides it)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measurement to this file")
	return c
}

// runBenchAlertsLatency measures the time from an ingest acknowledgement
// to the webhook receiver getting the article: the real service (cron
// scheduler, batcher, runner, outbox, sender pool) with a probe alert on
// --schedule, background alerts on the same schedule delivering to the
// same local receiver, and a background ingest stream. Probe articles are
// ingested at random moments; the bound is the schedule period plus 1 s.
func runBenchAlertsLatency(o *benchAlertsLatencyOptions, stdout, stderr io.Writer) error {
	setGCPercent(o.gcPercent)
	// The bound is the schedule's period plus 1 s; for @realtime the
	// period is the rate cap (alerts.DefaultRealtimeEvery), so 2 s: #17's
	// number.
	var period time.Duration
	if schedule.IsRealtime(o.schedule) {
		period = alerts.DefaultRealtimeEvery
	} else {
		every, ok := strings.CutPrefix(o.schedule, "@every ")
		p, err := time.ParseDuration(every)
		if !ok || err != nil || p < time.Second {
			return usageError{fmt.Errorf("--schedule %q: want @realtime, or @every and a duration of at least 1s", o.schedule)}
		}
		period = p
	}
	bound := period + time.Second
	docs, err := readCorpus(o.corpus)
	if err != nil {
		return err
	}
	if o.archive <= 0 {
		o.archive = len(docs)
	}
	dir, cleanup, err := benchDir(o.data, "watchword-bench-latency-")
	if err != nil {
		return err
	}
	defer cleanup()
	wwDir := filepath.Join(dir, "watchword")
	// Errors only (a backlog logs a warning per retried delivery), and
	// the duration of each scheduled round.
	var (
		roundsMu sync.Mutex
		rounds   []time.Duration
		created  int64
	)
	log := slog.New(roundLog{Handler: slog.NewTextHandler(stderr, nil), mu: &roundsMu, rounds: &rounds, deliveries: &created})
	fmt.Fprintf(stdout, "alerts latency bench: GOMAXPROCS=%d, %s\n", runtime.GOMAXPROCS(0), runtime.Version())
	if !o.reuse {
		os.RemoveAll(wwDir)
		if _, _, err := benchIngest(wwDir, docs, o.archive, nil, 0, log); err != nil {
			return err
		}
	}
	eng, err := engine.Open(engine.Config{DataDir: wwDir, Logger: log})
	if err != nil {
		return err
	}
	defer eng.Close()
	count, err := eng.Count(context.Background())
	if err != nil {
		return err
	}

	rcv := &latencyReceiver{got: map[string]time.Time{}, ids: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	hook := "http://" + ln.Addr().String() + "/hook"

	ast, err := boltstore.New(context.Background(), eng.Store(), log)
	if err != nil {
		return err
	}
	svc, err := alerts.New(alerts.Config{Store: ast, Engine: eng, Logger: log, MinInterval: time.Second, Senders: o.senders,
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		return err
	}
	// A reused directory must not hold alerts of an earlier run: their
	// deliveries to its dead receiver would queue ahead of this run's.
	old, err := svc.List(context.Background())
	if err != nil {
		return err
	}
	if len(old) > 0 {
		fmt.Fprintf(stdout, "deleting %d alerts left in %s\n", len(old), wwDir)
		for _, a := range old {
			if err := svc.Delete(context.Background(), a.ID); err != nil {
				return err
			}
		}
	}
	texts := make([]string, 0, 5000)
	for i := 0; i < len(docs) && i < cap(texts); i++ {
		texts = append(texts, docs[i].Body)
	}
	vocab := alerts.Vocabulary(texts, 0.002, 0.05)
	rng := rand.New(rand.NewPCG(o.seed, 11))
	ins := make([]*alerts.Input, 0, o.nAlerts+1)
	for i := 0; i < o.nAlerts; i++ {
		name, q := fmt.Sprintf("background %d", i), alerts.BenchQuery(rng, vocab)
		ins = append(ins, &alerts.Input{Name: &name, Query: &q, Schedule: &o.schedule, WebhookURL: &hook})
	}
	// The probe alert comes last, so its deliveries queue behind the
	// background ones of the same round. It repeats stories: two probes
	// built on copies of one Reuters story would otherwise be one story,
	// its second copy never sent to the alert (a probe "missing").
	name, q, repeat := "latency probe", probeWord, true
	ins = append(ins, &alerts.Input{Name: &name, Query: &q, Schedule: &o.schedule, WebhookURL: &hook, RepeatStories: &repeat})
	ids, err := svc.CreateMany(context.Background(), ins)
	if err != nil {
		return err
	}
	rcv.mu.Lock()
	rcv.probeAlert = ids[len(ids)-1]
	rcv.mu.Unlock()
	began := time.Now()
	if err := svc.Start(); err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
	}()
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	fmt.Fprintf(stdout, "archive %d articles; %d background alerts and 1 probe alert on %q; background ingest %d articles/s; %d senders\n",
		count, o.nAlerts, o.schedule, o.rate, o.senders)

	// Background ingest, in tenths of a second.
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bgErr := make(chan error, 1)
	next := count + 1_000_000_000 // fresh ids, whatever the archive holds
	if o.rate > 0 {
		bg.Add(1)
		go func() {
			defer bg.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				arts := make([]*news.Article, 0, max(1, o.rate/10))
				for i := 0; i < cap(arts); i++ {
					a := articleOf(replica(docs, next%len(docs)))
					a.ID = fmt.Sprintf("bg-%d", next)
					next++
					arts = append(arts, a)
				}
				if _, _, err := eng.Ingest(context.Background(), arts); err != nil {
					select {
					case bgErr <- err:
					default:
					}
					return
				}
			}
		}()
	}
	acked := make(map[string]time.Time, o.probes)
	for i := 0; i < o.probes; i++ {
		time.Sleep(time.Duration(rng.Int64N(int64(period) + int64(period)/2)))
		id := fmt.Sprintf("%s%d", probePrefix, i)
		a := &news.Article{ID: id, Title: "Latency probe", Body: probeWord + " " + docs[i%len(docs)].Body, Source: "bench"}
		if _, _, err := eng.Ingest(context.Background(), []*news.Article{a}); err != nil {
			close(stop)
			return err
		}
		acked[id] = time.Now()
	}
	deadline := time.Now().Add(bound + 30*time.Second)
	for {
		rcv.mu.Lock()
		n := 0
		for id := range acked {
			if _, ok := rcv.got[id]; ok {
				n++
			}
		}
		rcv.mu.Unlock()
		if n == len(acked) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	bg.Wait()
	select {
	case err := <-bgErr:
		return fmt.Errorf("background ingest: %w", err)
	default:
	}
	probesAt := time.Since(began)
	// Every delivery the rounds created is to arrive, each webhook-id
	// once: wait for the outbox to drain (bounded).
	drainBy := time.Now().Add(60 * time.Second)
	for time.Now().Before(drainBy) {
		n, _, err := ast.Depth(context.Background())
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	drained := time.Since(began)

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var lat []time.Duration
	over, missing := 0, 0
	for id, at := range acked {
		got, ok := rcv.got[id]
		if !ok {
			missing++
			continue
		}
		d := got.Sub(at)
		lat = append(lat, d)
		if d > bound {
			over++
		}
	}
	slices.Sort(lat)
	took := time.Since(began)
	roundsMu.Lock()
	if len(rounds) > 0 {
		fmt.Fprintf(stdout, "scheduled rounds with matches: %d, took p50 %.3f s, max %.3f s; %d deliveries created\n",
			len(rounds), percentile(rounds, 0.5).Seconds(), slices.Max(rounds).Seconds(), created)
	}
	roundsMu.Unlock()
	dups := 0
	for _, n := range rcv.ids {
		dups += n - 1
	}
	fmt.Fprintf(stdout, "receiver: %d webhook requests in %.1f s (%.0f/s), %d distinct webhook-ids, %d repeated; outbox drained %.1f s after the last probe arrived\n",
		rcv.requests, took.Seconds(), float64(rcv.requests)/took.Seconds(), len(rcv.ids), dups, (drained - probesAt).Seconds())
	if len(lat) == 0 {
		return fmt.Errorf("no probe arrived (%d sent)", len(acked))
	}
	fmt.Fprintf(stdout, "ingest ack -> webhook received, %d probes: min %.3f s, p50 %.3f s, p99 %.3f s, max %.3f s; bound (period + 1 s) %.1f s: %d over, %d missing\n",
		len(acked), lat[0].Seconds(), percentile(lat, 0.50).Seconds(), percentile(lat, 0.99).Seconds(), lat[len(lat)-1].Seconds(),
		bound.Seconds(), over, missing)
	return nil
}
