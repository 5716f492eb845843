package engine

import (
	"time"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
)

// MaxHistogramBuckets bounds the buckets of a date histogram: spans longer
// than this many months are counted per year instead.
const MaxHistogramBuckets = 36

// Histogram is the number of matches of a search per month (or per year
// when the matches span more than MaxHistogramBuckets months).
type Histogram struct {
	Unit    string             `json:"unit"` // "month" or "year"
	Buckets []index.DateBucket `json:"buckets"`
}

// DateHistogram counts the matches of p (query, filters, date bounds;
// sort, size and cursor are ignored) per calendar month in UTC, from the
// month of the oldest match (or p.From) to that of the newest (or p.To).
// It costs three cheap searches without hits: the two date bounds and one
// with a date range facet.
func (e *Engine) DateHistogram(p SearchParams) (*Histogram, error) {
	node := p.Parsed
	if node == nil {
		n, err := query.Parse(p.Q)
		if err != nil {
			return nil, err
		}
		node = n
	}
	req := index.Request{Query: node, Filters: p.Filters, From: p.From, To: p.To, SeqAfter: p.SeqAfter, SeqUpTo: p.SeqUpTo}
	oldest, newest, ok, err := e.index.DateBounds(req)
	if err != nil {
		return nil, err
	}
	h := &Histogram{Unit: "month", Buckets: []index.DateBucket{}}
	if !ok {
		return h, nil
	}
	if !p.From.IsZero() {
		oldest = p.From
	}
	if !p.To.IsZero() {
		newest = p.To.Add(-time.Nanosecond)
	}
	oldest, newest = oldest.UTC(), newest.UTC()
	start := time.Date(oldest.Year(), oldest.Month(), 1, 0, 0, 0, 0, time.UTC)
	months := (newest.Year()-start.Year())*12 + int(newest.Month()-start.Month()) + 1
	step := func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	if months > MaxHistogramBuckets {
		h.Unit = "year"
		start = time.Date(oldest.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		step = func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	}
	for t := start; !t.After(newest) && len(h.Buckets) < 400; t = step(t) {
		h.Buckets = append(h.Buckets, index.DateBucket{Start: t, End: step(t)})
	}
	h.Buckets, err = e.index.DateHistogram(req, h.Buckets)
	if err != nil {
		return nil, err
	}
	return h, nil
}
