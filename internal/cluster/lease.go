package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaseBucket is the replicated key-value bucket that holds the leases.
const LeaseBucket = "ww_leases"

// DefaultLeaseTTL is how long a lease outlives its holder's last renewal.
// Failover of the scheduled work takes at most this plus one try
// interval (TTL/3).
const DefaultLeaseTTL = 10 * time.Second

// LeaseConfig configures a Lease.
type LeaseConfig struct {
	Name     string        // the lease's key, e.g. "scheduler"
	Holder   string        // this node's name
	TTL      time.Duration // zero: DefaultLeaseTTL
	Replicas int           // of the bucket; zero: 3
	Logger   *slog.Logger
	// OnChange is called (from the lease's goroutine) whenever this node
	// gains or loses the lease.
	OnChange func(held bool)
}

// Lease is one node's side of a lease held by at most one live node at a
// time: a key in a replicated KV bucket whose entries expire after the
// TTL. The holder renews it with a compare-and-set on the key's revision
// every TTL/3; the others try to create it as often; a holder that fails
// to renew gives it up at once, and its entry expires within the TTL.
//
// A lease is for efficiency, never for correctness: two nodes can both
// believe they hold it for a moment (a holder cut off from the cluster
// keeps believing until its renewal fails). What it guards (alert
// evaluation, feed polling) stays correct through the compare-and-set
// of the state it commits.
type Lease struct {
	cfg  LeaseConfig
	kv   jetstream.KeyValue
	log  *slog.Logger
	mu   sync.Mutex
	held bool
	rev  uint64
	done chan struct{}
	stop context.CancelFunc
}

type leaseValue struct {
	Holder string    `json:"holder"`
	Since  time.Time `json:"since"`
}

// OpenLeaseBucket creates (or opens) the lease bucket.
func OpenLeaseBucket(ctx context.Context, js jetstream.JetStream, replicas int, ttl time.Duration) (jetstream.KeyValue, error) {
	if replicas <= 0 {
		replicas = 3
	}
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	cfg := jetstream.KeyValueConfig{
		Bucket: LeaseBucket, Description: "Watchword: which node runs the scheduled work",
		TTL: ttl, Replicas: replicas, Storage: jetstream.FileStorage, History: 1,
	}
	// Every node opens the bucket at start, often at the same moment,
	// while the cluster is still forming: a request can then go
	// unanswered (seen: three nodes creating it at once, two of them
	// waiting for ever). Each attempt is bounded and repeated until ctx
	// ends; a bucket that exists is opened as it is.
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		kv, err := js.KeyValue(actx, LeaseBucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateKeyValue(actx, cfg)
			if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				kv, err = js.KeyValue(actx, LeaseBucket)
			}
		}
		cancel()
		if err == nil {
			return kv, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cluster: lease bucket: %w", errors.Join(err, ctx.Err()))
		case <-time.After(wait):
		}
	}
}

// StartLease opens the bucket and starts competing for the lease until
// Stop.
func StartLease(ctx context.Context, js jetstream.JetStream, cfg LeaseConfig) (*Lease, error) {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	kv, err := OpenLeaseBucket(ctx, js, cfg.Replicas, cfg.TTL)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	l := &Lease{cfg: cfg, kv: kv, log: cfg.Logger.With("lease", cfg.Name), done: make(chan struct{}), stop: stop}
	go l.run(runCtx)
	return l, nil
}

// Held reports whether this node holds the lease now.
func (l *Lease) Held() bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// Holder reads who holds the lease ("" when nobody does).
func (l *Lease) Holder(ctx context.Context) (string, error) {
	e, err := l.kv.Get(ctx, l.cfg.Name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cluster: lease %s: %w", l.cfg.Name, err)
	}
	var v leaseValue
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return "", fmt.Errorf("cluster: lease %s: %w", l.cfg.Name, err)
	}
	return v.Holder, nil
}

