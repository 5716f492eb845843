package boltstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/boltstore"
	"github.com/watchword/watchword/internal/store"
)

// oldFeed is a feed record byte for byte as the code before boltstore
// wrote it (json.Marshal of feeds.Feed into bucket "feeds" under its id).
const oldFeed = `{"id":"fd_0123456789abcdef0123","url":"https://wire.example/rss","schedule":"@every 1h","source":"Wire","enabled":true,` +
	`"created_at":"2026-01-02T03:04:05Z","title":"The Wire","site_url":"https://wire.example/","last_polled_at":"2026-01-03T00:00:00Z",` +
	`"last_success_at":"2026-01-03T00:00:00Z","last_status":"ok","last_error":"","last_http_status":200,"items_ingested":2,` +
	`"items_updated":1,"consecutive_failures":0,"backoff_until":null,"etag":"\"v7\"","last_modified":"Sat, 03 Jan 2026 00:00:00 GMT","version":3}`

// TestOldFormat: a store file whose feed buckets were written by the code
// before the seam (the records below are literal bytes in that format,
// seen keys over 256 bytes stored as their sha256) opens, reads and is
// written in the same format, and still passes the restore check.
func TestOldFormat(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "watchword.db")
	const id = "fd_0123456789abcdef0123"
	short := "https://wire.example/a"
	long := "https://wire.example/" + strings.Repeat("x", 300)
	sum := sha256.Sum256([]byte(long))
	longKey := id + "\x00sha256:" + hex.EncodeToString(sum[:])

	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = st.DB().Update(func(tx *bolt.Tx) error {
		fb, err := tx.CreateBucketIfNotExists([]byte("feeds"))
		if err != nil {
			return err
		}
		sb, err := tx.CreateBucketIfNotExists([]byte("feeds_seen"))
		if err != nil {
			return err
		}
		if err := fb.Put([]byte(id), []byte(oldFeed)); err != nil {
			return err
		}
		if err := sb.Put([]byte(id+"\x00"+short), []byte(`{"h":"hash-a","id":"art-a","t":1767398400}`)); err != nil {
			return err
		}
		return sb.Put([]byte(longKey), []byte(`{"h":"hash-l","id":"art-l","t":1767398400}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs, err := boltstore.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	polled := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	if f.URL != "https://wire.example/rss" || f.Source != "Wire" || !f.Enabled || f.ETag != `"v7"` || f.Version != 3 ||
		f.ItemsIngested != 2 || f.ItemsUpdated != 1 || f.LastPolledAt == nil || !f.LastPolledAt.Equal(polled) ||
		f.LastModified != "Sat, 03 Jan 2026 00:00:00 GMT" || f.CreatedAt != time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) {
		t.Errorf("old feed read as %+v", f)
	}
	seen, err := fs.Seen(ctx, id, []string{short, long, "https://wire.example/never"})
	if err != nil {
		t.Fatal(err)
	}
	if seen[0] == nil || seen[0].Hash != "hash-a" || seen[0].ArticleID != "art-a" || !seen[0].LastSeen.Equal(polled) {
		t.Errorf("old seen record: %+v", seen[0])
	}
	if seen[1] == nil || seen[1].Hash != "hash-l" || seen[1].ArticleID != "art-l" {
		t.Errorf("old seen record of a long key: %+v", seen[1])
	}
	if seen[2] != nil {
		t.Errorf("a key never seen: %+v", seen[2])
	}

	// A poll record writes the same format.
	long2 := long + "y"
	sum2 := sha256.Sum256([]byte(long2))
	f.ItemsIngested++
	later := polled.Add(time.Hour)
	err = fs.RecordPoll(ctx, f, &feeds.SeenUpdate{Put: map[string]feeds.Seen{
		short: {Hash: "hash-a2", ArticleID: "art-a", LastSeen: later},
		long2: {Hash: "hash-m", ArticleID: "art-m", LastSeen: later},
	}})
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]string{}
	err = st.DB().View(func(tx *bolt.Tx) error {
		for _, b := range []string{"feeds", "feeds_seen"} {
			err := tx.Bucket([]byte(b)).ForEach(func(k, v []byte) error {
				raw[b+" "+string(k)] = string(v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"feeds_seen " + id + "\x00" + short:                              `{"h":"hash-a2","id":"art-a","t":1767402000}`,
		"feeds_seen " + longKey:                                          `{"h":"hash-l","id":"art-l","t":1767398400}`,
		"feeds_seen " + id + "\x00sha256:" + hex.EncodeToString(sum2[:]): `{"h":"hash-m","id":"art-m","t":1767402000}`,
	}
	for k, v := range want {
		if raw[k] != v {
			t.Errorf("%q = %q, want %q", k, raw[k], v)
		}
	}
	var before, after map[string]any
	if err := json.Unmarshal([]byte(oldFeed), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw["feeds "+id]), &after); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after))) {
		t.Errorf("feed record fields changed:\n%v\n%v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}
	if after["version"] != 4.0 || after["items_ingested"] != 3.0 || after["etag"] != `"v7"` {
		t.Errorf("feed record after the poll: %s", raw["feeds "+id])
	}
	if len(raw) != 4 {
		t.Errorf("%d records, want 4: %q", len(raw), slices.Sorted(maps.Keys(raw)))
	}

	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Verify(ctx, path, append(store.Buckets(), boltstore.Schema().Buckets...)); err != nil {
		t.Errorf("verify: %v", err)
	}
}
