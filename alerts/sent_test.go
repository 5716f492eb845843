package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/testutil"
	bolt "go.etcd.io/bbolt"
)

// sentIDs returns the article ids of all an alert's deliveries, sorted.
func (e *env) sentIDs(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, d := range e.deliveries(t, id) {
		out = append(out, d.ArticleIDs...)
	}
	slices.Sort(out)
	return out
}

// distinct counts the different webhook-ids in ids.
func distinct(ids []string) int {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}

func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// TestReingestNeverSentTwicePerAlert covers the sent-set per article:
// an article id that comes back with a new sequence (re-ingested, or
// deleted and ingested again) is not sent again to an alert that got it,
// but is sent to an alert that matches it for the first time.
func TestReingestNeverSentTwicePerAlert(t *testing.T) {
	e := newEnv(t, nil)
	ha, hb, hc := newHook(t), newHook(t), newHook(t)
	a := e.create(t, ha, "ukraine", nil)
	b := e.create(t, hb, "grain", nil)
	e.ingest(t, art("x1", "Ukraine story."), art("x2", "Grain from Ukraine."), art("x3", "Weather."))
	// Both alerts in one round: one transaction records x2 for both.
	res, err := e.svc.RunAll(context.Background())
	if err != nil || res.Matches != 3 {
		t.Fatalf("first round: %+v %v", res, err)
	}
	wantIDs(t, "alert a, first round", e.sentIDs(t, a.ID), "x1", "x2")
	wantIDs(t, "alert b, first round", e.sentIDs(t, b.ID), "x2")
	// The first deliveries must have been received before x2 is deleted:
	// a delivery is built when it is sent, and one whose articles are all
	// gone by then sends nothing (under load the sender lost that race and
	// b never got x2).
	testutil.WaitFor(t, "first deliveries", 15*time.Second, func() bool {
		return len(ha.got()) == 2 && len(hb.got()) == 1
	})

	// x1 now also matches b; x2 is deleted and ingested again; x3 now
	// matches a.
	e.ingest(t, art("x1", "Ukraine grain story."))
	if err := e.eng.Delete(context.Background(), "x2"); err != nil {
		t.Fatal(err)
	}
	e.ingest(t, art("x2", "Grain from Ukraine, again."), art("x3", "Weather in Ukraine."))
	c := e.create(t, hc, "story", nil) // created after x1's first ingest
	e.ingest(t, art("x1", "Ukraine grain story, third version."))
	if res, err = e.svc.RunAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "alert a, second round", e.sentIDs(t, a.ID), "x1", "x2", "x3")
	wantIDs(t, "alert b, second round", e.sentIDs(t, b.ID), "x1", "x2")
	wantIDs(t, "alert c (new), second round", e.sentIDs(t, c.ID), "x1")
	if res.Matches != 3 {
		t.Errorf("second round: %d new matches, want 3 (x3 to a, x1 to b, x1 to c)", res.Matches)
	}

	// Everything again, once more: nothing is new to anyone.
	e.ingest(t, art("x1", "Ukraine grain story."), art("x2", "Grain from Ukraine."), art("x3", "Weather in Ukraine."))
	if p, err := e.svc.Preview(context.Background(), a.ID); err != nil || p.TotalNew != 0 {
		t.Fatalf("preview after re-ingest: %+v %v", p, err)
	}
	if res, err = e.svc.RunAll(context.Background()); err != nil || res.Matches != 0 {
		t.Fatalf("third round re-sent: %+v %v", res, err)
	}
	// And the receivers saw each article in one delivery per alert (a
	// retried delivery may arrive twice, with the same webhook-id).
	testutil.WaitFor(t, "deliveries", 15*time.Second, func() bool {
		return len(ha.got()) == 3 && len(hb.got()) == 2 && len(hc.got()) == 1
	})
	for name, h := range map[string]*hook{"a": ha, "b": hb, "c": hc} {
		for id, hooks := range h.got() {
			if n := distinct(hooks); n != 1 {
				t.Errorf("alert %s got %s in %d deliveries", name, id, n)
			}
		}
	}
}

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
	st := &alertState{Version: 3, Watermark: 1 << 33, LastDeliveryStatus: StatusPending, Head: "msg_1"}
	now := time.Now().UTC()
	st.LastRunAt = &now
	back, err := decodeState(st.encode())
	if err != nil || back.Version != 3 || back.Watermark != 1<<33 || !back.LastRunAt.Equal(now) ||
		back.LastDeliveryStatus != StatusPending || back.Head != "msg_1" {
		t.Errorf("state round trip: %+v %v", back, err)
	}
	if _, err := decodeState(st.encode()[:5]); err == nil {
		t.Error("a truncated state must be refused")
	}
}

// writeLayout1 writes alerts, sent-set, delivery index and outbox the way
// the store looked before alert numbers (layout 1).
func writeLayout1(t *testing.T, db *bolt.DB, alerts []*Alert, sent [][2]string, deliveries []*Delivery) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketAlerts, bucketSentV1, bucketByAlertV1, bucketOutbox, bucketQueue} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		for _, a := range alerts {
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
	hb := newHook(t)
	secret, _ := NewSecret()
	hb.secret = secret
	ran := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	mk := func(id string) *Alert {
		return &Alert{ID: id, Name: id, Query: "ukraine", Schedule: "@daily", Timezone: "UTC",
			WebhookURL: hb.srv.URL + "/", Enabled: true, MaxMatchesPerDelivery: 100, CreatedAt: ran,
			LastRunAt: &ran, LastDeliveryStatus: StatusSucceeded, Watermark: w, Version: 2, Secret: secret}
	}
	alA, alB := mk("al_aaaa"), mk("al_bbbb")
	due := time.Now().UTC()
	dl := func(n int, alert *Alert, status string, ids ...string) *Delivery {
		d := &Delivery{ID: fmt.Sprintf("msg_%016xabcdabcd", n), AlertID: alert.ID, Type: EventMatched,
			Alert: AlertRef{ID: alert.ID, Name: alert.Name, Query: alert.Query}, Status: status,
			ArticleIDs: ids, TotalNew: len(ids), CreatedAt: ran}
		if status == StatusPending {
			d.NextAttemptAt = &due
		} else {
			d.Attempts, d.LastStatusCode = 1, 200
		}
		return d
	}
	// a got a1 and a2 in two deliveries; b got a1 and has it pending.
	deliveries := []*Delivery{dl(1, alA, StatusSucceeded, "a1"), dl(2, alA, StatusSucceeded, "a2"), dl(3, alB, StatusPending, "a1")}
	writeLayout1(t, eng.Store().DB(), []*Alert{alA, alB},
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
	svc, err := New(Config{Engine: eng, Logger: quiet, MinInterval: time.Second, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
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
	for _, al := range []*Alert{alA, alB} {
		v, err := svc.Get(al.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Watermark != w || v.LastDeliveryStatus != StatusSucceeded || v.LastRunAt == nil || !v.LastRunAt.Equal(ran) {
			t.Errorf("%s: state not kept: %+v", al.ID, v)
		}
	}
	var ids []string
	for _, d := range e.deliveries(t, alA.ID) {
		ids = append(ids, d.ID)
	}
	wantIDs(t, "deliveries of a, newest first", ids, deliveries[1].ID, deliveries[0].ID)

	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(t.Context())
	// The pending delivery written before the upgrade goes out.
	testutil.WaitFor(t, "the pending layout-1 delivery", 15*time.Second, func() bool { return len(hb.got()["a1"]) > 0 })

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
