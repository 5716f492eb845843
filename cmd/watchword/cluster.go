package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/watchword/watchword/alerts"
	alertsjs "github.com/watchword/watchword/alerts/jsstore"
	"github.com/watchword/watchword/internal/cluster"
	"github.com/watchword/watchword/internal/cluster/artlog"
	"github.com/watchword/watchword/internal/cluster/importer"
	"github.com/watchword/watchword/internal/engine"
	feedsjs "github.com/watchword/watchword/internal/feeds/jsstore"
	keysjs "github.com/watchword/watchword/internal/keys/jsstore"
	savedjs "github.com/watchword/watchword/internal/saved/jsstore"
	"github.com/watchword/watchword/web"
)

// clusterFlags are the serve flags of cluster mode (docs/cluster.md).
type clusterFlags struct {
	node     string
	peers    string
	nats     string
	replicas int
	wait     time.Duration
	// importDir is a single node's data directory to import into the
	// (empty) cluster before serving (internal/cluster/importer).
	importDir string
}

func (f *clusterFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.node, "node", "", "this node's name in --cluster (cluster mode)")
	fs.StringVar(&f.peers, "cluster", "", "cluster mode: every node as name=host:port of its JetStream route, e.g. n1=10.0.0.1:7101,n2=10.0.0.2:7101,n3=10.0.0.3:7101")
	fs.StringVar(&f.nats, "nats", "", "cluster mode on an external JetStream cluster: its client URLs, e.g. nats://h1:4222,nats://h2:4222 (with --node)")
	fs.IntVar(&f.replicas, "replicas", 3, "copies of each replicated stream (cluster mode)")
	fs.DurationVar(&f.wait, "cluster-wait", 2*time.Minute, "how long to wait at start for a majority of the cluster")
	fs.StringVar(&f.importDir, "import", "", "cluster mode, on one node: import this stopped single node's data directory into the empty cluster before serving (docs/cluster.md, \"Migrating a single node\")")
}

// enabled reports whether cluster mode was asked for.
func (f clusterFlags) enabled() bool { return f.peers != "" || f.nats != "" || f.node != "" }

// validate checks the flags alone, before anything is opened.
func (f clusterFlags) validate() error {
	switch {
	case !f.enabled() && f.importDir != "":
		return usageError{errors.New("--import is for cluster mode: give it with --node and --cluster (or --nats) to one node of the new cluster")}
	case !f.enabled():
		return nil
	case f.node == "":
		return usageError{errors.New("--cluster and --nats need --node, this node's name")}
	case f.peers != "" && f.nats != "":
		return usageError{errors.New("give --cluster (embedded JetStream) or --nats (an external one), not both")}
	case f.peers == "" && f.nats == "":
		return usageError{errors.New("--node needs --cluster name=host:port,… or --nats nats://…")}
	case f.replicas < 1 || f.replicas > 5:
		return usageError{errors.New("--replicas must be 1 to 5")}
	case f.wait <= 0:
		return usageError{errors.New("--cluster-wait must be positive")}
	}
	if f.peers != "" {
		peers, err := cluster.ParsePeers(f.peers)
		if err != nil {
			return usageError{err}
		}
		found := false
		for _, p := range peers {
			found = found || p.Name == f.node
		}
		if !found {
			names := make([]string, len(peers))
			for i, p := range peers {
				names[i] = p.Name
			}
			return usageError{fmt.Errorf("--node %q is not one of the --cluster nodes (%s)", f.node, strings.Join(names, ", "))}
		}
		if f.replicas > len(peers) {
			return usageError{fmt.Errorf("--replicas %d: the cluster has %d nodes", f.replicas, len(peers))}
		}
	}
	return nil
}

// clusterMarkerName is the file that marks a data directory as a cluster
// node's: its node name and an instance id that tells this directory's
// process from another one started with the same name.
const clusterMarkerName = "cluster.json"

type clusterMarker struct {
	Node     string    `json:"node"`
	Instance string    `json:"instance"`
	Created  time.Time `json:"created"`
}

