package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/testutil"
	bolt "go.etcd.io/bbolt"
)

func TestSentRecordEncoding(t *testing.T) {
	for _, nums := range [][]uint64{nil, {1}, {1, 2, 3}, {5, 300, 70000, 1 << 40}} {
		got, err := decodeNums(encodeNums(nums))
		if err != nil || !slices.Equal(got, nums) && len(nums) > 0 {
			t.Errorf("%v: round trip gave %v %v", nums, got, err)
		}
	}
	if _, err := decodeNums([]byte{3, 0}); err == nil {
		t.Error("a zero delta (a repeated number) must be refused")
	}
	if _, err := decodeNums([]byte{0x80}); err == nil {
		t.Error("a truncated varint must be refused")
	}
	if got := mergeNums([]uint64{1, 4, 9}, []uint64{2, 4, 10}); !slices.Equal(got, []uint64{1, 2, 4, 9, 10}) {
		t.Errorf("merge: %v", got)
	}
	st := &alertState{Version: 3, Watermark: 1 << 33, LastDeliveryStatus: alerts.StatusPending, Head: "msg_1"}
	now := time.Now().UTC()
	st.LastRunAt = &now
	back, err := decodeState(st.encode())
	if err != nil || back.Version != 3 || back.Watermark != 1<<33 || !back.LastRunAt.Equal(now) ||
		back.LastDeliveryStatus != alerts.StatusPending || back.Head != "msg_1" {
		t.Errorf("state round trip: %+v %v", back, err)
	}
	if _, err := decodeState(st.encode()[:5]); err == nil {
		t.Error("a truncated state must be refused")
	}
}

// writeLayout1 writes alerts, sent-set, delivery index and outbox the way
// the store looked before alert numbers (layout 1).
func writeLayout1(t *testing.T, db *bolt.DB, as []*alerts.Alert, sent [][2]string, deliveries []*alerts.Delivery) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketAlerts, bucketSentV1, bucketByAlertV1, bucketOutbox, bucketQueue} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		for _, a := range as {
			buf, _ := json.Marshal(a) // Num 0: not in the JSON
			if err := tx.Bucket(bucketAlerts).Put([]byte(a.ID), buf); err != nil {
				return err
			}
		}
		for _, s := range sent {
			if err := tx.Bucket(bucketSentV1).Put([]byte(s[0]+"\x00"+s[1]), nil); err != nil {
				return err
			}
		}
		for _, d := range deliveries {
			buf, _ := json.Marshal(d)
			if err := tx.Bucket(bucketOutbox).Put([]byte(d.ID), buf); err != nil {
				return err
			}
			if err := tx.Bucket(bucketByAlertV1).Put([]byte(d.AlertID+"\x00"+d.ID), nil); err != nil {
				return err
			}
			if d.NextAttemptAt != nil {
				if err := tx.Bucket(bucketQueue).Put(queueKey(*d.NextAttemptAt, d.ID), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateLayout1 upgrades a store written before alert numbers: the
// articles sent before the upgrade are not sent again when re-ingested,
// watermarks and delivery history are kept, a pending delivery is still
// delivered. With batches of one and two keys (each its own transaction)
// and with a migration cut off at every batch of one key and started
// again, the outcome is the same.
func TestMigrateLayout1(t *testing.T) {
	for _, batch := range []int{1, 2, migrateBatch} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) { testMigrateLayout1(t, batch, 0) })
	}
	// The layout-1 store below has 3 delivery-index keys and 4 sent keys.
	for cut := 1; cut <= 4; cut++ {
		t.Run(fmt.Sprintf("cut-at-batch-%d", cut), func(t *testing.T) { testMigrateLayout1(t, 1, cut) })
	}
}

// failAt makes the cut-th batch of a migration step fail, which rolls its
// transaction back as a crash before its commit would.
func failAt(cut int, move func(*v1Batch, [][]byte) error) func(*v1Batch, [][]byte) error {
	n := 0
	return func(b *v1Batch, keys [][]byte) error {
		if n++; n == cut {
			return errors.New("cut off")
		}
		return move(b, keys)
	}
}

