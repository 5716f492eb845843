// Package logtest is the conformance suite of engine.ArticleLog: every
// implementation runs TestLog from its own tests (the bbolt store in
// internal/store, a replicated log next), so they all keep the promises
// the engine relies on.
package logtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// Opener opens the log under test for t. Called again with the same t
// after the previous log was closed, it must reopen the same storage
// (the same file, the same stream): that is how the suite checks that a
// log keeps everything across a restart. Each t gets a log of its own,
// empty at first.
type Opener func(t *testing.T) engine.ArticleLog

// TestLog runs the conformance suite against the logs open gives.
func TestLog(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"SequencesIncrease", testSequencesIncrease},
		{"ReadFromOnceInOrder", testReadFrom},
		{"ReappendUnchanged", testReappendUnchanged},
		{"EditGetsNewSequence", testEdit},
		{"Delete", testDelete},
		{"Reopen", testReopen},
		{"DoneContext", testDoneContext},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// art builds a normalized-looking article; the same (id, body) gives the
// same content each time.
func art(id, body string) *news.Article {
	return &news.Article{
		ID: id, Title: "Title of " + id, Body: body, Source: "test",
		URL: "https://example.com/" + id, Date: epoch, IngestedAt: time.Now().UTC(),
		Speakers: []string{}, Countries: []string{}, Topics: []string{},
	}
}

func openLog(t *testing.T, open Opener) engine.ArticleLog {
	t.Helper()
	l := open(t)
	if l == nil {
		t.Fatal("open returned a nil log")
	}
	return l
}

func appendOK(t *testing.T, l engine.ArticleLog, arts ...*news.Article) uint64 {
	t.Helper()
	last, err := l.Append(context.Background(), arts)
	if err != nil {
		t.Fatalf("Append(%d articles): %v", len(arts), err)
	}
	return last
}

func lastSeq(t *testing.T, l engine.ArticleLog) uint64 {
	t.Helper()
	n, err := l.LastSeq(context.Background())
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return n
}

