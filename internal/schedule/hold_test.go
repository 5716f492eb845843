package schedule

import (
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// TestHold: a nil hold is never held; a held one skips and counts
// firings, refuses with a conflict, and on release runs what waited for
// it, once; afterwards everything runs at once.
func TestHold(t *testing.T) {
	var none *Hold
	if held, _ := none.Held(); held || none.Skip() || none.Refuse("x") != nil || none.Release() {
		t.Fatal("a nil hold acts held")
	}
	ran := 0
	none.OnRelease(func() { ran++ })
	if ran != 1 {
		t.Fatal("OnRelease on a nil hold did not run at once")
	}

	h := NewHold("restored")
	if held, why := h.Held(); !held || why != "restored" {
		t.Fatalf("held %v %q", held, why)
	}
	for range 2 {
		if !h.Skip() {
			t.Fatal("a held hold does not skip")
		}
	}
	if h.Skipped() != 2 {
		t.Fatalf("skipped %d, want 2", h.Skipped())
	}
	if err := h.Refuse("webhook sending"); news.ErrorCode(err) != news.ECodeConflict {
		t.Fatalf("refuse: %v, want conflict", err)
	}
	ran = 0
	h.OnRelease(func() { ran++ })
	if ran != 0 {
		t.Fatal("OnRelease ran while held")
	}
	if !h.Release() || ran != 1 {
		t.Fatalf("release: ran %d", ran)
	}
	if h.Release() || ran != 1 || h.Skip() || h.Refuse("x") != nil {
		t.Fatal("still held after release, or ran twice")
	}
}
