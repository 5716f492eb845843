package boltstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
	bolt "go.etcd.io/bbolt"
)

// Buckets kept in the store's bbolt file, next to the articles.
//
// An evaluation round writes, in one transaction, a delivery per chunk of
// matches, one sent record per matched article and one state record per
// alert. The layout keeps that write small on a grown store: deliveries
// and their queue entries are appended at the right edge of their
// B+trees, the sent-set costs one record per article (not one key per
// alert and article), and the per-run state of an alert is a few dozen
// bytes apart from its definition.
var (
	bucketAlerts = []byte("alerts")        // alert id -> alerts.Alert JSON (definition)
	bucketState  = []byte("alerts_state")  // alert number (8 bytes BE) -> alertState
	bucketSent   = []byte("alerts_sent_a") // article id -> numbers of the alerts it was sent to
	bucketOutbox = []byte("alerts_outbox") // delivery id -> storedDelivery JSON
	// Layout 1 (before alert numbers), migrated by Schema's migration:
	bucketSentV1    = []byte("alerts_sent")     // alert id \x00 article id -> empty
	bucketByAlertV1 = []byte("alerts_by_alert") // alert id \x00 delivery id -> empty

	allAlertsBuckets = [][]byte{bucketAlerts, bucketState, bucketSent, bucketOutbox}
)

// appendFillPercent packs the pages of buckets whose keys only grow
// (deliveries, the due queue): bbolt's default leaves split pages half
// empty, which doubles the pages a round writes.
const appendFillPercent = 0.9

// storedDelivery is a delivery as the outbox keeps it: with the id of the
// alert's previous delivery, so that an alert's deliveries form a chain,
// newest first, from alertState.Head. The chain replaces an index keyed
// by alert, whose inserts were spread over the whole index every round.
//
// Done is when it last finished (succeeded or failed), by which the
// delivery retention ages it; a delivery stored before the field has
// none and is aged by its creation.
type storedDelivery struct {
	*alerts.Delivery
	Prev string    `json:"prev,omitempty"`
	Done time.Time `json:"done,omitzero"`
}

// alertState is the part of an alert a run changes, kept apart from the
// definition so that a round rewrites a few dozen bytes per alert.
type alertState struct {
	Version            uint64
	Watermark          uint64
	LastRunAt          *time.Time
	LastDeliveryStatus string
	Head               string // newest delivery id
}

const stateFormat = 1

func stateKey(num uint64) []byte { return binary.BigEndian.AppendUint64(nil, num) }

