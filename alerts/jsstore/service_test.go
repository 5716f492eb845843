package jsstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/jsstore"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// The alerts service runs unchanged on the replicated store: three
// nodes, each with its own engine (the same articles); an alert created
// on node 1 and run on node 2, whose senders are off, is delivered by
// the senders of nodes 1 and 3 (woken by their folds, leasing through
// the stream): every match reaches a real receiver once, under one
// webhook-id, within seconds, and every node ends up with the same,
// succeeded, deliveries.
func TestServiceOnThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	rc := testutil.NewReceiver(t, nil)
	ctx := context.Background()
	var engs []*engine.Engine
	var sts []*jsstore.Store
	var svcs []*alerts.Service
	ingest := func(arts ...*news.Article) {
		t.Helper()
		for _, e := range engs {
			if _, rej, err := e.Ingest(ctx, arts); err != nil || len(rej) > 0 {
				t.Fatalf("ingest: %v %v", err, rej)
			}
		}
	}
	for i := range 3 {
		eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		octx, cancel := context.WithTimeout(ctx, time.Minute)
		st, err := jsstore.New(octx, c.Node(i).JetStream(), eng.Store(), quiet, jsstore.Options{Replicas: 3, Stream: "T_SERVICE"})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		svc, err := alerts.New(alerts.Config{Store: st, Engine: eng, Logger: quiet, MinInterval: time.Second,
			Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, RetrySchedule: []time.Duration{0}, Timeout: 5 * time.Second, Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		st.OnDue(svc.WakeSenders)
		if i != 1 {
			// Node 2 runs the alert but sends nothing: the other nodes'
			// senders, woken by their folds, deliver.
			if err := svc.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { svc.Stop(context.Background()) })
		}
		engs, sts, svcs = append(engs, eng), append(sts, st), append(svcs, svc)
	}
	ingest(&news.Article{ID: "old", Body: "Ukraine before the alert.", Source: "wire"})
	name, query, sched, url, max := "desk", "ukraine", "@daily", rc.URL+"/", 2
	v, err := svcs[0].Create(ctx, &alerts.Input{Name: &name, Query: &query, Schedule: &sched, WebhookURL: &url, MaxMatchesPerDelivery: &max})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 5 {
		id := fmt.Sprintf("a%d", i)
		want = append(want, id)
		ingest(&news.Article{ID: id, Body: "Ukraine news " + id, Source: "wire"})
	}
	ingest(&news.Article{ID: "weather", Body: "Sunny.", Source: "wire"})
	caughtUp(t, sts...)
	ran := time.Now()
	res, err := svcs[1].RunNow(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run on node 2: %+v", res)

	testutil.WaitFor(t, "every match at the receiver", time.Minute, func() bool {
		return len(sentArticles(rc)) == len(want)
	})
	// Well under the senders' idle timer (a minute): the folds woke them.
	if took := time.Since(ran); took > 40*time.Second {
		t.Errorf("the other nodes' senders delivered %v after the run: not woken by their folds", took.Round(time.Second))
	}
	got := sentArticles(rc)
	hooks := map[string]int{}
	for _, id := range want {
		if len(got[id]) != 1 {
			t.Errorf("article %s under webhook-ids %v, want exactly one", id, got[id])
		}
	}
	for _, r := range rc.Requests() {
		hooks[r.Header.Get("webhook-id")]++
	}
	for h, n := range hooks {
		if n != 1 {
			t.Errorf("webhook-id %s posted %d times", h, n)
		}
	}
	if len(got["old"]) > 0 || len(got["weather"]) > 0 {
		t.Errorf("sent an article from before the alert or not matching: %v", got)
	}
	// Every node ends up with the same deliveries, all succeeded.
	testutil.WaitFor(t, "every delivery succeeded on every node", 30*time.Second, func() bool {
		for _, st := range sts {
			ds, err := st.Deliveries(ctx, v.ID, 100)
			if err != nil || len(ds) != 3 {
				return false
			}
			for _, d := range ds {
				if d.Status != alerts.StatusSucceeded {
					return false
				}
			}
		}
		return true
	})
	caughtUp(t, sts...)
	for i := 1; i < 3; i++ {
		if a, b := dump(t, sts[0]), dump(t, sts[i]); a != b {
			t.Errorf("node %d differs from node 1:\n%s\nnode 1:\n%s", i+1, b, a)
		}
	}
}

// sentArticles maps each article id the receiver got to the webhook-ids
// that carried it.
func sentArticles(rc *testutil.Receiver) map[string][]string {
	out := map[string][]string{}
	for _, r := range rc.Requests() {
		var p struct {
			Data struct {
				Matches []struct {
					ID string `json:"id"`
				} `json:"matches"`
			} `json:"data"`
		}
		if json.Unmarshal(r.Body, &p) != nil {
			continue
		}
		for _, m := range p.Data.Matches {
			out[m.ID] = append(out[m.ID], r.Header.Get("webhook-id"))
		}
	}
	return out
}
