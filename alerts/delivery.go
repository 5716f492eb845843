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

// Delivery targets: where one delivery goes.
const (
	TargetWebhook = "webhook" // the alert's webhook_url (a delivery stored without a target too)
	TargetEmail   = "email"   // one address of the alert's email (Recipient)
)

// Target is one place a delivery goes: the webhook, or one address.
type Target struct {
	Kind      string // TargetWebhook or TargetEmail
	Recipient string // the address, for TargetEmail
}

// Targets are where each delivery of a run goes, in this order: the
// webhook when the alert has one, then each email address. A run makes
// one delivery per target for each chunk of matches, all in the commit
// that marks the matches sent, so that a failure of one target (a 550
// for one address) neither loses the others nor sends them twice. An
// alert with neither (Validate refuses it; a store may still hold one)
// has the webhook as its target: its matches are then never marked sent
// without a delivery that carries them (it fails, and can be redelivered
// once the alert has a target).
func (a *Alert) Targets() []Target {
	var ts []Target
	if a.WebhookURL != "" || len(a.Email) == 0 {
		ts = append(ts, Target{Kind: TargetWebhook})
	}
	for _, e := range a.Email {
		ts = append(ts, Target{Kind: TargetEmail, Recipient: e})
	}
	return ts
}

// AlertRef is the alert as a delivery names it: a snapshot at run time.
type AlertRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Query string `json:"query"`
}

// Delivery is one message in the outbox: a webhook POST or an email to
// one address. Its ID is the webhook-id (and the email's Message-ID),
// the same on every attempt.
type Delivery struct {
	ID      string `json:"id"`
	AlertID string `json:"alert_id"`
	Type    string `json:"type"`
	// Target is TargetWebhook or TargetEmail; Recipient is the address
	// of an email.
	Target         string     `json:"target"`
	Recipient      string     `json:"recipient,omitempty"`
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

// Redacted returns the delivery for a reader without the token: an
// email's address as its first letter and domain (see View.Redacted).
func (d Delivery) Redacted() Delivery {
	if d.Recipient != "" {
		d.Recipient = redactEmails([]string{d.Recipient})[0]
	}
	return d
}