// changes reads every change in (after, upTo] in batches of batch and
// checks they come in strictly increasing sequence order.
func changes(t *testing.T, l engine.ArticleLog, after, upTo uint64, batch int) []news.Change {
	t.Helper()
	var out []news.Change
	err := l.ReadFrom(context.Background(), after, upTo, batch, func(chs []news.Change) error {
		if len(chs) == 0 || len(chs) > batch {
			return fmt.Errorf("a batch of %d changes; want 1 to %d", len(chs), batch)
		}
		out = append(out, chs...)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFrom(%d, %d): %v", after, upTo, err)
	}
	for i, c := range out {
		if c.Seq <= after || (upTo != 0 && c.Seq > upTo) {
			t.Errorf("ReadFrom(%d, %d) returned seq %d, outside the range", after, upTo, c.Seq)
		}
		if i > 0 && c.Seq <= out[i-1].Seq {
			t.Errorf("ReadFrom(%d, %d): seq %d after %d, not increasing", after, upTo, c.Seq, out[i-1].Seq)
		}
		if !c.Deleted && (c.Article == nil || c.Article.ID != c.ID || c.Article.Seq != c.Seq) {
			t.Errorf("ReadFrom: put change %d (%s) carries article %+v", c.Seq, c.ID, c.Article)
		}
	}
	return out
}

// summary writes changes as "seq:id" ("seq:-id" for a deletion).
func summary(chs []news.Change) []string {
	out := make([]string, len(chs))
	for i, c := range chs {
		if c.Deleted {
			out[i] = fmt.Sprintf("%d:-%s", c.Seq, c.ID)
		} else {
			out[i] = fmt.Sprintf("%d:%s", c.Seq, c.ID)
		}
	}
	return out
}

func get(t *testing.T, l engine.ArticleLog, ids ...string) []*news.Article {
	t.Helper()
	arts, err := l.Get(context.Background(), ids)
	if err != nil {
		t.Fatalf("Get(%v): %v", ids, err)
	}
	if len(arts) != len(ids) {
		t.Fatalf("Get(%v) returned %d articles", ids, len(arts))
	}
	return arts
}

func testSequencesIncrease(t *testing.T, open Opener) {
	l := openLog(t, open)
	defer l.Close()
	if n := lastSeq(t, l); n != 0 {
		t.Fatalf("LastSeq of a new log = %d, want 0", n)
	}
	var prev uint64
	for b := 0; b < 4; b++ {
		batch := []*news.Article{art(fmt.Sprintf("a%d", b), "one"), art(fmt.Sprintf("b%d", b), "two"), art(fmt.Sprintf("c%d", b), "three")}
		last := appendOK(t, l, batch...)
		for _, a := range batch {
			if a.Seq <= prev {
				t.Errorf("batch %d: %s got seq %d after %d; sequences must strictly increase", b, a.ID, a.Seq, prev)
			}
			prev = a.Seq
		}
		if last != prev {
			t.Errorf("batch %d: Append returned last seq %d, the batch's last article has %d", b, last, prev)
		}
		if n := lastSeq(t, l); n != last {
			t.Errorf("batch %d: LastSeq = %d, Append said %d", b, n, last)
		}
	}
	if n, err := l.Count(context.Background()); err != nil || n != 12 {
		t.Errorf("Count = %d, %v; want 12", n, err)
	}
}

func testReadFrom(t *testing.T, open Opener) {
	l := openLog(t, open)
	defer l.Close()
	var want []string
	for b := 0; b < 5; b++ {
		var batch []*news.Article
		for i := 0; i < 3; i++ {
			batch = append(batch, art(fmt.Sprintf("r%d-%d", b, i), "body"))
		}
		appendOK(t, l, batch...)
		for _, a := range batch {
			want = append(want, fmt.Sprintf("%d:%s", a.Seq, a.ID))
		}
	}
	for _, bs := range []int{1, 2, 4, 100} {
		if got := summary(changes(t, l, 0, 0, bs)); !slices.Equal(got, want) {
			t.Errorf("ReadFrom(0, 0) in batches of %d = %v, want %v", bs, got, want)
		}
	}
	all := changes(t, l, 0, 0, 100)
	mid := all[6].Seq
	if got := summary(changes(t, l, mid, 0, 4)); !slices.Equal(got, want[7:]) {
		t.Errorf("ReadFrom(%d, 0) = %v, want %v", mid, got, want[7:])
	}
	if got := summary(changes(t, l, all[2].Seq, mid, 4)); !slices.Equal(got, want[3:7]) {
		t.Errorf("ReadFrom(%d, %d) = %v, want %v", all[2].Seq, mid, got, want[3:7])
	}
	if got := changes(t, l, lastSeq(t, l), 0, 4); len(got) != 0 {
		t.Errorf("ReadFrom(last) = %v, want nothing", summary(got))
	}
	stop := fmt.Errorf("stop here")
	calls := 0
	err := l.ReadFrom(context.Background(), 0, 0, 2, func([]news.Change) error { calls++; return stop })
	if err == nil || calls != 1 {
		t.Errorf("ReadFrom with fn failing: err %v after %d calls; want fn's error after 1", err, calls)
	}
}

func testReappendUnchanged(t *testing.T, open Opener) {
	l := openLog(t, open)
	defer l.Close()
	appendOK(t, l, art("x", "same"), art("y", "other"))
	first := get(t, l, "x")[0]
	before := lastSeq(t, l)
	again := art("x", "same")
	again.IngestedAt = first.IngestedAt.Add(time.Hour)
	last := appendOK(t, l, again)
	if again.Seq != first.Seq {
		t.Errorf("re-appended unchanged article got seq %d, want its own %d", again.Seq, first.Seq)
	}
	if last != before || lastSeq(t, l) != before {
		t.Errorf("re-appending an unchanged article moved the last seq from %d to %d", before, last)
	}
	if got := summary(changes(t, l, 0, 0, 10)); len(got) != 2 {
		t.Errorf("changes after an unchanged re-append = %v, want the two puts", got)
	}
	if got := get(t, l, "x")[0]; got == nil || !got.IngestedAt.Equal(first.IngestedAt) || got.Seq != first.Seq {
		t.Errorf("after an unchanged re-append Get(x) = %+v, want the first one", got)
	}
}

func testEdit(t *testing.T, open Opener) {
	l := openLog(t, open)
	defer l.Close()
	appendOK(t, l, art("e", "version one"), art("f", "untouched"))
	first := get(t, l, "e")[0]
	v2 := art("e", "version two")
	appendOK(t, l, v2)
	if v2.Seq <= first.Seq {
		t.Fatalf("edited article got seq %d, not above its first %d", v2.Seq, first.Seq)
	}
	got := get(t, l, "e")[0]
	if got == nil || got.Body != "version two" || got.Seq != v2.Seq {
		t.Errorf("Get after the edit = %+v, want version two at seq %d", got, v2.Seq)
	}
	if got != nil && !got.IngestedAt.Equal(first.IngestedAt) {
		t.Errorf("edit changed ingested_at from %v to %v; it keeps the first", first.IngestedAt, got.IngestedAt)
	}
	chs := changes(t, l, 0, 0, 10)
	for _, c := range chs {
		if c.Seq == first.Seq {
			t.Errorf("ReadFrom still returns the replaced entry %d of e", c.Seq)
		}
	}
	if got := summary(chs); !slices.Equal(got, []string{fmt.Sprintf("%d:f", first.Seq+1), fmt.Sprintf("%d:e", v2.Seq)}) {
		t.Errorf("changes after the edit = %v", got)
	}
	// Back to the first content: that is an edit too, not a replay of
	// the first entry.
	v3 := art("e", "version one")
	appendOK(t, l, v3)
	if v3.Seq <= v2.Seq {
		t.Errorf("editing back to the first content got seq %d, not above %d", v3.Seq, v2.Seq)
	}
	if got := get(t, l, "e")[0]; got == nil || got.Body != "version one" {
		t.Errorf("Get after editing back = %+v", got)
	}
	// The same id twice in one batch: the last one is current.
	appendOK(t, l, art("g", "first"), art("g", "second"))
	if got := get(t, l, "g")[0]; got == nil || got.Body != "second" {
		t.Errorf("same id twice in a batch: Get = %+v, want the second", got)
	}
	n := 0
	for _, c := range changes(t, l, 0, 0, 10) {
		if c.ID == "g" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("same id twice in a batch: %d current changes of g, want 1", n)
	}
	if c, err := l.Count(context.Background()); err != nil || c != 3 {
		t.Errorf("Count = %d, %v; want 3", c, err)
	}
}

func testDelete(t *testing.T, open Opener) {
	l := openLog(t, open)
	defer l.Close()
	appendOK(t, l, art("d1", "one"), art("d2", "two"), art("d3", "three"))
	before := lastSeq(t, l)
	deleted, seq, err := l.Delete(context.Background(), []string{"d2", "missing", "d3"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deleted, []string{"d2", "d3"}) || seq <= before {
		t.Errorf("Delete = %v at seq %d (last was %d); want [d2 d3] above it", deleted, seq, before)
	}
	if n := lastSeq(t, l); n != seq {
		t.Errorf("LastSeq after Delete = %d, want %d", n, seq)
	}
	arts := get(t, l, "d1", "d2", "d3")
	if arts[0] == nil || arts[1] != nil || arts[2] != nil {
		t.Errorf("Get after deleting d2, d3 = %v", arts)
	}
	ex, err := l.Exist(context.Background(), []string{"d1", "d2", "missing"})
	if err != nil || !slices.Equal(ex, []bool{true, false, false}) {
		t.Errorf("Exist = %v, %v; want [true false false]", ex, err)
	}
	chs := changes(t, l, 0, 0, 10)
	want := []string{"1:d1", fmt.Sprintf("%d:-d2", seq-1), fmt.Sprintf("%d:-d3", seq)}
	if got := summary(chs); len(chs) != 3 || got[0] != fmt.Sprintf("%d:d1", chs[0].Seq) || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("changes after the delete = %v, want d1's put then the deletions %v", got, want[1:])
	}
	if n, err := l.Count(context.Background()); err != nil || n != 1 {
		t.Errorf("Count = %d, %v; want 1", n, err)
	}
	deleted, seq2, err := l.Delete(context.Background(), []string{"d2"})
	if err != nil || len(deleted) != 0 || seq2 != 0 || lastSeq(t, l) != seq {
		t.Errorf("deleting again = %v at %d, %v; want nothing, log unchanged", deleted, seq2, err)
	}
	// An id deleted and stored again is current again, at a new sequence.
	back := art("d2", "two")
	appendOK(t, l, back)
	if back.Seq <= seq || get(t, l, "d2")[0] == nil {
		t.Errorf("re-stored d2 at seq %d (deletion at %d), Get = %v", back.Seq, seq, get(t, l, "d2")[0])
	}
}

func testReopen(t *testing.T, open Opener) {
	l := openLog(t, open)
	appendOK(t, l, art("p1", "one"), art("p2", "two"), art("p3", "three"))
	appendOK(t, l, art("p1", "one, edited"))
	if _, _, err := l.Delete(context.Background(), []string{"p2"}); err != nil {
		t.Fatal(err)
	}
	last := lastSeq(t, l)
	want := summary(changes(t, l, 0, 0, 10))
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	l = openLog(t, open)
	defer l.Close()
	if n := lastSeq(t, l); n != last {
		t.Errorf("LastSeq after reopen = %d, want %d", n, last)
	}
	if got := summary(changes(t, l, 0, 0, 10)); !slices.Equal(got, want) {
		t.Errorf("changes after reopen = %v, want %v", got, want)
	}
	arts := get(t, l, "p1", "p2", "p3")
	if arts[0] == nil || arts[0].Body != "one, edited" || arts[1] != nil || arts[2] == nil || arts[2].Body != "three" {
		t.Errorf("Get after reopen = %+v", arts)
	}
	// Sequences go on above the last one, never reused.
	next := art("p4", "four")
	appendOK(t, l, next)
	if next.Seq <= last {
		t.Errorf("first append after reopen got seq %d, not above %d", next.Seq, last)
	}
	// An unchanged article is still recognised after the reopen.
	same := art("p3", "three")
	appendOK(t, l, same)
	if same.Seq != arts[2].Seq {
		t.Errorf("unchanged re-append after reopen got seq %d, want %d", same.Seq, arts[2].Seq)
	}
}

func testDoneContext(t *testing.T, open Opener) {
	l := openLog(t, open)
	defer l.Close()
	appendOK(t, l, art("c1", "one"))
	last := lastSeq(t, l)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, []*news.Article{art("c2", "two")}); err == nil {
		t.Error("Append with a done context succeeded")
	}
	if _, _, err := l.Delete(ctx, []string{"c1"}); err == nil {
		t.Error("Delete with a done context succeeded")
	}
	if n := lastSeq(t, l); n != last {
		t.Errorf("a done context still appended: last seq %d, was %d", n, last)
	}
	if err := l.ReadFrom(ctx, 0, 0, 10, func([]news.Change) error { return nil }); err == nil {
		t.Error("ReadFrom with a done context succeeded")
	}
}
