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
// Config.Window and Config.MaxEntries), in memory, packed (see entry).
package stories

import (
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
	return fmt.Sprintf("%016x", idNum(rootID))
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

// The detector's state is packed: its entries live in fixed-size chunks
// of pointer-free structs (the garbage collector never scans them, and a
// chunk is never copied to grow), addressed by a 32-bit number; the LSH
// buckets are one open table of chain heads per band, indexed by the
// low bits of the band key, whose chains are checked against the full
// key; a story is its 64-bit number. An entry costs about 620 bytes
// (BenchmarkDetectorMemory) where it cost 1.5 KB as pointers and maps,
// which a bulk load pays about three times over at the server's GC
// target of 200%.

// chunkBits sizes the chunks of entries (4,096 of about 408 bytes).
const chunkBits = 12

// entry is one held article. Its id is kept beside it (Detector.ids) so
// that the entries hold no pointers.
type entry struct {
	sig   Signature
	seq   uint64
	date  int64
	clock int64
	story storyNum
	pos   int32 // in the age heap
	// next[b] is the next entry (0: none) in the chain of band b's slot.
	next [Bands]int32
}

// storyNum is a story id as a number: the 64-bit value of its 16 hex
// digits, or for an id not spelled so (the engine never gives one), odd
// is its 1-based index in Detector.odd.
type storyNum struct {
	n   uint64
	odd int32
}

// Detector holds the signatures of the window's articles. It is not safe
// for concurrent use: the engine calls it under its write lock, in
// sequence order.
type Detector struct {
	cfg    Config
	chunks [][]entry  // entry i is chunks[i>>chunkBits][i&(1<<chunkBits-1)]; 0 is never used
	ids    [][]string // the entries' article ids, chunked the same way
	free   []int32    // numbers of dropped entries, reused first
	n      int32      // entry numbers handed out (1..n)
	byID   map[string]int32
	// heads[b<<slotBits+slot] is the first entry of band b whose key's
	// low slotBits bits are slot; the table doubles when it holds more
	// entries than slots.
	heads    []int32
	slotBits uint
	size     map[storyNum]int32 // story → entries held
	odd      []string
	oddNum   map[string]int32
	age      []int32 // a heap of entry numbers, the oldest on top
	high     int64   // newest clock seen
}

// New returns an empty detector.
func New(cfg Config) *Detector {
	d := &Detector{cfg: cfg.WithDefaults(), byID: map[string]int32{}, size: map[storyNum]int32{}}
	d.slotBits = 10
	d.heads = make([]int32, Bands<<d.slotBits)
	return d
}

// Config is the detector's configuration, with defaults.
func (d *Detector) Config() Config { return d.cfg }

// Len is the number of articles held.
func (d *Detector) Len() int { return len(d.byID) }

func (d *Detector) at(i int32) *entry { return &d.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

func (d *Detector) idOf(i int32) string { return d.ids[i>>chunkBits][i&(1<<chunkBits-1)] }

// alloc returns the number of a free entry.
func (d *Detector) alloc() int32 {
	if k := len(d.free); k > 0 {
		i := d.free[k-1]
		d.free = d.free[:k-1]
		return i
	}
	d.n++
	if int(d.n>>chunkBits) >= len(d.chunks) {
		d.chunks = append(d.chunks, make([]entry, 1<<chunkBits))
		d.ids = append(d.ids, make([]string, 1<<chunkBits))
	}
	return d.n
}

// number returns story's number.
func (d *Detector) number(story string) storyNum {
	if len(story) == 16 {
		var n uint64
		ok := true
		for i := 0; i < 16 && ok; i++ {
			switch c := story[i]; {
			case c >= '0' && c <= '9':
				n = n<<4 | uint64(c-'0')
			case c >= 'a' && c <= 'f':
				n = n<<4 | uint64(c-'a'+10)
			default:
				ok = false
			}
		}
		if ok {
			return storyNum{n: n}
		}
	}
	if k, ok := d.oddNum[story]; ok {
		return storyNum{odd: k}
	}
	if d.oddNum == nil {
		d.oddNum = map[string]int32{}
	}
	d.odd = append(d.odd, story)
	k := int32(len(d.odd))
	d.oddNum[story] = k
	return storyNum{odd: k}
}

// name is the story id of s.
func (d *Detector) name(s storyNum) string {
	if s.odd > 0 {
		return d.odd[s.odd-1]
	}
	return fmt.Sprintf("%016x", s.n)
}

// idNum is the number of ID(rootID).
func idNum(rootID string) uint64 {
	h := fnv.New64a()
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], Seed)
	h.Write(s[:])
	h.Write([]byte(rootID))
	return h.Sum64()
}

// Add assigns doc to a story and returns the story's id: the story of
// the most similar held article (containment at or above the threshold,
// dates within the window, its story below the cap; ties to the earlier
// sequence), else a new story of its own. An article with the same id
// held already is replaced (an edit).
func (d *Detector) Add(doc Doc) string {
	d.Remove(doc.ID)
	var keys [Bands]uint64
	var story storyNum
	found := false
	if doc.Sig != nil {
		for b := range Bands {
			keys[b] = bandKey(doc.Sig, b)
		}
		story, found = d.best(doc, &keys)
	}
	if !found {
		story = storyNum{n: idNum(doc.ID)}
	}
	if doc.Sig != nil {
		d.hold(doc, story, &keys) // else not held: nothing can join it
	}
	return d.name(story)
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
	d.hold(doc, d.number(story), &keys)
}

