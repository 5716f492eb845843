// Package alerts runs saved queries on a schedule and delivers the articles
// that are new since each alert's last run to a webhook, signed the
// Standard Webhooks way, through a durable outbox.
//
// An alert's watermark is the ingest sequence it has covered: a run
// matches the articles with a sequence in (watermark, indexed sequence],
// writes its deliveries to the outbox and moves the watermark in one
// commit of the store (Runs.CommitRun; one bbolt transaction in
// alerts/boltstore), so nothing is skipped and nothing is seen twice.
//
// The service keeps its state behind the interfaces of storage.go and
// reaches articles and the index only through internal/engine. The
// sender is three parts: the webhook client (webhook.go), the outbox
// (Outbox) and the dispatcher (dispatch.go).
package alerts

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/schedule"
)

// Limits and defaults of an alert.
const (
	MaxNameBytes           = 200
	MaxQueryBytes          = 64 << 10
	MaxURLBytes            = 2048
	DefaultMaxMatches      = 25 // about 20 KB a delivery; see docs/alerts.md
	MaxMatchesPerDelivery  = 1000
	DefaultMinInterval     = time.Minute
	secretPrefix           = "whsec_"
	secretBytes            = 32
	maxFilterValues        = 50
	defaultScheduleIfEmpty = "@hourly"
)

// Secret rotation: how long a replaced secret keeps signing beside the
// new one, by default and at most, and how many replaced secrets may be
// in their grace at once.
const (
	DefaultRotationGrace = 24 * time.Hour
	MaxRotationGrace     = 7 * 24 * time.Hour
	MaxPreviousSecrets   = 3
)

// RetiredSecret is a replaced signing secret that still signs, beside the
// current one, until ExpiresAt.
type RetiredSecret struct {
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SecretGrace is the API form of a replaced secret: when it stops
// signing. The secret itself is never shown again.
type SecretGrace struct {
	ExpiresAt time.Time `json:"expires_at"`
}

// Info is the part of an alert its stored definition and its API form
// share, in this order: what a client writes.
type Info struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Query      string         `json:"query"`
	Filters    engine.Filters `json:"filters"`
	Schedule   string         `json:"schedule"`
	Timezone   string         `json:"timezone"`
	WebhookURL string         `json:"webhook_url"`
	// WebhookFormat is the body the webhook gets: FormatStandard (the
	// versioned Payload) or FormatSlack (Slack's {"text","blocks"}).
	WebhookFormat string `json:"webhook_format,omitempty"`
	// Email are the addresses each delivery is also mailed to, one
	// delivery per address (see Targets).
	Email                 []string `json:"email,omitempty"`
	Enabled               bool     `json:"enabled"`
	MaxMatchesPerDelivery int      `json:"max_matches_per_delivery"`
	// RepeatStories delivers every copy of a story (the same event from
	// several outlets); by default a story already delivered to the alert
	// is not delivered again when another copy of it comes in.
	// (Left out when false, so stores and answers from before it keep
	// their bytes.)
	RepeatStories bool `json:"repeat_stories,omitempty"`
}

// Progress is the read-only part both forms share, after the fields.
type Progress struct {
	CreatedAt          time.Time  `json:"created_at"`
	LastRunAt          *time.Time `json:"last_run_at"`
	NextRunAt          *time.Time `json:"next_run_at"`
	LastDeliveryStatus string     `json:"last_delivery_status"`
	// Watermark is the ingest sequence the alert's runs have covered.
	Watermark uint64 `json:"watermark"`
}

// Alert is a saved query with a schedule and a webhook.
type Alert struct {
	Info
	// Fields are the match fields a delivery carries; nil means all of
	// them (MatchFields).
	Fields []string `json:"fields,omitempty"`
	Progress
	// Internal: never part of the API answer (see View).
	Secret string `json:"secret"`
	// PreviousSecrets are replaced secrets in their grace period, newest
	// first; expired ones are erased (see expireSecrets).
	PreviousSecrets []RetiredSecret `json:"previous_secrets,omitempty"`
	Version         uint64          `json:"version"`
	// Num is the alert's number, assigned once and never reused: the
	// sent-set and the state bucket name alerts by it.
	Num uint64 `json:"num,omitempty"`
	// Head is the newest delivery id, kept by the store with the state.
	Head string `json:"-"`
	// FeedKeyHash is the SHA-256 (hex) of the alert's feed key, which
	// reads its Atom feed without an API key ("": none yet); the key itself
	// is shown once, by RotateFeedKey.
	FeedKeyHash      string     `json:"feed_key_hash,omitempty"`
	FeedKeyCreatedAt *time.Time `json:"feed_key_created_at,omitempty"`
	// CreatedBy is the id of the key that created the alert (never its
	// secret); empty for alerts made before keys recorded it.
	CreatedBy string `json:"created_by,omitempty"`
}

