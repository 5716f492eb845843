package store

// The page walker: it reads a bbolt file's page tree itself, every page
// id, element and key bounds-checked, so that a damaged file is an error
// rather than a fault in bbolt (see verify.go for why and how it is used).

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"runtime/debug"
)

// On-disk format of bbolt files (version 2), as go.etcd.io/bbolt's
// internal/common lays it out, in the machine's byte order.
const (
	pageHeaderSize   = 16 // id u64, flags u16, count u16, overflow u32
	elementSize      = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHeaderSize = 16 // root pgid u64, sequence u64
	metaSize         = 64 // magic, version, page size, flags u32; root bucket; freelist, pgid, txid, checksum u64
	flagBranch       = 0x01
	flagLeaf         = 0x02
	flagFreelist     = 0x10
	leafBucketFlag   = 0x01
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	noFreelist       = ^uint64(0)
	maxTreeDepth     = 64
)

var ne = binary.NativeEndian

// walker reads a bbolt file's page tree with every access bounds-checked.
type walker struct {
	ctx      context.Context
	path     string
	data     []byte
	pageSize uint64
	hwm      uint64 // pages in use (the meta's high water mark)
	seen     []bool // pages reached so far: each must be reached once
	visited  int
	// record, when set, is called for every record (not bucket) entry.
	record func(bucket string, k, v []byte) error
	// onPage, when set, is called with every reachable page's span
	// (tests use it to aim bit flips at structure).
	onPage func(bucket string, id uint64, span []byte)
}

func (w *walker) corrupt(bucket string, key []byte, format string, args ...any) error {
	e := &CorruptError{Path: w.path, Bucket: bucket, Err: fmt.Errorf(format, args...)}
	if key != nil {
		e.Key = KeyString(key)
	}
	return e
}

// meta returns the meta page bbolt would use: the valid one with the
// higher transaction id.
func (w *walker) meta() (root, freelist uint64, err error) {
	var best []byte
	var bestTx uint64
	readMeta := func(off uint64) []byte {
		if off+pageHeaderSize+metaSize > uint64(len(w.data)) {
			return nil
		}
		m := w.data[off+pageHeaderSize : off+pageHeaderSize+metaSize]
		if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion {
			return nil
		}
		h := fnv.New64a()
		h.Write(m[:56])
		if h.Sum64() != ne.Uint64(m[56:]) {
			return nil
		}
		return m
	}
	m0 := readMeta(0)
	ps := uint64(os.Getpagesize())
	if m0 != nil {
		ps = uint64(ne.Uint32(m0[8:]))
	}
	for _, m := range [][]byte{m0, readMeta(ps)} {
		if m != nil && (best == nil || ne.Uint64(m[48:]) > bestTx) {
			best, bestTx = m, ne.Uint64(m[48:])
		}
	}
	if best == nil {
		return 0, 0, w.corrupt("", nil, "neither meta page is valid (not a bbolt file, or both meta pages damaged)")
	}
	w.pageSize = uint64(ne.Uint32(best[8:]))
	if w.pageSize < 512 || w.pageSize > 1<<20 || w.pageSize&(w.pageSize-1) != 0 {
		return 0, 0, w.corrupt("", nil, "page size %d is not plausible", w.pageSize)
	}
	root, freelist, w.hwm = ne.Uint64(best[16:]), ne.Uint64(best[32:]), ne.Uint64(best[40:])
	if w.hwm < 3 || w.hwm > uint64(len(w.data))/w.pageSize {
		return 0, 0, w.corrupt("", nil, "the meta page counts %d pages; the file holds %d", w.hwm, uint64(len(w.data))/w.pageSize)
	}
	w.seen = make([]bool, w.hwm)
	return root, freelist, nil
}

