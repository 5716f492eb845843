package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// wireText makes a body of n words that no other call repeats.
func wireText(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", r.IntN(100_000))
	}
	return "peskov " + strings.Join(w, " ")
}

func storyOf(t *testing.T, e *Engine, id string) string {
	t.Helper()
	res, err := e.Search(context.Background(), SearchParams{Q: "id:" + id, Size: 1, Collapse: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 || res.Hits[0].Story == nil {
		t.Fatalf("id:%s: %+v", id, res.Hits)
	}
	return res.Hits[0].Story.ID
}

// TestStoriesIngestCollapseRebuild: copies from three outlets are one
// story in a collapsed search (one hit, copies and sources), story:ID
// lists them, and the stories are the same after a restart (the detector
// rebuilt from the log: a later copy still joins) and after a reindex.
func TestStoriesIngestCollapseRebuild(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	dir := t.TempDir()
	e := open(t, dir, nil)
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	wire := wireText(r, 150)
	other := wireText(r, 150)
	in := []*news.Article{
		{ID: "wire", Source: "Wire", Title: "Peskov speaks", Body: wire, Date: day},
		{ID: "ledger", Source: "Ledger", Title: "Kremlin: Peskov speaks", Body: "From our correspondents. " + wire, Date: day.Add(time.Hour)},
		{ID: "other", Source: "Wire", Title: "Peskov elsewhere", Body: other, Date: day},
		{ID: "short1", Source: "Post", Body: "peskov", Date: day},
		{ID: "short2", Source: "Gazette", Body: "peskov", Date: day},
	}
	if _, _, err := e.Ingest(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	post := &news.Article{ID: "post", Source: "Post", Title: "Peskov", Body: wire[:len(wire)*2/3], Date: day.Add(2 * time.Hour)}
	if _, _, err := e.Ingest(context.Background(), []*news.Article{post}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Search(context.Background(), SearchParams{Q: "peskov", Size: 10, Collapse: true, FacetSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	// wire+ledger+post, other, short1, short2
	if res.Total != 4 || len(res.Hits) != 4 {
		t.Fatalf("collapsed: total %d, %d hits, want 4 stories", res.Total, len(res.Hits))
	}
	var story string
	for _, h := range res.Hits {
		if h.Story.Copies == 3 {
			story = h.Story.ID
			if got := strings.Join(sorted(h.Story.Sources), ","); got != "Ledger,Post,Wire" {
				t.Errorf("sources %s", got)
			}
		} else if h.Story.Copies != 1 {
			t.Errorf("hit %s: %d copies", h.ID, h.Story.Copies)
		}
	}
	if story == "" {
		t.Fatalf("no story of three copies: %+v", res.Hits)
	}
	for _, fv := range res.Facets["sources"] {
		if fv.Value == "Wire" && fv.Count != 2 {
			t.Errorf("source Wire counts %d stories, want 2", fv.Count)
		}
	}
	if n := total(t, e, "peskov"); n != 6 {
		t.Errorf("uncollapsed total %d, want 6", n)
	}
	if n := total(t, e, "story:"+story); n != 3 {
		t.Errorf("story:%s finds %d, want 3", story, n)
	}
	if storyOf(t, e, "short1") == storyOf(t, e, "short2") {
		t.Error("two one-word bodies share a story")
	}
	e.Close()

	// A restart rebuilds the detector from the log: a fourth copy joins.
	e = open(t, dir, nil)
	ap := &news.Article{ID: "ap", Source: "AP", Body: wire + " Reporting by AP.", Date: day.Add(3 * time.Hour)}
	if _, _, err := e.Ingest(context.Background(), []*news.Article{ap}); err != nil {
		t.Fatal(err)
	}
	if got := storyOf(t, e, "ap"); got != story {
		t.Errorf("after a restart a copy is in story %s, want %s", got, story)
	}
	if n := e.StoryDetectorLen(); n != 5 { // wire, ledger, other, post, ap; short bodies are not held
		t.Errorf("detector holds %d, want 5", n)
	}
	e.Close()

	// A reindex regroups from the log in sequence order: the same stories.
	if _, err := Rebuild(context.Background(), Config{DataDir: dir, Logger: quiet, BatchSize: 7}); err != nil {
		t.Fatal(err)
	}
	e = open(t, dir, nil)
	defer e.Close()
	for _, id := range []string{"wire", "ledger", "post", "ap"} {
		if got := storyOf(t, e, id); got != story {
			t.Errorf("after reindex %s is in story %s, want %s", id, got, story)
		}
	}
	if n := total(t, e, "story:"+story); n != 4 {
		t.Errorf("after reindex story:%s finds %d, want 4", story, n)
	}
	// wire+ledger+post+ap, other, short1, short2: the copies are marked
	// as joining the story again, so the collapse groups them.
	if n, copies := collapsedStories(t, e, "peskov"); n != 4 || copies[story] != 4 {
		t.Errorf("after reindex: %d stories, copies %v, want 4 stories and 4 copies of %s", n, copies, story)
	}
}

// collapsedStories returns the number of stories q matches and each
// story's copies.
func collapsedStories(t *testing.T, e *Engine, q string) (uint64, map[string]int) {
	t.Helper()
	res, err := e.Search(context.Background(), SearchParams{Q: q, Size: 100, Collapse: true, FacetSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	copies := map[string]int{}
	for _, h := range res.Hits {
		copies[h.Story.ID] = h.Story.Copies
	}
	return res.Total, copies
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestStoriesRestoredFromIndex: at open the detector takes each held
// article's story from the index, so after the story's first copy was
// edited (it moves to a later sequence) a new copy still joins the story
// id searches and alerts know; regrouping the log would have named the
// story after the second copy.
func TestStoriesRestoredFromIndex(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 4))
	dir := t.TempDir()
	e := open(t, dir, nil)
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	body := wireText(r, 150)
	if _, _, err := e.Ingest(context.Background(), []*news.Article{{ID: "first", Source: "Wire", Body: body, Date: day}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Ingest(context.Background(), []*news.Article{{ID: "second", Source: "AP", Body: "AP: " + body, Date: day}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Ingest(context.Background(), []*news.Article{{ID: "first", Source: "Wire", Body: body + " Corrected.", Date: day}}); err != nil {
		t.Fatal(err)
	}
	story := storyOf(t, e, "second")
	if got := storyOf(t, e, "first"); got != story {
		t.Fatalf("edited first copy in %s, second in %s", got, story)
	}
	e.Close()
	e = open(t, dir, nil)
	defer e.Close()
	if _, _, err := e.Ingest(context.Background(), []*news.Article{{ID: "third", Source: "Post", Body: body + " Post.", Date: day}}); err != nil {
		t.Fatal(err)
	}
	if got := storyOf(t, e, "third"); got != story {
		t.Errorf("after a restart a new copy is in story %s, want %s", got, story)
	}
	// The edited first copy is in the story named after its own id (so
	// not marked as joining it); the others are, and one story shows.
	if n, copies := collapsedStories(t, e, "peskov"); n != 1 || copies[story] != 3 {
		t.Errorf("collapsed: %d stories, copies %v, want one story of 3 copies", n, copies)
	}
}
