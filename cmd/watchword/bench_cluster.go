package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/watchword/watchword/web"
)

// benchClusterOptions are the flags of bench cluster.
type benchClusterOptions struct {
	corpus   string
	data     string
	rate     int
	lagFor   time.Duration
	downFor  time.Duration
	batch    int
	skipLoad bool
}

func newBenchClusterCmd(stdout, stderr io.Writer) *cobra.Command {
	var o benchClusterOptions
	c := &cobra.Command{
		Use:   "cluster [flags]",
		Short: "Three nodes on this machine: ingest beside one node, replication lag, leader failover, catch-up",
		Args:  noArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runBenchCluster(c.Context(), &o, stdout, stderr) },
	}
	fs := c.Flags()
	fs.StringVar(&o.corpus, "corpus", "../shared/corpus/reuters21578.jsonl", "JSONL corpus")
	fs.StringVar(&o.data, "data", "", "directory for the nodes' data (default: a temporary one, removed afterwards)")
	fs.IntVar(&o.rate, "rate", 200, "articles per second of the steady ingest")
	fs.DurationVar(&o.lagFor, "lag-for", 30*time.Second, "how long the replication lag is sampled")
	fs.DurationVar(&o.downFor, "down-for", 60*time.Second, "how long a node stays down under steady ingest")
	fs.IntVar(&o.batch, "batch", 100, "articles per ingest request of the load")
	fs.BoolVar(&o.skipLoad, "skip-load", false, "skip the corpus load (single node beside the cluster)")
	return c
}

// benchProc is one watchword serve child process.
type benchProc struct {
	name, data string
	args       []string
	cmd        *exec.Cmd
	base       string
	done       chan struct{}
	logs       *bytes.Buffer
	mu         sync.Mutex
}

var benchAddrRe = regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)

const benchToken = "bench-cluster-token"

func (p *benchProc) start() (<-chan string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p.cmd = exec.Command(self, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", p.data, "--token", benchToken,
		"--rate-limit", "0", "--read-rate-limit", "0"}, p.args...)...)
	p.cmd.Env = append(os.Environ(), "WATCHWORD_TEST_MAIN=1")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	p.done = make(chan struct{})
	p.logs = new(bytes.Buffer)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			if p.logs.Len() < 1<<20 {
				p.logs.WriteString(sc.Text() + "\n")
			}
			p.mu.Unlock()
			if m := benchAddrRe.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	go func() { p.cmd.Wait(); close(p.done) }()
	return addr, nil
}

func (p *benchProc) wait(addr <-chan string, within time.Duration) error {
	select {
	case a := <-addr:
		p.base = "http://" + a
		return nil
	case <-p.done:
		return fmt.Errorf("node %s exited at start: %s", p.name, p.tail())
	case <-time.After(within):
		return fmt.Errorf("node %s did not listen within %s: %s", p.name, within, p.tail())
	}
}

func (p *benchProc) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(p.logs.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-10):], "\n")
}

func (p *benchProc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// benchIngestHTTP posts docs in batches to the nodes (round robin, two
// requests in flight) and returns the articles per second.
func benchIngestHTTP(ctx context.Context, bases []string, docs []corpusDoc, batch int) (float64, error) {
	start := time.Now()
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				lo := i * batch
				if lo >= len(docs) {
					return
				}
				hi := min(lo+batch, len(docs))
				var buf bytes.Buffer
				for _, d := range docs[lo:hi] {
					line, _ := json.Marshal(articleOf(d))
					buf.Write(line)
					buf.WriteByte('\n')
				}
				if _, err := benchPost(bases[(i+w)%len(bases)], buf.Bytes()); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(len(docs)) / time.Since(start).Seconds(), nil
}

// benchPost sends NDJSON and returns the ingest answer's seq.
func benchPost(base string, body []byte) (uint64, error) {
	req, _ := http.NewRequest("POST", base+"/api/articles", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("ingest: %d %.200s", resp.StatusCode, raw)
	}
	var r struct {
		Seq uint64 `json:"seq"`
	}
	return r.Seq, json.Unmarshal(raw, &r)
}

func benchReadyz(base string) (readyzAnswer, int, error) {
	var r readyzAnswer
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return r, 0, err
	}
	defer resp.Body.Close()
	return r, resp.StatusCode, json.NewDecoder(resp.Body).Decode(&r)
}

// readyzAnswer is a cluster node's /readyz answer.
type readyzAnswer struct {
	Cluster web.ClusterInfo `json:"cluster"`
}

