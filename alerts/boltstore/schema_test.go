package boltstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/store"
	bolt "go.etcd.io/bbolt"
)

// Registered with the store's registry, the schema migrates a layout-1
// file once and records version 1; the alerts then open numbered, with
// their sent records per article, and the layout-1 buckets are gone and
// not created again by a second registration.
func TestSchemaRegistersAndMigrates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "watchword.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ran := time.Now().UTC().Truncate(time.Second)
	a := &alerts.Alert{Info: alerts.Info{ID: "al_one", Name: "one", Query: "ukraine", Schedule: "@daily", Timezone: "UTC",
		WebhookURL: "https://r.example/", Enabled: true, MaxMatchesPerDelivery: 10},
		Progress: alerts.Progress{CreatedAt: ran, Watermark: 7}, Version: 1, Secret: "whsec_AAAA"}
	writeLayout1(t, st.DB(), []*alerts.Alert{a}, [][2]string{{a.ID, "art1"}}, nil)

	if err := st.Register(ctx, Schema()); err != nil {
		t.Fatal(err)
	}
	if v, err := st.SchemaVersion(ctx, "alerts"); err != nil || v != 1 {
		t.Fatalf("recorded version %d %v, want 1", v, err)
	}
	layout1 := func() (found []string) {
		_ = st.DB().View(func(tx *bolt.Tx) error {
			for _, b := range [][]byte{bucketSentV1, bucketByAlertV1} {
				if tx.Bucket(b) != nil {
					found = append(found, string(b))
				}
			}
			return nil
		})
		return found
	}
	if f := layout1(); len(f) > 0 {
		t.Errorf("layout-1 buckets left after the migration: %v", f)
	}
	as, err := New(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	got, err := as.Get(ctx, a.ID)
	if err != nil || got.Num == 0 || got.Watermark != 7 {
		t.Fatalf("after the migration: %+v %v, want a number and watermark 7", got, err)
	}
	if unsent, err := as.Unsent(ctx, got, []string{"art1", "art2"}); err != nil || len(unsent) != 1 || unsent[0] != "art2" {
		t.Errorf("unsent %v %v: art1 was sent before the upgrade", unsent, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// A restart registers again: nothing to migrate, no layout-1 bucket
	// created.
	if st, err = store.Open(path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Register(ctx, Schema()); err != nil {
		t.Fatal(err)
	}
	if f := layout1(); len(f) > 0 {
		t.Errorf("a second registration created %v", f)
	}
}
