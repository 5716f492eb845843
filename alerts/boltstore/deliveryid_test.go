package boltstore

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/store"
)

// Two replicas that apply the same commands make the same delivery ids
// (the webhook-ids receivers see): in cluster mode every node folds the
// same CommitRun into its own file, and a delivery must be one delivery
// everywhere. The ids still sort in creation order and keep the old
// shape.
func TestDeliveryIDsAreDerivedFromTheCommit(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	replica := func() []string {
		db, err := store.Open(filepath.Join(t.TempDir(), "a.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		st, err := New(ctx, db, quiet)
		if err != nil {
			t.Fatal(err)
		}
		a := &alerts.Alert{Info: alerts.Info{ID: "al_a", Name: "a", Query: "q", MaxMatchesPerDelivery: 2},
			Progress: alerts.Progress{CreatedAt: base, Watermark: 10}, Version: 1}
		if err := st.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		for i, ids := range [][]string{{"x1", "x2", "x3"}, {"y1"}} {
			cur, err := st.Get(ctx, "al_a")
			if err != nil {
				t.Fatal(err)
			}
			outs, err := st.CommitRun(ctx, base.Add(time.Duration(i)*time.Minute), 20+uint64(i), []alerts.RunCommit{{Alert: cur, Matches: ids}})
			if err != nil || outs[0].Err != nil {
				t.Fatalf("commit %d: %v %+v", i, err, outs)
			}
		}
		ds, err := st.Deliveries(ctx, "al_a", 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	one, two := replica(), replica()
	if len(one) != 3 || !slices.Equal(one, two) {
		t.Fatalf("replicas made ids %v and %v, want the same three", one, two)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(one)))) != 3 {
		t.Errorf("ids %v repeat", one)
	}
	// Newest first, so descending; the old shape, msg_ and 24 hex digits.
	if !slices.IsSortedFunc(one, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("ids %v (newest first) do not sort in creation order", one)
	}
	for _, id := range one {
		if !strings.HasPrefix(id, "msg_") || len(id) != 4+24 {
			t.Errorf("id %q: want msg_ and 24 hex digits", id)
		}
	}
}