func testMigrateLayout1(t *testing.T, batch, cut int) {
	eng, err := engine.Open(engine.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	e := &env{eng: eng}
	e.ingest(t, art("a1", "Ukraine one."), art("a2", "Ukraine two."), art("a3", "Weather."))
	w := eng.IndexedSeq()
	hb := testutil.NewReceiver(t, nil)
	secret, _ := alerts.NewSecret()
	ran := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	mk := func(id string) *alerts.Alert {
		return &alerts.Alert{Info: alerts.Info{ID: id, Name: id, Query: "ukraine", Schedule: "@daily", Timezone: "UTC",
			WebhookURL: hb.URL + "/", Enabled: true, MaxMatchesPerDelivery: 100},
			Progress: alerts.Progress{CreatedAt: ran, LastRunAt: &ran, LastDeliveryStatus: alerts.StatusSucceeded, Watermark: w},
			Version:  2, Secret: secret}
	}
	alA, alB := mk("al_aaaa"), mk("al_bbbb")
	due := time.Now().UTC()
	dl := func(n int, alert *alerts.Alert, status string, ids ...string) *alerts.Delivery {
		d := &alerts.Delivery{ID: fmt.Sprintf("msg_%016xabcdabcd", n), AlertID: alert.ID, Type: alerts.EventMatched,
			Alert: alerts.AlertRef{ID: alert.ID, Name: alert.Name, Query: alert.Query}, Status: status,
			ArticleIDs: ids, TotalNew: len(ids), CreatedAt: ran}
		if status == alerts.StatusPending {
			d.NextAttemptAt = &due
		} else {
			d.Attempts, d.LastStatusCode = 1, 200
		}
		return d
	}
	// a got a1 and a2 in two deliveries; b got a1 and has it pending.
	deliveries := []*alerts.Delivery{dl(1, alA, alerts.StatusSucceeded, "a1"), dl(2, alA, alerts.StatusSucceeded, "a2"), dl(3, alB, alerts.StatusPending, "a1")}
	writeLayout1(t, eng.Store().DB(), []*alerts.Alert{alA, alB},
		[][2]string{{alA.ID, "a1"}, {alA.ID, "a2"}, {alB.ID, "a1"}, {"al_gone", "a2"}}, deliveries)

	db := eng.Store().DB()
	if err := createBuckets(db); err != nil {
		t.Fatal(err)
	}
	if cut > 0 {
		// Both steps stop at their cut-th batch, with the batches before
		// it committed; New below migrates again from there.
		if _, err := numberAlerts(db); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			bucket []byte
			move   func(*v1Batch, [][]byte) error
		}{{bucketByAlertV1, chainDeliveries}, {bucketSentV1, moveSent}} {
			_, _ = migrateV1(db, step.bucket, batch, failAt(cut, step.move))
		}
		if err := db.View(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketSentV1) == nil {
				t.Fatalf("nothing left to resume after a cut at batch %d", cut)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	} else if err := migrate(db, quiet, batch); err != nil {
		t.Fatal(err)
	}
	st, err := New(context.Background(), eng.Store(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := alerts.New(alerts.Config{Store: st, Engine: eng, Logger: quiet, MinInterval: time.Second, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RetrySchedule: []time.Duration{0}, Timeout: 2 * time.Second, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	if err := eng.Store().DB().View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSentV1) != nil || tx.Bucket(bucketByAlertV1) != nil {
			t.Error("layout-1 buckets are still there")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, al := range []*alerts.Alert{alA, alB} {
		v, err := svc.Get(context.Background(), al.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Watermark != w || v.LastDeliveryStatus != alerts.StatusSucceeded || v.LastRunAt == nil || !v.LastRunAt.Equal(ran) {
			t.Errorf("%s: state not kept: %+v", al.ID, v)
		}
	}
	var ids []string
	for _, d := range e.deliveries(t, alA.ID) {
		ids = append(ids, d.ID)
		if d.Target != alerts.TargetWebhook {
			t.Errorf("delivery %s stored without a target reads as target %q, want webhook", d.ID, d.Target)
		}
	}
	wantIDs(t, "deliveries of a, newest first", ids, deliveries[1].ID, deliveries[0].ID)

	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(t.Context())
	// The pending delivery written before the upgrade goes out.
	testutil.WaitFor(t, "the pending layout-1 delivery", 15*time.Second, func() bool { return len(sentArticles(hb)["a1"]) > 0 })

	// Re-ingested after the upgrade: not sent again to whom got it.
	e.ingest(t, art("a1", "Ukraine one, updated."), art("a2", "Ukraine two, updated."), art("a4", "Ukraine four."))
	if _, err := svc.RunAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "alert a after the upgrade", e.sentIDs(t, alA.ID), "a1", "a2", "a4")
	wantIDs(t, "alert b after the upgrade", e.sentIDs(t, alB.ID), "a1", "a2", "a4")
	if ds := e.deliveries(t, alA.ID); len(ds) != 3 || ds[1].ID != deliveries[1].ID {
		t.Errorf("the new delivery does not head the chain: %d deliveries", len(ds))
	}

	// Deleting an alert removes its deliveries, old and new.
	if err := svc.Delete(context.Background(), alA.ID); err != nil {
		t.Fatal(err)
	}
	if err := eng.Store().DB().View(func(tx *bolt.Tx) error {
		for _, d := range deliveries[:2] {
			if tx.Bucket(bucketOutbox).Get([]byte(d.ID)) != nil {
				t.Errorf("delivery %s of the deleted alert is still in the outbox", d.ID)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
