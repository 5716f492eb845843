// Package stories groups near-duplicate articles into stories: a wire
// story republished by many outlets, lightly edited, is one story.
//
// It is a pure, deterministic detector: MinHash signatures over word
// shingles of the body (NumHashes seeded hash functions, the seed a
// constant) and LSH banding to find candidates, which are then compared
// by their estimated containment. Given the same articles in the same
// order it assigns the same stories; the engine feeds it in ingest
// sequence order, at ingest and when it rebuilds the index, so stories
// are derived state: rebuildable from the article log, never stored in it.
//
// Its state is the signatures of the articles of the current window (see
// Config.Window and Config.MaxEntries), in memory.
package stories

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/bits"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// Seed seeds every hash function of the detector: signatures, and so
// stories, are the same on every run and every machine.
const Seed uint64 = 0x57575f53544f5259 // "WW_STORY"

// NumHashes is the length of a MinHash signature; Bands × Rows of it are
// used for LSH banding.
const (
	NumHashes = 64
	Rows      = 3
	Bands     = NumHashes / Rows // 21 bands of 3 rows
	// ShingleWords is the number of words of one shingle.
	ShingleWords = 3
)

// Defaults of Config.
const (
	DefaultWindow     = 7 * 24 * time.Hour
	DefaultThreshold  = 0.5
	DefaultMinWords   = 25
	DefaultMaxStory   = 500
	DefaultMaxEntries = 100_000
)

// Config tunes the detector. Zero fields take the defaults.
type Config struct {
	// Window bounds how far apart (article dates) two copies of one story
	// may be; it also bounds the state: an article whose clock (Doc.Clock,
	// the engine passes the ingest time) is older than the newest clock
	// seen minus Window leaves the detector.
	Window time.Duration
	// Threshold is the estimated containment (shared shingles over the
	// shingles of the shorter article) at or above which an article joins
	// another's story. Chosen from the evaluation in eval_test.go.
	Threshold float64
	// MinWords: an article whose body has fewer words never joins a
	// story and no article joins its story (it is a story of its own).
	MinWords int
	// MaxStory caps the copies of one story held by the detector: a
	// further copy starts a new story (which later copies may join).
	MaxStory int
	// MaxEntries caps the articles held: past it the oldest leave first.
	MaxEntries int
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c Config) WithDefaults() Config {
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.Threshold <= 0 {
		c.Threshold = DefaultThreshold
	}
	if c.MinWords <= 0 {
		c.MinWords = DefaultMinWords
	}
	if c.MaxStory <= 0 {
		c.MaxStory = DefaultMaxStory
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	return c
}

// Signature is the MinHash signature of one body.
type Signature struct {
	Min [NumHashes]uint32
	N   int32 // shingles (with repeats), for the containment estimate
}

// coefficients of the NumHashes hash functions h_i(x) = a_i·x + b_i
// (mod 2^64), upper 32 bits: multiply-shift universal hashing.
type coefficients struct{ a, b [NumHashes]uint64 }

func newCoefficients() *coefficients {
	c := &coefficients{}
	s := Seed
	for i := range NumHashes {
		c.a[i] = splitmix(&s) | 1 // odd
		c.b[i] = splitmix(&s)
	}
	return c
}

var coef = newCoefficients() // derived from the constant Seed only

// splitmix is SplitMix64: the next value of the sequence seeded by *s.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// wordHashes hashes the words of s (letters and digits, lower-cased) in
// order, appending to dst.
func wordHashes(dst []uint64, s string) []uint64 {
	h, in := uint64(fnvOffset), false
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		i += n
		var word bool
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			word = true
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
			word = true
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			r = unicode.ToLower(r)
			word = true
		}
		if word {
			h = (h ^ uint64(r)) * fnvPrime
			in = true
			continue
		}
		if in {
			dst = append(dst, h)
			h, in = fnvOffset, false
		}
	}
	if in {
		dst = append(dst, h)
	}
	return dst
}

