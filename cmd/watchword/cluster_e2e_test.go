package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/testutil"
)

// clusterNodeProc is one watchword child process of a test cluster.
type clusterNodeProc struct {
	name, data string
	args       []string
	srv        *server // nil while down
}

// launch starts the test binary as `watchword serve` on a free port
// without waiting for it to listen (a cluster node listens only once a
// majority is up, so three are started first and waited for after).
func launch(t *testing.T, data string, args []string) (*server, chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--token", "crash-token"}, args...)...)
	cmd.Env = append(os.Environ(), "WATCHWORD_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			s.mu.Lock()
			s.lines = append(s.lines, sc.Text())
			s.mu.Unlock()
			if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(s.kill)
	return s, addr
}

// waitListening waits for a launched node to serve HTTP.
func waitListening(t *testing.T, s *server, addr chan string) {
	t.Helper()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case <-s.done:
		t.Fatalf("node exited before listening:\n%s", s.tail(30))
	case <-time.After(2 * time.Minute):
		t.Fatalf("node did not listen within 2 minutes:\n%s", s.tail(30))
	}
}

// tail is the last n log lines.
func (s *server) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines[max(0, len(s.lines)-n):], "\n")
}

// exported is what the test compares across nodes: each article's
// sequence, id and a hash of its content.
type exported struct {
	Seq  uint64
	ID   string
	Hash string
}

