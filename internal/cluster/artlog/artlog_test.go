package artlog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
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
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
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

// TestThreeNodes runs everything that needs a 3-node cluster on one
// (starting one costs seconds of the CI machine's two cores): the
// conformance suite, search across nodes' engines, the Msg-Id dedupe of
// a retried batch, and, last, a node killed and restarted.
func TestThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := clustertest.Start(t, 3)
	t.Run("Conformance", func(t *testing.T) { logtest.TestLog(t, opener(nodes(c), 3, true)) })
	t.Run("SearchAcrossNodes", func(t *testing.T) { testSearchAcrossNodes(t, c) })
	t.Run("RetriedBatch", func(t *testing.T) { testRetriedBatch(t, c) })
	t.Run("KilledNodeCatchesUp", func(t *testing.T) { testKilledNodeCatchesUp(t, c) })
	t.Run("NoQuorum", func(t *testing.T) { testNoQuorum(t, c) })
}

// testNoQuorum: with two of three nodes down the stream cannot take a
// write; an Append without a deadline gives up after the log's write
// timeout instead of waiting for ever. (It stops two nodes: run last.)
func testNoQuorum(t *testing.T, c *clustertest.Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := artlog.Open(ctx, artlog.Config{JS: c.Node(0).JetStream(), StorePath: filepath.Join(t.TempDir(), "q.db"),
		Stream: "QUORUM", Subject: "t.QUORUM", Replicas: 3, WriteTimeout: 3 * time.Second, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c.Kill(1)
	c.Kill(2)
	start := time.Now()
	if _, err := l.Append(context.Background(), []*news.Article{story("nq", "no quorum")}); err == nil {
		t.Fatal("an append with two of three nodes down succeeded")
	}
	t.Logf("gave up after %v", time.Since(start))
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the append gave up after %v; the write timeout is 3s", took)
	}
}

func openOn(t *testing.T, js jetstream.JetStream, stream, path string) *artlog.Log {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := artlog.Open(ctx, artlog.Config{JS: js, StorePath: path, Stream: stream, Subject: "t." + stream, Replicas: 3, Logger: quiet()})
	if err != nil {
		t.Fatalf("open the log: %v", err)
	}
	return l
}

func story(id, body string) *news.Article {
	now := time.Now().UTC()
	return &news.Article{ID: id, Title: "Story " + id, Body: body, Source: "test", Date: now.Truncate(time.Second),
		IngestedAt: now, Speakers: []string{}, Countries: []string{}, Topics: []string{}}
}

func hits(t *testing.T, e *engine.Engine, q string) uint64 {
	t.Helper()
	res, err := e.Search(context.Background(), engine.SearchParams{Q: q})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return res.Total
}

// testSearchAcrossNodes: articles ingested through node A's engine are
// searchable through node B's, and the other way round; a deletion on B
// leaves A's index.
func testSearchAcrossNodes(t *testing.T, c *clustertest.Cluster) {
	ctx := context.Background()
	var engines []*engine.Engine
	for i := range 2 {
		dir := t.TempDir()
		l := openOn(t, c.Node(i).JetStream(), "SEARCH", filepath.Join(dir, "articles.db"))
		e, err := engine.OpenContext(ctx, engine.Config{DataDir: dir, Logger: quiet(), Log: l})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		defer e.Close()
		engines = append(engines, e)
	}
	a, b := engines[0], engines[1]
	var batch []*news.Article
	for i := range 30 {
		batch = append(batch, story(fmt.Sprintf("a-%d", i), fmt.Sprintf("Grain talks resume in Istanbul, report %d.", i)))
	}
	if _, rej, err := a.Ingest(ctx, batch); err != nil || len(rej) != 0 {
		t.Fatalf("ingest on A: %v %v", rej, err)
	}
	if n := hits(t, a, "istanbul"); n != 30 {
		t.Errorf("A finds %d of its own articles, want 30", n)
	}
	testutil.WaitFor(t, "A's articles searchable on B", 20*time.Second, func() bool { return hits(t, b, "istanbul") == 30 })
	if _, _, err := b.Ingest(ctx, []*news.Article{story("b-1", "Harvest forecast for Kharkiv.")}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "B's article searchable on A", 20*time.Second, func() bool { return hits(t, a, "kharkiv") == 1 })
	if err := b.Delete(ctx, "a-0"); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "B's deletion reaching A's index", 20*time.Second, func() bool { return hits(t, a, "istanbul") == 29 })
	la, _ := a.LastSeq(ctx)
	testutil.WaitFor(t, "both indexes at the same sequence", 20*time.Second, func() bool {
		lb, _ := b.LastSeq(ctx)
		return a.IndexedSeq() == la && b.IndexedSeq() == lb && la == lb
	})
}

