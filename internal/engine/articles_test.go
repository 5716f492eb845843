package engine

import (
	"context"
	"errors"
	"testing"
)

// TestArticles: the stored articles come back in the order asked, nil
// for an id not stored (never stored, or deleted), and a cancelled
// context reads nothing.
func TestArticles(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	defer e.Close()
	ctx := context.Background()
	if _, _, err := e.Ingest(ctx, articles(3, "harbour")); err != nil {
		t.Fatal(err)
	}
	if err := e.Delete(ctx, "harbour-1"); err != nil {
		t.Fatal(err)
	}
	got, err := e.Articles(ctx, []string{"harbour-2", "nope", "harbour-0", "harbour-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] == nil || got[0].ID != "harbour-2" || got[1] != nil || got[2] == nil || got[2].ID != "harbour-0" || got[3] != nil {
		t.Fatalf("got %v", got)
	}
	if got[0].Body != "harbour story number 2." {
		t.Errorf("body %q", got[0].Body)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Articles(cctx, []string{"harbour-0"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