func (st *alertState) encode() []byte {
	b := make([]byte, 0, 48+len(st.LastDeliveryStatus)+len(st.Head))
	b = append(b, stateFormat)
	b = binary.AppendUvarint(b, st.Version)
	b = binary.AppendUvarint(b, st.Watermark)
	var run int64
	if st.LastRunAt != nil {
		run = st.LastRunAt.UnixNano()
	}
	b = binary.AppendVarint(b, run)
	b = appendString(b, st.LastDeliveryStatus)
	return appendString(b, st.Head)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errCorrupt = errors.New("corrupt record")

func decodeState(v []byte) (*alertState, error) {
	if len(v) == 0 || v[0] != stateFormat {
		return nil, errCorrupt
	}
	r := &byteReader{b: v[1:]}
	st := &alertState{Version: r.uvarint(), Watermark: r.uvarint()}
	if run := r.varint(); run != 0 {
		t := time.Unix(0, run).UTC()
		st.LastRunAt = &t
	}
	st.LastDeliveryStatus = r.string()
	st.Head = r.string()
	if r.err {
		return nil, errCorrupt
	}
	return st, nil
}

type byteReader struct {
	b   []byte
	err bool
}

func (r *byteReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) string() string {
	n := r.uvarint()
	if r.err || n > uint64(len(r.b)) {
		r.err = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func stateOf(a *alerts.Alert) *alertState {
	return &alertState{Version: a.Version, Watermark: a.Watermark, LastRunAt: a.LastRunAt,
		LastDeliveryStatus: a.LastDeliveryStatus, Head: a.Head}
}

func setState(a *alerts.Alert, st *alertState) {
	a.Version, a.Watermark, a.LastRunAt = st.Version, st.Watermark, st.LastRunAt
	a.LastDeliveryStatus, a.Head = st.LastDeliveryStatus, st.Head
}

func getState(tx *bolt.Tx, num uint64) (*alertState, error) {
	v := tx.Bucket(bucketState).Get(stateKey(num))
	if v == nil {
		return nil, nil
	}
	st, err := decodeState(v)
	if err != nil {
		return nil, fmt.Errorf("alerts: decode state of alert number %d: %w", num, err)
	}
	return st, nil
}

func putState(tx *bolt.Tx, num uint64, st *alertState) error {
	return tx.Bucket(bucketState).Put(stateKey(num), st.encode())
}

func getAlert(tx *bolt.Tx, id string) (*alerts.Alert, error) {
	v := tx.Bucket(bucketAlerts).Get([]byte(id))
	if v == nil {
		return nil, news.Errorf(news.ECodeNotFound, "alert %q not found", id)
	}
	return decodeAlert(tx, id, v)
}

// decodeAlert decodes a stored definition and overlays its state. An
// alert stored before the state bucket existed keeps its state in the
// JSON until it is next written.
func decodeAlert(tx *bolt.Tx, id string, v []byte) (*alerts.Alert, error) {
	a := new(alerts.Alert)
	if err := json.Unmarshal(v, a); err != nil {
		return nil, fmt.Errorf("alerts: decode alert %q: %w", id, err)
	}
	if a.Num == 0 {
		return a, nil
	}
	st, err := getState(tx, a.Num)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("alerts: alert %q (number %d) has no state record", id, a.Num)
	}
	setState(a, st)
	return a, nil
}

// putAlert writes an alert's definition and its state. An alert without
// a number gets the next one.
func putAlert(tx *bolt.Tx, a *alerts.Alert) error {
	b := tx.Bucket(bucketAlerts)
	if a.Num == 0 {
		n, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("alerts: number alert %q: %w", a.ID, err)
		}
		a.Num = n
	}
	def := *a
	def.Watermark, def.LastRunAt, def.LastDeliveryStatus, def.Version = 0, nil, "", 0
	buf, err := json.Marshal(&def)
	if err != nil {
		return fmt.Errorf("alerts: encode alert %q: %w", a.ID, err)
	}
	if err := b.Put([]byte(a.ID), buf); err != nil {
		return err
	}
	return putState(tx, a.Num, stateOf(a))
}

// deleteAlert removes an alert's definition, state and deliveries (with
// their queue entries). Its number stays in the sent records of the
// articles it got; numbers are never reused.
func deleteAlert(tx *bolt.Tx, a *alerts.Alert) (queued []string, err error) {
	ob, qb := tx.Bucket(bucketOutbox), tx.Bucket(bucketQueue)
	for id := a.Head; id != ""; {
		d, err := getDelivery(tx, id)
		if news.ErrorCode(err) == news.ECodeNotFound {
			break
		}
		if err != nil {
			return nil, err
		}
		if d.NextAttemptAt != nil {
			if err := qb.Delete(queueKey(*d.NextAttemptAt, d.ID)); err != nil {
				return nil, err
			}
			queued = append(queued, d.ID)
		}
		if err := ob.Delete([]byte(d.ID)); err != nil {
			return nil, err
		}
		id = d.Prev
	}
	if err := tx.Bucket(bucketState).Delete(stateKey(a.Num)); err != nil {
		return nil, err
	}
	return queued, tx.Bucket(bucketAlerts).Delete([]byte(a.ID))
}

// alertDeliveries calls fn with up to limit of an alert's deliveries,
// newest first.
func alertDeliveries(tx *bolt.Tx, a *alerts.Alert, limit int, fn func(*alerts.Delivery)) error {
	for id, n := a.Head, 0; id != "" && n < limit; n++ {
		d, err := getDelivery(tx, id)
		if news.ErrorCode(err) == news.ECodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		fn(d)
		id = d.Prev
	}
	return nil
}

func getDelivery(tx *bolt.Tx, id string) (*alerts.Delivery, error) {
	v := tx.Bucket(bucketOutbox).Get([]byte(id))
	if v == nil {
		return nil, news.Errorf(news.ECodeNotFound, "delivery %q not found", id)
	}
	d := new(alerts.Delivery)
	sd := storedDelivery{Delivery: d}
	if err := json.Unmarshal(v, &sd); err != nil {
		return nil, fmt.Errorf("alerts: decode delivery %q: %w", id, err)
	}
	d.Prev, d.Done = sd.Prev, sd.Done
	return d, nil
}

func encodeDelivery(d *alerts.Delivery) ([]byte, error) {
	buf, err := json.Marshal(storedDelivery{Delivery: d, Prev: d.Prev, Done: d.Done})
	if err != nil {
		return nil, fmt.Errorf("alerts: encode delivery %q: %w", d.ID, err)
	}
	return buf, nil
}

func putDelivery(tx *bolt.Tx, d *alerts.Delivery) error {
	buf, err := encodeDelivery(d)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketOutbox).Put([]byte(d.ID), buf)
}

