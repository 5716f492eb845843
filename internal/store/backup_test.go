package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// TestBackupAndCopyFile: the online backup and the offline copy are
// whole stores with the same articles; a copy of a file another process
// holds is ErrLocked, as is the restore's check; a done context stops
// the backup.
func TestBackupAndCopyFile(t *testing.T) {
	s, path := openTemp(t)
	if err := s.PutArticles([]*news.Article{art("a", "one"), art("b", "two")}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var size int64
	n, err := s.Backup(context.Background(), func(sz int64) (io.Writer, error) { size = sz; return &buf, nil })
	if err != nil || n != size || int64(buf.Len()) != size {
		t.Fatalf("Backup = %d bytes (size %d, buffer %d), %v", n, size, buf.Len(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Backup(ctx, func(int64) (io.Writer, error) { return io.Discard, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup with a done context = %v, want context.Canceled", err)
	}
	// s holds the file: the offline copy and the restore's check refuse.
	if _, err := CopyFile(context.Background(), path, io.Discard); !errors.Is(err, ErrLocked) {
		t.Errorf("CopyFile of a held store = %v, want ErrLocked", err)
	}
	if err := CheckNotInUse(path); !errors.Is(err, ErrLocked) {
		t.Errorf("CheckNotInUse of a held store = %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := CheckNotInUse(path); err != nil {
		t.Errorf("CheckNotInUse of a closed store = %v", err)
	}
	if err := CheckNotInUse(filepath.Join(t.TempDir(), "none.db")); err != nil {
		t.Errorf("CheckNotInUse of no file = %v", err)
	}
	var off bytes.Buffer
	if _, err := CopyFile(context.Background(), path, &off); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"backup": buf.Bytes(), "copy": off.Bytes()} {
		p := filepath.Join(t.TempDir(), name+".db")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		arts, err := c.Articles([]string{"a", "b"})
		if err != nil || arts[0] == nil || arts[1] == nil || arts[1].Body != "two" {
			t.Errorf("%s: articles %v, %v", name, arts, err)
		}
		c.Close()
	}
}
