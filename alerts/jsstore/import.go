package jsstore

// The cluster import's commands (internal/cluster/importer): a single
// node's alerts, deliveries and sent records, written through the
// stream like every other write, applied on every node by boltstore's
// import methods, which only add what is absent (so an import resumed
// after a failure, or a command applied twice, changes nothing there
// already).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/cluster/rsm"
)

const (
	cmdImportAlert = "import_alert"
	cmdImportSent  = "import_sent"
)

// importAlertCmd carries an alert with its state (Head is not part of
// the alert's JSON) and some of its deliveries (deliveryJSON: with Prev
// and Done). Alert is nil in the commands that carry the rest of a long
// delivery history.
type importAlertCmd struct {
	Alert      *alerts.Alert     `json:"alert,omitempty"`
	Head       string            `json:"head,omitempty"`
	Deliveries []json.RawMessage `json:"deliveries,omitempty"`
}

type importSentCmd struct {
	Records  []boltstore.SentRecord `json:"records"`
	Numbered uint64                 `json:"numbered,omitempty"` // the source's last alert number
}

// MaxImportBytes bounds the deliveries or sent records one import
// command carries (the node's message limit is 8 MiB).
const MaxImportBytes = 1 << 20

// ImportAlert writes alert a as another store kept it (its number,
// version, watermark, last run, head; nil: deliveries only) with ds
// under their own ids. An alert already present is left as it is, and
// so is a delivery; created reports whether a was stored now.
func (s *Store) ImportAlert(ctx context.Context, a *alerts.Alert, ds []*alerts.Delivery) (created bool, err error) {
	c := importAlertCmd{Alert: a}
	if a != nil {
		c.Head = a.Head
	}
	for _, d := range ds {
		raw, err := deliveryJSON(d)
		if err != nil {
			return false, fmt.Errorf("alerts: import delivery %s: %w", d.ID, err)
		}
		c.Deliveries = append(c.Deliveries, raw)
	}
	val, err := s.submit(ctx, cmdImportAlert, c)
	if err != nil {
		return false, err
	}
	created, _ = val.(bool)
	return created, nil
}

// ImportSent merges sent records into every node's sent-set, and moves
// the alert number sequence to numbered at least (boltstore.ImportSent).
func (s *Store) ImportSent(ctx context.Context, recs []boltstore.SentRecord, numbered uint64) error {
	_, err := s.submit(ctx, cmdImportSent, importSentCmd{Records: recs, Numbered: numbered})
	return err
}

// applyImport folds an import command.
func (s *Store) applyImport(ctx context.Context, kind string, data []byte) (rsm.Outcome, error) {
	switch kind {
	case cmdImportAlert:
		var c importAlertCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		if c.Alert != nil {
			c.Alert.Head = c.Head
		}
		ds := make([]*alerts.Delivery, 0, len(c.Deliveries))
		for _, raw := range c.Deliveries {
			d, err := decodeDelivery(raw)
			if err != nil {
				return rsm.Outcome{Err: err}, nil
			}
			ds = append(ds, d)
		}
		created, err := s.local.ImportAlert(ctx, c.Alert, ds)
		if errors.Is(err, boltstore.ErrImportConflict) {
			return rsm.Outcome{Err: err}, nil
		}
		return rsm.Outcome{Value: created}, err
	default: // cmdImportSent
		var c importSentCmd
		if err := json.Unmarshal(data, &c); err != nil {
			return rsm.Outcome{Err: err}, nil
		}
		return rsm.Outcome{}, s.local.ImportSent(ctx, c.Records, c.Numbered)
	}
}
