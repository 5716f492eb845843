package engine

// What the web layer needs from the engine beyond ingest, search and
// delete: the index's types under the engine's name (so web imports
// neither index nor index/query), query highlighting for the article
// page, readiness and the numbers of the metrics, and the online backup.

import (
	"context"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
)

// The index's search types, as the engine's callers name them.
type (
	// Filters restricts a search to facet values (index.Filters).
	Filters = index.Filters
	// FilterValue is one facet value of a filter (index.FilterValue).
	FilterValue = index.FilterValue
	// FacetValue is one facet value and its count (index.FacetValue).
	FacetValue = index.FacetValue
	// QueryNode is a parsed query (query.Node).
	QueryNode = query.Node
	// Limits is a query budget (query.Limits).
	Limits = query.Limits
)

// Sort orders and the largest page of a search.
const (
	SortRelevance = index.SortRelevance
	SortNewest    = index.SortNewest
	SortOldest    = index.SortOldest
	MaxSize       = index.MaxSize
)

// FoldFacet is the form two facet values are compared in ("russia" for
// "Russia"): values with the same fold are the same filter.
func FoldFacet(v string) string { return index.FoldFacet(v) }

// Marker marks the words of one query in an article's fields. The nil
// Marker (no query) marks nothing and only escapes.
type Marker struct {
	ix   *index.Index
	node query.Node
	hls  map[string]*index.Highlighter
}

// Marker parses q (relative dates against now, under the engine's query
// budget) and returns its marker; nil when q is blank or does not parse,
// since a page showing an article has nothing to mark then.
func (e *Engine) Marker(q string, now time.Time) *Marker {
	if strings.TrimSpace(q) == "" {
		return nil
	}
	n, err := query.ParseWith(q, query.Options{Limits: e.limits, Now: now})
	if err != nil {
		return nil
	}
	return &Marker{ix: e.index, node: n, hls: map[string]*index.Highlighter{}}
}

func (m *Marker) highlighter(field string) *index.Highlighter {
	h, ok := m.hls[field]
	if !ok {
		h = m.ix.Highlighter(m.node, field)
		m.hls[field] = h
	}
	return h
}

// Highlight returns text HTML-escaped with the query's words in field
// ("title" or "body") wrapped in <mark>: safe HTML.
func (m *Marker) Highlight(field, text string) string {
	if m == nil {
		return html.EscapeString(text)
	}
	return m.highlighter(field).Highlight(text)
}

// HighlightIn is Highlight for a text in language (a BCP 47 tag): it
// also marks the forms that language's analysis matched, as the search
// did (Пескова marks Песков in a Russian article).
func (m *Marker) HighlightIn(field, language, text string) string {
	if m == nil {
		return html.EscapeString(text)
	}
	return m.highlighter(field).Lang(language).Highlight(text)
}

// DocCount is the number of searchable articles.
func (e *Engine) DocCount(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("engine: doc count: %w", context.Cause(ctx))
	}
	return e.index.DocCount()
}

// LastSeq is the article log's highest sequence: IndexedSeq reaches it
// once every change is searchable.
func (e *Engine) LastSeq(ctx context.Context) (uint64, error) {
	return e.articles.LastSeq(ctx)
}

// Count is the number of stored articles.
func (e *Engine) Count(ctx context.Context) (int, error) {
	return e.articles.Count(ctx)
}

// Health checks that the article log and the index answer, and returns
// the log's highest sequence; the error says which of them failed.
func (e *Engine) Health(ctx context.Context) (lastSeq uint64, err error) {
	last, err := e.articles.LastSeq(ctx)
	if err != nil {
		return 0, fmt.Errorf("store is not available: %w", err)
	}
	if _, err := e.index.LastSeq(); err != nil {
		return 0, fmt.Errorf("index is not available: %w", err)
	}
	return last, nil
}

// Backup writes a consistent copy of the store file, taken while writes
// go on (store.Store.Backup): begin gets the size and returns where to
// write. The index is not in it: it is rebuilt from the store on the
// first start after a restore.
func (e *Engine) Backup(ctx context.Context, begin func(size int64) (io.Writer, error)) (int64, error) {
	return e.store.Backup(ctx, begin)
}