func runBenchCluster(ctx context.Context, o *benchClusterOptions, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	docs, err := readCorpus(o.corpus)
	if err != nil {
		return err
	}
	dir, cleanup, err := benchDir(o.data, "watchword-bench-cluster-")
	if err != nil {
		return err
	}
	defer cleanup()
	out := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	out("# bench cluster: three nodes on this machine (%d cores), corpus %s (%d articles)", numCPU(), filepath.Base(o.corpus), len(docs))

	// A single node first, for the side-by-side load.
	var singleRate float64
	if !o.skipLoad {
		single := &benchProc{name: "single", data: filepath.Join(dir, "single")}
		addr, err := single.start()
		if err != nil {
			return err
		}
		if err := single.wait(addr, time.Minute); err != nil {
			single.kill()
			return err
		}
		rate, err := benchIngestHTTP(ctx, []string{single.base}, docs, o.batch)
		single.kill()
		if err != nil {
			return err
		}
		out("single node ingest over HTTP: %.0f articles/s", rate)
		singleRate = rate
	}

	nodes := make([]*benchProc, 3)
	var spec []string
	for i := range nodes {
		route, err := freePort()
		if err != nil {
			return err
		}
		nodes[i] = &benchProc{name: fmt.Sprintf("n%d", i+1), data: filepath.Join(dir, fmt.Sprintf("n%d", i+1))}
		spec = append(spec, nodes[i].name+"="+route)
	}
	defer func() {
		for _, n := range nodes {
			n.kill()
		}
	}()
	startNodes := func(ns ...*benchProc) error {
		addrs := make([]<-chan string, len(ns))
		for i, n := range ns {
			n.args = []string{"--node", n.name, "--cluster", strings.Join(spec, ",")}
			if addrs[i], err = n.start(); err != nil {
				return err
			}
		}
		for i, n := range ns {
			if err := n.wait(addrs[i], 2*time.Minute); err != nil {
				return err
			}
		}
		return nil
	}
	began := time.Now()
	if err := startNodes(nodes...); err != nil {
		return err
	}
	out("cluster of 3 serving after %s", time.Since(began).Round(time.Millisecond))
	bases := []string{nodes[0].base, nodes[1].base, nodes[2].base}

	if !o.skipLoad {
		rate, err := benchIngestHTTP(ctx, bases, docs, o.batch)
		if err != nil {
			return err
		}
		out("cluster ingest over HTTP (round robin over 3 nodes): %.0f articles/s = %.2f × the single node", rate, rate/singleRate)
	}

	// Replication lag at o.rate articles/s: each batch written to one
	// node, then a search with min_seq on another answers once that node
	// has it; the lag is the time from the ingest answer to that answer.
	lags, err := benchLag(ctx, bases, o.rate, o.lagFor)
	if err != nil {
		return err
	}
	out("replication lag at %d articles/s for %s: %d samples, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		o.rate, o.lagFor, len(lags), ms(percentile(lags, 0.50)), ms(percentile(lags, 0.99)), ms(percentile(lags, 1)))

	// Failover: SIGKILL the articles stream's leader under steady
	// ingest; the longest time without an acknowledged write, and the
	// searches on the survivors.
	rz, _, err := benchReadyz(bases[0])
	if err != nil {
		return err
	}
	leader := -1
	for i, n := range nodes {
		if n.name == rz.Cluster.LogLeader {
			leader = i
		}
	}
	if leader < 0 {
		return fmt.Errorf("no articles stream leader in /readyz: %+v", rz.Cluster)
	}
	gap, searches, searchErrs, err := benchFailover(ctx, nodes, leader, o.rate)
	if err != nil {
		return err
	}
	out("SIGKILL of the stream leader %s under %d articles/s: writes resumed after %s (longest gap between acknowledgements); searches on the survivors: %d, errors %d",
		nodes[leader].name, o.rate, gap.Round(time.Millisecond), searches, searchErrs)
	if err := startNodes(nodes[leader]); err != nil {
		return err
	}
	if err := benchWaitCaughtUp(nodes, 2*time.Minute); err != nil {
		return err
	}

	// Catch-up: a node down for o.downFor under steady ingest.
	victim := nodes[(leader+1)%3]
	catchUp, behind, err := benchCatchUp(ctx, nodes, victim, o.rate, o.downFor, startNodes)
	if err != nil {
		return err
	}
	out("node %s down for %s under %d articles/s (%d changes behind): caught up %s after its restart",
		victim.name, o.downFor, o.rate, behind, catchUp.Round(time.Millisecond))
	return nil
}

func numCPU() int { return runtime.NumCPU() }

// steady writes o.rate articles/s in batches of 10 to random live nodes
// until ctx ends; ack is called with each acknowledged batch's seq.
func steady(ctx context.Context, bases func() []string, rate int, ack func(node int, seq uint64, at time.Time)) {
	per := 10
	every := time.Duration(float64(time.Second) * float64(per) / float64(rate))
	t := time.NewTicker(every)
	defer t.Stop()
	n := 0
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n++
		var buf bytes.Buffer
		for k := range per {
			fmt.Fprintf(&buf, `{"id":"steady-%d-%d-%d","body":"Steady ingest about Ukraine talks, number %d.","date":"2026-12-01"}`+"\n", time.Now().UnixNano(), n, k, n)
		}
		body := buf.Bytes()
		bs := bases()
		i := n % len(bs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for try := 0; ctx.Err() == nil; try++ {
				if bs[(i+try)%len(bs)] == "" {
					continue
				}
				seq, err := benchPost(bs[(i+try)%len(bs)], body)
				if err == nil {
					ack((i+try)%len(bs), seq, time.Now())
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
}

func benchLag(ctx context.Context, bases []string, rate int, d time.Duration) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var lags []time.Duration
	var errs atomic.Int64
	var wg sync.WaitGroup
	steady(ctx, func() []string { return bases }, rate, func(node int, seq uint64, at time.Time) {
		other := bases[(node+1)%len(bases)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(fmt.Sprintf("%s/api/search?q=ukraine&size=0&min_seq=%d", other, seq))
			if err != nil {
				errs.Add(1)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs.Add(1)
				return
			}
			mu.Lock()
			lags = append(lags, time.Since(at))
			mu.Unlock()
		}()
	})
	wg.Wait()
	if len(lags) == 0 {
		return nil, fmt.Errorf("no lag sample (%d errors)", errs.Load())
	}
	if errs.Load() > 0 {
		return lags, fmt.Errorf("%d of %d min_seq searches failed (a lag over 2 s answers 503)", errs.Load(), int64(len(lags))+errs.Load())
	}
	return lags, nil
}

func benchFailover(ctx context.Context, nodes []*benchProc, leader int, rate int) (gap time.Duration, searches, searchErrs int64, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var last time.Time
	var killedAt time.Time
	var maxGap time.Duration
	var afterKill atomic.Int64
	bases := []string{nodes[0].base, nodes[1].base, nodes[2].base}
	var down atomic.Int32
	down.Store(-1)
	live := func() []string {
		bs := append([]string(nil), bases...)
		if d := down.Load(); d >= 0 {
			bs[d] = ""
		}
		return bs
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		steady(ctx, live, rate, func(_ int, _ uint64, at time.Time) {
			mu.Lock()
			defer mu.Unlock()
			if !killedAt.IsZero() && at.After(killedAt) {
				if g := at.Sub(last); g > maxGap {
					maxGap = g
				}
				afterKill.Add(1)
			}
			if at.After(last) {
				last = at
			}
		})
	}()
	var s, se atomic.Int64
	var swg sync.WaitGroup
	for i, b := range bases {
		if i == leader {
			continue
		}
		swg.Add(1)
		go func() {
			defer swg.Done()
			for ctx.Err() == nil {
				resp, err := http.Get(b + "/api/search?q=ukraine&size=1")
				s.Add(1)
				if err != nil || resp.StatusCode != 200 {
					se.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
				time.Sleep(25 * time.Millisecond)
			}
		}()
	}
	time.Sleep(3 * time.Second) // steady state before the kill
	mu.Lock()
	killedAt = time.Now()
	if last.Before(killedAt) {
		last = killedAt
	}
	mu.Unlock()
	down.Store(int32(leader))
	nodes[leader].kill()
	deadline := time.Now().Add(60 * time.Second)
	for afterKill.Load() < int64(rate) && time.Now().Before(deadline) { // a second's worth of batches after the kill
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	swg.Wait()
	if afterKill.Load() == 0 {
		return 0, 0, 0, errors.New("no write was acknowledged within 60 s of the leader's kill")
	}
	mu.Lock()
	defer mu.Unlock()
	return maxGap, s.Load(), se.Load(), nil
}

func benchWaitCaughtUp(nodes []*benchProc, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ok := true
		for _, n := range nodes {
			r, code, err := benchReadyz(n.base)
			if err != nil || code != 200 || r.Cluster.Lag != 0 {
				ok = false
			}
		}
		if ok {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the nodes did not catch up within %s", within)
}

func benchCatchUp(ctx context.Context, nodes []*benchProc, victim *benchProc, rate int, downFor time.Duration,
	startNodes func(...*benchProc) error) (time.Duration, uint64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	vi := -1
	for i, n := range nodes {
		if n == victim {
			vi = i
		}
	}
	var down atomic.Int32
	down.Store(int32(vi))
	bases := []string{nodes[0].base, nodes[1].base, nodes[2].base}
	before, _, err := benchReadyz(victim.base)
	if err != nil {
		return 0, 0, err
	}
	victim.kill()
	done := make(chan struct{})
	go func() {
		defer close(done)
		steady(ctx, func() []string {
			bs := append([]string(nil), bases...)
			if d := down.Load(); d >= 0 {
				bs[d] = ""
			}
			return bs
		}, rate, func(int, uint64, time.Time) {})
	}()
	time.Sleep(downFor) // the node is down for this long: the quantity being measured
	other := nodes[(vi+1)%3]
	r, _, err := benchReadyz(other.base)
	if err != nil {
		return 0, 0, err
	}
	restartAt := time.Now()
	if err := startNodes(victim); err != nil {
		return 0, 0, err
	}
	for time.Since(restartAt) < 3*time.Minute {
		vr, code, err := benchReadyz(victim.base)
		if err == nil && code == 200 && vr.Cluster.Indexed >= r.Cluster.LogLast {
			cancel()
			<-done
			return time.Since(restartAt), r.Cluster.LogLast - min(r.Cluster.LogLast, before.Cluster.Indexed), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	return 0, 0, fmt.Errorf("node %s did not catch up within 3 minutes of its restart", victim.name)
}
