package main

import (
	"context"
	"slices"
	"testing"

	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/stories"
)

// After a restart the extractor starts empty; openEngine gives it the
// archive's speakers, so a Russian article ingested first thing after the
// restart gets the Latin form an English article indexed before it.
func TestRestartKeepsKnownNames(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	eng, err := openEngine(data, quietLog, query.Limits{}, stories.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, rej, err := eng.Ingest(ctx, []*news.Article{{ID: "en1", Source: "wire",
		Body: `Kremlin spokesman Dmitry Peskov said on Monday that talks would continue. "We are ready," Peskov told reporters in Moscow.`}}); err != nil || len(rej) > 0 {
		t.Fatalf("ingest: %v %v", err, rej)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng, err = openEngine(data, quietLog, query.Limits{}, stories.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, rej, err := eng.Ingest(ctx, []*news.Article{{ID: "ru1", Source: "wire",
		Body: "Пресс-секретарь президента России Дмитрий Песков заявил в понедельник, что Москва ценит посредничество Саудовской Аравии. «Мы благодарны партнёрам», — сказал Песков журналистам."}}); err != nil || len(rej) > 0 {
		t.Fatalf("ingest: %v %v", err, rej)
	}
	a, err := eng.Article(ctx, "ru1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Speakers, []string{"Dmitry Peskov"}) {
		t.Errorf("speakers %q, want [Dmitry Peskov]", a.Speakers)
	}
}
