package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/engine"
	feedsbolt "github.com/watchword/watchword/internal/feeds/boltstore"
	keysbolt "github.com/watchword/watchword/internal/keys/boltstore"
	savedbolt "github.com/watchword/watchword/internal/saved/boltstore"
	"github.com/watchword/watchword/internal/store"
)

// newBackupCmd writes a consistent copy of the store to --out: from a
// running server with --server (GET /api/backup), or from the data
// directory, which works only while no server holds the store's lock.
func newBackupCmd(stdout io.Writer) *cobra.Command {
	var data, server, token, out string
	c := &cobra.Command{
		Use:   "backup --out FILE [--data DIR | --server URL [--token T]]",
		Short: "Write a consistent copy of the store, offline or from a running server",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("--out FILE is required")}
			}
			if err := checkTarget(out); err != nil {
				return err
			}
			start := time.Now()
			var n int64
			var err error
			if server != "" {
				tok := token
				if tok == "" {
					b, rerr := os.ReadFile(filepath.Join(data, "token"))
					if rerr != nil {
						return fmt.Errorf("no --token given and none readable in %s: %w", data, rerr)
					}
					tok = strings.TrimSpace(string(b))
				}
				n, err = backupServer(c.Context(), server, tok, out)
			} else {
				n, err = backupFile(c.Context(), engine.StorePath(data), out)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "backed up %d bytes to %s in %s\n", n, out, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	fs := c.Flags()
	fs.StringVar(&data, "data", "./watchword-data", "data directory (offline backup, or to find the token)")
	fs.StringVar(&server, "server", "", "back up a running server over HTTP, e.g. http://127.0.0.1:8080")
	fs.StringVar(&token, "token", "", "API token for --server (default: read from <data>/token)")
	fs.StringVar(&out, "out", "", "file to write (required; a new or a regular file)")
	return c
}

// backupFile copies the store through a read transaction. Opening it
// read-only takes a shared lock, which a running server (holding the
// exclusive one) refuses: then the copy must come from the server.
func backupFile(ctx context.Context, storePath, out string) (int64, error) {
	var n int64
	err := writeAtomically(out, func(w io.Writer) error {
		var werr error
		n, werr = store.CopyFile(ctx, storePath, w)
		return werr
	})
	if errors.Is(err, store.ErrLocked) {
		return 0, fmt.Errorf("the store %s is locked by a running server; back it up online with --server URL", storePath)
	}
	return n, err
}

// backupServer downloads GET /api/backup.
func backupServer(ctx context.Context, server, token, out string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/api/backup", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET /api/backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("GET /api/backup: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	var n int64
	err = writeAtomically(out, func(w io.Writer) error {
		var cerr error
		n, cerr = io.Copy(w, resp.Body)
		if cerr == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
			cerr = fmt.Errorf("backup cut short: %d of %d bytes", n, resp.ContentLength)
		}
		return cerr
	})
	if err != nil {
		return 0, err
	}
	if err := checkStoreFile(out); err != nil {
		os.Remove(out)
		return 0, fmt.Errorf("the downloaded backup is not a valid store: %w", err)
	}
	return n, nil
}

// checkTarget refuses a path that writeAtomically must not replace: the
// rename would put a regular file in place of a symbolic link (not where
// it points), a device such as /dev/null (as root), a FIFO or a socket,
// and cannot replace a directory. A missing path or a regular file is
// fine. Lstat, so a symlink is seen as one, not followed.
func checkTarget(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("check %s: %w", path, err)
	case fi.Mode()&os.ModeSymlink != 0:
		dest, _ := os.Readlink(path)
		return fmt.Errorf("refusing to write to %s: it is a symbolic link (to %s), which would be replaced, not followed; give the file's real path", path, dest)
	case fi.IsDir():
		return fmt.Errorf("refusing to write to %s: it is a directory; give a file name", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("refusing to write to %s: it is not a regular file (%s); give a new or regular file", path, fi.Mode().Type())
	}
	return nil
}

