package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func runCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String() + errb.String()
}

// searchTotal opens the engine on dir (rebuilding a missing index) and
// counts the articles matching q.
func searchTotal(t *testing.T, dir, q string) (total uint64, stored int) {
	t.Helper()
	eng, err := engine.Open(engine.Config{DataDir: dir, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Search(context.Background(), engine.SearchParams{Q: q})
	if err != nil {
		t.Fatal(err)
	}
	n, err := eng.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res.Total, n
}

func TestBackupRestoreOffline(t *testing.T) {
	src := t.TempDir()
	eng, err := engine.Open(engine.Config{DataDir: src, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	var arts []*news.Article
	for i := 0; i < 250; i++ {
		arts = append(arts, &news.Article{ID: fmt.Sprintf("b%d", i), Body: fmt.Sprintf("backupword story %d from Tbilisi.", i)})
	}
	if _, _, err := eng.Ingest(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "watchword.backup")
	if code, out := runCmd(t, "backup", "--data", src, "--out", file); code != 0 {
		t.Fatalf("backup: %d %s", code, out)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	if code, out := runCmd(t, "restore", "--data", dst, "--in", file); code != 0 {
		t.Fatalf("restore: %d %s", code, out)
	}
	if total, n := searchTotal(t, dst, "backupword"); total != 250 || n != 250 {
		t.Errorf("restored: search finds %d, store has %d, want 250", total, n)
	}
	// A non-empty data directory is refused without --force...
	if code, out := runCmd(t, "restore", "--data", dst, "--in", file); code == 0 || !strings.Contains(out, "--force") {
		t.Errorf("restore over a non-empty directory: %d %s", code, out)
	}
	// ...and replaced with it; the old index is dropped and rebuilt.
	if code, out := runCmd(t, "restore", "--data", dst, "--in", file, "--force"); code != 0 {
		t.Fatalf("restore --force: %d %s", code, out)
	}
	if _, err := os.Stat(engine.IndexPath(dst)); !os.IsNotExist(err) {
		t.Errorf("the index survived the restore: %v", err)
	}
	if total, _ := searchTotal(t, dst, "backupword"); total != 250 {
		t.Errorf("after restore --force: search finds %d", total)
	}
	// Something that is not a store is refused.
	junk := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(junk, []byte("not a database"), 0o600)
	if code, _ := runCmd(t, "restore", "--data", t.TempDir(), "--in", junk); code == 0 {
		t.Error("restore accepted a file that is not a store")
	}
}

// TestBackupOnline backs up a running server (which holds the store's
// lock) over HTTP while writes go on, and restores the copy.
func TestBackupOnline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	data := t.TempDir()
	s := startServer(t, data, "--rate-limit", "0")
	var body bytes.Buffer
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&body, `{"id":"o%d","body":"onlineword story %d about Ankara."}`+"\n", i, i)
	}
	if ids, err := post(s.base, body.Bytes()); err != nil || len(ids) != 300 {
		t.Fatalf("ingest: %v (%d ids)", err, len(ids))
	}

	// The offline path cannot take the lock and says what to do instead.
	file := filepath.Join(t.TempDir(), "online.backup")
	if code, out := runCmd(t, "backup", "--data", data, "--out", file); code == 0 || !strings.Contains(out, "--server") {
		t.Errorf("offline backup of a running server: %d %s", code, out)
	}
	// Writes continue during the online backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			post(s.base, fmt.Appendf(nil, `{"id":"late%d","body":"onlineword late story %d."}`+"\n", i, i))
		}
	}()
	if code, out := runCmd(t, "backup", "--server", s.base, "--token", "crash-token", "--out", file); code != 0 {
		t.Fatalf("online backup: %d %s", code, out)
	}
	close(stop)
	wg.Wait()
	// Without the token it is refused.
	if code, _ := runCmd(t, "backup", "--server", s.base, "--token", "wrong", "--out", file+".x"); code == 0 {
		t.Error("online backup with a wrong token succeeded")
	}

	dst := filepath.Join(t.TempDir(), "restored")
	if code, out := runCmd(t, "restore", "--data", dst, "--in", file); code != 0 {
		t.Fatalf("restore: %d %s", code, out)
	}
	total, n := searchTotal(t, dst, "onlineword")
	if total < 300 || int(total) != n {
		t.Errorf("restored online backup: search finds %d, store has %d, want >= 300 and equal", total, n)
	}
	t.Logf("online backup restored %d articles", n)
}

// TestBackupOutOnlyNewOrRegular: backup --out writes a new file or
// replaces a regular one, and refuses a symbolic link (which the rename
// would replace rather than follow), a directory and a FIFO (standing in
// for a device such as /dev/null), leaving each as it was.
func TestBackupOutOnlyNewOrRegular(t *testing.T) {
	src := t.TempDir()
	eng, err := engine.Open(engine.Config{DataDir: src, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := eng.Ingest(context.Background(), []*news.Article{{ID: "x1", Body: "targetword story."}}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, msg string
		mode      os.FileMode
	}{
		{link, "symbolic link", os.ModeSymlink},
		{sub, "directory", os.ModeDir},
		{fifo, "not a regular file", os.ModeNamedPipe},
	} {
		code, out := runCmd(t, "backup", "--data", src, "--out", c.path)
		if code == 0 || !strings.Contains(out, c.msg) {
			t.Errorf("backup --out %s: exit %d, want a refusal saying %q: %s", filepath.Base(c.path), code, c.msg, out)
		}
		if fi, err := os.Lstat(c.path); err != nil || fi.Mode().Type() != c.mode {
			t.Errorf("%s was changed: %v %v", filepath.Base(c.path), fi.Mode().Type(), err)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("the symlink's target was changed: %q", b)
	}
	// A new file, then a regular file replaced.
	for _, p := range []string{filepath.Join(dir, "new.db"), victim} {
		if code, out := runCmd(t, "backup", "--data", src, "--out", p); code != 0 {
			t.Fatalf("backup --out %s: %d %s", filepath.Base(p), code, out)
		}
		if err := checkStoreFile(p); err != nil {
			t.Errorf("%s is not a store after the backup: %v", filepath.Base(p), err)
		}
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
