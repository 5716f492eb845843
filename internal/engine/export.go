package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/internal/news"
)

// An export asks the index for exportPage hits at a time (each page
// walks the matches again, so pages are large) and loads them from the
// store exportLoad at a time: what it holds, whatever its total, is one
// page of sort keys and one load of articles.
const (
	exportPage = 10_000
	exportLoad = 500
)

// ExportResult says what an export covered.
type ExportResult struct {
	Total    uint64 // matches when it started
	Exported int    // articles handed to the callback
	UpToSeq  uint64 // the last ingest sequence it could see
}

// Export hands every article matching p to fn, in date order (p.Sort
// newest, the default, or oldest), one page of the index at a time: it
// never holds more than one page of articles however many match. It sees
// the articles indexed when it starts (later ones are left out, so a
// page boundary can't shift under it); one deleted meanwhile is skipped.
// It stops with ctx's error when ctx is done (the client left) and with
// fn's error when fn fails. p.Size, when set, is the index page size
// (tests use small pages); p.Cursor is not used.
func (e *Engine) Export(ctx context.Context, p SearchParams, fn func(*news.Article) error) (ExportResult, error) {
	switch p.Sort {
	case "":
		p.Sort = index.SortNewest
	case index.SortNewest, index.SortOldest:
	default:
		return ExportResult{}, news.Errorf(news.ECodeInvalid, "an export is in date order: sort must be newest or oldest, not %q", p.Sort)
	}
	out := ExportResult{UpToSeq: e.IndexedSeq()}
	if p.SeqUpTo == 0 || p.SeqUpTo > out.UpToSeq {
		p.SeqUpTo = out.UpToSeq
	}
	_, req, err := e.request(p)
	if err != nil {
		return out, err
	}
	if out.UpToSeq == 0 {
		return out, nil // nothing indexed yet
	}
	req.Size, req.After = exportPage, nil
	if p.Size > 0 && p.Size < exportPage {
		req.Size = p.Size
	}
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("engine: export stopped after %d articles: %w", out.Exported, err)
		}
		res, err := e.index.Search(ctx, req)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && first {
				return out, &news.Error{Code: news.ECodeTimeout, Message: "the export's first page ran out of time; try a narrower query", Err: err}
			}
			return out, fmt.Errorf("engine: export page after %d articles: %w", out.Exported, err)
		}
		if first {
			out.Total = res.Total
		}
		ids := make([]string, 0, exportLoad)
		for i := 0; i < len(res.Hits); i += exportLoad {
			ids = ids[:0]
			for _, h := range res.Hits[i:min(i+exportLoad, len(res.Hits))] {
				ids = append(ids, h.ID)
			}
			arts, err := e.articles.Get(ctx, ids)
			if err != nil {
				return out, fmt.Errorf("engine: export: %w", err)
			}
			for _, a := range arts {
				if a == nil {
					continue // deleted since the index read
				}
				if err := fn(a); err != nil {
					return out, err
				}
				out.Exported++
			}
			if err := ctx.Err(); err != nil {
				return out, fmt.Errorf("engine: export stopped after %d articles: %w", out.Exported, err)
			}
		}
		if len(res.Hits) < req.Size {
			return out, nil
		}
		req.After = res.Hits[len(res.Hits)-1].Cursor
	}
}