// writeAtomically writes path through a synced temporary file in the same
// directory and a rename, so a failed backup never leaves a truncated
// file behind. path must be new or a regular file (checkTarget), checked
// before writing and again just before the rename. prepare, when given,
// runs on the written temporary file before it is put in place.
func writeAtomically(path string, write func(io.Writer) error, prepare ...func(tmp string) error) error {
	if err := checkTarget(path); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	for _, p := range prepare {
		if err := p(tmp.Name()); err != nil {
			return err
		}
	}
	if err := checkTarget(path); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// storeBuckets are every bucket a Watchword store file holds, with the
// decoder of its records: the store's, the alerts', the feeds', the
// keys' and the saved searches'.
func storeBuckets() []store.Bucket {
	return slices.Concat(store.Buckets(), boltstore.Buckets(), feedsbolt.Schema().Buckets, keysbolt.Schema().Buckets, savedbolt.Schema().Buckets)
}

// checkStoreFile verifies a whole store file (store.Verify): its page
// structure, bbolt's consistency check and a decode of every record of
// every bucket. It never crashes on a damaged file; the error names the
// bucket and key.
func checkStoreFile(path string) error {
	return store.Verify(context.Background(), path, storeBuckets())
}

// newRestoreCmd puts a backup in place as the store of a data directory
// and removes the index, which the next start rebuilds from the store.
func newRestoreCmd(stdout io.Writer) *cobra.Command {
	var o restoreOptions
	c := &cobra.Command{
		Use:   "restore --data DIR --in FILE [--force]",
		Short: "Put a backup in place as the store of a data directory (server stopped)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			if o.data == "" || o.in == "" {
				return usageError{errors.New("--data DIR and --in FILE are required")}
			}
			return restore(&o, stdout)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.data, "data", "", "data directory to restore into (required; the server must be stopped)")
	fs.StringVar(&o.in, "in", "", "backup file (required)")
	fs.BoolVar(&o.force, "force", false, "replace the store of a non-empty data directory")
	return c
}

type restoreOptions struct {
	data, in string
	force    bool
}

func restore(o *restoreOptions, stdout io.Writer) error {
	start := time.Now()
	if err := checkStoreFile(o.in); err != nil {
		return fmt.Errorf("%s is not a valid store, nothing was restored: %w", o.in, err)
	}
	fmt.Fprintf(stdout, "verified %s (every page and record) in %s\n", o.in, time.Since(start).Round(time.Millisecond))
	entries, err := os.ReadDir(o.data)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 && !o.force {
		return fmt.Errorf("%s is not empty; stop the server and add --force to replace its store", o.data)
	}
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return err
	}
	storePath := engine.StorePath(o.data)
	// A running server holds the exclusive lock: refuse rather than swap
	// the file under it.
	if err := store.CheckNotInUse(storePath); err != nil {
		return fmt.Errorf("the store %s is in use (is the server running?): %w", storePath, err)
	}
	src, err := os.Open(o.in)
	if err != nil {
		return err
	}
	defer src.Close()
	// The restored store starts held: its alert and feed schedulers and
	// its webhook senders wait for serve --resume-schedulers or POST
	// /api/admin/resume, so testing a backup never sends a webhook twice.
	reason := fmt.Sprintf("restored from %s at %s", filepath.Base(o.in), time.Now().UTC().Format(time.RFC3339))
	err = writeAtomically(storePath, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	}, func(tmp string) error {
		st, err := store.Open(tmp)
		if err != nil {
			return err
		}
		if err := st.SetHeld(reason); err != nil {
			st.Close()
			return err
		}
		return st.Close()
	})
	if err != nil {
		return fmt.Errorf("restore %s: %w", storePath, err)
	}
	if err := os.RemoveAll(engine.IndexPath(o.data)); err != nil {
		return fmt.Errorf("remove the old index: %w", err)
	}
	if d, err := os.Open(o.data); err == nil {
		d.Sync() // make the rename durable
		d.Close()
	}
	fmt.Fprintf(stdout, "restored %s into %s; the index is rebuilt from the store on the next start\n", o.in, storePath)
	fmt.Fprintf(stdout, "alerts, feeds and webhook deliveries start held: resume with serve --resume-schedulers or POST /api/admin/resume\n")
	return nil
}
