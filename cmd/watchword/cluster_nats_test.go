package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/watchword/watchword/internal/testutil"
)

// externalNATS is a three-server JetStream cluster run the way an
// operations team runs one (client listeners with a user and password,
// its own route ports), inside the test process: Watchword nodes started
// with --nats use it as an external cluster.
type externalNATS struct {
	srvs []*natsserver.Server
	urls []string // client URLs with credentials
}

const (
	natsUser     = "watchword"
	natsPassword = "s3cret-nats-pass"
)

func startExternalNATS(t *testing.T) *externalNATS {
	t.Helper()
	var routes []string
	for range 3 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, p)
	}
	e := &externalNATS{}
	dir := t.TempDir()
	for i := range 3 {
		host, portStr, _ := net.SplitHostPort(routes[i])
		port, _ := strconv.Atoi(portStr)
		var rs []*url.URL
		for j, r := range routes {
			if j != i {
				rs = append(rs, &url.URL{Scheme: "nats-route", Host: r})
			}
		}
		opts := &natsserver.Options{
			ServerName: fmt.Sprintf("ext%d", i+1),
			Host:       "127.0.0.1",
			Port:       natsserver.RANDOM_PORT,
			Username:   natsUser,
			Password:   natsPassword,
			JetStream:  true,
			StoreDir:   filepath.Join(dir, fmt.Sprintf("ext%d", i+1)),
			SyncAlways: true,
			MaxPayload: 8 << 20, // docs/cluster.md: an external cluster needs max_payload ≥ 4 MiB
			NoSigs:     true,
			NoLog:      true,
			Cluster:    natsserver.ClusterOpts{Name: "ops", Host: host, Port: port},
			Routes:     rs,
		}
		s, err := natsserver.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		e.srvs = append(e.srvs, s)
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	}
	for i, s := range e.srvs {
		if !s.ReadyForConnections(30 * time.Second) {
			t.Fatalf("external NATS server %d did not start", i+1)
		}
		a := s.Addr().(*net.TCPAddr)
		e.urls = append(e.urls, fmt.Sprintf("nats://%s:%s@127.0.0.1:%d", natsUser, natsPassword, a.Port))
	}
	// Ready once JetStream answers in the cluster (a meta leader exists).
	nc, err := nats.Connect(strings.Join(e.urls, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	testutil.WaitFor(t, "the external JetStream cluster to elect a meta leader", time.Minute, func() bool {
		js, err := nc.JetStream(nats.MaxWait(2 * time.Second))
		if err != nil {
			return false
		}
		_, err = js.AccountInfo()
		return err == nil
	})
	return e
}

// TestClusterExternalNATS runs two Watchword nodes with --nats against an
// external three-server JetStream cluster: an article ingested on one is
// searchable on the other with min_seq, an alert created on one delivers
// each match once, writes go on after the NATS server one node was
// connected to is shut down, and neither node writes the NATS password
// to its log.
func TestClusterExternalNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("an external NATS cluster and two child processes: not in -short")
	}
	ext := startExternalNATS(t)
	rcv := testutil.NewReceiver(t, nil)

	names := []string{"w1", "w2"}
	nodes := make([]*server, 2)
	addrs := make([]chan string, 2)
	for i, name := range names {
		s, addr := launch(t, filepath.Join(t.TempDir(), name), []string{"--read-rate-limit", "0", "--rate-limit", "0",
			"--node", name, "--nats", strings.Join(ext.urls, ","), "--webhook-allow", "127.0.0.0/8", "--min-alert-interval", "1s"})
		nodes[i], addrs[i] = s, addr
	}
	for i := range nodes {
		waitListening(t, nodes[i], addrs[i])
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, n := range nodes {
				t.Logf("%s's last log lines:\n%s", names[i], n.tail(25))
			}
		}
	})

	// An alert created on w2 fires on whichever node holds the lease.
	body := `{"name":"ext","query":"ukraine","schedule":"@every 1s","webhook_url":"` + rcv.URL + `/hook"}`
	req, _ := http.NewRequest("POST", nodes[1].base+"/api/alerts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer crash-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 && resp.StatusCode != 200 {
		t.Fatalf("create alert: %v %v", resp, err)
	}
	resp.Body.Close()

	ingest := func(node int, id, text string) uint64 {
		t.Helper()
		line := fmt.Sprintf(`{"id":%q,"title":"Story %s","body":%q,"date":"2026-12-01"}`+"\n", id, id, text)
		var seq uint64
		testutil.WaitFor(t, "ingest of "+id+" on "+names[node], time.Minute, func() bool {
			r, err := http.NewRequest("POST", nodes[node].base+"/api/articles", bytes.NewReader([]byte(line)))
			if err != nil {
				return false
			}
			r.Header.Set("Content-Type", "application/x-ndjson")
			r.Header.Set("Authorization", "Bearer crash-token")
			resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(r)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			var out struct {
				Seq uint64 `json:"seq"`
			}
			if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
				return false
			}
			seq = out.Seq
			return true
		})
		if seq == 0 {
			t.Fatalf("ingest of %s on %s answered no seq", id, names[node])
		}
		return seq
	}
	// found: a search on node for id with min_seq (read-your-writes
	// across nodes).
	found := func(node int, id string, seq uint64) bool {
		var out struct {
			Hits []struct {
				ID string `json:"id"`
			} `json:"hits"`
		}
		u := fmt.Sprintf("%s/api/search?q=%s&min_seq=%d", nodes[node].base, url.QueryEscape(`"story `+id+`"`), seq)
		if err := getJSON(u, &out); err != nil {
			return false
		}
		return len(out.Hits) == 1 && out.Hits[0].ID == id
	}

	seq := ingest(0, "ext-a", "Talks on Ukraine resumed, story ext-a.")
	if !found(1, "ext-a", seq) {
		t.Fatalf("article ext-a, ingested on w1 at seq %d, not found on w2 with min_seq", seq)
	}
	seq = ingest(1, "ext-b", "Weather in Spain, story ext-b.")
	if !found(0, "ext-b", seq) {
		t.Fatalf("article ext-b, ingested on w2 at seq %d, not found on w1 with min_seq", seq)
	}

	// The NATS server leading the article stream goes away: the stream
	// elects another leader, clients connected to it reconnect to
	// another server, and writes go on.
	var rz readyzAnswer
	testutil.WaitFor(t, "w1's /readyz naming the article stream's leader", 30*time.Second, func() bool {
		rz, _, err = benchReadyz(nodes[0].base)
		return err == nil && rz.Cluster.LogLeader != ""
	})
	victim := -1
	for i, s := range ext.srvs {
		if s.Name() == rz.Cluster.LogLeader {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("/readyz names %q as the log leader, not one of the external servers", rz.Cluster.LogLeader)
	}
	t.Logf("shutting down %s, the article stream's leader", rz.Cluster.LogLeader)
	killedAt := time.Now()
	ext.srvs[victim].Shutdown()
	ext.srvs[victim].WaitForShutdown()
	seq = ingest(0, "ext-c", "Ukraine and its neighbours, story ext-c.")
	t.Logf("a write acknowledged %s after the leader's shutdown", time.Since(killedAt).Round(time.Millisecond))
	testutil.WaitFor(t, "ext-c searchable on w2", 30*time.Second, func() bool { return found(1, "ext-c", seq) })

	// Both matches delivered, each under one webhook-id.
	byArticle := map[string]map[string]bool{}
	testutil.WaitFor(t, "ext-a and ext-c delivered", time.Minute, func() bool {
		byArticle = webhookIDsByArticle(rcv.Requests())
		return len(byArticle["ext-a"]) > 0 && len(byArticle["ext-c"]) > 0
	})
	for id, hooks := range byArticle {
		if id == "ext-b" {
			t.Errorf("ext-b does not match the alert but was delivered")
		}
		if len(hooks) > 1 {
			t.Errorf("%s delivered under %d webhook-ids", id, len(hooks))
		}
	}

	for i, n := range nodes {
		if strings.Contains(n.tail(1<<20), natsPassword) {
			t.Errorf("%s wrote the NATS password to its log", names[i])
		}
	}
}
