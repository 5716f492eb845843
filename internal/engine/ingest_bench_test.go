package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// BenchmarkIngest ingests b.N articles of about 1 KB in calls of 1,000
// into a fresh engine (bbolt log, Bleve index, no extraction).
func BenchmarkIngest(b *testing.B) {
	e, err := Open(Config{DataDir: b.TempDir(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	body := ""
	for len(body) < 1000 {
		body += "The minister said the talks on grain exports would resume next week in Istanbul. "
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += 1000 {
		n := min(1000, b.N-i)
		arts := make([]*news.Article, n)
		for k := range arts {
			arts[k] = &news.Article{ID: fmt.Sprintf("bench-%d", i+k), Title: fmt.Sprintf("Story %d", i+k), Body: body}
		}
		if _, _, err := e.Ingest(context.Background(), arts); err != nil {
			b.Fatal(err)
		}
	}
}
