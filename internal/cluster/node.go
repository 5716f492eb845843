// Package cluster runs Watchword's replication engine: a NATS JetStream
// server embedded in each watchword process, routed to its peers, so
// three watchword binaries form a cluster with no other service to run.
// JetStream (Raft-replicated streams and key-value buckets) is the
// source of truth in cluster mode; Watchword writes no replication
// protocol of its own.
//
// Settings the rest of the package depends on:
//   - every write is fsynced before it is acknowledged (sync_interval
//     always): the default two-minute fsync loses acknowledged writes
//     when a majority of nodes lose power (Jepsen's NATS 2.12 analysis);
//   - the node talks to its own server in-process. The server still has
//     a client listener (nats-server starts its routes only after it), on
//     127.0.0.1 at a random port, guarded by a random token that only
//     this process knows.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Name is the NATS cluster name every Watchword node joins.
const Name = "watchword"

// Peer is one node of the cluster: its name and its route address.
type Peer struct {
	Name string
	Addr string // host:port of its JetStream cluster route
}

var nodeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// ParsePeers reads the --cluster flag: name=host:port entries separated
// by commas. Names and addresses must be unique; there must be at least
// three nodes (Raft needs a majority to survive one loss) and an odd
// number of them (an even one adds a node that cannot vote a tie away).
func ParsePeers(s string) ([]Peer, error) {
	var peers []Peer
	names, addrs := map[string]bool{}, map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		name, addr, ok := strings.Cut(part, "=")
		if !ok || !nodeName.MatchString(name) {
			return nil, fmt.Errorf("cluster: %q: want name=host:port with a name of letters, digits, - and _", part)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("cluster: %s: address %q: want host:port", name, addr)
		}
		if names[name] || addrs[addr] {
			return nil, fmt.Errorf("cluster: %s=%s: the name or the address is given twice", name, addr)
		}
		names[name], addrs[addr] = true, true
		peers = append(peers, Peer{Name: name, Addr: addr})
	}
	if len(peers) < 3 || len(peers)%2 == 0 {
		return nil, fmt.Errorf("cluster: %d nodes given; a cluster has an odd number of nodes, at least 3", len(peers))
	}
	return peers, nil
}

// NodeConfig is one node's part of the cluster.
type NodeConfig struct {
	Name string // this node, one of Peers
	// Peers are the cluster's nodes. A single peer (this node: tests
	// only, ParsePeers wants three) runs JetStream without a cluster.
	Peers   []Peer
	DataDir string // JetStream keeps its files in DataDir/jetstream
	Logger  *slog.Logger
	// MaxPayload bounds one message; it must exceed the largest article
	// batch a node publishes. Zero: 8 MiB.
	MaxPayload int32
}

// Node is a running embedded JetStream server and the node's in-process
// connection to it.
type Node struct {
	name  string
	srv   *server.Server
	nc    *nats.Conn
	js    jetstream.JetStream
	log   *slog.Logger
	token string // the client listener's
	peers []Peer
}

// Start starts this node's server, routes it to its peers and returns
// once JetStream answers in the cluster (a meta leader is elected, which
// needs a majority of the peers up) or ctx is done.
func Start(ctx context.Context, cfg NodeConfig) (*Node, error) {
	var self *Peer
	var routes []*url.URL
	for i, p := range cfg.Peers {
		if p.Name == cfg.Name {
			self = &cfg.Peers[i]
			continue
		}
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: p.Addr})
	}
	if self == nil {
		return nil, fmt.Errorf("cluster: node %q is not one of the cluster's nodes (%s)", cfg.Name, peerNames(cfg.Peers))
	}
	host, portStr, _ := net.SplitHostPort(self.Addr)
	var port int
	if _, err := fmt.Sscan(portStr, &port); err != nil {
		return nil, fmt.Errorf("cluster: node %s: port %q: %w", cfg.Name, portStr, err)
	}
	clientToken, err := randomToken()
	if err != nil {
		return nil, err
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = 8 << 20
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	opts := &server.Options{
		ServerName:    cfg.Name,
		Host:          "127.0.0.1",
		Port:          server.RANDOM_PORT,
		Authorization: clientToken,
		JetStream:     true,
		StoreDir:      filepath.Join(cfg.DataDir, "jetstream"),
		SyncAlways:    true,
		MaxPayload:    cfg.MaxPayload,
		NoSigs:        true,
		Cluster: server.ClusterOpts{
			Name: Name,
			Host: host,
			Port: port,
		},
		Routes: routes,
	}
	if len(cfg.Peers) == 1 {
		// One node (tests): JetStream refuses a cluster block without
		// routes, so the node runs it standalone; streams are then R1.
		opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: node %s: %w", cfg.Name, err)
	}
	srv.SetLoggerV2(&natsLog{log: log.With("node", cfg.Name)}, false, false, false)
	go srv.Start()
	n := &Node{name: cfg.Name, srv: srv, log: log, token: clientToken, peers: cfg.Peers}
	if err := n.connect(ctx); err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, err
	}
	return n, nil
}

