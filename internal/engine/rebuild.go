package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

// Rebuild deletes the index and rebuilds it from the store. With an
// extractor in cfg it first re-runs extraction over every stored article
// and merges again, so a newer extractor reaches the whole corpus; values
// the client supplied are kept as they are. It is meant for offline use
// (the server must not be running on the same data). It returns the
// number of articles whose facets changed. ctx is checked between
// batches; it logs through the logger ctx carries, if any.
func Rebuild(ctx context.Context, cfg Config) (changed int, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = logctx.From(ctx, cfg.Logger)
	if ext := cfg.langExtract(); ext != nil {
		st, err := store.Open(StorePath(cfg.DataDir))
		if err != nil {
			return 0, err
		}
		start := time.Now()
		changed, err = st.Rewrite(ctx, cfg.BatchSize, func(a *news.Article) bool {
			before := fmt.Sprint(a.Speakers, a.Countries, a.MainCountries, a.Topics, a.Extracted, a.Language)
			detectLanguage(a)
			x := ext(a.Language, a.Title, a.Body)
			a.Extracted = x.facets()
			a.Merge()
			return fmt.Sprint(a.Speakers, a.Countries, a.MainCountries, a.Topics, a.Extracted, a.Language) != before
		})
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return changed, err
		}
		cfg.Logger.Info("reindex: extraction re-run", "changed", changed, "took", time.Since(start).Round(time.Millisecond))
	}
	if err := os.RemoveAll(IndexPath(cfg.DataDir)); err != nil {
		return changed, fmt.Errorf("engine: remove index: %w", err)
	}
	e, err := OpenContext(ctx, cfg)
	if err != nil {
		return changed, err
	}
	return changed, e.Close()
}
