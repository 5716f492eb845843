// Package clustertest starts an embedded Watchword cluster inside a test:
// n JetStream nodes routed to each other on 127.0.0.1, each with its own
// data directory, stopped when the test ends. The conformance suites of
// the JetStream implementations of the seams run on it.
package clustertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/cluster"
)

// Cluster is a running test cluster.
type Cluster struct {
	t     testing.TB
	Peers []cluster.Peer
	dirs  []string

	mu    sync.Mutex
	nodes []*cluster.Node // nil: stopped
}

// StartTimeout bounds the cluster's start: elections take seconds.
const StartTimeout = 60 * time.Second

// Start starts an n-node cluster (n odd: 1, or 3 and more) and waits
// until every node answers JetStream requests. One node runs JetStream
// without a cluster (streams of one replica), for the conformance
// suites.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, nodes: make([]*cluster.Node, n)}
	for i := range n {
		c.Peers = append(c.Peers, cluster.Peer{Name: fmt.Sprintf("n%d", i+1), Addr: freeAddr(t)})
		c.dirs = append(c.dirs, filepath.Join(t.TempDir(), fmt.Sprintf("n%d", i+1)))
	}
	t.Cleanup(c.Stop)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.start(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (c *Cluster) start(i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	node, err := cluster.Start(ctx, cluster.NodeConfig{
		Name: c.Peers[i].Name, Peers: c.Peers, DataDir: c.dirs[i],
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nodes[i] = node
	c.mu.Unlock()
	return nil
}

// Node is the i-th node (nil while stopped).
func (c *Cluster) Node(i int) *cluster.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// Kill stops node i (its data directory stays).
func (c *Cluster) Kill(i int) {
	c.mu.Lock()
	n := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if n != nil {
		n.Close()
	}
}

// Restart starts a stopped node i again on its data directory.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if err := c.start(i); err != nil {
		c.t.Fatal(err)
	}
}

// Stop stops every node.
func (c *Cluster) Stop() {
	for i := range c.nodes {
		c.Kill(i)
	}
}

// freeAddr is a 127.0.0.1 port free at the time of the call.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
