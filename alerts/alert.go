// Package alerts runs saved queries on a schedule and delivers the articles
// that are new since each alert's last run to a webhook, signed the
// Standard Webhooks way, through a durable outbox.
//
// An alert's watermark is the ingest sequence it has covered: a run
// matches the articles with a sequence in (watermark, indexed sequence],
// writes its deliveries to the outbox and moves the watermark in one bbolt
// transaction, so nothing is skipped and nothing is seen twice.
package alerts

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// Limits and defaults of an alert.
const (
	MaxNameBytes           = 200
	MaxQueryBytes          = 64 << 10
	MaxURLBytes            = 2048
	DefaultMaxMatches      = 100
	MaxMatchesPerDelivery  = 1000
	DefaultMinInterval     = time.Minute
	secretPrefix           = "whsec_"
	secretBytes            = 32
	maxFilterValues        = 50
	maxScheduleBytes       = 256
	intervalProbes         = 6
	defaultScheduleIfEmpty = "@hourly"
)

// Alert is a saved query with a schedule and a webhook.
type Alert struct {
	ID                    string        `json:"id"`
	Name                  string        `json:"name"`
	Query                 string        `json:"query"`
	Filters               index.Filters `json:"filters"`
	Schedule              string        `json:"schedule"`
	Timezone              string        `json:"timezone"`
	WebhookURL            string        `json:"webhook_url"`
	Enabled               bool          `json:"enabled"`
	MaxMatchesPerDelivery int           `json:"max_matches_per_delivery"`
	CreatedAt             time.Time     `json:"created_at"`
	// Read-only.
	LastRunAt          *time.Time `json:"last_run_at"`
	NextRunAt          *time.Time `json:"next_run_at"`
	LastDeliveryStatus string     `json:"last_delivery_status"`
	// Internal: never part of the API answer (see View).
	Watermark uint64 `json:"watermark"`
	Secret    string `json:"secret"`
	Version   uint64 `json:"version"`
	// Num is the alert's number, assigned once and never reused: the
	// sent-set and the state bucket name alerts by it.
	Num  uint64 `json:"num,omitempty"`
	head string // newest delivery id (kept in the state record)
}

// View is the API form of an alert: the secret only when Secret is set
// (on create and rotate).
type View struct {
	ID                    string        `json:"id"`
	Name                  string        `json:"name"`
	Query                 string        `json:"query"`
	Filters               index.Filters `json:"filters"`
	Schedule              string        `json:"schedule"`
	Timezone              string        `json:"timezone"`
	WebhookURL            string        `json:"webhook_url"`
	Enabled               bool          `json:"enabled"`
	MaxMatchesPerDelivery int           `json:"max_matches_per_delivery"`
	CreatedAt             time.Time     `json:"created_at"`
	LastRunAt             *time.Time    `json:"last_run_at"`
	NextRunAt             *time.Time    `json:"next_run_at"`
	LastDeliveryStatus    string        `json:"last_delivery_status"`
	Watermark             uint64        `json:"watermark"`
	Secret                string        `json:"secret,omitempty"`
	// Warnings are set in the answers of create and update only: filter
	// values that match no article yet (see Service.FilterWarnings).
	Warnings []string `json:"warnings,omitempty"`
}

// View returns the API form without the secret.
func (a *Alert) View() View {
	return View{
		ID: a.ID, Name: a.Name, Query: a.Query, Filters: a.Filters, Schedule: a.Schedule,
		Timezone: a.Timezone, WebhookURL: a.WebhookURL, Enabled: a.Enabled,
		MaxMatchesPerDelivery: a.MaxMatchesPerDelivery, CreatedAt: a.CreatedAt,
		LastRunAt: a.LastRunAt, NextRunAt: a.NextRunAt, LastDeliveryStatus: a.LastDeliveryStatus,
		Watermark: a.Watermark,
	}
}