// checkDataDir refuses a data directory that belongs to the other mode
// or another node, before anything in it is opened: a single node's
// store started in cluster mode (it must be imported), a cluster node's
// started alone, or node n2's started as n1. Nothing is written to a
// directory that is refused. In cluster mode it returns the marker,
// creating it in a new or empty directory.
func checkDataDir(data string, f clusterFlags) (*clusterMarker, error) {
	markerPath := filepath.Join(data, clusterMarkerName)
	raw, err := os.ReadFile(markerPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	var m *clusterMarker
	if err == nil {
		m = new(clusterMarker)
		if err := json.Unmarshal(raw, m); err != nil || m.Node == "" || m.Instance == "" {
			return nil, fmt.Errorf("data directory %s: %s is damaged (%v): restore it from a backup or start from an empty --data", data, markerPath, err)
		}
	}
	_, storeErr := os.Stat(engine.StorePath(data))
	hasStore := storeErr == nil
	switch {
	case !f.enabled() && m != nil:
		return nil, usageError{fmt.Errorf("data directory %s belongs to cluster node %q: start it with --node %s and --cluster (or --nats); a single node can't use it", data, m.Node, m.Node)}
	case !f.enabled():
		return nil, nil
	case m != nil && m.Node != f.node:
		return nil, usageError{fmt.Errorf("data directory %s belongs to cluster node %q, not %q: give each node its own --data", data, m.Node, f.node)}
	case m != nil:
		return m, nil
	case hasStore:
		return nil, usageError{fmt.Errorf("data directory %s holds a single node's data: cluster mode won't take it over; "+
			"start the node on an empty --data and bring the old articles and alerts in with --import %s (docs/cluster.md, \"Migrating a single node\")", data, data)}
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("instance id: %w", err)
	}
	m = &clusterMarker{Node: f.node, Instance: hex.EncodeToString(b), Created: time.Now().UTC().Truncate(time.Second)}
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	tmp := markerPath + ".tmp"
	if err := os.WriteFile(tmp, append(out, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := os.Rename(tmp, markerPath); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return m, nil
}

// clusterNode is this process's part of a cluster: its JetStream node
// and the claim on its name.
type clusterNode struct {
	node     *cluster.Node
	claim    *cluster.Lease
	replicas int
}

// startClusterNode starts (or, with --nats, connects) this node's
// JetStream and claims its name. Errors are clear about what to fix: an
// unreachable majority names the peers without a route; a name held by
// another process says so.
func startClusterNode(ctx context.Context, data string, f clusterFlags, m *clusterMarker, log *slog.Logger) (*clusterNode, error) {
	wctx, cancel := context.WithTimeout(ctx, f.wait)
	defer cancel()
	var (
		n   *cluster.Node
		err error
	)
	if f.peers != "" {
		peers, perr := cluster.ParsePeers(f.peers)
		if perr != nil {
			return nil, usageError{perr}
		}
		log.Info("cluster: starting the embedded JetStream node; waiting for a majority", "node", f.node, "peers", len(peers), "wait", f.wait.String())
		n, err = cluster.Start(wctx, cluster.NodeConfig{Name: f.node, Peers: peers, DataDir: data, Logger: log})
	} else {
		n, err = cluster.Connect(wctx, cluster.ConnectConfig{Name: f.node, URLs: f.nats, Logger: log})
	}
	if err != nil {
		return nil, err
	}
	claim, err := cluster.ClaimNode(wctx, n.JetStream(), f.node, m.Instance, f.replicas, log)
	if err != nil {
		n.Close()
		return nil, err
	}
	return &clusterNode{node: n, claim: claim, replicas: f.replicas}, nil
}

// Close gives up the name and stops the node.
func (c *clusterNode) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.claim.Stop(ctx)
	c.node.Close()
}

// clusterParts are what cluster mode swaps in for the single node's
// bbolt implementations: the replicated article log, the replicated
// alert, feed and key state, and the scheduler lease.
type clusterParts struct {
	cn     *clusterNode
	log    *artlog.Log
	alerts *alertsjs.Store
	feeds  *feedsjs.Store
	keys   *keysjs.Store
	saved  *savedjs.Store
	lease  *cluster.Lease
}

// openClusterLog starts the node and opens the replicated article log;
// the rest comes with openClusterState once the engine (and its store
// file) is open.
func openClusterLog(ctx context.Context, data string, f clusterFlags, m *clusterMarker, log *slog.Logger) (*clusterParts, error) {
	cn, err := startClusterNode(ctx, data, f, m, log)
	if err != nil {
		return nil, err
	}
	al, err := artlog.Open(ctx, artlog.Config{JS: cn.node.JetStream(), StorePath: filepath.Join(data, "articles.db"), Replicas: f.replicas, Logger: log})
	if err != nil {
		cn.Close()
		return nil, fmt.Errorf("cluster: article log: %w", err)
	}
	return &clusterParts{cn: cn, log: al}, nil
}

// openImportSource checks and opens --import's directory read-only before
// anything else is opened or written: a cluster node's directory, one a
// running server holds, or the new node's own --data is refused.
func openImportSource(ctx context.Context, data string, f clusterFlags, log *slog.Logger) (*importer.Source, error) {
	if f.importDir == "" {
		return nil, nil
	}
	oldAbs, err1 := filepath.Abs(f.importDir)
	newAbs, err2 := filepath.Abs(data)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if oldAbs == newAbs {
		return nil, usageError{fmt.Errorf("--import %s is the node's own --data: give the new node an empty --data", f.importDir)}
	}
	src, err := importer.OpenSource(ctx, f.importDir, log)
	if err != nil {
		return nil, usageError{err}
	}
	return src, nil
}

// runImport imports src into the cluster (once this node's replicated
// stores are open, before it serves) and logs a one-line summary.
func (p *clusterParts) runImport(ctx context.Context, src *importer.Source, log *slog.Logger) error {
	log.Info("import: importing a single node's data directory into the cluster; this node serves once it is done", "from", src.Dir, "source", src.ID)
	sum, err := importer.Run(ctx, src, importer.Target{JS: p.cn.node.JetStream(), Articles: p.log, Alerts: p.alerts, Feeds: p.feeds,
		Keys: p.keys, Saved: p.saved, Replicas: p.cn.replicas}, importer.Options{Logger: log})
	if err != nil {
		return err
	}
	log.Info("import: done", "from", src.Dir, "articles", sum.Articles, "alerts", sum.Alerts, "deliveries", sum.Deliveries,
		"sent_records", sum.SentRecords, "feeds", sum.Feeds, "seen_records", sum.SeenRecords, "keys", sum.Keys,
		"saved_searches", sum.Saved, "resumed", sum.Resumed, "took", sum.Took.Round(time.Millisecond).String(),
		"articles_per_s", int(float64(sum.Articles)/max(sum.Took.Seconds(), 1e-3)))
	return nil
}

// openClusterState opens the replicated alert, feed and key state on the
// engine's store file and starts competing for the scheduler lease.
func (p *clusterParts) openClusterState(ctx context.Context, eng *engine.Engine, f clusterFlags, log *slog.Logger) error {
	js := p.cn.node.JetStream()
	var err error
	// A node that restarts does not know which deliveries the other
	// nodes' senders hold (leases live in memory): it leases nothing
	// until every lease taken before its start has run out. A new node
	// (no alert state yet) has nothing to wait for.
	var grace time.Duration
	if applied, err := eng.Store().Applied(ctx, alertsjs.DefaultStream); err == nil && applied > 0 {
		grace = alerts.LeaseFor(alerts.DefaultTimeout)
	}
	if p.alerts, err = alertsjs.New(ctx, js, eng.Store(), log, alertsjs.Options{Replicas: f.replicas, LeaseGrace: grace}); err != nil {
		return fmt.Errorf("cluster: alert state: %w", err)
	}
	if p.feeds, err = feedsjs.New(ctx, js, eng.Store(), log, feedsjs.Options{Replicas: f.replicas}); err != nil {
		return fmt.Errorf("cluster: feed state: %w", err)
	}
	if p.keys, err = keysjs.New(ctx, js, eng.Store(), log, keysjs.Options{Replicas: f.replicas}); err != nil {
		return fmt.Errorf("cluster: key state: %w", err)
	}
	if p.saved, err = savedjs.New(ctx, js, eng.Store(), log, savedjs.Options{Replicas: f.replicas}); err != nil {
		return fmt.Errorf("cluster: saved searches: %w", err)
	}
	if p.lease, err = cluster.StartLease(ctx, js, cluster.LeaseConfig{Name: "scheduler", Holder: f.node, Replicas: f.replicas, Logger: log}); err != nil {
		return err
	}
	return nil
}

// follow keeps this node's schedules in line with the alerts and feeds
// other nodes write: whenever a state's fold moved, the service
// resyncs its cron entries (a cheap list of the local file). It returns
// when ctx ends.
func (p *clusterParts) follow(ctx context.Context, alertSvc interface{ Resync(context.Context) error }, feedSvc interface{ Resync(context.Context) error }, log *slog.Logger) {
	var alertsAt, feedsAt uint64
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a := p.alerts.Applied(); a != alertsAt {
			if err := alertSvc.Resync(ctx); err != nil {
				log.Warn("cluster: resync alert schedules", "err", err)
			} else {
				alertsAt = a
			}
		}
		if a := p.feeds.Applied(); a != feedsAt {
			if err := feedSvc.Resync(ctx); err != nil {
				log.Warn("cluster: resync feed schedules", "err", err)
			} else {
				feedsAt = a
			}
		}
	}
}

// fresh waits until this node's article log has folded everything the
// stream holds now (alerts.Config.Fresh).
func (p *clusterParts) fresh(ctx context.Context) error {
	_, last, err := p.log.Lag(ctx)
	if err != nil {
		return err
	}
	return p.log.WaitApplied(ctx, last)
}

// Status is this node's part of /readyz (web.ClusterStatus).
func (p *clusterParts) Status(ctx context.Context) (web.ClusterInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	info := web.ClusterInfo{Node: p.cn.node.Name()}
	_, last, err := p.log.Lag(ctx)
	if err != nil {
		return info, err
	}
	info.LogLast = last
	if s, err := p.cn.node.JetStream().Stream(ctx, artlog.DefaultStream); err == nil {
		if si, err := s.Info(ctx); err == nil && si.Cluster != nil {
			info.LogLeader = si.Cluster.Leader
		}
	}
	if holder, err := p.lease.Holder(ctx); err == nil {
		info.Scheduler = holder
	}
	return info, nil
}

// Close stops everything cluster mode started, the node last.
func (p *clusterParts) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p.lease != nil {
		p.lease.Stop(ctx)
	}
	if p.saved != nil {
		p.saved.Close()
	}
	if p.keys != nil {
		p.keys.Close()
	}
	if p.feeds != nil {
		p.feeds.Close()
	}
	if p.alerts != nil {
		p.alerts.Close()
	}
	p.log.Close()
	p.cn.Close()
}
