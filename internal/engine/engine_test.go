package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t *testing.T, dir string, ext ExtractFunc) *Engine {
	t.Helper()
	e, err := Open(Config{DataDir: dir, Logger: quiet, Extract: ext, BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func articles(n int, word string) []*news.Article {
	out := make([]*news.Article, n)
	for i := range out {
		out[i] = &news.Article{ID: fmt.Sprintf("%s-%d", word, i), Body: fmt.Sprintf("%s story number %d.", word, i)}
	}
	return out
}

func total(t *testing.T, e *Engine, q string) uint64 {
	t.Helper()
	res, err := e.Search(context.Background(), SearchParams{Q: q, Size: 0})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

func TestIngestSearchDelete(t *testing.T) {
	calls := 0
	ext := func(title, body string) Extracted {
		calls++
		return Extracted{Speakers: []string{"Found Speaker"}, Countries: []string{"Ukraine"}}
	}
	e := open(t, t.TempDir(), ext)
	defer e.Close()
	in := articles(20, "alpha")
	in[3].Supplied.Speakers = []string{"Given Speaker"}
	in = append(in, &news.Article{Body: ""}, nil)
	ids, rejected, err := e.Ingest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 20 || len(rejected) != 2 || rejected[0].Index != 20 || rejected[1].Index != 21 {
		t.Fatalf("ids %d, rejected %+v", len(ids), rejected)
	}
	if calls != 20 {
		t.Errorf("extractor called %d times, want 20", calls)
	}
	if got := total(t, e, "alpha"); got != 20 {
		t.Errorf("alpha = %d", got)
	}
	a, err := e.Article(context.Background(), "alpha-3")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(a.Speakers, ",") != "Given Speaker" || strings.Join(a.Countries, ",") != "Ukraine" ||
		strings.Join(a.Extracted.Speakers, ",") != "Found Speaker" {
		t.Errorf("precedence: %+v", a)
	}
	if got := total(t, e, `speaker:"found speaker"`); got != 19 {
		t.Errorf("found speaker = %d, want 19", got)
	}
	if err := e.Delete(context.Background(), "alpha-5"); err != nil {
		t.Fatal(err)
	}
	if got := total(t, e, "alpha"); got != 19 {
		t.Errorf("after delete = %d", got)
	}
	if err := e.Delete(context.Background(), "alpha-5"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("delete again = %v", err)
	}
	// Re-ingesting the same id updates instead of duplicating.
	again := articles(1, "alpha")
	again[0].Body = "alpha story number 0, corrected with beta."
	if _, _, err := e.Ingest(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if got := total(t, e, "alpha"); got != 19 {
		t.Errorf("after update = %d", got)
	}
	if got := total(t, e, "beta"); got != 1 {
		t.Errorf("beta = %d", got)
	}
}

// TestCatchUpAfterLostIndex: the index is derived. Lose it, or let it fall
// behind the store, and the next Open brings it back from the store.
func TestCatchUpAfterLostIndex(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir, nil)
	if _, _, err := e.Ingest(context.Background(), articles(30, "gamma")); err != nil {
		t.Fatal(err)
	}
	if err := e.Delete(context.Background(), "gamma-7"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.RemoveAll(IndexPath(dir)); err != nil {
		t.Fatal(err)
	}
	e = open(t, dir, nil)
	if got := total(t, e, "gamma"); got != 29 {
		t.Errorf("after rebuild = %d, want 29", got)
	}
	// Now write to the store behind the index's back (as if the process
	// died after the store commit and before the index batch).
	extra := articles(5, "delta")
	for _, a := range extra {
		if err := a.Normalize(time.Now()); err != nil {
			t.Fatal(err)
		}
		a.Merge()
	}
	if err := e.store.PutArticles(extra); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.DeleteArticle("gamma-8"); err != nil {
		t.Fatal(err)
	}
	if got := total(t, e, "delta"); got != 0 {
		t.Fatalf("delta visible before catch-up: %d", got)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = open(t, dir, nil)
	defer e.Close()
	if got := total(t, e, "delta"); got != 5 {
		t.Errorf("delta after catch-up = %d, want 5", got)
	}
	if got := total(t, e, "gamma"); got != 28 {
		t.Errorf("gamma after catch-up = %d, want 28", got)
	}
	last, _ := e.store.LastSeq()
	if e.IndexedSeq() != last {
		t.Errorf("indexed seq %d, store seq %d", e.IndexedSeq(), last)
	}
}

func TestRebuildCommand(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir, nil)
	if _, _, err := e.Ingest(context.Background(), articles(12, "epsilon")); err != nil {
		t.Fatal(err)
	}
	e.Close()
	if _, err := Rebuild(context.Background(), Config{DataDir: dir, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	e = open(t, dir, nil)
	if got := total(t, e, "epsilon"); got != 12 {
		t.Errorf("after rebuild = %d", got)
	}
	seqBefore, _ := e.store.LastSeq()
	// One article has a supplied speaker; a newer extractor must not touch it.
	given := &news.Article{ID: "given", Body: "epsilon with a supplied speaker", Supplied: news.Facets{Speakers: []string{"Given Person"}}}
	if _, _, err := e.Ingest(context.Background(), []*news.Article{given}); err != nil {
		t.Fatal(err)
	}
	seqBefore++
	e.Close()
	newer := func(title, body string) Extracted {
		return Extracted{Speakers: []string{"Newer Speaker"}, Topics: []string{"politics"}}
	}
	changed, err := Rebuild(context.Background(), Config{DataDir: dir, Logger: quiet, Extract: newer})
	if err != nil || changed != 13 {
		t.Fatalf("re-extract changed %d, %v", changed, err)
	}
	e = open(t, dir, nil)
	defer e.Close()
	if got := total(t, e, `speaker:"newer speaker" AND topic:politics`); got != 12 {
		t.Errorf("re-extracted facets searchable on %d, want 12", got)
	}
	a, _ := e.Article(context.Background(), "given")
	if strings.Join(a.Speakers, ",") != "Given Person" || strings.Join(a.Topics, ",") != "politics" {
		t.Errorf("supplied value touched or extraction missing: %+v", a)
	}
	if seq, _ := e.store.LastSeq(); seq != seqBefore {
		t.Errorf("re-extraction changed sequences: %d, was %d", seq, seqBefore)
	}
}

func TestSearchPagingAndErrors(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	if _, _, err := e.Ingest(context.Background(), articles(25, "zeta")); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 10; page++ {
		res, err := e.Search(context.Background(), SearchParams{Q: "zeta", Size: 10, Sort: "newest", Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if seen[h.ID] {
				t.Errorf("%s seen twice", h.ID)
			}
			seen[h.ID] = true
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	if len(seen) != 25 {
		t.Errorf("paged %d of 25", len(seen))
	}
	// The largest page allowed works (the engine asks the index for one more).
	if res, err := e.Search(context.Background(), SearchParams{Q: "zeta", Size: 100}); err != nil || len(res.Hits) != 25 {
		t.Errorf("size=100: %v", err)
	}
	for _, p := range []SearchParams{
		{Q: "(unclosed"},
		{Q: "x", Size: -1},
		{Q: "x", Size: 1000},
		{Q: "x", Cursor: "!!!"},
		{Q: "x", Cursor: cursor, Sort: "oldest"},
		{Q: "x", Sort: "sideways"},
		{Q: "x", FacetSize: 1000},
	} {
		if _, err := e.Search(context.Background(), p); err == nil || news.ErrorCode(err) == news.ECodeInternal {
			t.Errorf("Search(%+v) err = %v, want a coded client error", p, err)
		}
	}
}

// TestSameIDAcrossOverlappingBatches: one call holds an id twice, in
// batches that are indexed concurrently; the index must end with the last
// version, as the store does.
func TestSameIDAcrossOverlappingBatches(t *testing.T) {
	e := open(t, t.TempDir(), nil) // batch size 7
	defer e.Close()
	in := articles(30, "eta")
	in[2].Body = "first version oldword"
	in[25].ID = in[2].ID
	in[25].Body = "second version newword"
	if _, _, err := e.Ingest(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if got := total(t, e, "oldword"); got != 0 {
		t.Errorf("old version still indexed (%d)", got)
	}
	if got := total(t, e, "newword"); got != 1 {
		t.Errorf("new version indexed %d times", got)
	}
	last, _ := e.store.LastSeq()
	if ix, _ := e.index.LastSeq(); ix != last || e.IndexedSeq() != last {
		t.Errorf("index marker %d, indexed seq %d, store seq %d", ix, e.IndexedSeq(), last)
	}
}