// deliveryID makes the id of a run's chunk-th delivery for alert a
// (the snapshot the run committed), created at now, up to upTo, after
// the alert's delivery prev (its head: no two deliveries of a chain get
// one id even when a run repeats a watermark). It is derived from those
// alone, so a run committed again from the same command (a replica
// replaying it, in cluster mode) makes the same ids, which are the
// webhook-ids the receivers see. The 16 hex digits are
// the creation time, so ids sort in creation order (Depth and the
// pruner rely on it); ids made before, msg_ + a 16-hex-digit counter +
// 8 random hex digits, have the same shape and sort before every new
// one.
func deliveryID(a *alerts.Alert, now time.Time, upTo uint64, chunk int, prev string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%d\x00%d\x00%s", a.ID, a.Version, a.Watermark, upTo, chunk, prev)
	return fmt.Sprintf("msg_%016x%s", uint64(now.UnixNano()), hex.EncodeToString(h.Sum(nil))[:8])
}

// The sent-set records, per article id, the numbers of the alerts the
// article was sent to: sorted, as uvarint deltas. A run reads one record
// per matched article and writes one per article it sends. The record
// only matters when an article id comes back with a new sequence
// (re-ingested, or deleted and ingested again): it is then not sent again
// to those alerts.

func createBuckets(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range allAlertsBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("alerts: create bucket %s: %w", b, err)
			}
		}
		return nil
	})
}

// splitV1Key splits a layout-1 key, alert id \x00 rest.
func splitV1Key(k []byte) (alertID, rest string, ok bool) {
	a, r, ok := strings.Cut(string(k), "\x00")
	return a, r, ok && a != ""
}

// Buckets declares the alert buckets of the store file and how a record
// of each is decoded, for store.Verify (a restore checks every record).
func Buckets() []store.Bucket {
	return []store.Bucket{
		{Name: string(bucketAlerts), Check: func(k, v []byte) error {
			var a alerts.Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if a.ID != string(k) {
				return fmt.Errorf("the record says id %q", a.ID)
			}
			return nil
		}},
		{Name: string(bucketState), Check: func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("key is %d bytes, not an 8-byte alert number", len(k))
			}
			_, err := decodeState(v)
			return err
		}},
		{Name: string(bucketSent), Check: func(_, v []byte) error {
			_, err := decodeNums(v)
			return err
		}},
		{Name: string(bucketOutbox), Check: func(k, v []byte) error {
			d := new(alerts.Delivery)
			if err := json.Unmarshal(v, &storedDelivery{Delivery: d}); err != nil {
				return err
			}
			if d.ID != string(k) {
				return fmt.Errorf("the record says id %q", d.ID)
			}
			return nil
		}},
		{Name: string(bucketQueue), Check: func(k, _ []byte) error {
			if len(k) <= 8 {
				return fmt.Errorf("queue key is %d bytes: no delivery id after the time", len(k))
			}
			return nil
		}},
		{Name: string(bucketSentGone), Check: func(_, v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("value is %d bytes, not an 8-byte time", len(v))
			}
			return nil
		}},
		{Name: string(bucketSentV1)},
		{Name: string(bucketByAlertV1)},
	}
}

// Schema declares the alert buckets and their migration to the store's
// registry (store.Register): layout 1, before alert numbers, to today's.
// It lists today's buckets only, since Register creates every bucket
// listed (Buckets, for Verify, lists the layout-1 ones too). New
// registers it, so the migration runs once per file.
func Schema() store.Schema {
	var current []store.Bucket
	for _, b := range Buckets() {
		if slices.ContainsFunc(allAlertsBuckets, func(n []byte) bool { return string(n) == b.Name }) {
			current = append(current, b)
		}
	}
	return store.Schema{
		Owner:   "alerts",
		Buckets: current,
		Migrations: []store.Migration{{
			Version: 1,
			Name:    "alert numbers, per-article sent records, delivery chains",
			Run: func(ctx context.Context, db *bolt.DB) error {
				if err := createBuckets(db); err != nil {
					return err
				}
				return migrate(db, slog.Default(), migrateBatch)
			},
		}},
	}
}
