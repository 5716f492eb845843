package store

// Copies of the bbolt file: the online backup of an open store, the
// offline copy of a store file no server holds, and the check that a
// file is not in use before a restore replaces it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrLocked is returned for a store file that another process (a running
// server) holds open.
var ErrLocked = errors.New("the store is locked by another process")

// ctxWriter fails a write once ctx is done, so a long copy stops.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.w.Write(p)
}

// Backup writes a consistent copy of the whole file, taken in one read
// transaction while writes go on. begin is called first with the copy's
// size in bytes and returns where to write it (an HTTP handler sets its
// headers there). It returns the bytes written; once ctx is done the copy
// stops with ctx's error.
func (s *Store) Backup(ctx context.Context, begin func(size int64) (io.Writer, error)) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		w, err := begin(tx.Size())
		if err != nil {
			return err
		}
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	if err != nil {
		if ctx.Err() != nil { // bbolt does not wrap the writer's error
			err = context.Cause(ctx)
		}
		return n, fmt.Errorf("store: back up %s: %w", s.path, err)
	}
	return n, nil
}

// CopyFile writes a consistent copy of the store file at path to w,
// through a read-only open and one read transaction. A file a running
// server holds gives ErrLocked (wrapped) within about a second.
func CopyFile(ctx context.Context, path string, w io.Writer) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("store: no store at %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return 0, fmt.Errorf("store: %s: %w", path, ErrLocked)
		}
		return 0, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	var n int64
	err = db.View(func(tx *bolt.Tx) error {
		var werr error
		n, werr = tx.WriteTo(ctxWriter{ctx, w})
		return werr
	})
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return n, fmt.Errorf("store: copy %s: %w", path, err)
	}
	return n, nil
}

// CheckNotInUse returns ErrLocked (wrapped) when another process holds
// the store file at path open, nil when it does not or the file does not
// exist. It takes the exclusive lock for a moment, as a writer would.
func CheckNotInUse(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return fmt.Errorf("store: %s: %w", path, ErrLocked)
		}
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	return db.Close()
}

// WriteStats are the store's write counters since it was opened.
type WriteStats struct {
	PagesWritten int64
	Spill, Write time.Duration // time spent rebalancing/spilling and writing pages
}

// WriteStats returns the store's write counters (for benchmarks: the
// difference of two readings is what happened between them).
func (s *Store) WriteStats() WriteStats {
	tx := s.db.Stats().TxStats
	return WriteStats{PagesWritten: tx.GetWrite(), Spill: tx.GetSpillTime(), Write: tx.GetWriteTime()}
}