// hold adds doc to story and evicts what falls out of the window.
func (d *Detector) hold(doc Doc, story storyNum, keys *[Bands]uint64) {
	i := d.alloc()
	e := d.at(i)
	*e = entry{sig: *doc.Sig, seq: doc.Seq, date: doc.Date.UnixNano(), clock: doc.Clock.UnixNano(), story: story}
	d.ids[i>>chunkBits][i&(1<<chunkBits-1)] = doc.ID
	d.byID[doc.ID] = i
	d.size[story]++
	if len(d.byID) > 1<<d.slotBits {
		d.rehash(d.slotBits + 1) // links every held entry, i included
	} else {
		d.link(i, e, keys)
	}
	e.pos = int32(len(d.age))
	d.age = append(d.age, i)
	d.up(int(e.pos))
	d.high = max(d.high, e.clock)
	d.evict()
}

// link puts entry i at the head of its slot's chain in every band.
func (d *Detector) link(i int32, e *entry, keys *[Bands]uint64) {
	mask := uint64(1)<<d.slotBits - 1
	for b, k := range keys {
		h := &d.heads[b<<d.slotBits+int(k&mask)]
		e.next[b] = *h
		*h = i
	}
}

// rehash rebuilds the slot table with 2^bits slots per band.
func (d *Detector) rehash(bits uint) {
	d.slotBits = bits
	d.heads = make([]int32, Bands<<bits)
	for _, i := range d.byID {
		e := d.at(i)
		var keys [Bands]uint64
		for b := range Bands {
			keys[b] = bandKey(&e.sig, b)
		}
		d.link(i, e, &keys)
	}
}

// best returns the story doc joins, if any.
func (d *Detector) best(doc Doc, keys *[Bands]uint64) (storyNum, bool) {
	date := doc.Date.UnixNano()
	win := int64(d.cfg.Window)
	mask := uint64(1)<<d.slotBits - 1
	var buf [16]int32
	cands := buf[:0]
	for b, k := range keys {
		for i := d.heads[b<<d.slotBits+int(k&mask)]; i != 0; {
			e := d.at(i)
			if bandKey(&e.sig, b) == k && !slices.Contains(cands, i) {
				cands = append(cands, i)
			}
			i = e.next[b]
		}
	}
	var pick *entry
	var pickScore float64
	for _, i := range cands {
		e := d.at(i)
		if diff := e.date - date; diff > win || -diff > win {
			continue
		}
		if d.size[e.story] >= int32(d.cfg.MaxStory) {
			continue
		}
		_, c := Similarity(doc.Sig, &e.sig)
		if c < d.cfg.Threshold {
			continue
		}
		if pick == nil || c > pickScore || (c == pickScore && e.seq < pick.seq) {
			pick, pickScore = e, c
		}
	}
	if pick == nil {
		return storyNum{}, false
	}
	return pick.story, true
}

// Remove forgets the article with id (deleted, or about to be replaced).
func (d *Detector) Remove(id string) {
	i, ok := d.byID[id]
	if !ok {
		return
	}
	pos := int(d.at(i).pos)
	last := len(d.age) - 1
	if pos != last {
		d.swap(pos, last)
	}
	d.age = d.age[:last]
	if pos != last {
		if !d.down(pos) {
			d.up(pos)
		}
	}
	d.drop(i)
}

// drop removes entry i from the maps and chains and frees it; the
// caller has taken it off the heap.
func (d *Detector) drop(i int32) {
	e := d.at(i)
	delete(d.byID, d.idOf(i))
	d.ids[i>>chunkBits][i&(1<<chunkBits-1)] = ""
	if d.size[e.story]--; d.size[e.story] <= 0 {
		delete(d.size, e.story)
	}
	mask := uint64(1)<<d.slotBits - 1
	for b := range Bands {
		h := &d.heads[b<<d.slotBits+int(bandKey(&e.sig, b)&mask)]
		if *h == i {
			*h = e.next[b]
			continue
		}
		for p := *h; p != 0; {
			pe := d.at(p)
			if pe.next[b] == i {
				pe.next[b] = e.next[b]
				break
			}
			p = pe.next[b]
		}
	}
	d.free = append(d.free, i)
}

// evict drops the articles older than the window and, past MaxEntries,
// the oldest.
func (d *Detector) evict() {
	floor := d.high - int64(d.cfg.Window)
	for len(d.age) > 0 && (d.at(d.age[0]).clock < floor || len(d.age) > d.cfg.MaxEntries) {
		i := d.age[0]
		last := len(d.age) - 1
		d.swap(0, last)
		d.age = d.age[:last]
		d.down(0)
		d.drop(i)
	}
}

// The age heap orders entries by clock, then sequence: the oldest on top.

func (d *Detector) less(x, y int) bool {
	a, b := d.at(d.age[x]), d.at(d.age[y])
	if a.clock != b.clock {
		return a.clock < b.clock
	}
	return a.seq < b.seq
}

func (d *Detector) swap(x, y int) {
	d.age[x], d.age[y] = d.age[y], d.age[x]
	d.at(d.age[x]).pos, d.at(d.age[y]).pos = int32(x), int32(y)
}

func (d *Detector) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !d.less(j, p) {
			break
		}
		d.swap(j, p)
		j = p
	}
}

// down sifts j down and reports whether it moved.
func (d *Detector) down(j int) bool {
	i0, n := j, len(d.age)
	for {
		l := 2*j + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && d.less(r, l) {
			c = r
		}
		if !d.less(c, j) {
			break
		}
		d.swap(j, c)
		j = c
	}
	return j > i0
}
