package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/cluster"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/testutil"
)

func TestParsePeers(t *testing.T) {
	good := "n1=127.0.0.1:7101, n2=127.0.0.1:7102,n3=[::1]:7103"
	ps, err := cluster.ParsePeers(good)
	if err != nil || len(ps) != 3 || ps[2].Name != "n3" || ps[2].Addr != "[::1]:7103" {
		t.Fatalf("ParsePeers(%q) = %v, %v", good, ps, err)
	}
	for _, bad := range []string{
		"", "n1=127.0.0.1:7101", "n1=127.0.0.1:7101,n2=127.0.0.1:7102",
		"n1=127.0.0.1:7101,n1=127.0.0.1:7102,n3=127.0.0.1:7103", // a name twice
		"n1=127.0.0.1:7101,n2=127.0.0.1:7101,n3=127.0.0.1:7103", // an address twice
		"n1=127.0.0.1,n2=127.0.0.1:7102,n3=127.0.0.1:7103",      // no port
		"n 1=127.0.0.1:7101,n2=127.0.0.1:7102,n3=127.0.0.1:7103",
		"n1=127.0.0.1:7101,n2=127.0.0.1:7102,n3=127.0.0.1:7103,n4=127.0.0.1:7104", // even
	} {
		if _, err := cluster.ParsePeers(bad); err == nil {
			t.Errorf("ParsePeers(%q) accepted", bad)
		}
	}
}

func TestStartRefusesANameNotInTheCluster(t *testing.T) {
	ps, _ := cluster.ParsePeers("n1=127.0.0.1:7101,n2=127.0.0.1:7102,n3=127.0.0.1:7103")
	_, err := cluster.Start(context.Background(), cluster.NodeConfig{Name: "n9", Peers: ps, DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "not one of the cluster's nodes") {
		t.Fatalf("node n9: %v", err)
	}
}

// TestReplicatedStreamAndKV checks the JetStream behaviour the cluster
// mode relies on, on three embedded nodes: a publish with a Msg-Id seen
// before is answered Duplicate with the first sequence; a KV update with a
// stale revision is refused; with the stream leader stopped, writes
// resume on the others and the stopped node catches up after a restart.
func TestReplicatedStreamAndKV(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	js := c.Node(0).JetStream()
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "T", Subjects: []string{"t.>"}, Replicas: 3, Storage: jetstream.FileStorage, Duplicates: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := js.Publish(ctx, "t.a", []byte("one"), jetstream.WithMsgID("a-1"))
	if err != nil || first.Duplicate {
		t.Fatalf("first publish: %+v %v", first, err)
	}
	// The same id through another node: a duplicate, same sequence.
	again, err := c.Node(2).JetStream().Publish(ctx, "t.a", []byte("one"), jetstream.WithMsgID("a-1"))
	if err != nil || !again.Duplicate || again.Sequence != first.Sequence {
		t.Fatalf("re-publish of a-1: %+v %v (first %+v)", again, err, first)
	}

	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "defs", Replicas: 3, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Create(ctx, "alert1", []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "alert1", []byte("v2"), rev); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "alert1", []byte("v2-stale"), rev); err == nil {
		t.Fatal("an update with a stale revision was accepted")
	}

	// Stop the stream's leader; publishing through another node resumes
	// once a new leader is elected.
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leader := -1
	for i, p := range c.Peers {
		if info.Cluster != nil && p.Name == info.Cluster.Leader {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatalf("no stream leader in %+v", info.Cluster)
	}
	c.Kill(leader)
	other := c.Node((leader + 1) % 3).JetStream()
	start := time.Now()
	var seq uint64
	testutil.WaitFor(t, "a publish accepted after the leader stopped", 30*time.Second, func() bool {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		defer pcancel()
		ack, err := other.Publish(pctx, "t.b", []byte("two"), jetstream.WithMsgID("b-1"))
		if err == nil {
			seq = ack.Sequence
		}
		return err == nil
	})
	t.Logf("writes resumed %v after the stream leader %s stopped (seq %d)", time.Since(start).Round(time.Millisecond), c.Peers[leader].Name, seq)

	c.Restart(leader)
	back, err := c.Node(leader).JetStream().Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the restarted node holds every message", 30*time.Second, func() bool {
		m, err := back.GetMsg(ctx, seq)
		return err == nil && string(m.Data) == "two"
	})
	if _, err := back.GetMsg(ctx, seq+1); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Fatalf("a message after the last one published: %v", err)
	}
}
