package engine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

// TestChangesAndArticlesReadTheArticleLog: the alert runner's reads
// (Changes, Articles) come from the engine's article log, not from the
// store file, which in a cluster holds no articles (the replicated log
// keeps its own local file).
func TestChangesAndArticlesReadTheArticleLog(t *testing.T) {
	other, err := store.Open(filepath.Join(t.TempDir(), "articles.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	e, err := Open(Config{DataDir: t.TempDir(), Log: other.Log()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if _, rej, err := e.Ingest(ctx, []*news.Article{{ID: "c1", Body: "Talks on Ukraine resumed."}}); err != nil || len(rej) > 0 {
		t.Fatal(err, rej)
	}
	var seen []string
	if err := e.Changes(ctx, 0, 0, 10, func(b []Change) error {
		for _, c := range b {
			if c.Article != nil {
				seen = append(seen, c.Article.ID)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	arts, err := e.Articles(ctx, []string{"c1"})
	if err != nil || len(seen) != 1 || seen[0] != "c1" || len(arts) != 1 || arts[0] == nil {
		t.Fatalf("changes %v, articles %v (%v)", seen, arts, err)
	}
}
