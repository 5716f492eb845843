package stories

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// text makes a body of n words drawn from a vocabulary large enough that
// two bodies share almost no shingles.
func text(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", r.IntN(50_000))
	}
	return strings.Join(w, " ")
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func doc(cfg Config, id string, seq uint64, at time.Time, body string) Doc {
	return Doc{ID: id, Seq: seq, Date: at, Clock: at, Sig: cfg.Sign(body)}
}

func newRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 1))
}

func TestCopiesJoinDifferentArticlesDoNot(t *testing.T) {
	r := newRand(t)
	cfg := Config{}.WithDefaults()
	d := New(cfg)
	a, b := text(r, 200), text(r, 200)
	sa := d.Add(doc(cfg, "a", 1, t0, a))
	if sa != ID("a") {
		t.Fatalf("first article's story %q, want ID(a) %q", sa, ID("a"))
	}
	if s := d.Add(doc(cfg, "b", 2, t0, b)); s == sa {
		t.Fatal("an unrelated article joined a's story")
	}
	copyA := "Boilerplate of some outlet. " + a[:len(a)*3/4]
	if s := d.Add(doc(cfg, "a2", 3, t0.Add(time.Hour), copyA)); s != sa {
		t.Fatalf("a trimmed copy of a is in story %q, want %q", s, sa)
	}
}

func TestDeterministic(t *testing.T) {
	r := newRand(t)
	cfg := Config{}.WithDefaults()
	bodies := make([]string, 50)
	for i := range bodies {
		if i > 0 && r.IntN(2) == 0 {
			bodies[i] = bodies[r.IntN(i)] + " more words at the end"
		} else {
			bodies[i] = text(r, 100)
		}
	}
	run := func() []string {
		d := New(cfg)
		var out []string
		for i, b := range bodies {
			out = append(out, d.Add(doc(cfg, fmt.Sprint(i), uint64(i+1), t0, b)))
		}
		return out
	}
	first, second := run(), run()
	joined := 0
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("article %d: story %s then %s", i, first[i], second[i])
		}
		if first[i] != ID(fmt.Sprint(i)) {
			joined++
		}
	}
	if joined == 0 {
		t.Fatal("no copy joined a story")
	}
}

func TestShortBodiesNeverJoin(t *testing.T) {
	cfg := Config{}.WithDefaults()
	d := New(cfg)
	for i, body := range []string{"", "Breaking", "Breaking news", "Markets closed higher on Monday."} {
		for k := range 2 {
			id := fmt.Sprintf("%d-%d", i, k)
			if s := d.Add(doc(cfg, id, uint64(2*i+k+1), t0, body)); s != ID(id) {
				t.Errorf("body %q (copy %d) joined story %s", body, k, s)
			}
		}
	}
	if d.Len() != 0 {
		t.Errorf("short bodies held: %d", d.Len())
	}
}

func TestWindow(t *testing.T) {
	r := newRand(t)
	cfg := Config{Window: 48 * time.Hour}.WithDefaults()
	d := New(cfg)
	body := text(r, 100)
	s := d.Add(doc(cfg, "a", 1, t0, body))
	if got := d.Add(doc(cfg, "late", 2, t0.Add(72*time.Hour), body)); got == s {
		t.Error("a copy dated past the window joined")
	}
	// The newest time is now t0+72h: a is out of the detector.
	if got := d.Add(doc(cfg, "back", 3, t0, body)); got == s {
		t.Error("a copy joined an article that left the window")
	}
	d2 := New(cfg)
	s2 := d2.Add(doc(cfg, "a", 1, t0, body))
	if got := d2.Add(doc(cfg, "in", 2, t0.Add(47*time.Hour), body)); got != s2 {
		t.Error("a copy within the window did not join")
	}
}

func TestStoryCap(t *testing.T) {
	r := newRand(t)
	cfg := Config{MaxStory: 3}.WithDefaults()
	d := New(cfg)
	body := text(r, 100)
	stories := map[string]int{}
	for i := range 7 {
		stories[d.Add(doc(cfg, fmt.Sprint(i), uint64(i+1), t0, body))]++
	}
	// 3 in the first story, 3 in the second (started by the 4th copy), 1 in a third.
	if len(stories) != 3 || stories[ID("0")] != 3 || stories[ID("3")] != 3 || stories[ID("6")] != 1 {
		t.Errorf("stories at cap 3: %v", stories)
	}
}

func TestRemoveAndEdit(t *testing.T) {
	r := newRand(t)
	cfg := Config{}.WithDefaults()
	d := New(cfg)
	body := text(r, 100)
	s := d.Add(doc(cfg, "a", 1, t0, body))
	d.Remove("a")
	if got := d.Add(doc(cfg, "b", 2, t0, body)); got == s {
		t.Error("joined a removed article")
	}
	// Editing b (same id again) does not make it its own copy.
	if got := d.Add(doc(cfg, "b", 3, t0, body+" corrected")); got != ID("b") {
		t.Errorf("edited b in story %s, want its own", got)
	}
	if d.Len() != 1 {
		t.Errorf("held %d, want 1", d.Len())
	}
}

func TestMaxEntries(t *testing.T) {
	r := newRand(t)
	cfg := Config{MaxEntries: 10}.WithDefaults()
	d := New(cfg)
	first := text(r, 60)
	d.Add(doc(cfg, "first", 1, t0, first))
	for i := range 20 {
		d.Add(doc(cfg, fmt.Sprint(i), uint64(i+2), t0.Add(time.Duration(i+1)*time.Minute), text(r, 60)))
	}
	if d.Len() != 10 {
		t.Fatalf("held %d, want 10", d.Len())
	}
	if got := d.Add(doc(cfg, "again", 30, t0.Add(time.Hour), first)); got == ID("first") {
		t.Error("joined an article evicted by the cap")
	}
}

func BenchmarkSign(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	body := text(r, 130) // a Reuters body's mean length
	cfg := Config{}.WithDefaults()
	b.ReportAllocs()
	for b.Loop() {
		cfg.Sign(body)
	}
}

func BenchmarkAdd(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	cfg := Config{}.WithDefaults()
	d := New(cfg)
	sigs := make([]*Signature, 10_000)
	for i := range sigs {
		sigs[i] = cfg.Sign(text(r, 130))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Add(Doc{ID: fmt.Sprint(i), Seq: uint64(i + 1), Date: t0, Clock: t0, Sig: sigs[i%len(sigs)]})
		i++
	}
}
