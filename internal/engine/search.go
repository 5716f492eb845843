package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// Search defaults and limits.
const (
	DefaultSize      = 20
	DefaultFacetSize = 10
	MaxFacetSize     = 100
	snippetWidth     = 240
)

// SearchParams is a search as the API and the alert runner ask for it.
type SearchParams struct {
	Q         string
	Parsed    query.Node // used instead of Q when set
	Filters   index.Filters
	From, To  time.Time // article date: From inclusive, To exclusive
	SeqAfter  uint64    // only articles ingested after this sequence...
	SeqUpTo   uint64    // ...and up to this one (inclusive)
	Sort      string
	Size      int
	Cursor    string
	FacetSize int
	Histogram bool // also count the matches per month (SearchResult.Histogram)
	// Collapse returns one hit per story (its best-ranked copy, with the
	// story's copies and sources); the total and facet counts then count
	// stories.
	Collapse bool
	// Now is what "now" means in the query's relative dates
	// (date:>now-7d); zero: the time of the call.
	Now time.Time
}

// SearchHit is one hit: the article's summary and its score.
type SearchHit struct {
	news.Summary
	Score float64 `json:"score"`
	Seq   uint64  `json:"-"`
	// Story is the hit's story, in a collapsed search only.
	Story *HitStory `json:"story,omitempty"`
}

// HitStory is the story of a collapsed search's hit: its id (for the
// query story:ID, which lists the copies), the number of its copies that
// match, and their sources (at most index.MaxStorySources).
type HitStory struct {
	ID      string   `json:"id"`
	Copies  int      `json:"copies"`
	Sources []string `json:"sources"`
}

// SearchResult is the API's search response.
type SearchResult struct {
	Total      uint64                        `json:"total"`
	TookMS     float64                       `json:"took_ms"`
	Hits       []SearchHit                   `json:"hits"`
	Facets     map[string][]index.FacetValue `json:"facets,omitempty"`
	NextCursor string                        `json:"next_cursor,omitempty"`
	Histogram  *Histogram                    `json:"-"`
}

type cursor struct {
	Sort string   `json:"s"`
	Key  []string `json:"k"`
}

func encodeCursor(sort string, key []string) string {
	b, _ := json.Marshal(cursor{Sort: sort, Key: key})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(sort, s string) ([]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 4096 {
		return nil, news.Errorf(news.ECodeInvalid, "cursor is malformed")
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || len(c.Key) != 2 {
		return nil, news.Errorf(news.ECodeInvalid, "cursor is malformed")
	}
	if c.Sort != sort {
		return nil, news.Errorf(news.ECodeInvalid, "cursor was made for sort %q, not %q", c.Sort, sort)
	}
	return c.Key, nil
}

// Search parses the query, runs it with filters and facets, and joins the
// hits with the stored articles for titles, entities and snippets. The
// query is checked against the engine's Limits before it runs
// (news.ECodeQueryBroad). The search runs under ctx: past its deadline
// the error is news.ECodeTimeout; cancelled, it is ctx's error, wrapped.
func (e *Engine) Search(ctx context.Context, p SearchParams) (*SearchResult, error) {
	start := time.Now()
	if p.Sort == "" {
		p.Sort = index.SortRelevance
	}
	if p.Size < 0 || p.Size > index.MaxSize {
		return nil, news.Errorf(news.ECodeInvalid, "size must be between 0 and %d", index.MaxSize)
	}
	if p.FacetSize < 0 || p.FacetSize > MaxFacetSize {
		return nil, news.Errorf(news.ECodeInvalid, "facet_size must be between 0 and %d", MaxFacetSize)
	}
	node, req, err := e.request(p)
	if err != nil {
		return nil, err
	}
	req.Size, req.FacetSize, req.Months = p.Size+1, p.FacetSize, p.Histogram
	if p.Size == 0 {
		req.Size = 0
	}
	res, err := e.index.Search(ctx, req)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, &news.Error{Code: news.ECodeTimeout, Message: "the search ran out of time; try a narrower query", Err: err}
	}
	if err != nil {
		return nil, err
	}
	return e.hits(ctx, node, p, res, start)
}

// request parses p's query (unless p.Parsed is set), checks its filters
// against the budget and builds the index request without size, facets
// or months, with p's cursor decoded.
func (e *Engine) request(p SearchParams) (query.Node, index.Request, error) {
	node := p.Parsed
	if node == nil {
		now := p.Now
		if now.IsZero() {
			now = time.Now()
		}
		n, err := query.ParseWith(p.Q, query.Options{Limits: e.limits, Now: now})
		if err != nil {
			return nil, index.Request{}, err
		}
		node = n
	}
	if n := len(p.Filters.Speakers) + len(p.Filters.Countries) + len(p.Filters.MainCountries) + len(p.Filters.Topics) + len(p.Filters.Sources) + len(p.Filters.Languages); n > e.limits.MaxClauses {
		return nil, index.Request{}, news.Errorf(news.ECodeQueryBroad, "%d filter values; at most %d", n, e.limits.MaxClauses)
	}
	req := index.Request{
		Query: node, Filters: p.Filters, From: p.From, To: p.To,
		SeqAfter: p.SeqAfter, SeqUpTo: p.SeqUpTo, Sort: p.Sort, Limits: e.limits, Collapse: p.Collapse,
	}
	if p.Cursor != "" {
		key, err := decodeCursor(p.Sort, p.Cursor)
		if err != nil {
			return nil, index.Request{}, err
		}
		req.After = key
	}
	return node, req, nil
}

// hits loads the stored fields of a page of hits and builds the answer.
func (e *Engine) hits(ctx context.Context, node query.Node, p SearchParams, res *index.Result, start time.Time) (*SearchResult, error) {
	out := &SearchResult{Total: res.Total, Facets: res.Facets, Hits: []SearchHit{}}
	if p.Histogram {
		out.Histogram = histogram(res.Months, p.From, p.To)
	}
	hits := res.Hits
	if len(hits) > p.Size {
		hits = hits[:p.Size]
		out.NextCursor = encodeCursor(p.Sort, hits[len(hits)-1].Cursor)
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	arts, err := e.articles.Get(ctx, ids)
	if err != nil {
		return nil, err
	}
	hl := e.index.Highlighter(node, "body")
	for i, h := range hits {
		a := arts[i]
		if a == nil {
			// deleted between the index read and the store read
			continue
		}
		hit := SearchHit{Summary: a.Summary(hl.Lang(a.Language).Snippet(a.Body, snippetWidth)), Score: h.Score, Seq: a.Seq}
		if p.Collapse {
			hit.Story = &HitStory{ID: h.Story, Copies: h.Copies, Sources: h.Sources}
			if hit.Story.Sources == nil {
				hit.Story.Sources = []string{}
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	out.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}