// View is the API form of an alert: the secret only when Secret is set
// (on create and rotate).
type View struct {
	Info
	// Email is always a list in the API form ([] for none).
	Email  []string `json:"email"`
	Fields []string `json:"fields"` // the match fields deliveries carry
	Progress
	// PreviousSecrets says until when each replaced secret still signs
	// (newest first); empty when only the current secret signs.
	PreviousSecrets []SecretGrace `json:"previous_secrets"`
	Secret          string        `json:"secret,omitempty"`
	// CreatedBy is the id of the key that created the alert; the server
	// shows it to admin keys only (see Anonymous).
	CreatedBy string `json:"created_by,omitempty"`
	// URLsRedacted is set on a read without the token: WebhookURL is then
	// scheme, host and path only (see Redacted).
	URLsRedacted bool `json:"redacted,omitempty"`
	// Warnings are set in the answers of create and update only: filter
	// values that match no article yet (see Service.FilterWarnings).
	Warnings []string `json:"warnings,omitempty"`
	// FeedKeyCreatedAt is when the alert's current feed key was made
	// (POST /api/alerts/{id}/feed-key); null while it has none. The key is
	// never shown here.
	FeedKeyCreatedAt *time.Time `json:"feed_key_created_at"`
}

// Redacted returns the view for a reader without the token: the webhook
// URL as scheme, host and path only, since its query string, fragment
// and user info often carry the receiver's own secret; and never the
// signing secret.
func (v View) Redacted() View {
	v.WebhookURL = netguard.RedactURL(v.WebhookURL)
	v.Email = redactEmails(v.Email)
	v.Secret = ""
	v.URLsRedacted = true
	return v
}

// Anonymous returns the view without who created the alert, for a
// reader that is not an admin.
func (v View) Anonymous() View {
	v.CreatedBy = ""
	return v
}

// View returns the API form without the secret, with the replaced
// secrets still in their grace at now.
func (a *Alert) View(now time.Time) View {
	v := View{Info: a.Info, Fields: a.matchFields().names(), Progress: a.Progress, PreviousSecrets: []SecretGrace{}, FeedKeyCreatedAt: feedKeySince(a), CreatedBy: a.CreatedBy}
	v.Email = append([]string{}, a.Email...)
	if v.WebhookFormat == "" {
		v.WebhookFormat = FormatStandard
	}
	for _, p := range a.PreviousSecrets {
		if p.ExpiresAt.After(now) {
			v.PreviousSecrets = append(v.PreviousSecrets, SecretGrace{ExpiresAt: p.ExpiresAt})
		}
	}
	return v
}

// signingSecrets returns the secrets that sign a message at now, the
// current one first, and whether a replaced one has expired and is due
// to be erased.
func (a *Alert) signingSecrets(now time.Time) (secrets []string, expired bool) {
	secrets = append(make([]string, 0, 1+len(a.PreviousSecrets)), a.Secret)
	for _, p := range a.PreviousSecrets {
		if p.ExpiresAt.After(now) {
			secrets = append(secrets, p.Secret)
		} else {
			expired = true
		}
	}
	return secrets, expired
}

// dropExpiredSecrets erases the replaced secrets whose grace is over at
// now and reports whether it erased any.
func (a *Alert) dropExpiredSecrets(now time.Time) bool {
	kept := a.PreviousSecrets[:0]
	for _, p := range a.PreviousSecrets {
		if p.ExpiresAt.After(now) {
			kept = append(kept, p)
		}
	}
	changed := len(kept) != len(a.PreviousSecrets)
	clear(a.PreviousSecrets[len(kept):])
	a.PreviousSecrets = kept
	if len(a.PreviousSecrets) == 0 {
		a.PreviousSecrets = nil
	}
	return changed
}

// Rules are the server-side limits Validate applies.
type Rules struct {
	MinInterval time.Duration   // shortest allowed schedule interval
	Guard       *netguard.Guard // webhook target policy; nil allows any http(s) URL
	Email       bool            // an SMTP server is configured: alerts may have email
}

