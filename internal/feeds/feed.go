// Package feeds polls RSS, Atom and JSON feeds on a schedule and ingests
// their new entries through the normal pipeline (normalize → extract →
// store → index), so alerts fire on feed entries exactly as on pushed
// articles.
//
// Each feed keeps a seen-set: entry key (GUID, else link) → hash of the
// entry's title, text and link. An entry whose key was seen is not
// ingested again, however the feed reorders or republishes it; an entry
// whose hash changed is an edit and updates its stored article in place
// (same article id, so alerts do not send it twice). Entries that leave
// the feed leave their articles alone; their seen entries are forgotten
// SeenTTL after they were last in the feed.
//
// Fetching is a conditional GET (ETag, Last-Modified) with a timeout, a
// response size limit, a real User-Agent and the alerts' private-address
// guard, which checks the address actually dialled. Consecutive failures
// back off exponentially, up to a day.
package feeds

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/schedule"
)

// Limits and defaults of a feed.
const (
	MaxURLBytes     = 2048
	DefaultSchedule = "@every 1h"
	// DefaultMinInterval is the shortest schedule a feed may have: polling
	// a publisher more often than every five minutes is rude and rarely
	// finds more.
	DefaultMinInterval = 5 * time.Minute
)

// Poll outcomes, the values of last_status.
const (
	StatusOK          = "ok"           // fetched and parsed
	StatusNotModified = "not_modified" // 304: nothing new
	StatusError       = "error"        // see last_error
)

// Feed is a polled feed with its status.
type Feed struct {
	Info

	// Internal: never part of the API answer (see View).
	ETag         string `json:"etag"`
	LastModified string `json:"last_modified"`
	// Version is bumped by every write of the feed (edits and poll
	// records alike): the Store's compare-and-set checks it.
	Version uint64 `json:"version"`
}

// Info is what the API shows of a feed: its definition and its status.
type Info struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Schedule  string    `json:"schedule"`
	Source    string    `json:"source"` // the articles' source; default: the feed's title
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	// CreatedBy is the id of the key that created the feed (never its
	// secret); the server shows it to admin keys only. Empty for feeds
	// made before keys recorded it.
	CreatedBy string `json:"created_by,omitempty"`

	// Read-only status.
	Title               string     `json:"title"`    // the feed's own title
	SiteURL             string     `json:"site_url"` // the site the feed belongs to
	LastPolledAt        *time.Time `json:"last_polled_at"`
	LastSuccessAt       *time.Time `json:"last_success_at"`
	LastStatus          string     `json:"last_status"`
	LastError           string     `json:"last_error"`
	LastHTTPStatus      int        `json:"last_http_status"`
	ItemsIngested       int        `json:"items_ingested"`
	ItemsUpdated        int        `json:"items_updated"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	BackoffUntil        *time.Time `json:"backoff_until"`
}

// View is the API form of a feed.
type View struct {
	Info
	NextPollAt *time.Time `json:"next_poll_at"`
	// URLsRedacted is set on a read without the token: URL and SiteURL are
	// then scheme, host and path only (see Redacted).
	URLsRedacted bool `json:"redacted,omitempty"`
}

// Redacted returns the view for a reader without the token: the feed's
// URL and site URL as scheme, host and path only, since a query string
// (?apikey=...) or user info often carries the subscriber's credentials.
func (v View) Redacted() View {
	v.URL = netguard.RedactURL(v.URL)
	if v.SiteURL != "" {
		v.SiteURL = netguard.RedactURL(v.SiteURL)
	}
	v.URLsRedacted = true
	return v
}

func (f *Feed) view() View { return View{Info: f.Info} }

// Input is the writable part of a feed, for create (url required) and
// PATCH (only the fields present). Unknown fields are rejected.
type Input struct {
	URL      *string `json:"url"`
	Schedule *string `json:"schedule"`
	Source   *string `json:"source"`
	Enabled  *bool   `json:"enabled"`
	// CreatedBy is the id of the key that creates the feed, set by the
	// server (never read from the body); Create records it.
	CreatedBy string `json:"-"`
}

// DecodeInput decodes a JSON body strictly: unknown and read-only fields
// are a 400.
func DecodeInput(body []byte) (*Input, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in Input
	if err := dec.Decode(&in); err != nil {
		return nil, news.Errorf(news.ECodeBadRequest, "feed JSON: %v", err)
	}
	if dec.More() {
		return nil, news.Errorf(news.ECodeBadRequest, "feed JSON: trailing data after the object")
	}
	return &in, nil
}

func (in *Input) apply(f *Feed) {
	if in.URL != nil {
		f.URL = *in.URL
	}
	if in.Schedule != nil {
		f.Schedule = *in.Schedule
	}
	if in.Source != nil {
		f.Source = *in.Source
	}
	if in.Enabled != nil {
		f.Enabled = *in.Enabled
	}
}

// Rules are the server-side limits Validate applies.
type Rules struct {
	MinInterval time.Duration   // shortest allowed schedule interval
	Guard       *netguard.Guard // address policy
}

// Validate normalizes and checks a feed. Errors are *news.Error.
func (f *Feed) Validate(r Rules) error {
	f.URL = strings.TrimSpace(f.URL)
	f.Schedule = strings.TrimSpace(f.Schedule)
	f.Source = strings.Join(strings.Fields(f.Source), " ")
	switch {
	case f.URL == "":
		return news.Errorf(news.ECodeInvalid, "url is required")
	case len(f.URL) > MaxURLBytes:
		return news.Errorf(news.ECodeInvalid, "url is longer than %d bytes", MaxURLBytes)
	case !utf8.ValidString(f.URL) || !utf8.ValidString(f.Source):
		return news.Errorf(news.ECodeInvalid, "text is not valid UTF-8")
	case len(f.Source) > news.MaxFacetBytes:
		return news.Errorf(news.ECodeInvalid, "source is longer than %d bytes", news.MaxFacetBytes)
	}
	if f.Schedule == "" {
		f.Schedule = DefaultSchedule
	}
	if _, err := schedule.Parse(f.Schedule, "UTC", r.MinInterval, time.Now()); err != nil {
		return err
	}
	return r.Guard.CheckURL("url", f.URL)
}

func newID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "fd_" + hex.EncodeToString(b[:])
}
