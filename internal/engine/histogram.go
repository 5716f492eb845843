package engine

import (
	"context"
	"time"

	"github.com/watchword/watchword/index"
)

// MaxHistogramBuckets bounds the buckets of a date histogram: spans longer
// than this many months are counted per year instead.
const MaxHistogramBuckets = 36

// DateBucket is one bucket of a date histogram: the matches dated in
// [Start, End).
type DateBucket struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Count int       `json:"count"`
}

// Histogram is the number of matches of a search per month (or per year
// when the matches span more than MaxHistogramBuckets months).
type Histogram struct {
	Unit    string       `json:"unit"` // "month" or "year"
	Buckets []DateBucket `json:"buckets"`
}

// DateHistogram counts the matches of p (query, filters, date bounds;
// sort, size and cursor are ignored) per calendar month in UTC, from the
// month of the oldest match (or p.From) to that of the newest (or p.To).
func (e *Engine) DateHistogram(ctx context.Context, p SearchParams) (*Histogram, error) {
	p.Size, p.Cursor, p.FacetSize, p.Sort, p.Histogram = 0, "", 0, index.SortNewest, true
	res, err := e.Search(ctx, p)
	if err != nil {
		return nil, err
	}
	return res.Histogram, nil
}

// histogram turns the month counts of a search into buckets spanning the
// matches (or the asked date range).
func histogram(months []index.MonthCount, from, to time.Time) *Histogram {
	h := &Histogram{Unit: "month", Buckets: []DateBucket{}}
	if len(months) == 0 {
		return h
	}
	oldest, newest := months[0].Month, months[len(months)-1].Month
	if !from.IsZero() {
		oldest = from
	}
	if !to.IsZero() {
		newest = to.Add(-time.Nanosecond)
	}
	oldest, newest = oldest.UTC(), newest.UTC()
	start := time.Date(oldest.Year(), oldest.Month(), 1, 0, 0, 0, 0, time.UTC)
	span := (newest.Year()-start.Year())*12 + int(newest.Month()-start.Month()) + 1
	step := func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	if span > MaxHistogramBuckets {
		h.Unit = "year"
		start = time.Date(oldest.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		step = func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	}
	for t := start; !t.After(newest) && len(h.Buckets) < 400; t = step(t) {
		h.Buckets = append(h.Buckets, DateBucket{Start: t, End: step(t)})
	}
	i := 0
	for _, m := range months {
		for i < len(h.Buckets) && !m.Month.Before(h.Buckets[i].End) {
			i++
		}
		if i == len(h.Buckets) {
			break
		}
		if !m.Month.Before(h.Buckets[i].Start) {
			h.Buckets[i].Count += m.Count
		}
	}
	return h
}