// Sign returns the signature of body, or nil when it has fewer than
// MinWords words (such an article is a story of its own). It is pure and
// safe for concurrent use.
func (c Config) Sign(body string) *Signature {
	c = c.WithDefaults()
	var buf [512]uint64
	words := wordHashes(buf[:0], body)
	if len(words) < max(c.MinWords, ShingleWords) {
		return nil
	}
	sig := &Signature{N: int32(len(words) - ShingleWords + 1)}
	for i := range sig.Min {
		sig.Min[i] = ^uint32(0)
	}
	for i := 0; i+ShingleWords <= len(words); i++ {
		x := words[i]
		for _, w := range words[i+1 : i+ShingleWords] {
			x = bits.RotateLeft64(x, 21) ^ w
		}
		x = mix(x ^ Seed)
		for k := range NumHashes {
			if v := uint32((coef.a[k]*x + coef.b[k]) >> 32); v < sig.Min[k] {
				sig.Min[k] = v
			}
		}
	}
	return sig
}

// Similarity estimates the Jaccard similarity of the shingle sets of a
// and b and the containment of the smaller in the larger.
func Similarity(a, b *Signature) (jaccard, containment float64) {
	eq := 0
	for i := range a.Min {
		if a.Min[i] == b.Min[i] {
			eq++
		}
	}
	j := float64(eq) / NumHashes
	small := float64(min(a.N, b.N))
	if small == 0 {
		return j, 0
	}
	// |A∩B| = J·|A∪B| = J·(|A|+|B|)/(1+J)
	c := j * float64(a.N+b.N) / (1 + j) / small
	return j, min(c, 1)
}

// bandKey is the LSH bucket of band b of sig.
func bandKey(sig *Signature, b int) uint64 {
	h := uint64(b+1) * 0x9e3779b97f4a7c15
	for _, v := range sig.Min[b*Rows : (b+1)*Rows] {
		h = mix(h ^ uint64(v))
	}
	return h
}

// ID returns the story id of a story whose first article is rootID: 16
// hex digits of a seeded hash of the id.
func ID(rootID string) string {
	h := fnv.New64a()
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], Seed)
	h.Write(s[:])
	h.Write([]byte(rootID))
	return fmt.Sprintf("%016x", h.Sum64())
}

// Doc is one article as the detector sees it.
type Doc struct {
	ID  string
	Seq uint64
	// Date is the article's date, which copies must have within Window of
	// each other; Clock is the time that decides when it leaves the
	// detector (the engine passes its first ingest time, kept in the log,
	// so a rebuild evicts in the same order).
	Date, Clock time.Time
	Sig         *Signature // nil: too short to join
}

type entry struct {
	id    string
	story string
	seq   uint64
	date  int64
	clock int64
	sig   *Signature
	pos   int // in the age heap
	// keys are the LSH buckets of sig; next[b] is the next entry of
	// bucket keys[b] (a chain per bucket: no slice to allocate each).
	keys [Bands]uint64
	next [Bands]*entry
}

// Detector holds the signatures of the window's articles. It is not safe
// for concurrent use: the engine calls it under its write lock, in
// sequence order.
type Detector struct {
	cfg     Config
	byID    map[string]*entry
	buckets map[uint64]*entry // LSH bucket → the head of its chain
	size    map[string]int    // story → entries held
	age     ageHeap
	high    int64 // newest clock seen
}

// New returns an empty detector.
func New(cfg Config) *Detector {
	return &Detector{cfg: cfg.WithDefaults(), byID: map[string]*entry{}, buckets: map[uint64]*entry{}, size: map[string]int{}}
}

// Config is the detector's configuration, with defaults.
func (d *Detector) Config() Config { return d.cfg }

// Len is the number of articles held.
func (d *Detector) Len() int { return len(d.byID) }

// Add assigns doc to a story and returns the story's id: the story of
// the most similar held article (containment at or above the threshold,
// dates within the window, its story below the cap; ties to the earlier
// sequence), else a new story of its own. An article with the same id
// held already is replaced (an edit).
func (d *Detector) Add(doc Doc) string {
	d.Remove(doc.ID)
	story := ""
	var keys [Bands]uint64
	if doc.Sig != nil {
		for b := range Bands {
			keys[b] = bandKey(doc.Sig, b)
		}
		story = d.best(doc, &keys)
	}
	if story == "" {
		story = ID(doc.ID)
	}
	if doc.Sig == nil {
		return story // not held: nothing can join it
	}
	d.hold(doc, story, keys)
	return story
}