// Stop stops competing and, when this node holds the lease, gives it up
// (deletes the key if it is still ours) so another node takes over
// without waiting for the TTL.
func (l *Lease) Stop(ctx context.Context) {
	l.stop()
	<-l.done
	l.mu.Lock()
	held, rev := l.held, l.rev
	l.held = false
	l.mu.Unlock()
	if held {
		if err := l.kv.Delete(ctx, l.cfg.Name, jetstream.LastRevision(rev)); err != nil {
			l.log.Warn("lease: give up", "err", err)
		}
		l.changed(false)
	}
}

func (l *Lease) run(ctx context.Context) {
	defer close(l.done)
	tick := l.cfg.TTL / 3
	for {
		l.try(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

// try renews a held lease or tries to take a free one.
func (l *Lease) try(ctx context.Context) {
	opCtx, cancel := context.WithTimeout(ctx, l.cfg.TTL/3)
	defer cancel()
	val, _ := json.Marshal(leaseValue{Holder: l.cfg.Holder, Since: time.Now().UTC()})
	l.mu.Lock()
	held, rev := l.held, l.rev
	l.mu.Unlock()
	var newRev uint64
	var err error
	if held {
		newRev, err = l.kv.Update(opCtx, l.cfg.Name, val, rev)
	} else {
		newRev, err = l.kv.Create(opCtx, l.cfg.Name, val)
	}
	if ctx.Err() != nil {
		return
	}
	switch {
	case err == nil:
		l.mu.Lock()
		l.held, l.rev = true, newRev
		l.mu.Unlock()
		if !held {
			l.log.Info("lease: taken", "holder", l.cfg.Holder)
			l.changed(true)
		}
	case held:
		// A renewal that failed, for whatever reason: give the lease up
		// now rather than risk holding it past the TTL.
		l.mu.Lock()
		l.held = false
		l.mu.Unlock()
		l.log.Warn("lease: lost", "err", err)
		l.changed(false)
	case errors.Is(err, jetstream.ErrKeyExists):
		// Someone holds it: if that is this holder's previous life (a
		// restart within the TTL), take it back at its revision.
		if e, gerr := l.kv.Get(opCtx, l.cfg.Name); gerr == nil {
			var v leaseValue
			if json.Unmarshal(e.Value(), &v) == nil && v.Holder == l.cfg.Holder {
				if newRev, uerr := l.kv.Update(opCtx, l.cfg.Name, val, e.Revision()); uerr == nil {
					l.mu.Lock()
					l.held, l.rev = true, newRev
					l.mu.Unlock()
					l.log.Info("lease: taken back after a restart", "holder", l.cfg.Holder)
					l.changed(true)
				}
			}
		}
	default:
		l.log.Debug("lease: try", "err", err)
	}
}

func (l *Lease) changed(held bool) {
	if l.cfg.OnChange != nil {
		l.cfg.OnChange(held)
	}
}

// ClaimNode claims a node's name for this instance (an id kept in the
// node's data directory) for as long as the returned lease runs, so two
// processes started with the same --node are refused: the second finds
// the name held by another instance and gets an error. The same instance
// restarting (after a kill) takes its claim back at once.
func ClaimNode(ctx context.Context, js jetstream.JetStream, node, instance string, replicas int, log *slog.Logger) (*Lease, error) {
	l, err := StartLease(ctx, js, LeaseConfig{Name: "node." + node, Holder: instance, Replicas: replicas, Logger: log})
	if err != nil {
		return nil, err
	}
	for {
		if l.Held() {
			return l, nil
		}
		holder, err := l.Holder(ctx)
		if err == nil && holder != "" && holder != instance {
			l.Stop(context.Background())
			return nil, fmt.Errorf("cluster: another process runs as node %q (instance %s, from another data directory): each node needs its own name", node, holder)
		}
		select {
		case <-ctx.Done():
			l.Stop(context.Background())
			return nil, fmt.Errorf("cluster: claim node name %q: %w", node, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