// Validate normalizes and checks an alert. Errors are *news.Error: the
// query's positioned query_syntax error is returned unchanged.
func (a *Alert) Validate(r Rules) error {
	a.Name = strings.TrimSpace(a.Name)
	a.Query = strings.TrimSpace(a.Query)
	a.Schedule = strings.TrimSpace(a.Schedule)
	a.Timezone = strings.TrimSpace(a.Timezone)
	a.WebhookURL = strings.TrimSpace(a.WebhookURL)
	switch {
	case a.Name == "":
		return news.Errorf(news.ECodeInvalid, "name is required")
	case len(a.Name) > MaxNameBytes:
		return news.Errorf(news.ECodeInvalid, "name is %d bytes, more than the limit of %d", len(a.Name), MaxNameBytes)
	case !utf8.ValidString(a.Name) || !utf8.ValidString(a.Query):
		return news.Errorf(news.ECodeInvalid, "text is not valid UTF-8")
	case len(a.Query) > MaxQueryBytes:
		return news.Errorf(news.ECodeInvalid, "query is longer than %d bytes", MaxQueryBytes)
	}
	// Relative dates are checked against the clock of now; each run
	// reads them again against its own (see Service.parsed).
	if _, err := engine.ParseQuery(a.Query, time.Now()); err != nil {
		return err
	}
	for name, vs := range map[string][]string{"speaker": a.Filters.Speakers, "country": a.Filters.Countries, "topic": a.Filters.Topics, "source": a.Filters.Sources, "language": a.Filters.Languages, "main_country": a.Filters.MainCountries} {
		if len(vs) > maxFilterValues {
			return news.Errorf(news.ECodeInvalid, "filters.%s has more than %d values", name, maxFilterValues)
		}
		for _, v := range vs {
			if strings.TrimSpace(v) == "" || len(v) > news.MaxFacetBytes || !utf8.ValidString(v) {
				return news.Errorf(news.ECodeInvalid, "filters.%s values must be non-empty UTF-8 of at most %d bytes", name, news.MaxFacetBytes)
			}
		}
	}
	if a.Query == "" && !hasFilters(a.Filters) {
		// An empty query means every article that passes the filters
		// (as in search); with no filter either, the alert would send
		// every new article, which is refused as almost surely a
		// mistake. A query that says so (date:[* TO *]) is accepted.
		return news.Errorf(news.ECodeInvalid, "an alert needs a query or a filter: with neither it would send every new article (to mean that, use the query date:[* TO *])")
	}
	if a.Schedule == "" {
		a.Schedule = defaultScheduleIfEmpty
	}
	if a.Timezone == "" {
		a.Timezone = "UTC"
	}
	if schedule.IsRealtime(a.Schedule) {
		// Evaluated as articles are ingested, at most once per
		// Config.RealtimeEvery: the minimum interval does not apply.
		a.Schedule = schedule.Realtime
		if _, err := time.LoadLocation(a.Timezone); err != nil || a.Timezone == "Local" {
			return news.Errorf(news.ECodeInvalid, "timezone %q is not a known IANA time zone", a.Timezone)
		}
	} else if _, err := schedule.Parse(a.Schedule, a.Timezone, r.MinInterval, time.Now()); err != nil {
		return err
	}
	if a.MaxMatchesPerDelivery == 0 {
		a.MaxMatchesPerDelivery = DefaultMaxMatches
	}
	if a.MaxMatchesPerDelivery < 1 || a.MaxMatchesPerDelivery > MaxMatchesPerDelivery {
		return news.Errorf(news.ECodeInvalid, "max_matches_per_delivery must be between 1 and %d", MaxMatchesPerDelivery)
	}
	fs, err := parseMatchFields(a.Fields)
	if err != nil {
		return err
	}
	a.Fields = fs.stored()
	switch a.WebhookFormat = strings.TrimSpace(a.WebhookFormat); a.WebhookFormat {
	case "":
		a.WebhookFormat = FormatStandard
	case FormatStandard, FormatSlack:
	default:
		return news.Errorf(news.ECodeInvalid, "webhook_format %q is not %q or %q", news.Clip(a.WebhookFormat), FormatStandard, FormatSlack)
	}
	email, err := checkEmails(a.Email, r.Email)
	if err != nil {
		return err
	}
	a.Email = email
	if a.WebhookURL == "" && len(a.Email) == 0 {
		return news.Errorf(news.ECodeInvalid, "webhook_url or email is required")
	}
	if a.WebhookURL == "" {
		return nil
	}
	if len(a.WebhookURL) > MaxURLBytes {
		return news.Errorf(news.ECodeInvalid, "webhook_url is longer than %d bytes", MaxURLBytes)
	}
	if err := r.Guard.CheckURL("webhook_url", a.WebhookURL); err != nil {
		return err
	}
	return nil
}

// hasFilters reports whether f has at least one value.
func hasFilters(f engine.Filters) bool {
	return len(f.Speakers)+len(f.Countries)+len(f.Topics)+len(f.Sources)+len(f.Languages)+len(f.MainCountries) > 0
}

// NewSecret returns a signing secret: whsec_ and base64 of 32 random bytes.
func NewSecret() (string, error) {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("alerts: generate secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// secretKey decodes a secret into the HMAC key.
func secretKey(secret string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
}

func newID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
