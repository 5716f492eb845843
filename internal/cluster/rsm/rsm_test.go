package rsm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/cluster/rsm"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// counter is a tiny state machine: a list of the values added, kept in
// memory with its applied sequence (the Progress).
type counter struct {
	mu      sync.Mutex
	applied uint64
	values  []int
	seqs    []uint64
}

func (c *counter) Applied(context.Context, string) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.applied, nil
}

func (c *counter) SetApplied(_ context.Context, _ string, seq uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applied = seq
	return nil
}

// apply adds the value; the outcome is the list's length, or an error
// for a negative value (an outcome, not a failure).
func (c *counter) apply(_ context.Context, seq uint64, kind string, data []byte) (any, error) {
	var v int
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seqs = append(c.seqs, seq)
	if v < 0 {
		return errNegative, nil
	}
	c.values = append(c.values, v)
	return len(c.values), nil
}

var errNegative = errors.New("negative")

func (c *counter) snapshot() ([]int, []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.values), slices.Clone(c.seqs)
}

func start(t *testing.T, js jetstream.JetStream, c *counter, name string) *rsm.Machine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := rsm.Start(ctx, js, c, rsm.Config{Name: name, Log: quiet}, c.apply)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// A writer gets its own command's outcome as its fold computed it; a
// second replica applies the same commands in the same order; a replica
// restarted on its progress applies only what it has not; and one whose
// next commands were dropped from the stream is refused (ErrGap).
func TestMachine(t *testing.T) {
	cl := clustertest.Start(t, 1)
	js := cl.Node(0).JetStream()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var a, b counter
	ma, mb := start(t, js, &a, "T_RSM"), start(t, js, &b, "T_RSM")
	for i, v := range []int{5, -1, 7} {
		res, err := ma.Submit(ctx, "add", v)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case v < 0 && res != errNegative:
			t.Fatalf("command %d: outcome %v, want the fold's error", i, res)
		case v >= 0 && res != len(slices.DeleteFunc([]int{5, -1, 7}[:i+1], func(x int) bool { return x < 0 })):
			t.Fatalf("command %d: outcome %v", i, res)
		}
		if got := ma.Applied(); got != uint64(i+1) {
			t.Fatalf("after command %d the writer has applied %d", i, got)
		}
	}
	if err := mb.WaitApplied(ctx, ma.Applied()); err != nil {
		t.Fatal(err)
	}
	av, as := a.snapshot()
	bv, bs := b.snapshot()
	if !slices.Equal(av, []int{5, 7}) || !slices.Equal(av, bv) || !slices.Equal(as, []uint64{1, 2, 3}) || !slices.Equal(as, bs) {
		t.Fatalf("replicas: %v %v and %v %v", av, as, bv, bs)
	}

	// b stops; a adds; b restarted on its progress applies only the new.
	mb.Close()
	if _, err := ma.Submit(ctx, "add", 9); err != nil {
		t.Fatal(err)
	}
	mb = start(t, js, &b, "T_RSM")
	if err := mb.WaitApplied(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if bv, bs := b.snapshot(); !slices.Equal(bv, []int{5, 7, 9}) || !slices.Equal(bs, []uint64{1, 2, 3, 4}) {
		t.Fatalf("after the restart: %v %v", bv, bs)
	}

	// b stops again; the stream keeps one message only and a adds two:
	// commands 5 and 6 are gone before b has applied them.
	mb.Close()
	s, err := js.Stream(ctx, "T_RSM")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.MaxMsgs = 1
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{10, 11} {
		if _, err := ma.Submit(ctx, "add", v); err != nil {
			t.Fatal(err)
		}
	}
	_, err = rsm.Start(ctx, js, &b, rsm.Config{Name: "T_RSM", Log: quiet}, b.apply)
	if !errors.Is(err, rsm.ErrGap) {
		t.Fatalf("a replica at 4 with the stream at 6..6: %v, want ErrGap", err)
	}
	// A fresh replica (a new node without a backup) is refused too.
	if _, err := rsm.Start(ctx, js, new(counter), rsm.Config{Name: "T_RSM", Log: quiet}, new(counter).apply); !errors.Is(err, rsm.ErrGap) {
		t.Fatalf("a fresh replica with the stream at 6..6: %v, want ErrGap", err)
	}
	// The writer, up to date, goes on.
	if res, err := ma.Submit(ctx, "add", 12); err != nil || res != 6 {
		t.Fatalf("the up-to-date writer: %v %v", res, err)
	}
}