// testRetriedBatch: a node published the first half of a batch and died
// before answering; one of them was even published again by a retry
// that saw the same state. The client's retry of the whole batch on
// another node completes it: the published articles keep their
// sequences, the stream holds each article once.
func testRetriedBatch(t *testing.T, c *clustertest.Cluster) {
	ctx := context.Background()
	dir := t.TempDir()
	dead := openOn(t, c.Node(0).JetStream(), "RETRY", filepath.Join(dir, "n1.db"))
	var batch []*news.Article
	for i := range 6 {
		batch = append(batch, story(fmt.Sprintf("r-%d", i), fmt.Sprintf("body %d", i)))
	}
	var first []uint64
	for _, a := range batch[:3] {
		seq, dup, err := dead.PublishAsBefore(ctx, a, 0)
		if err != nil || dup {
			t.Fatalf("first publish of %s: %d %v %v", a.ID, seq, dup, err)
		}
		first = append(first, seq)
	}
	seq, dup, err := dead.PublishAsBefore(ctx, batch[0], 0)
	if err != nil || !dup || seq != first[0] {
		t.Fatalf("the same publish again: seq %d duplicate %v %v; want a duplicate of %d", seq, dup, err, first[0])
	}
	dead.Close()

	other := openOn(t, c.Node(1).JetStream(), "RETRY", filepath.Join(dir, "n2.db"))
	defer other.Close()
	retry := make([]*news.Article, len(batch))
	for i, a := range batch {
		retry[i] = story(a.ID, a.Body)
		retry[i].Date, retry[i].IngestedAt = a.Date, a.IngestedAt.Add(time.Minute)
	}
	last, err := other.Append(ctx, retry)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if retry[i].Seq != first[i] {
			t.Errorf("%s: seq %d on the retry, was stored at %d", retry[i].ID, retry[i].Seq, first[i])
		}
	}
	if last != first[2]+3 {
		t.Errorf("the retry's last seq %d, want %d (the three left, once)", last, first[2]+3)
	}
	st, err := c.Node(1).JetStream().Stream(ctx, "RETRY")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 6 || info.State.LastSeq != last {
		t.Errorf("stream holds %d messages up to %d; want 6 up to %d", info.State.Msgs, info.State.LastSeq, last)
	}
	if n, _ := other.Count(ctx); n != 6 {
		t.Errorf("Count %d, want 6", n)
	}
}