// ConnectConfig is a node on an external JetStream cluster (--nats).
type ConnectConfig struct {
	Name   string // this node's name
	URLs   string // the cluster's client URLs, comma-separated; credentials in them are never logged
	Logger *slog.Logger
}

// Connect joins an external JetStream cluster as node cfg.Name: no
// embedded server, only a client connection. It returns once JetStream
// answers or ctx is done.
func Connect(ctx context.Context, cfg ConnectConfig) (*Node, error) {
	if !nodeName.MatchString(cfg.Name) {
		return nil, fmt.Errorf("cluster: node name %q: letters, digits, - and _", cfg.Name)
	}
	for _, u := range strings.Split(cfg.URLs, ",") {
		pu, err := url.Parse(strings.TrimSpace(u))
		if err != nil || (pu.Scheme != "nats" && pu.Scheme != "tls") || pu.Host == "" {
			return nil, fmt.Errorf("cluster: --nats: want nats://host:port or tls://host:port entries, comma-separated")
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	n := &Node{name: cfg.Name, log: log}
	nc, err := nats.Connect(cfg.URLs, nats.Name("watchword-"+cfg.Name), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to the --nats servers: %w", err)
	}
	if err := n.attach(ctx, nc); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Node) connect(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	if d, ok := ctx.Deadline(); ok {
		deadline = d
	}
	if !n.srv.ReadyForConnections(time.Until(deadline)) {
		return fmt.Errorf("cluster: node %s: the embedded server did not start (is its route port %v free?)", n.name, n.srv.ClusterAddr())
	}
	nc, err := nats.Connect("", nats.InProcessServer(n.srv), nats.Token(n.token), nats.Name("watchword-"+n.name), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("cluster: node %s: connect in-process: %w", n.name, err)
	}
	return n.attach(ctx, nc)
}

// attach opens JetStream on nc and waits until it answers.
func (n *Node) attach(ctx context.Context, nc *nats.Conn) error {
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("cluster: node %s: %w", n.name, err)
	}
	n.nc, n.js = nc, js
	// JetStream answers account requests once the meta group has a
	// leader: a majority of the nodes is up and routed.
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.AccountInfo(actx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			nc.Close()
			return fmt.Errorf("cluster: node %s: JetStream not ready: a majority of the nodes must be up and routed (no route yet to: %s): %w",
				n.name, strings.Join(n.Unrouted(), ", "), errors.Join(ctx.Err(), err))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Unrouted names the peers this node has no route to now (sorted);
// "none" when it has one to each.
func (n *Node) Unrouted() []string {
	if n.srv == nil {
		return []string{"(external cluster: see its servers' logs)"}
	}
	routed := map[string]bool{}
	if rz, err := n.srv.Routez(nil); err == nil {
		for _, r := range rz.Routes {
			routed[r.RemoteName] = true
		}
	}
	var missing []string
	for _, p := range n.peers {
		if p.Name != n.name && !routed[p.Name] {
			missing = append(missing, p.Name+" ("+p.Addr+")")
		}
	}
	sort.Strings(missing)
	if len(missing) == 0 {
		return []string{"none"}
	}
	return missing
}

// Name is the node's name.
func (n *Node) Name() string { return n.name }

// Conn is the node's in-process connection.
func (n *Node) Conn() *nats.Conn { return n.nc }

// JetStream is the node's JetStream context.
func (n *Node) JetStream() jetstream.JetStream { return n.js }

// IsMetaLeader reports whether this node leads JetStream's meta group.
func (n *Node) IsMetaLeader() bool { return n.srv != nil && n.srv.JetStreamIsLeader() }

// Close drains the connection and stops the server, waiting for it.
func (n *Node) Close() error {
	if n.nc != nil {
		n.nc.Close()
	}
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
	return nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cluster: client token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func peerNames(ps []Peer) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// natsLog writes the embedded server's log through slog.
type natsLog struct{ log *slog.Logger }

func (l *natsLog) Noticef(format string, v ...any) { l.log.Info("nats: " + fmt.Sprintf(format, v...)) }
func (l *natsLog) Warnf(format string, v ...any)   { l.log.Warn("nats: " + fmt.Sprintf(format, v...)) }
func (l *natsLog) Fatalf(format string, v ...any)  { l.log.Error("nats: " + fmt.Sprintf(format, v...)) }
func (l *natsLog) Errorf(format string, v ...any)  { l.log.Error("nats: " + fmt.Sprintf(format, v...)) }
func (l *natsLog) Debugf(format string, v ...any)  { l.log.Debug("nats: " + fmt.Sprintf(format, v...)) }
func (l *natsLog) Tracef(format string, v ...any)  { l.log.Debug("nats: " + fmt.Sprintf(format, v...)) }
