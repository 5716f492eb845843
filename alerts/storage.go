package alerts

import (
	"context"
	"errors"
	"time"
)

// The seams: what the service keeps, as small interfaces defined here
// where they are used. alerts/boltstore implements them on the local
// bbolt file; alerts/alertstest is the conformance suite every
// implementation passes (a replicated one, on a KV with revisions and a
// stream with message-id dedupe, is the next).
//
// Every method takes ctx first. No method asks an implementation to hold
// a transaction across calls or to iterate everything at once except
// List, which reads the definitions only. Expected mapping onto a
// replicated backend (issue #15): Definitions on a KV with revision CAS
// (Version), CommitRun as record-intent, publish deliveries with ids
// derived from (alert, from, to, chunk), then CAS the state; the Outbox
// on a stream with Msg-Id dedupe, Lease/Complete/RetryAt as a consumer's
// fetch, ack and NakWithDelay.

// ErrConflict is the answer of a compare-and-set whose expected version
// is stale, and of Create for an id already taken.
var ErrConflict = errors.New("alerts: changed meanwhile (version conflict)")

// Store is everything the service keeps.
type Store interface {
	Definitions
	Runs
	Outbox
}

// Definitions are the alerts themselves. A definition carries a Version
// that every write of it bumps; Update and Delete are compare-and-set on
// it. The run state (Watermark, LastRunAt, LastDeliveryStatus, Head) is
// written by Runs and Outbox only: Get and List overlay it, Update and
// Delete leave it alone.
type Definitions interface {
	// Get returns an alert; a *news.Error with ECodeNotFound when there
	// is none.
	Get(ctx context.Context, id string) (*Alert, error)
	// List returns every alert, by creation time.
	List(ctx context.Context) ([]*Alert, error)
	// Create saves new alerts, all or none, numbering each (Num). An id
	// already taken is ErrConflict.
	Create(ctx context.Context, as ...*Alert) error
	// Update writes a's definition if the stored version is
	// expectVersion, and sets a.Version to the new one; ErrConflict
	// otherwise (or when the alert is gone: not found).
	Update(ctx context.Context, a *Alert, expectVersion uint64) error
	// Delete removes an alert, its state and its deliveries if the
	// stored version is expectVersion; ErrConflict otherwise.
	Delete(ctx context.Context, id string, expectVersion uint64) error
}

// RunCommit is one alert's share of an evaluation round: the snapshot
// that was evaluated (its Version and Watermark are the state the commit
// expects) and the article ids it matched, in any order, possibly with
// duplicates.
type RunCommit struct {
	Alert   *Alert
	Matches []string
}

// RunOutcome is what the commit did for one alert.
type RunOutcome struct {
	// Err is ErrConflict when the alert was edited, deleted or run by
	// someone else since its snapshot: nothing was written for it.
	Err        error
	Matches    int // articles not sent to the alert before, now in deliveries
	Deliveries int
}

// Runs commits evaluation rounds.
type Runs interface {
	// CommitRun commits a round at now: for each alert whose state is
	// still the snapshot's, it drops the matches already sent to it,
	// marks the rest sent, enqueues them in chunks of at most
	// MaxMatchesPerDelivery, one delivery per chunk and target of the
	// snapshot (Alert.Targets; due now), and moves the watermark to upTo.
	// The alerts of a batch commit together (one transaction where the
	// store has them); the outcomes are in the batch's order.
	CommitRun(ctx context.Context, now time.Time, upTo uint64, batch []RunCommit) ([]RunOutcome, error)
	// Unsent returns ids (in order, without duplicates) that were never
	// sent to the alert: what a preview shows.
	Unsent(ctx context.Context, a *Alert, ids []string) ([]string, error)
}

// Result is the outcome of one delivery attempt, as the outbox records
// it.
type Result struct {
	Status     string    // Complete: succeeded or failed; RetryAt: retrying (or pending)
	Attempts   int       // attempts made so far
	StatusCode int       // the receiver's status; 0 keeps the last one
	Err        string    // the last error ("" on success)
	At         time.Time // when the attempt ended (Config.Clock): the retention counts from a completion
}

// Outbox holds the deliveries. A delivery is due from its NextAttemptAt
// until it completes.
type Outbox interface {
	// Lease returns up to max deliveries due at now, earliest due first,
	// and hides them from other leases until now+leaseFor (or until
	// Complete or RetryAt). next is when the first one left out is due
	// (zero: none is queued).
	Lease(ctx context.Context, now time.Time, max int, leaseFor time.Duration) (ds []*Delivery, next time.Time, err error)
	// Release ends a lease without recording anything: the delivery is
	// due again at its time (an attempt cut off by a shutdown).
	Release(ctx context.Context, id string) error
	// Complete records a final attempt (r.Status succeeded or failed):
	// the delivery leaves the queue, and its alert's LastDeliveryStatus
	// is r.Status. A delivery that is gone is not an error.
	Complete(ctx context.Context, id string, r Result) error
	// RetryAt records an attempt and schedules the next one at when.
	RetryAt(ctx context.Context, id string, when time.Time, r Result) error
	// Modify reads a delivery, lets fn change it (an error from fn aborts
	// and is returned) and writes it back, its queue entry in step with
	// its status and NextAttemptAt: redeliveries and retries now.
	Modify(ctx context.Context, id string, fn func(d *Delivery) error) (*Delivery, error)
	// Delivery returns one delivery (news ECodeNotFound when gone).
	Delivery(ctx context.Context, id string) (*Delivery, error)
	// Deliveries returns up to limit of an alert's deliveries, newest
	// first (news ECodeNotFound when the alert is gone).
	Deliveries(ctx context.Context, alertID string, limit int) ([]*Delivery, error)
	// Depth counts the queued deliveries (pending or retrying) and
	// returns the creation time of the oldest one (zero when empty).
	Depth(ctx context.Context) (n int, oldest time.Time, err error)
	// Prune is one retention pass: finished deliveries older than cutoff
	// go, and the sent records no alert can need (see retention.go).
	// exist tells which article ids are still stored.
	Prune(ctx context.Context, now time.Time, keep time.Duration, exist func(ctx context.Context, ids []string) ([]bool, error)) (PruneResult, error)
}

// OutcomeBatcher is an Outbox that records many attempts in one write
// (one transaction where the store has them), all or none. The sender
// uses it when its outbox has it, for every outcome finished while the
// previous write was under way; otherwise it calls Complete and RetryAt
// for each.
type OutcomeBatcher interface {
	// RecordAttempts records each attempt as Complete (Next nil; Status
	// succeeded or failed) or RetryAt (Next set; retrying or pending)
	// would. A delivery that is gone is not an error.
	RecordAttempts(ctx context.Context, rs []AttemptRecord) error
}

// AttemptRecord is one attempt for OutcomeBatcher.RecordAttempts.
type AttemptRecord struct {
	ID     string
	Next   *time.Time // the next attempt; nil: the delivery is complete
	Result Result
}
