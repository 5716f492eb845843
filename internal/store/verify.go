package store

// Verification of a store file that no content can turn into a crash.
//
// bbolt trusts its file: it reads pages through an mmap by page id, so a
// page id or an element offset that a flipped bit sends past the end of
// the file is a SIGBUS or SIGSEGV, which no recover catches. Opening a
// store for writing walks every page to rebuild the free list (the store
// does not sync one) in a goroutine of bbolt's own. So before bbolt sees a
// file, walkFile reads its page tree itself, with a bounds check on every
// page id, element and key, on its own read-only mapping in a goroutine
// whose faults are panics (debug.SetPanicOnFault) recovered into errors.
// Open does that walk (structure only); Verify adds bbolt's consistency
// check and a decode of every record of every known bucket.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/news"
	bolt "go.etcd.io/bbolt"
)

// RecordCheck checks one record of a bucket: it decodes the value (and
// the key, where keys have a format) and says what is wrong.
type RecordCheck func(key, value []byte) error

// Bucket declares a top-level bucket of the store file and how its
// records are checked. The packages that keep buckets in the file
// (alerts, feeds) declare theirs, so Verify knows every one.
type Bucket struct {
	Name  string
	Check RecordCheck // nil: any record
}

// CorruptError says where a store file is damaged: the bucket and key
// (as far as they are known) and what is wrong there.
type CorruptError struct {
	Path   string
	Bucket string // "" outside any bucket (meta pages, the bucket directory)
	Key    string // printable form of the key; "" when not known
	Err    error
}

