package stories

// The detector as it was before its state was packed into pointer-free
// chunks (commit "stories: pack the detector's state"): kept here,
// unchanged but for its names, as the reference the packed one must
// agree with (TestPackedAgreesWithReference).

import (
	"container/heap"
	"fmt"
	"slices"
	"testing"
	"time"
)

type refEntry struct {
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
	next [Bands]*refEntry
}

// refDetector holds the signatures of the window's articles. It is not safe
// for concurrent use: the engine calls it under its write lock, in
// sequence order.
type refDetector struct {
	cfg     Config
	byID    map[string]*refEntry
	buckets map[uint64]*refEntry // LSH bucket → the head of its chain
	size    map[string]int       // story → entries held
	age     refAgeHeap
	high    int64 // newest clock seen
}

// New returns an empty detector.
func refNew(cfg Config) *refDetector {
	return &refDetector{cfg: cfg.WithDefaults(), byID: map[string]*refEntry{}, buckets: map[uint64]*refEntry{}, size: map[string]int{}}
}

// Config is the detector's configuration, with defaults.
func (d *refDetector) Config() Config { return d.cfg }

// Len is the number of articles held.
func (d *refDetector) Len() int { return len(d.byID) }

// Add assigns doc to a story and returns the story's id: the story of
// the most similar held article (containment at or above the threshold,
// dates within the window, its story below the cap; ties to the earlier
// sequence), else a new story of its own. An article with the same id
// held already is replaced (an edit).
func (d *refDetector) Add(doc Doc) string {
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
func (d *refDetector) Put(doc Doc, story string) {
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
func (d *refDetector) hold(doc Doc, story string, keys [Bands]uint64) {
	e := &refEntry{id: doc.ID, story: story, seq: doc.Seq, date: doc.Date.UnixNano(), clock: doc.Clock.UnixNano(), sig: doc.Sig, keys: keys}
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
func (d *refDetector) best(doc Doc, keys *[Bands]uint64) string {
	date := doc.Date.UnixNano()
	win := int64(d.cfg.Window)
	var buf [16]*refEntry
	cands := buf[:0]
	for b, k := range keys {
		for e := d.buckets[k]; e != nil; e = e.next[b] {
			if !slices.Contains(cands, e) {
				cands = append(cands, e)
			}
		}
	}
	var pick *refEntry
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
func (d *refDetector) Remove(id string) {
	e := d.byID[id]
	if e == nil {
		return
	}
	d.drop(e)
	heap.Remove(&d.age, e.pos)
}

// drop removes e from the maps; the caller takes it off the heap.
func (d *refDetector) drop(e *refEntry) {
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
func (d *refDetector) evict() {
	floor := d.high - int64(d.cfg.Window)
	for len(d.age) > 0 && (d.age[0].clock < floor || len(d.age) > d.cfg.MaxEntries) {
		e := heap.Pop(&d.age).(*refEntry)
		d.drop(e)
	}
}

// refAgeHeap orders entries by clock, then sequence: the oldest on top.
type refAgeHeap []*refEntry

func (h refAgeHeap) Len() int { return len(h) }
func (h refAgeHeap) Less(i, j int) bool {
	if h[i].clock != h[j].clock {
		return h[i].clock < h[j].clock
	}
	return h[i].seq < h[j].seq
}
func (h refAgeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}
func (h *refAgeHeap) Push(x any) {
	e := x.(*refEntry)
	e.pos = len(*h)
	*h = append(*h, e)
}
func (h *refAgeHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// TestPackedAgreesWithReference feeds the packed detector and the
// reference one the same random stream (new articles, copies of held
// ones trimmed or with boilerplate, edits, removals, restores by Put,
// time passing beyond the window) and requires the same story from
// every Add and the same number held after every step, under caps
// small enough to evict, to fill stories and to grow the bucket table
// several times.
func TestPackedAgreesWithReference(t *testing.T) {
	for _, cfg := range []Config{
		{MaxEntries: 300, MaxStory: 4, Window: 6 * time.Hour},
		{MaxEntries: 5000, Window: 24 * time.Hour},
	} {
		r := newRand(t)
		cfg = cfg.WithDefaults()
		d, ref := New(cfg), refNew(cfg)
		var bodies []string
		var ids []string
		at := t0
		joined := 0
		for step := range 6000 {
			at = at.Add(time.Duration(r.IntN(60)) * time.Second)
			switch k := r.IntN(20); {
			case k == 0 && len(ids) > 0:
				id := ids[r.IntN(len(ids))]
				d.Remove(id)
				ref.Remove(id)
			case k == 1 && len(ids) > 0:
				// restore a held or evicted article into some story
				i := r.IntN(len(ids))
				story := ID(ids[r.IntN(len(ids))])
				if r.IntN(10) == 0 {
					story = "not-hex-" + story
				}
				dc := doc(cfg, ids[i], uint64(step+1), at, bodies[i])
				d.Put(dc, story)
				ref.Put(dc, story)
			default:
				body := text(r, 30+r.IntN(150))
				id := fmt.Sprintf("a%d", step)
				if len(bodies) > 0 && k < 12 {
					src := bodies[len(bodies)-1-r.IntN(min(len(bodies), 400))]
					switch r.IntN(3) {
					case 0:
						body = src[:len(src)*(2+r.IntN(3))/4]
					case 1:
						body = "From our correspondent. " + src
					default:
						body = src
					}
				}
				if k == 2 && len(ids) > 0 {
					id = ids[r.IntN(len(ids))] // an edit
				}
				dc := doc(cfg, id, uint64(step+1), at.Add(-time.Duration(r.IntN(3))*time.Hour), body)
				got, want := d.Add(dc), ref.Add(dc)
				if got != want {
					t.Fatalf("cfg %+v step %d: Add(%s) story %s, reference %s", cfg, step, id, got, want)
				}
				if got != ID(id) {
					joined++
				}
				bodies, ids = append(bodies, body), append(ids, id)
			}
			if d.Len() != ref.Len() {
				t.Fatalf("cfg %+v step %d: held %d, reference %d", cfg, step, d.Len(), ref.Len())
			}
		}
		if joined < 100 {
			t.Fatalf("cfg %+v: only %d articles joined a story; the stream tests little", cfg, joined)
		}
		t.Logf("cfg %+v: %d joined, %d held, %d slots per band", cfg, joined, d.Len(), 1<<d.slotBits)
	}
}