// page returns the span of page id (the page and its overflow pages)
// after checking that it lies in the file and is reached only once.
func (w *walker) page(bucket string, key []byte, id uint64) ([]byte, error) {
	if id < 2 || id >= w.hwm {
		return nil, w.corrupt(bucket, key, "page id %d is outside the %d pages in use", id, w.hwm)
	}
	off := id * w.pageSize
	hdr := w.data[off : off+pageHeaderSize]
	if got := ne.Uint64(hdr); got != id {
		return nil, w.corrupt(bucket, key, "page %d is marked as page %d", id, got)
	}
	overflow := uint64(ne.Uint32(hdr[12:]))
	if id+overflow >= w.hwm {
		return nil, w.corrupt(bucket, key, "page %d with %d overflow pages runs past the %d pages in use", id, overflow, w.hwm)
	}
	for p := id; p <= id+overflow; p++ {
		if w.seen[p] {
			return nil, w.corrupt(bucket, key, "page %d is reached twice", p)
		}
		w.seen[p] = true
	}
	if w.visited++; w.visited%1024 == 0 {
		if err := w.ctx.Err(); err != nil {
			return nil, err
		}
	}
	span := w.data[off : off+(overflow+1)*w.pageSize]
	if w.onPage != nil {
		w.onPage(bucket, id, span)
	}
	return span, nil
}

// tree walks the B+tree rooted at page root (or the inline page) and
// calls leaf for each entry, in order. As bbolt's own walk does, it checks
// that keys ascend strictly and that every key under a branch element is
// at least that element's key and below the next one's (minKey, maxKey;
// nil: no bound): bbolt's open panics on a disorder it finds while
// rebuilding the free list. It returns the subtree's largest key.
func (w *walker) tree(bucket string, key []byte, root uint64, inline []byte, depth int, minKey, maxKey []byte, leaf func(flags uint32, k, v []byte) error) ([]byte, error) {
	if depth > maxTreeDepth {
		return nil, w.corrupt(bucket, key, "the tree is deeper than %d levels", maxTreeDepth)
	}
	span := inline
	if span == nil {
		var err error
		if span, err = w.page(bucket, key, root); err != nil {
			return nil, err
		}
	}
	if len(span) < pageHeaderSize {
		return nil, w.corrupt(bucket, key, "inline bucket page is %d bytes", len(span))
	}
	flags, count := ne.Uint16(span[8:]), int(ne.Uint16(span[10:]))
	if flags != flagBranch && flags != flagLeaf || inline != nil && flags != flagLeaf {
		return nil, w.corrupt(bucket, key, "page %d has type %#x, not a branch or leaf page", root, flags)
	}
	if pageHeaderSize+count*elementSize > len(span) {
		return nil, w.corrupt(bucket, key, "page %d claims %d elements, more than fit", root, count)
	}
	if count == 0 && flags == flagBranch {
		return nil, w.corrupt(bucket, key, "branch page %d is empty", root)
	}
	// The elements' keys (and values), bounds-checked.
	keys, vals := make([][]byte, count), make([][]byte, count)
	lflags := make([]uint32, count)
	for i := 0; i < count; i++ {
		e := pageHeaderSize + i*elementSize
		el := span[e : e+elementSize]
		kpos, ksize, vsize := uint64(e), uint64(0), uint64(0)
		if flags == flagBranch {
			kpos, ksize = kpos+uint64(ne.Uint32(el[0:])), uint64(ne.Uint32(el[4:]))
		} else {
			lflags[i] = ne.Uint32(el[0:])
			kpos, ksize, vsize = kpos+uint64(ne.Uint32(el[4:])), uint64(ne.Uint32(el[8:])), uint64(ne.Uint32(el[12:]))
		}
		if kpos+ksize+vsize > uint64(len(span)) {
			return nil, w.corrupt(bucket, key, "page %d element %d points past the page", root, i)
		}
		keys[i], vals[i] = span[kpos:kpos+ksize], span[kpos+ksize:kpos+ksize+vsize]
	}
	running := minKey
	for i, k := range keys {
		switch {
		case i == 0 && running != nil && bytes.Compare(running, k) > 0:
			return nil, w.corrupt(bucket, k, "page %d: the first key is below its parent's", root)
		case i > 0 && bytes.Compare(running, k) >= 0:
			return nil, w.corrupt(bucket, k, "page %d: keys out of order at element %d", root, i)
		case maxKey != nil && bytes.Compare(k, maxKey) >= 0:
			return nil, w.corrupt(bucket, k, "page %d: key not below the next key of its parent", root)
		}
		if flags == flagBranch {
			next := maxKey
			if i+1 < count {
				next = keys[i+1]
			}
			sub, err := w.tree(bucket, k, ne.Uint64(span[pageHeaderSize+i*elementSize+8:]), nil, depth+1, k, next, leaf)
			if err != nil {
				return nil, err
			}
			running = sub
			continue
		}
		if lflags[i]&^leafBucketFlag != 0 {
			return nil, w.corrupt(bucket, k, "unknown element flags %#x", lflags[i])
		}
		if err := leaf(lflags[i], k, vals[i]); err != nil {
			return nil, err
		}
		running = k
	}
	return running, nil
}

