package alerts

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/watchword/watchword/internal/news"
	bolt "go.etcd.io/bbolt"
)

// Buckets kept in the store's bbolt file, next to the articles.
var (
	bucketAlerts     = []byte("alerts")          // alert id -> Alert JSON
	bucketSent       = []byte("alerts_sent")     // alert id \x00 article id -> empty
	bucketOutbox     = []byte("alerts_outbox")   // delivery id -> Delivery JSON
	bucketByAlert    = []byte("alerts_by_alert") // alert id \x00 delivery id -> empty
	allAlertsBuckets = [][]byte{bucketAlerts, bucketSent, bucketOutbox, bucketByAlert}
)

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusRetrying  = "retrying"
	StatusFailed    = "failed"
)

// Event types.
const (
	EventMatched = "alert.matched"
	EventTest    = "alert.test"
)

// AlertRef is the alert as a delivery names it: a snapshot at run time.
type AlertRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Query string `json:"query"`
}

// Delivery is one webhook message in the outbox. Its ID is the
// webhook-id, the same on every attempt.
type Delivery struct {
	ID             string     `json:"id"`
	AlertID        string     `json:"alert_id"`
	Type           string     `json:"type"`
	Alert          AlertRef   `json:"alert"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastStatusCode int        `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	ArticleIDs     []string   `json:"article_ids"`
	TotalNew       int        `json:"total_new"`
	CreatedAt      time.Time  `json:"created_at"`
}

func sentKey(alertID, articleID string) []byte {
	k := make([]byte, 0, len(alertID)+1+len(articleID))
	k = append(k, alertID...)
	k = append(k, 0)
	return append(k, articleID...)
}

func prefixKey(alertID string) []byte { return append([]byte(alertID), 0) }

func ensureBuckets(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range allAlertsBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("alerts: create bucket %s: %w", b, err)
			}
		}
		return nil
	})
}

func getAlert(tx *bolt.Tx, id string) (*Alert, error) {
	v := tx.Bucket(bucketAlerts).Get([]byte(id))
	if v == nil {
		return nil, news.Errorf(news.ECodeNotFound, "alert %q not found", id)
	}
	a := new(Alert)
	if err := json.Unmarshal(v, a); err != nil {
		return nil, fmt.Errorf("alerts: decode alert %q: %w", id, err)
	}
	return a, nil
}

func putAlert(tx *bolt.Tx, a *Alert) error {
	buf, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("alerts: encode alert %q: %w", a.ID, err)
	}
	return tx.Bucket(bucketAlerts).Put([]byte(a.ID), buf)
}

func getDelivery(tx *bolt.Tx, id string) (*Delivery, error) {
	v := tx.Bucket(bucketOutbox).Get([]byte(id))
	if v == nil {
		return nil, news.Errorf(news.ECodeNotFound, "delivery %q not found", id)
	}
	d := new(Delivery)
	if err := json.Unmarshal(v, d); err != nil {
		return nil, fmt.Errorf("alerts: decode delivery %q: %w", id, err)
	}
	return d, nil
}

func putDelivery(tx *bolt.Tx, d *Delivery) error {
	buf, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("alerts: encode delivery %q: %w", d.ID, err)
	}
	if err := tx.Bucket(bucketOutbox).Put([]byte(d.ID), buf); err != nil {
		return err
	}
	return tx.Bucket(bucketByAlert).Put(sentKey(d.AlertID, d.ID), nil)
}

// newDeliveryID makes a delivery id that sorts in creation order.
func newDeliveryID(tx *bolt.Tx) (string, error) {
	n, err := tx.Bucket(bucketOutbox).NextSequence()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("msg_%016x%s", n, newID("")[:8]), nil
}

// deleteByPrefix removes every key of bucket b that starts with prefix.
func deleteByPrefix(b *bolt.Bucket, prefix []byte, each func(k []byte) error) error {
	c := b.Cursor()
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if each != nil {
			if err := each(k); err != nil {
				return err
			}
		}
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
