package boltstore

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/news"
	bolt "go.etcd.io/bbolt"
)

// migrateBatch bounds the keys one migration transaction moves (and so
// the memory a migration holds).
const migrateBatch = 100_000

// migrate brings alert buckets written by layout 1 to the current one:
//
//  1. every alert gets a number and a state record (its watermark, last
//     run and delivery status move out of the JSON definition);
//  2. the per-alert delivery index (alerts_by_alert) becomes the chain
//     of deliveries from the state's head;
//  3. the sent-set keyed by alert and article (alerts_sent) becomes one
//     record per article.
//
// Steps 2 and 3 run in transactions that write the new records and delete
// the old keys together, so an interrupted migration resumes where it
// stopped and never loses a sent entry.
func migrate(db *bolt.DB, log *slog.Logger, batch int) error {
	numbered, err := numberAlerts(db)
	if err != nil {
		return fmt.Errorf("alerts: migrate alert numbers: %w", err)
	}
	chained, err := migrateV1(db, bucketByAlertV1, batch, chainDeliveries)
	if err != nil {
		return fmt.Errorf("alerts: migrate delivery index: %w", err)
	}
	sent, err := migrateV1(db, bucketSentV1, batch, moveSent)
	if err != nil {
		return fmt.Errorf("alerts: migrate sent-set: %w", err)
	}
	if numbered+chained+sent > 0 {
		log.Info("alerts: store migrated to per-article sent records", "alerts_numbered", numbered,
			"deliveries_chained", chained, "sent_entries_moved", sent)
	}
	return nil
}

// numberAlerts gives every alert without a number one, and a state
// record taken from its JSON.
func numberAlerts(db *bolt.DB) (int, error) {
	n := 0
	err := db.Update(func(tx *bolt.Tx) error {
		var todo []*alerts.Alert
		err := tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			a := new(alerts.Alert)
			if err := json.Unmarshal(v, a); err != nil {
				return fmt.Errorf("decode alert %q: %w", k, err)
			}
			if a.Num == 0 {
				todo = append(todo, a)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, a := range todo {
			if err := putAlert(tx, a); err != nil {
				return err
			}
		}
		n = len(todo)
		return nil
	})
	return n, err
}

// v1Batch is one transaction's worth of layout-1 keys, in key order.
type v1Batch struct {
	tx     *bolt.Tx
	alerts map[string]*alerts.Alert // by id; nil: the alert is gone
	dirty  map[string]bool          // alerts whose state changed
}

func (b *v1Batch) alert(id string) (*alerts.Alert, error) {
	if a, ok := b.alerts[id]; ok {
		return a, nil
	}
	a, err := getAlert(b.tx, id)
	if news.ErrorCode(err) == news.ECodeNotFound {
		a, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	b.alerts[id] = a
	return a, nil
}

// migrateV1 moves the keys of a layout-1 bucket with move, a batch per
// transaction, deleting them as they are moved, and drops the bucket
// once it is empty. The keys are alert id \x00 something.
func migrateV1(db *bolt.DB, name []byte, batch int, move func(b *v1Batch, keys [][]byte) error) (int, error) {
	total := 0
	for {
		done := false
		err := db.Update(func(tx *bolt.Tx) error {
			old := tx.Bucket(name)
			if old == nil {
				done = true
				return nil
			}
			var keys [][]byte
			c := old.Cursor()
			for k, _ := c.First(); k != nil && len(keys) < batch; k, _ = c.Next() {
				keys = append(keys, append([]byte(nil), k...))
			}
			if len(keys) == 0 {
				done = true
				return tx.DeleteBucket(name)
			}
			b := &v1Batch{tx: tx, alerts: map[string]*alerts.Alert{}, dirty: map[string]bool{}}
			if err := move(b, keys); err != nil {
				return err
			}
			for id := range b.dirty {
				a := b.alerts[id]
				if err := putState(tx, a.Num, stateOf(a)); err != nil {
					return err
				}
			}
			for _, k := range keys {
				if err := old.Delete(k); err != nil {
					return err
				}
			}
			total += len(keys)
			return nil
		})
		if err != nil || done {
			return total, err
		}
	}
}

// chainDeliveries links an alert's deliveries, oldest to newest as the
// index lists them, and makes the newest the head of the chain.
func chainDeliveries(b *v1Batch, keys [][]byte) error {
	for _, k := range keys {
		alertID, did, ok := splitV1Key(k)
		if !ok {
			continue
		}
		a, err := b.alert(alertID)
		if err != nil {
			return err
		}
		if a == nil {
			continue
		}
		d, err := getDelivery(b.tx, did)
		if news.ErrorCode(err) == news.ECodeNotFound {
			continue
		}
		if err != nil {
			return err
		}
		d.Prev = a.Head
		if err := putDelivery(b.tx, d); err != nil {
			return err
		}
		a.Head = d.ID
		b.dirty[alertID] = true
	}
	return nil
}

// moveSent turns (alert id, article id) keys into per-article records of
// alert numbers. Entries of deleted alerts are dropped.
func moveSent(b *v1Batch, keys [][]byte) error {
	ss := newSentSet(b.tx)
	for _, k := range keys {
		alertID, articleID, ok := splitV1Key(k)
		if !ok {
			continue
		}
		a, err := b.alert(alertID)
		if err != nil {
			return err
		}
		if a == nil {
			continue
		}
		if _, err := ss.filter(a.Num, []string{articleID}, true); err != nil {
			return err
		}
	}
	return ss.flush()
}
