package artlog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/cluster/artlog"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/engine/logtest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// opener runs each conformance test on a stream of its own. With
// rotate, every open of the same test uses the next node of the cluster
// with a store of its own: a reopen is then another node, which builds
// its store from the stream, so the suite checks that a fresh node folds
// the same log as the one that wrote it.
func opener(js []jetstream.JetStream, replicas int, rotate bool) logtest.Opener {
	var mu sync.Mutex
	type state struct {
		n      int
		stream string
		dir    string
	}
	tests := map[*testing.T]*state{}
	return func(t *testing.T) engine.ArticleLog {
		mu.Lock()
		st, ok := tests[t]
		if !ok {
			st = &state{stream: fmt.Sprintf("T%d", len(tests)+1), dir: t.TempDir()}
			tests[t] = st
		}
		node := 0
		if rotate {
			node = st.n % len(js)
		}
		path := filepath.Join(st.dir, fmt.Sprintf("store-%d.db", st.n))
		if !rotate {
			path = filepath.Join(st.dir, "store.db")
		}
		st.n++
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		l, err := artlog.Open(ctx, artlog.Config{
			JS: js[node], StorePath: path, Stream: st.stream, Subject: "t." + st.stream,
			Replicas: replicas, Logger: quiet(),
		})
		if err != nil {
			t.Fatalf("open the log on node %d: %v", node, err)
		}
		return l
	}
}

// single starts one JetStream server, not clustered (a cluster needs 3
// nodes), with the settings cluster.Start uses, and connects to it.
func single(t *testing.T) jetstream.JetStream {
	t.Helper()
	srv, err := server.NewServer(&server.Options{
		ServerName: "single", Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), SyncAlways: true, MaxPayload: 8 << 20, NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the JetStream server did not start")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func nodes(c *clustertest.Cluster) []jetstream.JetStream {
	var js []jetstream.JetStream
	for i := range c.Peers {
		js = append(js, c.Node(i).JetStream())
	}
	return js
}

func TestConformanceOneNode(t *testing.T) {
	logtest.TestLog(t, opener([]jetstream.JetStream{single(t)}, 1, false))
}

func TestConformanceThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	logtest.TestLog(t, opener(nodes(c), 3, true))
}