// bucket walks a bucket given its header value (nested buckets included).
func (w *walker) bucket(name string, hdr []byte, depth int) error {
	if len(hdr) < bucketHeaderSize {
		return w.corrupt(name, nil, "bucket header is %d bytes", len(hdr))
	}
	root := ne.Uint64(hdr)
	var inline []byte
	if root == 0 {
		inline = hdr[bucketHeaderSize:]
	}
	_, err := w.tree(name, nil, root, inline, depth, nil, nil, func(flags uint32, k, v []byte) error {
		if flags&leafBucketFlag != 0 {
			return w.bucket(name+"/"+string(k), v, depth+1)
		}
		if w.record != nil {
			return w.record(name, k, v)
		}
		return nil
	})
	return err
}

// freelist checks the free list page, when the file has one.
func (w *walker) freelist(id uint64) error {
	if id == noFreelist {
		return nil
	}
	span, err := w.page("", nil, id)
	if err != nil {
		return err
	}
	if ne.Uint16(span[8:]) != flagFreelist {
		return w.corrupt("", nil, "free list page %d has type %#x", id, ne.Uint16(span[8:]))
	}
	idx, n := uint64(0), uint64(ne.Uint16(span[10:]))
	if n == 0xFFFF {
		if len(span) < pageHeaderSize+8 {
			return w.corrupt("", nil, "free list page %d is cut short", id)
		}
		idx, n = 1, ne.Uint64(span[pageHeaderSize:])
	}
	if n > uint64(len(span)) || pageHeaderSize+(idx+n)*8 > uint64(len(span)) {
		return w.corrupt("", nil, "free list page %d claims %d entries, more than fit", id, n)
	}
	for i := idx; i < idx+n; i++ {
		if p := ne.Uint64(span[pageHeaderSize+i*8:]); p < 2 || p >= w.hwm {
			return w.corrupt("", nil, "free list names page %d, outside the %d pages in use", p, w.hwm)
		}
	}
	return nil
}

// walk reads the whole page tree: the bucket directory and every bucket.
func (w *walker) walk() error {
	root, fl, err := w.meta()
	if err != nil {
		return err
	}
	if err := w.freelist(fl); err != nil {
		return err
	}
	_, err = w.tree("", nil, root, nil, 0, nil, nil, func(flags uint32, k, v []byte) error {
		if flags&leafBucketFlag == 0 {
			return w.corrupt("", k, "the bucket directory holds a record, not a bucket")
		}
		return w.bucket(string(k), v, 1)
	})
	return err
}

// walkFile maps the file read-only and walks it in a goroutine whose
// memory faults (a file cut short under it) are recovered panics, as are
// any other panics of the walk.
func walkFile(ctx context.Context, path string, w *walker) error {
	data, unmap, err := mapFile(path)
	if err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	defer unmap()
	if len(data) == 0 {
		return nil // a new, empty file: bbolt initializes it
	}
	w.ctx, w.path, w.data = ctx, path, data
	done := make(chan error, 1)
	go func() {
		debug.SetPanicOnFault(true)
		defer func() {
			if p := recover(); p != nil {
				done <- &CorruptError{Path: path, Err: fmt.Errorf("reading it failed: %v", p)}
			}
		}()
		done <- w.walk()
	}()
	return <-done
}