// current is the (seq, id, content hash) list of a log's current articles.
func current(t *testing.T, l *artlog.Log) []string {
	t.Helper()
	var out []string
	err := l.ReadFrom(context.Background(), 0, 0, 100, func(chs []news.Change) error {
		for _, c := range chs {
			if c.Deleted {
				continue
			}
			h, err := artlog.ContentHash(c.Article)
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%d %s %s", c.Seq, c.ID, h[:12]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// appendRetrying appends as a client does during an election: again
// until it is acknowledged (which the Msg-Ids make safe).
func appendRetrying(t *testing.T, l *artlog.Log, arts []*news.Article) {
	t.Helper()
	testutil.WaitFor(t, "an append acknowledged", 60*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := l.Append(ctx, arts)
		if err != nil {
			t.Logf("append (retried): %v", err)
		}
		return err == nil
	})
}

// testKilledNodeCatchesUp: a node is killed, the others go on appending,
// editing and deleting; restarted, its fold catches up from its last
// applied sequence to the same (seq, id, content hash) list as theirs.
func testKilledNodeCatchesUp(t *testing.T, c *clustertest.Cluster) {
	ctx := context.Background()
	dir := t.TempDir()
	logs := make([]*artlog.Log, 3)
	for i := range logs {
		logs[i] = openOn(t, c.Node(i).JetStream(), "KILL", filepath.Join(dir, fmt.Sprintf("n%d.db", i+1)))
	}
	defer func() {
		for _, l := range logs {
			l.Close()
		}
	}()
	var batch []*news.Article
	for i := range 20 {
		batch = append(batch, story(fmt.Sprintf("k-%d", i), fmt.Sprintf("before %d", i)))
	}
	appendRetrying(t, logs[0], batch)
	// Node 3 folds the stream a moment after node 1's append returns:
	// wait until it has the batch, so the kill comes after it applied.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := logs[2].WaitApplied(wctx, logs[0].Applied())
	cancel()
	before := logs[2].Applied()
	if err != nil || before == 0 {
		t.Fatalf("node 3 applied nothing before it was killed (%v)", err)
	}

	logs[2].Close() // the process dies: its log and its server
	c.Kill(2)
	var more []*news.Article
	for i := range 20 {
		more = append(more, story(fmt.Sprintf("k-%d", 20+i), fmt.Sprintf("while down %d", i)))
	}
	more = append(more, story("k-3", "edited while node 3 was down"))
	appendRetrying(t, logs[1], more)
	testutil.WaitFor(t, "a deletion acknowledged", 60*time.Second, func() bool {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, _, err := logs[0].Delete(dctx, []string{"k-5", "k-25"})
		return err == nil
	})

	c.Restart(2)
	logs[2] = openOn(t, c.Node(2).JetStream(), "KILL", filepath.Join(dir, "n3.db"))
	last := logs[0].Applied()
	for i, l := range logs {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := l.WaitApplied(wctx, last)
		cancel()
		if err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
	}
	want := current(t, logs[0])
	if len(want) != 38 {
		t.Errorf("node 1 holds %d articles, want 38", len(want))
	}
	for i := 1; i < 3; i++ {
		if got := current(t, logs[i]); !slices.Equal(got, want) {
			t.Errorf("node %d's (seq, id, hash) list differs from node 1's:\n%v\nwant\n%v", i+1, got, want)
		}
	}
	if a, s, err := logs[2].Lag(ctx); err != nil || a != s {
		t.Errorf("node 3 after catching up: applied %d, stream %d, %v", a, s, err)
	}
}

// TestStoreOfAnotherStream: a local store that applied more than the
// stream holds (built from another stream, or the stream was recreated)
// is refused at open, not silently folded on; and the stream refuses a
// purge, which would leave nodes unable to tell lost articles from
// replaced ones.
func TestStoreOfAnotherStream(t *testing.T) {
	js := single(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "articles.db")
	open := func(stream string) (*artlog.Log, error) {
		return artlog.Open(ctx, artlog.Config{JS: js, StorePath: path, Stream: stream, Subject: "t." + stream, Replicas: 1, Logger: quiet()})
	}
	l, err := open("FIRST")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, []*news.Article{story("x", "one"), story("y", "two")}); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "FIRST")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctx); err == nil {
		t.Error("the stream accepted a purge")
	}
	l.Close()
	if _, err := open("SECOND"); err == nil || !strings.Contains(err.Error(), "built from") {
		t.Fatalf("opening a store of stream FIRST on stream SECOND: %v", err)
	}
	// The store is untouched: FIRST still opens on it.
	l, err = open("FIRST")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := l.Count(ctx); n != 2 {
		t.Errorf("Count %d after the refused open, want 2", n)
	}
	l.Close()

	// FIRST deleted and created again, grown past what the store applied:
	// its sequences mean other articles now.
	if err := js.DeleteStream(ctx, "FIRST"); err != nil {
		t.Fatal(err)
	}
	other, err := artlog.Open(ctx, artlog.Config{JS: js, StorePath: filepath.Join(t.TempDir(), "other.db"), Stream: "FIRST", Subject: "t.FIRST", Replicas: 1, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Append(ctx, []*news.Article{story("p", "1"), story("q", "2"), story("r", "3")}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if _, err := open("FIRST"); err == nil || !strings.Contains(err.Error(), "recreated") {
		t.Fatalf("opening the store on the recreated stream: %v", err)
	}
}

// TestLimits: an article at the 1 MiB limit fits in a message; a stream
// limit above the server's max_payload is refused at open; WaitApplied
// for a sequence the stream never reached gives up with its context.
func TestLimits(t *testing.T) {
	js := single(t)
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := artlog.Open(ctx, artlog.Config{JS: js, StorePath: filepath.Join(dir, "big.db"), Stream: "BIG", Subject: "t.BIG",
		Replicas: 1, MaxMsgSize: 16 << 20, Logger: quiet()}); err == nil || !strings.Contains(err.Error(), "max_payload") {
		t.Errorf("a 16 MiB message limit on an 8 MiB server: %v", err)
	}
	l, err := artlog.Open(ctx, artlog.Config{JS: js, StorePath: filepath.Join(dir, "a.db"), Stream: "LIM", Subject: "t.LIM", Replicas: 1, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// 1 MiB of text that JSON escapes (quotes, <, >): the message is
	// larger than the article.
	body := strings.Repeat(`"<q>" `, (1<<20)/6)
	big := story("big", body)
	last, err := l.Append(ctx, []*news.Article{big})
	if err != nil {
		t.Fatalf("append a 1 MiB article: %v", err)
	}
	if got, _ := l.Get(ctx, []string{"big"}); got[0] == nil || got[0].Body != body {
		t.Error("the 1 MiB article did not come back whole")
	}
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := l.WaitApplied(wctx, last+1); err == nil {
		t.Error("WaitApplied for a sequence never written returned nil")
	}
}