// Rules are the server-side limits Validate applies.
type Rules struct {
	MinInterval time.Duration // shortest allowed schedule interval
	Guard       *Guard        // webhook target policy; nil allows any http(s) URL
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
	case a.Query == "":
		return news.Errorf(news.ECodeInvalid, "query is required")
	case len(a.Query) > MaxQueryBytes:
		return news.Errorf(news.ECodeInvalid, "query is longer than %d bytes", MaxQueryBytes)
	}
	if _, err := query.Parse(a.Query); err != nil {
		return err
	}
	for name, vs := range map[string][]string{"speaker": a.Filters.Speakers, "country": a.Filters.Countries, "topic": a.Filters.Topics, "source": a.Filters.Sources} {
		if len(vs) > maxFilterValues {
			return news.Errorf(news.ECodeInvalid, "filters.%s has more than %d values", name, maxFilterValues)
		}
		for _, v := range vs {
			if strings.TrimSpace(v) == "" || len(v) > news.MaxFacetBytes || !utf8.ValidString(v) {
				return news.Errorf(news.ECodeInvalid, "filters.%s values must be non-empty UTF-8 of at most %d bytes", name, news.MaxFacetBytes)
			}
		}
	}
	if a.Schedule == "" {
		a.Schedule = defaultScheduleIfEmpty
	}
	if a.Timezone == "" {
		a.Timezone = "UTC"
	}
	if _, err := ParseSchedule(a.Schedule, a.Timezone, r.MinInterval, time.Now()); err != nil {
		return err
	}
	if a.MaxMatchesPerDelivery == 0 {
		a.MaxMatchesPerDelivery = DefaultMaxMatches
	}
	if a.MaxMatchesPerDelivery < 1 || a.MaxMatchesPerDelivery > MaxMatchesPerDelivery {
		return news.Errorf(news.ECodeInvalid, "max_matches_per_delivery must be between 1 and %d", MaxMatchesPerDelivery)
	}
	if a.WebhookURL == "" {
		return news.Errorf(news.ECodeInvalid, "webhook_url is required")
	}
	if len(a.WebhookURL) > MaxURLBytes {
		return news.Errorf(news.ECodeInvalid, "webhook_url is longer than %d bytes", MaxURLBytes)
	}
	if err := r.Guard.CheckURL("webhook_url", a.WebhookURL); err != nil {
		return err
	}
	return nil
}

// ParseSchedule parses a cron spec (5 fields or a descriptor such as
// @hourly or @every 5m) in the IANA time zone tz and checks that it fires,
// and not more often than minInterval. robfig/cron panics on some inputs
// (TZ= without a spec); those are recovered into a 400.
func ParseSchedule(spec, tz string, minInterval time.Duration, now time.Time) (sched cron.Schedule, err error) {
	if len(spec) > maxScheduleBytes {
		return nil, news.Errorf(news.ECodeInvalid, "schedule is longer than %d bytes", maxScheduleBytes)
	}
	loc, lerr := time.LoadLocation(tz)
	if lerr != nil || tz == "Local" {
		return nil, news.Errorf(news.ECodeInvalid, "timezone %q is not a known IANA time zone", tz)
	}
	full := spec
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// The spec names its own zone; it must be a valid one, followed by
		// a spec. robfig/cron panics when nothing follows.
		_, rest, _ := strings.Cut(spec, "=")
		zone, tail, ok := strings.Cut(rest, " ")
		if !ok || strings.TrimSpace(tail) == "" || zone == "" {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q: TZ=/CRON_TZ= must be followed by a time zone and a spec; prefer the timezone field", spec)
		}
		spec = strings.TrimSpace(tail)
	} else {
		full = "CRON_TZ=" + loc.String() + " " + spec
	}
	defer func() {
		if p := recover(); p != nil {
			sched, err = nil, news.Errorf(news.ECodeInvalid, "schedule %q is not a valid cron spec", spec)
		}
	}()
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, derr := time.ParseDuration(strings.TrimSpace(rest))
		if derr != nil {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q: @every needs a duration such as 5m or 1h", spec)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q: @every needs a whole number of seconds", spec)
		}
		if d < minInterval {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q fires every %s, more often than the minimum interval of %s", spec, d, minInterval)
		}
	}
	s, perr := cron.ParseStandard(full)
	if perr != nil {
		return nil, news.Errorf(news.ECodeInvalid, "schedule %q is not a valid cron spec: %v", spec, perr)
	}
	// Estimate the interval from consecutive firings.
	t := now
	for i := 0; i < intervalProbes; i++ {
		next := s.Next(t)
		if next.IsZero() {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q never fires", spec)
		}
		if i > 0 && next.Sub(t) < minInterval {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q fires every %s, more often than the minimum interval of %s", spec, next.Sub(t), minInterval)
		}
		t = next
	}
	return s, nil
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