// Put holds doc in story without matching it: how a detector is
// restored from the stories an index already has (doc.Sig nil: nothing
// is held). An article with the same id held already is replaced.
func (d *Detector) Put(doc Doc, story string) {
	d.Remove(doc.ID)
	if doc.Sig == nil {
		return
	}
	var keys [Bands]uint64
	for b := range Bands {
		keys[b] = bandKey(doc.Sig, b)
	}
	d.hold(doc, story, keys)
}

// hold adds doc to story and evicts what falls out of the window.
func (d *Detector) hold(doc Doc, story string, keys [Bands]uint64) {
	e := &entry{id: doc.ID, story: story, seq: doc.Seq, date: doc.Date.UnixNano(), clock: doc.Clock.UnixNano(), sig: doc.Sig, keys: keys}
	d.byID[e.id] = e
	d.size[story]++
	for b, k := range keys {
		e.next[b] = d.buckets[k]
		d.buckets[k] = e
	}
	heap.Push(&d.age, e)
	d.high = max(d.high, e.clock)
	d.evict()
}

// best returns the story doc joins, or "".
func (d *Detector) best(doc Doc, keys *[Bands]uint64) string {
	date := doc.Date.UnixNano()
	win := int64(d.cfg.Window)
	var buf [16]*entry
	cands := buf[:0]
	for b, k := range keys {
		for e := d.buckets[k]; e != nil; e = e.next[b] {
			if !slices.Contains(cands, e) {
				cands = append(cands, e)
			}
		}
	}
	var pick *entry
	var pickScore float64
	for _, e := range cands {
		if diff := e.date - date; diff > win || -diff > win {
			continue
		}
		if d.size[e.story] >= d.cfg.MaxStory {
			continue
		}
		_, c := Similarity(doc.Sig, e.sig)
		if c < d.cfg.Threshold {
			continue
		}
		if pick == nil || c > pickScore || (c == pickScore && e.seq < pick.seq) {
			pick, pickScore = e, c
		}
	}
	if pick == nil {
		return ""
	}
	return pick.story
}

// Remove forgets the article with id (deleted, or about to be replaced).
func (d *Detector) Remove(id string) {
	e := d.byID[id]
	if e == nil {
		return
	}
	d.drop(e)
	heap.Remove(&d.age, e.pos)
}

// drop removes e from the maps; the caller takes it off the heap.
func (d *Detector) drop(e *entry) {
	delete(d.byID, e.id)
	if d.size[e.story]--; d.size[e.story] <= 0 {
		delete(d.size, e.story)
	}
	for b, k := range e.keys {
		head := d.buckets[k]
		if head == e {
			if e.next[b] == nil {
				delete(d.buckets, k)
			} else {
				d.buckets[k] = e.next[b]
			}
			continue
		}
		for p := head; p != nil; p = p.next[b] {
			if p.next[b] == e {
				p.next[b] = e.next[b]
				break
			}
		}
	}
}

// evict drops the articles older than the window and, past MaxEntries,
// the oldest.
func (d *Detector) evict() {
	floor := d.high - int64(d.cfg.Window)
	for len(d.age) > 0 && (d.age[0].clock < floor || len(d.age) > d.cfg.MaxEntries) {
		e := heap.Pop(&d.age).(*entry)
		d.drop(e)
	}
}

// ageHeap orders entries by clock, then sequence: the oldest on top.
type ageHeap []*entry

func (h ageHeap) Len() int { return len(h) }
func (h ageHeap) Less(i, j int) bool {
	if h[i].clock != h[j].clock {
		return h[i].clock < h[j].clock
	}
	return h[i].seq < h[j].seq
}
func (h ageHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}
func (h *ageHeap) Push(x any) {
	e := x.(*entry)
	e.pos = len(*h)
	*h = append(*h, e)
}
func (h *ageHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
