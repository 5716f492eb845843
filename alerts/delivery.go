package alerts

import "time"

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

	// Kept by the outbox, never in the API answer:
	Prev string    `json:"-"` // the alert's delivery before this one ("" for the first)
	Done time.Time `json:"-"` // when it last became succeeded or failed (Config.Clock); zero while pending
}
