package engine

import (
	"context"
	"fmt"

	"github.com/watchword/watchword/index"
)

// Speakers returns every value of the speaker facet in the archive with
// the number of articles that have it, most frequent first. The server
// hands them to the extractor at start as the known Latin forms of names
// (internal/extract/names.go).
func (e *Engine) Speakers(ctx context.Context) ([]index.FacetValue, error) {
	res, err := e.index.Search(ctx, index.Request{Sort: index.SortUnordered, FacetSize: 1 << 30})
	if err != nil {
		return nil, fmt.Errorf("engine: speakers: %w", err)
	}
	return res.Facets["speakers"], nil
}