func exportAll(t *testing.T, base string) []exported {
	t.Helper()
	resp, err := http.Get(base + "/api/search/export?format=ndjson&sort=oldest")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("export on %s: %d", base, resp.StatusCode)
	}
	var out []exported
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var a struct {
			Seq   uint64 `json:"seq"`
			ID    string `json:"id"`
			Title string `json:"title"`
			Body  string `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("export line: %v", err)
		}
		h := sha256.Sum256([]byte(a.Title + "\x00" + a.Body))
		out = append(out, exported{a.Seq, a.ID, hex.EncodeToString(h[:8])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// TestClusterEndToEnd runs three real watchword processes as a cluster
// on 127.0.0.1, ingests through random nodes while an alert fires every
// second, SIGKILLs one node (the articles stream's leader, a follower,
// or the scheduler lease holder), keeps writing, restarts it, and
// checks: every acknowledged article on every node; identical (seq, id,
// content hash) lists on every node; every matching article delivered
// to the webhook receiver; no article under two webhook-ids.
func TestClusterEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("three child processes and a failover: not in -short")
	}
	for _, victim := range []string{"log_leader", "follower", "scheduler"} {
		t.Run(victim, func(t *testing.T) { runClusterE2E(t, victim) })
	}
}

func runClusterE2E(t *testing.T, victim string) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 15))
	rcv := testutil.NewReceiver(t, nil)

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
	for _, n := range nodes {
		n.args = []string{"--read-rate-limit", "0", "--rate-limit", "0", "--node", n.name, "--cluster", strings.Join(spec, ","), "--webhook-allow", "127.0.0.0/8",
			"--min-alert-interval", "1s", "--webhook-retry", "0s,1s,1s,2s,2s,5s,5s,5s"}
	}
	start := func(idx ...int) {
		addrs := make([]chan string, len(nodes))
		for _, i := range idx {
			nodes[i].srv, addrs[i] = launch(t, nodes[i].data, nodes[i].args)
		}
		for _, i := range idx {
			waitListening(t, nodes[i].srv, addrs[i])
		}
	}
	var lastErrs sync.Map // node name → its last write error
	t.Cleanup(func() {
		if t.Failed() {
			lastErrs.Range(func(k, v any) bool { t.Logf("last write error on %s: %s", k, v); return true })
			for _, n := range nodes {
				if n.srv != nil {
					t.Logf("%s's last log lines:\n%s", n.name, n.srv.tail(25))
				}
			}
		}
	})
	startAt := time.Now()
	start(0, 1, 2)
	t.Logf("three nodes serving after %s", time.Since(startAt).Round(time.Millisecond))

	// The alert, created on one node, fires on the scheduler's.
	body := `{"name":"e2e","query":"ukraine","schedule":"@every 1s","webhook_url":"` + rcv.URL + `/hook"}`
	req, _ := http.NewRequest("POST", nodes[1].srv.base+"/api/alerts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer crash-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 && resp.StatusCode != 200 {
		t.Fatalf("create alert: %v %v", resp, err)
	}
	resp.Body.Close()

	// Writers: batches of 4 articles to a random live node, retried on
	// another until acknowledged; half of them match the alert.
	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		matches = map[string]bool{}
		down    atomic.Int32 // 1+index of the node that is down, 0 none
		batches atomic.Int64
		stall   atomic.Int64 // longest time (ns) a batch took to be acknowledged
	)
	down.Store(0)
	ctx, stopWriters := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var rngMu sync.Mutex
	pick := func() int {
		rngMu.Lock()
		defer rngMu.Unlock()
		return rng.IntN(3)
	}
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ctx.Err() == nil; b++ {
				var buf bytes.Buffer
				var ids []string
				for k := range 4 {
					id := fmt.Sprintf("w%d-%d-%d", w, b, k)
					ids = append(ids, id)
					text := "Weather in Spain, story " + id + "."
					if k%2 == 0 {
						text = "Talks on Ukraine resumed, story " + id + "."
					}
					fmt.Fprintf(&buf, `{"id":%q,"title":"Story %s","body":%q,"date":"2026-12-01"}`+"\n", id, id, text)
				}
				began := time.Now()
				for ctx.Err() == nil {
					i := pick()
					if int(down.Load()) == i+1 {
						continue
					}
					n := nodes[i]
					got, err := postWithin(n.srv.base, buf.Bytes(), 20*time.Second)
					if err == nil && len(got) == len(ids) {
						break
					}
					if err != nil {
						lastErrs.Store(n.name, time.Now().Format("15:04:05.000")+" "+err.Error())
					}
					time.Sleep(50 * time.Millisecond) // a failed write: back off a little before the next node
				}
				if ctx.Err() != nil {
					return
				}
				if d := time.Since(began); d.Nanoseconds() > stall.Load() {
					stall.Store(d.Nanoseconds())
				}
				mu.Lock()
				for k, id := range ids {
					acked[id] = true
					if k%2 == 0 {
						matches[id] = true
					}
				}
				mu.Unlock()
				batches.Add(1)
			}
		}()
	}
	testutil.WaitFor(t, "30 batches acknowledged before the kill", time.Minute, func() bool { return batches.Load() >= 30 })

	// Choose the victim from a live node's view.
	var rz readyzAnswer
	testutil.WaitFor(t, "a /readyz naming the log leader and the scheduler", 30*time.Second, func() bool {
		rz, _, err = benchReadyz(nodes[0].srv.base)
		return err == nil && rz.Cluster.LogLeader != "" && rz.Cluster.Scheduler != ""
	})
	vi := -1
	for i, n := range nodes {
		switch victim {
		case "log_leader":
			if n.name == rz.Cluster.LogLeader {
				vi = i
			}
		case "scheduler":
			if n.name == rz.Cluster.Scheduler {
				vi = i
			}
		case "follower":
			if vi < 0 && n.name != rz.Cluster.LogLeader && n.name != rz.Cluster.Scheduler {
				vi = i
			}
		}
	}
	if vi < 0 {
		vi = 2 // the leader and the scheduler are on two nodes: the third is a follower of both
	}
	t.Logf("killing %s (%s); log leader %s, scheduler %s", nodes[vi].name, victim, rz.Cluster.LogLeader, rz.Cluster.Scheduler)
	down.Store(int32(vi + 1))
	stall.Store(0)
	before := batches.Load()
	nodes[vi].srv.cmd.Process.Signal(syscall.SIGKILL)
	<-nodes[vi].srv.done
	killedAt := time.Now()

	// Searches on the survivors see no errors during the failover.
	var searchErrs, searches atomic.Int64
	sctx, stopSearch := context.WithCancel(context.Background())
	var swg sync.WaitGroup
	for i := range nodes {
		if i == vi {
			continue
		}
		swg.Add(1)
		go func() {
			defer swg.Done()
			for sctx.Err() == nil {
				r, err := http.Get(nodes[i].srv.base + "/api/search?q=ukraine&size=1")
				searches.Add(1)
				if err != nil || r.StatusCode != 200 {
					searchErrs.Add(1)
				}
				if r != nil {
					r.Body.Close()
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	testutil.WaitFor(t, "30 more batches acknowledged with a node down", 2*time.Minute, func() bool { return batches.Load() >= before+30 })
	t.Logf("writes with %s down: 30 batches in %s, longest acknowledgement %s", nodes[vi].name,
		time.Since(killedAt).Round(time.Millisecond), time.Duration(stall.Load()).Round(time.Millisecond))
	stopSearch()
	swg.Wait()
	if searchErrs.Load() > 0 {
		t.Errorf("%d of %d searches on the surviving nodes failed during the failover", searchErrs.Load(), searches.Load())
	}

	restartAt := time.Now()
	start(vi)
	down.Store(0)
	testutil.WaitFor(t, "10 batches after the restart", time.Minute, func() bool { return batches.Load() >= before+40 })
	stopWriters()
	wg.Wait()

	// Every node catches up to the same log.
	testutil.WaitFor(t, "every node ready with no fold lag at the same sequence", 2*time.Minute, func() bool {
		var last uint64
		for i, n := range nodes {
			r, code, err := benchReadyz(n.srv.base)
			if err != nil || code != 200 || r.Cluster.Lag != 0 || (i > 0 && r.Cluster.Indexed != last) {
				return false
			}
			last = r.Cluster.Indexed
		}
		return true
	})
	t.Logf("%s caught up %s after its restart", nodes[vi].name, time.Since(restartAt).Round(time.Millisecond))
	lists := make([][]exported, 3)
	for i, n := range nodes {
		lists[i] = exportAll(t, n.srv.base)
	}
	for i := 1; i < 3; i++ {
		if fmt.Sprint(lists[i]) != fmt.Sprint(lists[0]) {
			t.Fatalf("%s and %s differ: %d and %d articles", nodes[0].name, nodes[i].name, len(lists[0]), len(lists[i]))
		}
	}
	have := map[string]bool{}
	for _, e := range lists[0] {
		have[e.ID] = true
	}
	mu.Lock()
	for id := range acked {
		if !have[id] {
			t.Errorf("acknowledged article %s is missing", id)
		}
	}
	t.Logf("%d articles acknowledged, %d stored on each node, identical (seq, id, hash) lists", len(acked), len(lists[0]))
	want := len(matches)
	mu.Unlock()

	// Every match delivered; never one article under two webhook-ids.
	// A delivery leased by a node that was killed waits out its lease
	// (alerts.LeaseFor: 40 s) before another node sends it: the bound
	// allows for that and a retry.
	var byArticle map[string]map[string]bool
	collect := func() (missing int) {
		byArticle = webhookIDsByArticle(rcv.Requests())
		mu.Lock()
		defer mu.Unlock()
		for id := range matches {
			if len(byArticle[id]) == 0 {
				missing++
			}
		}
		return missing
	}
	deadline := time.Now().Add(3 * time.Minute)
	for collect() > 0 {
		if time.Now().After(deadline) {
			var alertsOf struct {
				Alerts []map[string]any `json:"alerts"`
			}
			for _, n := range nodes {
				_ = getJSON(n.srv.base+"/api/alerts", &alertsOf)
				t.Logf("%s: alerts %v\n%s", n.name, alertsOf.Alerts, n.srv.tail(15))
			}
			t.Fatalf("%d of %d matching articles not delivered after 3 minutes", collect(), want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for id, hooks := range byArticle {
		if len(hooks) > 1 {
			t.Errorf("article %s delivered under %d webhook-ids", id, len(hooks))
		}
	}
	t.Logf("%d matches delivered in %d requests", want, rcv.Count())
}

// webhookIDsByArticle reads the webhook deliveries a receiver got: for
// each article id matched, the webhook-ids that carried it.
func webhookIDsByArticle(reqs []testutil.Request) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, r := range reqs {
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
			if out[m.ID] == nil {
				out[m.ID] = map[string]bool{}
			}
			out[m.ID][r.Header.Get("webhook-id")] = true
		}
	}
	return out
}

// postWithin is post with a bound on the whole request: a write that a
// node cannot finish (it lost its quorum) is given up and retried on
// another node.
func postWithin(base string, body []byte, within time.Duration) ([]string, error) {
	began := time.Now()
	req, _ := http.NewRequest("POST", base+"/api/articles", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer crash-token")
	resp, err := (&http.Client{Timeout: within}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		IDs []string `json:"ids"`
	}
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("status %d after %s: %.300s", resp.StatusCode, time.Since(began).Round(time.Millisecond), raw)
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	return r.IDs, nil
}
