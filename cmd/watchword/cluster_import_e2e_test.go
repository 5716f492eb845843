package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/testutil"
)

// TestClusterImportEndToEnd migrates a real single node into a real
// three-node cluster: the single node ingests 310 articles while an
// `@every 1s` alert delivers to a receiver, which then answers 503 so one
// delivery is retrying when the node is stopped. Three cluster nodes
// start, n1 with --import; the receiver recovers. Every node must hold
// every article (same ids and content, in the old order), the retrying
// delivery must arrive with its original webhook-id, no match delivered
// before the import may arrive again, and a new match ingested through
// n2 must arrive once.
func TestClusterImportEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("four child processes: not in -short")
	}
	var (
		failing atomic.Bool
		mu      sync.Mutex
		codes   []int // the receiver's answer to each request, by arrival
	)
	rcv := testutil.NewReceiver(t, func(r *http.Request, n int) int {
		code := http.StatusOK
		if failing.Load() {
			code = http.StatusServiceUnavailable
		}
		mu.Lock()
		for len(codes) < n {
			codes = append(codes, 0)
		}
		codes[n-1] = code
		mu.Unlock()
		return code
	})
	// delivered maps each article id to the webhook-ids of the requests
	// that delivered it (answered 200); attempts counts every request per
	// webhook-id.
	type request struct {
		hook string
		ids  []string
		code int
	}
	requests := func() []request {
		var out []request
		reqs := rcv.Requests()
		mu.Lock()
		defer mu.Unlock()
		for i, r := range reqs {
			var p struct {
				Data struct {
					Matches []struct {
						ID string `json:"id"`
					} `json:"matches"`
				} `json:"data"`
			}
			if json.Unmarshal(r.Body, &p) != nil || i >= len(codes) {
				continue
			}
			q := request{hook: r.Header.Get("webhook-id"), code: codes[i]}
			for _, m := range p.Data.Matches {
				q.ids = append(q.ids, m.ID)
			}
			out = append(out, q)
		}
		return out
	}
	delivered := func() map[string][]string {
		out := map[string][]string{}
		for _, q := range requests() {
			if q.code == http.StatusOK {
				for _, id := range q.ids {
					out[id] = append(out[id], q.hook)
				}
			}
		}
		return out
	}

	common := []string{"--read-rate-limit", "0", "--rate-limit", "0", "--webhook-allow", "127.0.0.0/8", "--min-alert-interval", "1s",
		"--webhook-retry", "0s" + strings.Repeat(",1s", 60)}
	old := filepath.Join(t.TempDir(), "single")
	single, addr := launch(t, old, common)
	waitListening(t, single, addr)

	body := `{"name":"import-e2e","query":"ukraine","schedule":"@every 1s","webhook_url":"` + rcv.URL + `/hook"}`
	req, _ := http.NewRequest("POST", single.base+"/api/alerts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer crash-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 && resp.StatusCode != 200 {
		t.Fatalf("create alert: %v %v", resp, err)
	}
	var created struct {
		ID string `json:"id"`
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()

	matches := map[string]bool{}
	ingest := func(base, prefix string, from, to int) {
		t.Helper()
		var buf bytes.Buffer
		var ids []string
		for i := from; i < to; i++ {
			id := fmt.Sprintf("%s-%03d", prefix, i)
			ids = append(ids, id)
			text := "Weather in Spain, report " + id + "."
			if i%2 == 0 {
				text = "Talks on Ukraine resumed, report " + id + "."
				matches[id] = true
			}
			fmt.Fprintf(&buf, `{"id":%q,"title":"Report %s","body":%q,"date":"2026-12-01"}`+"\n", id, id, text)
		}
		got, err := postWithin(base, buf.Bytes(), 30*time.Second)
		if err != nil || len(got) != len(ids) {
			t.Fatalf("ingest %s..%d on %s: %v (%d ids)", ids[0], to, base, err, len(got))
		}
	}
	allDelivered := func() bool {
		d := delivered()
		for id := range matches {
			if len(d[id]) == 0 {
				return false
			}
		}
		return true
	}
	for b := 0; b < 300; b += 50 {
		ingest(single.base, "old", b, b+50)
	}
	testutil.WaitFor(t, "the single node delivered the 150 matches", time.Minute, allDelivered)
	before := delivered()

	// The receiver fails: the next delivery is retrying when the node stops.
	failing.Store(true)
	ingest(single.base, "old", 300, 310)
	var pending, lastSeen string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("deliveries last seen on the single node: %s\n%s", lastSeen, single.tail(20))
		}
	})
	testutil.WaitFor(t, "a delivery retrying on the single node", time.Minute, func() bool {
		var ds struct {
			Deliveries []struct {
				ID       string `json:"id"`
				Status   string `json:"status"`
				Attempts int    `json:"attempts"`
			} `json:"deliveries"`
		}
		if err := getJSONToken(single.base+"/api/alerts/"+created.ID+"/deliveries", &ds); err != nil {
			lastSeen = err.Error()
			return false
		}
		lastSeen = fmt.Sprintf("%+v", ds.Deliveries)
		for _, d := range ds.Deliveries {
			if d.Status == "retrying" && d.Attempts >= 1 {
				pending = d.ID
				return true
			}
		}
		return false
	})
	oldList := exportAll(t, single.base)
	if len(oldList) != 310 {
		t.Fatalf("the single node holds %d articles, want 310", len(oldList))
	}
	single.cmd.Process.Signal(syscall.SIGTERM)
	<-single.done
	t.Logf("single node stopped with delivery %s retrying; %d matches delivered before", pending, len(before))

	// The cluster, n1 importing.
	nodes := make([]*clusterNodeProc, 3)
	var spec []string
	for i := range nodes {
		nodes[i] = &clusterNodeProc{name: fmt.Sprintf("n%d", i+1), data: filepath.Join(t.TempDir(), fmt.Sprintf("n%d", i+1))}
		route, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		spec = append(spec, nodes[i].name+"="+route)
	}
	addrs := make([]chan string, 3)
	startAt := time.Now()
	for i, n := range nodes {
		n.args = append(slices.Clone(common), "--node", n.name, "--cluster", strings.Join(spec, ","))
		if i == 0 {
			n.args = append(n.args, "--import", old)
		}
		n.srv, addrs[i] = launch(t, n.data, n.args)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range nodes {
				t.Logf("%s's last log lines:\n%s", n.name, n.srv.tail(20))
			}
		}
	})
	failing.Store(false)
	for i, n := range nodes {
		waitListening(t, n.srv, addrs[i])
	}
	t.Logf("the cluster serves %s after the start (n1 imported first)", time.Since(startAt).Round(time.Millisecond))
	if n := nodes[0].srv.count("import: done"); n != 1 {
		t.Errorf("n1 logged %d import summaries, want 1", n)
	}

	// Every node: every article, same ids and content, in the old order.
	testutil.WaitFor(t, "every node ready with the imported log", time.Minute, func() bool {
		for _, n := range nodes {
			r, code, err := benchReadyz(n.srv.base)
			if err != nil || code != 200 || r.Cluster.Lag != 0 || r.Cluster.Indexed < 310 {
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		got := exportAll(t, n.srv.base)
		if len(got) != len(oldList) {
			t.Fatalf("%s holds %d articles, the single node %d", n.name, len(got), len(oldList))
		}
		for i := range got {
			if got[i].ID != oldList[i].ID || got[i].Hash != oldList[i].Hash {
				t.Fatalf("%s: article %d is %s (%s), the single node's %s (%s)", n.name, i, got[i].ID, got[i].Hash, oldList[i].ID, oldList[i].Hash)
			}
		}
	}

	// The retrying delivery arrives with its webhook-id; then a new match
	// ingested through n2 arrives once.
	testutil.WaitFor(t, "the retrying delivery delivered by the cluster", time.Minute, allDelivered)
	after := delivered()
	for id := range matches {
		if !strings.HasPrefix(id, "old-") || len(before[id]) > 0 {
			continue
		}
		if !slices.Equal(after[id], []string{pending}) {
			t.Errorf("match %s was delivered under %v, want once under the retrying delivery's id %s", id, after[id], pending)
		}
	}
	ingest(nodes[1].srv.base, "new", 0, 2) // new-000 matches, new-001 does not
	testutil.WaitFor(t, "the new match delivered", time.Minute, func() bool { return len(delivered()["new-000"]) > 0 })
	// Let the alert run on past it: the watermark must pass a later
	// article before the counts are final.
	ingest(nodes[2].srv.base, "later", 1, 2)
	testutil.WaitFor(t, "the alert evaluated past the last article", time.Minute, func() bool {
		var a struct {
			Watermark uint64 `json:"watermark"`
		}
		return getJSONToken(nodes[0].srv.base+"/api/alerts/"+created.ID, &a) == nil && a.Watermark >= 313
	})
	final := delivered()
	for id, hooks := range final {
		if len(hooks) != 1 {
			t.Errorf("article %s delivered %d times (webhook-ids %v)", id, len(hooks), hooks)
		}
		if len(before[id]) > 0 && !slices.Equal(hooks, before[id]) {
			t.Errorf("old match %s delivered again after the import: %v, before %v", id, hooks, before[id])
		}
	}
	for _, q := range requests() {
		if q.hook == pending {
			continue
		}
		for _, id := range q.ids {
			if strings.HasPrefix(id, "old-") && len(before[id]) == 0 {
				t.Errorf("old match %s sent under a new webhook-id %s", id, q.hook)
			}
		}
	}
	t.Logf("%d matches delivered in %d requests; the retrying one as %s", len(final), rcv.Count(), pending)
}

// getJSONToken is getJSON with the test's token (alert reads need it).
func getJSONToken(u string, out any) error {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer crash-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
