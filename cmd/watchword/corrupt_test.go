package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/stories"
	bolt "go.etcd.io/bbolt"
)

// buildFullStore writes a data directory with articles, an alert (with a
// delivery) and a feed, so every kind of bucket has records.
func buildFullStore(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	eng, err := engine.Open(engine.Config{DataDir: dir, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	var arts []*news.Article
	for i := 0; i < n; i++ {
		arts = append(arts, &news.Article{ID: fmt.Sprintf("c%d", i), Body: strings.Repeat(fmt.Sprintf("corruptword story %d from Tbilisi. ", i), 20)})
	}
	if _, _, err := eng.Ingest(context.Background(), arts[:n/2]); err != nil {
		t.Fatal(err)
	}
	loop := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	asvc, err := alerts.New(alerts.Config{Store: alertStore(t, eng), Engine: eng, Logger: quietLog, Allow: loop})
	if err != nil {
		t.Fatal(err)
	}
	name, q, hook := "c", "corruptword", "http://127.0.0.1:9/hook"
	v, err := asvc.Create(context.Background(), &alerts.Input{Name: &name, Query: &q, WebhookURL: &hook})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := eng.Ingest(context.Background(), arts[n/2:]); err != nil {
		t.Fatal(err)
	}
	if r, err := asvc.RunNow(context.Background(), v.ID); err != nil || r.Matches == 0 {
		t.Fatalf("run: %+v %v", r, err)
	}
	fsvc, err := feeds.New(feeds.Config{Engine: eng, Store: feedStore(t, eng), Logger: quietLog, Allow: loop})
	if err != nil {
		t.Fatal(err)
	}
	furl := "http://127.0.0.1:9/rss"
	if _, err := fsvc.Create(context.Background(), &feeds.Input{URL: &furl}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRestoreAndServeRefuseFlippedBits flips one bit at a time in the page
// headers and branch pointers of a real store (compacted, so every page
// is in use): restore refuses each with an error naming the bucket and
// key and leaves the existing store as it was, and the serve path
// (openEngine) returns an error. A crash (SIGBUS, SIGSEGV) fails the
// whole test binary.
func TestRestoreAndServeRefuseFlippedBits(t *testing.T) {
	src := buildFullStore(t, 600)
	backup := filepath.Join(t.TempDir(), "b.db")
	if code, out := runCmd(t, "backup", "--data", src, "--out", backup); code != 0 {
		t.Fatalf("backup: %s", out)
	}
	compact := filepath.Join(t.TempDir(), "compact.db")
	sdb, err := bolt.Open(backup, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ddb, err := bolt.Open(compact, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bolt.Compact(ddb, sdb, 0); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	ddb.Close()
	orig, _ := os.ReadFile(compact)
	if code, out := runCmd(t, "restore", "--data", t.TempDir(), "--in", compact); code != 0 {
		t.Fatalf("the sound compacted store is refused: %s", out)
	}

	// Pages in use: after compaction, every branch and leaf page past
	// the first few (the empty database's, freed by the copy).
	ps := os.Getpagesize()
	type target struct{ off, bit int }
	var ids, ptrs []target
	for id := 4; (id+1)*ps <= len(orig); id++ {
		pg := orig[id*ps:]
		flags := binary.NativeEndian.Uint16(pg[8:])
		if binary.NativeEndian.Uint64(pg) != uint64(id) || flags != 1 && flags != 2 {
			continue
		}
		ids = append(ids, target{id*ps + int(binary.NativeEndian.Uint16(pg[0:]))%8, 0})
		if flags == 1 { // branch: a child's page id, sent far past the file
			ptrs = append(ptrs, target{id*ps + 16 + 8 + 3, 6})
		}
	}
	if len(ptrs) == 0 {
		t.Fatal("no branch page in the store")
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	t.Logf("seed %d; %d bytes, %d pages in use, %d branch pages", seed, len(orig), len(ids), len(ptrs))
	flips := []target{ptrs[rng.IntN(len(ptrs))]}
	for i := 0; i < 5; i++ {
		f := ids[rng.IntN(len(ids))]
		f.off = f.off - f.off%ps + rng.IntN(8)
		f.bit = rng.IntN(8)
		flips = append(flips, f)
	}

	// The data directory restored into: it holds a sound store, which a
	// refused restore must leave as it was.
	dst := t.TempDir()
	if code, out := runCmd(t, "restore", "--data", dst, "--in", backup, "--force"); code != 0 {
		t.Fatalf("restore: %s", out)
	}
	before, _ := os.ReadFile(engine.StorePath(dst))
	for i, f := range flips {
		b := append([]byte(nil), orig...)
		b[f.off] ^= 1 << f.bit
		bad := filepath.Join(t.TempDir(), fmt.Sprintf("flip%d.db", i))
		os.WriteFile(bad, b, 0o600)
		code, out := runCmd(t, "restore", "--data", dst, "--in", bad, "--force")
		t.Logf("flip at %d (page %d +%d) bit %d: restore exit %d: %s", f.off, f.off/ps, f.off%ps, f.bit, code, strings.TrimSpace(out))
		if code == 0 || !strings.Contains(out, "is corrupt at") || !strings.Contains(out, "nothing was restored") {
			t.Errorf("flip at %d bit %d: restore did not refuse it clearly: %s", f.off, f.bit, out)
		}
		if after, _ := os.ReadFile(engine.StorePath(dst)); !bytes.Equal(after, before) {
			t.Fatalf("a refused restore changed the existing store")
		}
		// The serve path on the damaged file: an error, not a crash.
		data := t.TempDir()
		os.WriteFile(engine.StorePath(data), b, 0o600)
		eng, err := openEngine(data, quietLog, query.Limits{}, stories.Config{})
		if err == nil {
			eng.Close()
			t.Errorf("flip at %d bit %d: the engine opened the damaged store", f.off, f.bit)
			continue
		}
		t.Logf("  serve's open: %v", err)
		if !strings.Contains(err.Error(), "is corrupt at") {
			t.Errorf("flip at %d: open error does not say where: %v", f.off, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		done := make(chan int, 1)
		go func() {
			c, _ := runCmd(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--token", "t")
			done <- c
		}()
		select {
		case c := <-done:
			if c == 0 {
				t.Errorf("serve on the damaged store exited 0")
			}
		case <-ctx.Done():
			t.Fatalf("serve on the damaged store is still running")
		}
		cancel()
	}
}
