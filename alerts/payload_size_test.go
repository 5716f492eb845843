package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/demo"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/extract"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// TestMeasurePayloadSize reports what a delivery weighs on a real corpus
// and which fields the bytes go to. It is a measurement, not a check: it
// runs only when WATCHWORD_CORPUS names a JSONL corpus (the Reuters file),
// for example
//
//	WATCHWORD_CORPUS=/work/shared/corpus/reuters21578.jsonl \
//	  go test ./alerts -run MeasurePayloadSize -v
func TestMeasurePayloadSize(t *testing.T) {
	path := os.Getenv("WATCHWORD_CORPUS")
	if path == "" {
		t.Skip("set WATCHWORD_CORPUS to a JSONL corpus to measure")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("WATCHWORD_CORPUS_N")); err == nil && v > 0 {
		n = v
	}
	queries := "oil,bank,trade,reagan,dollar OR yen"
	if v := os.Getenv("WATCHWORD_CORPUS_QUERIES"); v != "" {
		queries = v
	}
	arts := corpusAt(t, path, n)
	e := newEnvWithExtractor(t)
	var ids []string
	for _, q := range strings.Split(queries, ",") {
		a := e.create(t, newHook(t), q, func(in *Input) { in.MaxMatchesPerDelivery = intp(MaxMatchesPerDelivery) })
		ids = append(ids, a.ID)
	}
	e.ingest(t, arts...)
	for _, id := range ids {
		if _, err := e.svc.RunNow(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	fields := []string{"id", "title", "date", "source", "url", "snippet", "speakers", "countries", "topics"}
	for _, id := range ids {
		for _, d := range e.deliveries(t, id) {
			a, err := e.svc.load(context.Background(), d.AlertID)
			if err != nil {
				t.Fatal(err)
			}
			body, err := e.svc.payload(context.Background(), d, a)
			if err != nil || body == nil {
				t.Fatal(err)
			}
			var p struct {
				Data struct {
					Matches []map[string]json.RawMessage `json:"matches"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			m := len(p.Data.Matches)
			per := map[string]int{}
			for _, mm := range p.Data.Matches {
				for k, v := range mm {
					per[k] += len(k) + 3 + len(v) + 1 // "k": v,
				}
			}
			line := ""
			for _, f := range fields {
				line += " " + f + "=" + strconv.Itoa(per[f]/max(m, 1))
			}
			t.Logf("query %-14q matches %4d body %7d B, %4d B/match; per match:%s",
				d.Alert.Query, m, len(body), len(body)/max(m, 1), line)
		}
	}
}

// corpusAt reads up to n articles of a JSONL corpus the way `watchword
// ingest` does ("demo" is the bundled demo corpus). Labels other than
// speakers, countries and topics are ignored.
func corpusAt(t *testing.T, path string, n int) []*news.Article {
	t.Helper()
	data := demo.Articles
	if path != "demo" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	items, err := ingest.DecodeNDJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []*news.Article
	for _, it := range items {
		if it.Err == nil && len(out) < n {
			out = append(out, it.Article)
		}
	}
	return out
}

// newEnvWithExtractor is newEnv with the entity extractor serve wires in,
// so that matches carry the speakers, countries and topics they would.
func newEnvWithExtractor(t *testing.T) *env {
	t.Helper()
	x, err := extract.New()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet,
		Extract: func(title, body string) engine.Extracted {
			r := x.Extract(title, body)
			return engine.Extracted{Speakers: r.Speakers, Countries: r.Countries, MainCountries: r.MainCountries, Topics: r.Topics}
		}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{Store: testStore(t, eng), Engine: eng, Logger: quiet, MinInterval: time.Second,
		RetrySchedule: []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond},
		Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 2 * time.Second, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
		eng.Close()
	})
	return &env{eng: eng, svc: svc}
}

// demoCopies returns the demo corpus n times over, each copy with its own
// ids and URLs, as news from several outlets would be.
func demoCopies(t *testing.T, n int) []*news.Article {
	t.Helper()
	base := corpusAt(t, "demo", 1<<20)
	var out []*news.Article
	for c := 0; c < n; c++ {
		for i, a := range base {
			b := *a
			b.ID = fmt.Sprintf("demo-%d-%02d", c, i)
			b.URL = fmt.Sprintf("%s?copy=%d", a.URL, c)
			out = append(out, &b)
		}
	}
	return out
}

// With the default max_matches_per_delivery a delivery of a typical alert
// stays within about 20 KB (21 KB at most), on the demo corpus, whose
// matches are the heaviest measured (about 800 bytes: long URLs, extracted
// facets, every country mentioned and the main ones). The
// matches are split over deliveries, each delivered exactly once.
func TestDefaultDeliveryIsSmall(t *testing.T) {
	e := newEnvWithExtractor(t)
	h := newHook(t)
	a := e.create(t, h, "said", nil)
	if a.MaxMatchesPerDelivery != DefaultMaxMatches {
		t.Fatalf("max_matches_per_delivery %d, want the default %d", a.MaxMatchesPerDelivery, DefaultMaxMatches)
	}
	arts := demoCopies(t, 3)
	e.ingest(t, arts...)
	res, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := (res.Matches + DefaultMaxMatches - 1) / DefaultMaxMatches
	if res.Matches < 100 || res.Deliveries != want {
		t.Fatalf("run %+v: want 100+ matches in %d deliveries", res, want)
	}
	testutil.WaitFor(t, "every delivery", 10*time.Second, func() bool { return h.count() == res.Deliveries })
	got := h.got()
	if len(got) != res.Matches {
		t.Fatalf("%d distinct articles delivered, want %d", len(got), res.Matches)
	}
	for id, hooks := range got {
		if len(hooks) != 1 {
			t.Errorf("%s delivered %d times", id, len(hooks))
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	total := 0
	for i, body := range h.raw {
		total += len(body)
		if len(body) > 21<<10 {
			t.Errorf("delivery %d is %d bytes, more than 21 KB", i, len(body))
		}
		if !bytes.Contains(body, []byte(`"version":1`)) || !bytes.Contains(body, []byte("<mark>")) || bytes.Contains(body, []byte(`\u003c`)) {
			t.Errorf("delivery %d: want version 1 and unescaped <mark> tags: %.300s", i, body)
		}
	}
	t.Logf("%d matches in %d deliveries, %d bytes, %d per match", res.Matches, len(h.raw), total, total/res.Matches)
}

// The fields option removes what it leaves out, on the first attempt and
// on a retry after it changed; the id is always there.
func TestFieldsOption(t *testing.T) {
	e := newEnvWithExtractor(t)
	h := newHook(t)
	// repeat_stories: the second batch below is copies of the first
	// one's stories, which are otherwise not delivered again.
	a := e.create(t, h, "said", func(in *Input) {
		in.Fields = &[]string{"title", "url", "main_countries"}
		yes := true
		in.RepeatStories = &yes
	})
	if fmt.Sprint(a.Fields) != "[id title url main_countries]" {
		t.Fatalf("fields %v", a.Fields)
	}
	for _, bad := range [][]string{{}, {"snippet", "body"}, {"Title"}} {
		if _, err := e.svc.Update(context.Background(), a.ID, &Input{Fields: &bad}); news.ErrorCode(err) != news.ECodeInvalid {
			t.Errorf("fields %q: %v, want invalid", bad, err)
		}
	}
	e.ingest(t, demoCopies(t, 1)[:3]...)
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "a delivery", 5*time.Second, func() bool { return h.count() == 1 })
	keys := func(i int) []string {
		h.mu.Lock()
		defer h.mu.Unlock()
		var p struct {
			Data struct {
				Matches []map[string]json.RawMessage `json:"matches"`
			} `json:"data"`
		}
		if err := json.Unmarshal(h.raw[i], &p); err != nil || len(p.Data.Matches) == 0 {
			t.Fatalf("delivery %d: %v %s", i, err, h.raw[i])
		}
		var out []string
		for _, m := range p.Data.Matches {
			ks := make([]string, 0, len(m))
			for k := range m {
				ks = append(ks, k)
			}
			slices.Sort(ks)
			if out != nil && fmt.Sprint(ks) != fmt.Sprint(out) {
				t.Fatalf("matches with different fields: %v and %v", out, ks)
			}
			out = ks
		}
		return out
	}
	if got := fmt.Sprint(keys(0)); got != "[id main_countries title url]" {
		t.Fatalf("fields title,url,main_countries: delivered %s", got)
	}

	// The receiver fails the next delivery until it is failed; then the
	// alert asks for ids only, and its redelivery carries only them.
	h.mu.Lock()
	h.respond = func(n int, w http.ResponseWriter) int { return 500 }
	h.mu.Unlock()
	e.ingest(t, demoCopies(t, 2)[42:45]...)
	if _, err := e.svc.RunNow(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	var failed *Delivery
	testutil.WaitFor(t, "the delivery to fail", 5*time.Second, func() bool {
		failed = e.deliveries(t, a.ID)[0]
		return failed.Status == StatusFailed
	})
	if _, err := e.svc.Update(context.Background(), a.ID, &Input{Fields: &[]string{"id"}}); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.respond = nil
	h.mu.Unlock()
	if _, err := e.svc.Redeliver(context.Background(), failed.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the redelivery", 5*time.Second, func() bool { return h.count() == 2 })
	if got := fmt.Sprint(keys(1)); got != "[id]" {
		t.Fatalf("fields id: delivered %s", got)
	}
	// Back to every field (nil from Go; all of them listed from JSON).
	v, err := e.svc.Update(context.Background(), a.ID, &Input{Fields: &[]string{"id", "title", "date", "source", "url", "snippet", "speakers", "countries", "topics", "main_countries"}})
	if err != nil || len(v.Fields) != len(MatchFields()) {
		t.Fatalf("every field: %+v %v", v.Fields, err)
	}
	stored, _ := e.svc.load(context.Background(), a.ID)
	if stored.Fields != nil {
		t.Fatalf("every field is stored as %v, want nil (all, including fields added later)", stored.Fields)
	}
}
