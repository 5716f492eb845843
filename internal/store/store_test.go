package store

import (
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

func art(id, body string) *news.Article {
	return &news.Article{ID: id, Title: id, Body: body, Date: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), IngestedAt: time.Now().UTC()}
}

func collect(t *testing.T, s *Store, after, upTo uint64) []Change {
	t.Helper()
	var all []Change
	err := s.Changes(after, upTo, 2, func(cs []Change) error {
		all = append(all, cs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestPutGetReplaceDelete(t *testing.T) {
	s, path := openTemp(t)
	if err := s.PutArticles([]*news.Article{art("a", "one"), art("b", "two"), art("c", "three")}); err != nil {
		t.Fatal(err)
	}
	if seq, _ := s.LastSeq(); seq != 3 {
		t.Fatalf("last seq = %d, want 3", seq)
	}
	first, err := s.Article("a")
	if err != nil || first.Body != "one" || first.Seq != 1 {
		t.Fatalf("Article(a) = %+v, %v", first, err)
	}
	// Re-ingesting the same id replaces it, keeps ingested_at, gets a new seq.
	again := art("a", "one, updated")
	again.IngestedAt = time.Now().Add(time.Hour).UTC()
	if err := s.PutArticles([]*news.Article{again}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Article("a")
	if got.Body != "one, updated" || got.Seq != 4 || !got.IngestedAt.Equal(first.IngestedAt) {
		t.Errorf("replaced article = seq %d body %q ingested %v", got.Seq, got.Body, got.IngestedAt)
	}
	if n, _ := s.Count(); n != 3 {
		t.Errorf("count = %d, want 3", n)
	}
	seq, err := s.DeleteArticle("b")
	if err != nil || seq != 5 {
		t.Fatalf("delete b = %d, %v", seq, err)
	}
	if _, err := s.Article("b"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("get deleted = %v, want not_found", err)
	}
	if _, err := s.DeleteArticle("b"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("delete twice = %v, want not_found", err)
	}
	chs := collect(t, s, 0, 0)
	// a's first entry (1) and b's put (2) are gone; c=3, a=4, delete b=5.
	want := []struct {
		seq uint64
		id  string
		del bool
	}{{3, "c", false}, {4, "a", false}, {5, "b", true}}
	if len(chs) != len(want) {
		t.Fatalf("changes = %+v", chs)
	}
	for i, w := range want {
		if chs[i].Seq != w.seq || chs[i].ID != w.id || chs[i].Deleted != w.del {
			t.Errorf("change %d = %+v, want %+v", i, chs[i], w)
		}
	}
	if got := collect(t, s, 3, 4); len(got) != 1 || got[0].ID != "a" {
		t.Errorf("changes in (3,4] = %+v", got)
	}
	// Reopen: everything is still there.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if seq, _ := s2.LastSeq(); seq != 5 {
		t.Errorf("after reopen last seq = %d", seq)
	}
	arts, err := s2.Articles([]string{"c", "missing", "a"})
	if err != nil || arts[0] == nil || arts[1] != nil || arts[2].Body != "one, updated" {
		t.Errorf("Articles = %+v, %v", arts, err)
	}
}

func TestSameIDTwiceInOneBatch(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	if err := s.PutArticles([]*news.Article{art("x", "first"), art("x", "second")}); err != nil {
		t.Fatal(err)
	}
	chs := collect(t, s, 0, 0)
	if len(chs) != 1 || chs[0].Seq != 2 || chs[0].Article.Body != "second" {
		t.Errorf("changes = %+v", chs)
	}
}

func TestRecordsAreCompressed(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	body := strings.Repeat("The Kremlin said talks were at an early stage. ", 50)
	if err := s.PutArticles([]*news.Article{art("z", body)}); err != nil {
		t.Fatal(err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketLog).Get(seqKey(1))
		if v[0] != kindPut || len(v) > len(body)/2 {
			t.Errorf("record kind %q, %d bytes for a %d-byte body", v[0], len(v), len(body))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestArticlesDecodedOnEveryCore reads more articles at once than
// Articles decodes in one goroutine, with unknown ids among them, and
// requires each in its place, as reading them one at a time gives them.
func TestArticlesDecodedOnEveryCore(t *testing.T) {
	s, _ := openTemp(t)
	var arts []*news.Article
	for i := range 3 * parallelDecode {
		arts = append(arts, art(fmt.Sprintf("a%03d", i), fmt.Sprintf("body of article %d", i)))
	}
	if err := s.PutArticles(arts); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range arts {
		ids = append(ids, arts[len(arts)-1-i].ID)
		if i%10 == 0 {
			ids = append(ids, fmt.Sprintf("missing%d", i))
		}
	}
	got, err := s.Articles(ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d articles for %d ids", len(got), len(ids))
	}
	for i, id := range ids {
		one, err := s.Articles([]string{id})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case one[0] == nil && got[i] != nil:
			t.Errorf("%s: unknown alone, %q among many", id, got[i].ID)
		case one[0] != nil && (got[i] == nil || got[i].ID != id || got[i].Body != one[0].Body):
			t.Errorf("%s: %+v among many, %+v alone", id, got[i], one[0])
		}
	}
}
