package engine

import (
	"context"
	"testing"
	"time"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/internal/news"
)

func TestDateHistogram(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var arts []*news.Article
	for i, d := range []string{"2025-01-05", "2025-03-01", "2025-03-31", "2025-05-20"} {
		src := "A"
		if i == 3 {
			src = "B"
		}
		arts = append(arts, &news.Article{Title: "t" + d, Body: "harbour story " + d, Date: day(d), Source: src})
	}
	arts = append(arts, &news.Article{Title: "other", Body: "unrelated", Date: day("2030-01-01")})
	if _, rej, err := e.Ingest(context.Background(), arts); err != nil || len(rej) > 0 {
		t.Fatal(err, rej)
	}
	counts := func(h *Histogram) []int {
		var out []int
		for _, b := range h.Buckets {
			out = append(out, b.Count)
		}
		return out
	}
	h, err := e.DateHistogram(context.Background(), SearchParams{Q: "harbour"})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(h); h.Unit != "month" || len(got) != 5 || got[0] != 1 || got[1] != 0 || got[2] != 2 || got[3] != 0 || got[4] != 1 {
		t.Errorf("months: %s %v", h.Unit, got)
	}
	if !h.Buckets[0].Start.Equal(day("2025-01-01")) || !h.Buckets[4].End.Equal(day("2025-06-01")) {
		t.Errorf("bounds %v – %v", h.Buckets[0].Start, h.Buckets[4].End)
	}
	// Filters and from/to apply; from/to set the range.
	h, err = e.DateHistogram(context.Background(), SearchParams{Q: "harbour", Filters: index.Filters{Sources: []string{"A"}}, From: day("2025-02-01"), To: day("2025-04-01")})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(h); len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Errorf("filtered: %v", got)
	}
	// Long spans are counted per year.
	h, err = e.DateHistogram(context.Background(), SearchParams{Q: ""})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(h); h.Unit != "year" || len(got) != 6 || got[0] != 4 || got[5] != 1 {
		t.Errorf("years: %s %v", h.Unit, got)
	}
	// No match: no buckets; a syntax error is returned as such.
	if h, err = e.DateHistogram(context.Background(), SearchParams{Q: "nothingmatches"}); err != nil || len(h.Buckets) != 0 {
		t.Errorf("no match: %v %v", h, err)
	}
	if _, err = e.DateHistogram(context.Background(), SearchParams{Q: "a AND ("}); news.ErrorCode(err) != news.ECodeQuerySyntax {
		t.Errorf("syntax error: %v", err)
	}
}