func (e *CorruptError) Error() string {
	where := "its page structure"
	if e.Bucket != "" {
		where = "bucket " + strconv.Quote(e.Bucket)
		if e.Key != "" {
			where += " key " + e.Key
		}
	}
	return fmt.Sprintf("store %s is corrupt at %s: %v", e.Path, where, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// KeyString renders a key for a message: quoted text, an 8-byte big-endian
// number (sequences, alert numbers) as the number, anything else in hex.
func KeyString(k []byte) string {
	if len(k) == 8 && !printable(k) {
		return fmt.Sprintf("%d (0x%x)", binary.BigEndian.Uint64(k), k)
	}
	if printable(k) {
		return strconv.Quote(string(k))
	}
	return fmt.Sprintf("0x%x", k)
}

func printable(k []byte) bool {
	if !utf8.Valid(k) {
		return false
	}
	for _, r := range string(k) {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Buckets are the store's own buckets and their record checks.
func Buckets() []Bucket {
	return []Bucket{
		{Name: string(bucketIDs), Check: func(k, v []byte) error {
			if len(k) == 0 {
				return errors.New("empty article id")
			}
			if len(v) != 8 {
				return fmt.Errorf("sequence is %d bytes, not 8", len(v))
			}
			return nil
		}},
		{Name: string(bucketLog), Check: func(k, v []byte) error {
			_, err := checkLogRecord(k, v)
			return err
		}},
		{Name: string(bucketMeta), Check: func(k, v []byte) error {
			if bytes.Equal(k, keySeq) && len(v) != 8 {
				return fmt.Errorf("sequence counter is %d bytes, not 8", len(v))
			}
			if bytes.HasPrefix(k, []byte("schema/")) && len(v) != 8 {
				return fmt.Errorf("schema version is %d bytes, not 8", len(v))
			}
			if bytes.HasPrefix(k, []byte("applied/")) && len(v) != 8 {
				return fmt.Errorf("applied stream sequence is %d bytes, not 8", len(v))
			}
			return nil
		}},
	}
}

// checkLogRecord decodes a change log record; for a put it returns the
// article id.
func checkLogRecord(k, v []byte) (putID string, err error) {
	if len(k) != 8 {
		return "", fmt.Errorf("key is %d bytes, not an 8-byte sequence", len(k))
	}
	switch {
	case len(v) == 0:
		return "", errors.New("empty change record")
	case v[0] == kindDelete:
		if len(v) == 1 {
			return "", errors.New("deletion without an article id")
		}
		return "", nil
	}
	var a news.Article
	if err := decodeArticle(v, &a); err != nil {
		return "", err
	}
	if a.ID == "" || a.Seq != binary.BigEndian.Uint64(k) {
		return "", fmt.Errorf("article record says id %q seq %d", a.ID, a.Seq)
	}
	return a.ID, nil
}

// crossCheck checks, during the walk, that the id index and the change
// log agree (each id names the put record of that article, each put
// record is indexed) and that the sequence counter is at least the
// highest sequence used. The walk meets the buckets in name order: ids,
// then log, then meta.
type crossCheck struct {
	path    string
	idSeq   map[string]uint64
	lastSeq uint64
	seqSeen bool
}

func (x *crossCheck) record(bucket string, k, v []byte) (handled bool, err error) {
	switch bucket {
	case string(bucketIDs):
		if len(v) == 8 {
			x.idSeq[string(k)] = binary.BigEndian.Uint64(v)
		}
	case string(bucketLog):
		id, err := checkLogRecord(k, v)
		if err != nil {
			return true, err
		}
		seq := binary.BigEndian.Uint64(k)
		x.lastSeq = max(x.lastSeq, seq)
		if id == "" {
			return true, nil
		}
		if got, ok := x.idSeq[id]; !ok || got != seq {
			return true, fmt.Errorf("article %q is not indexed under this sequence", id)
		}
		delete(x.idSeq, id)
		return true, nil
	case string(bucketMeta):
		if bytes.Equal(k, keySeq) && len(v) == 8 {
			x.seqSeen = true
			if seq := binary.BigEndian.Uint64(v); seq < x.lastSeq {
				return false, fmt.Errorf("the sequence counter %d is below the last sequence used, %d", seq, x.lastSeq)
			}
		}
	}
	return false, nil
}

func (x *crossCheck) finish() error {
	for id, seq := range x.idSeq {
		return &CorruptError{Path: x.path, Bucket: string(bucketIDs), Key: KeyString([]byte(id)),
			Err: fmt.Errorf("names sequence %d, which does not hold this article", seq)}
	}
	if x.lastSeq > 0 && !x.seqSeen {
		return &CorruptError{Path: x.path, Bucket: string(bucketMeta), Err: errors.New("the sequence counter is missing")}
	}
	return nil
}

// CheckFile checks the page structure of a store file without opening it
// in bbolt: every page, element and key lies inside the file and every
// page is reached once. It reads the pages bbolt's own open reads anyway
// (to rebuild the free list), not the records. A missing or empty file
// passes.
func CheckFile(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == 0 {
		return nil
	}
	return walkFile(ctx, path, &walker{})
}

// Verify checks a whole store file, for a restore: its page structure
// (CheckFile), bbolt's consistency check, that every top-level bucket is
// one of buckets and the store's own are there, a decode of every record
// by its bucket's check, and that the article id index and the change log
// agree. The first problem is returned as a *CorruptError naming the
// bucket and key. The file is only read.
func Verify(ctx context.Context, path string, buckets []Bucket) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("store: verify: %w", err)
	}
	if fi.Size() == 0 {
		return &CorruptError{Path: path, Err: errors.New("the file is empty")}
	}
	checks := map[string]RecordCheck{}
	for _, b := range buckets {
		checks[b.Name] = b.Check
	}
	xc := &crossCheck{path: path, idSeq: map[string]uint64{}}
	w := &walker{record: func(bucket string, k, v []byte) error {
		check, ok := checks[bucket]
		if !ok {
			return &CorruptError{Path: path, Bucket: bucket, Err: errors.New("not a bucket this version of Watchword knows")}
		}
		handled, err := xc.record(bucket, k, v)
		if err == nil && !handled && check != nil {
			err = check(k, v)
		}
		if err != nil {
			return &CorruptError{Path: path, Bucket: bucket, Key: KeyString(k), Err: err}
		}
		return nil
	}}
	if err := walkFile(ctx, path, w); err != nil {
		return err
	}
	if err := xc.finish(); err != nil {
		return err
	}
	// The structure is sound, so bbolt may read it.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // drain: the checker stops when read to the end
			if first == nil {
				first = &CorruptError{Path: path, Err: err}
			}
		}
		if first != nil {
			return first
		}
		var names []string
		err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if _, ok := checks[string(name)]; !ok {
				return &CorruptError{Path: path, Bucket: string(name), Err: errors.New("not a bucket this version of Watchword knows")}
			}
			names = append(names, string(name))
			return nil
		})
		if err != nil {
			return err
		}
		for _, b := range Buckets() {
			if !slices.Contains(names, b.Name) {
				return &CorruptError{Path: path, Err: fmt.Errorf("it has no %q bucket: not a Watchword store", b.Name)}
			}
		}
		return nil
	})
}
