package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// Match is one article in a webhook payload (and in a preview).
type Match = news.Summary

const snippetWidth = 240

// matches builds the payload entries from the store; deleted articles are
// left out. Without snippets none is built (Snippet stays empty).
func (s *Service) matches(ctx context.Context, q string, ids []string, snippets bool) ([]Match, error) {
	out := []Match{}
	if len(ids) == 0 {
		return out, nil
	}
	arts, err := s.eng.Articles(ctx, ids)
	if err != nil {
		return nil, err
	}
	var hl *engine.Highlighter
	if snippets {
		node, err := engine.ParseQuery(q, time.Now())
		if err != nil {
			node = nil
		}
		hl = s.eng.Highlighter(node, "body")
	}
	for _, a := range arts {
		if a == nil {
			continue
		}
		var snippet string
		if hl != nil {
			snippet = hl.Lang(a.Language).Snippet(a.Body, snippetWidth)
		}
		out = append(out, a.Summary(snippet))
	}
	// Oldest first; the runner finds matches in no particular order.
	slices.SortStableFunc(out, func(x, y Match) int {
		if c := x.Date.Compare(y.Date); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out, nil
}

// PayloadVersion is the version of the webhook wire format. Adding a
// field keeps it; removing or changing one makes a new version.
const PayloadVersion = 1

// Payload is the versioned wire format of every webhook.
type Payload struct {
	Type      string    `json:"type"`
	Version   int       `json:"version"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// MatchedData is the data of an alert.matched event.
type MatchedData struct {
	Alert    AlertRef         `json:"alert"`
	Matches  []DeliveredMatch `json:"matches"`
	TotalNew int              `json:"total_new"`
}

// encodePayload writes a payload as compact JSON without HTML escaping:
// the snippets' <mark> tags stay as they are instead of \u003cmark\u003e,
// 16 bytes less per highlighted word. A webhook body is not embedded in
// HTML, so nothing needs the escapes.
func encodePayload(p Payload) ([]byte, error) {
	p.Version = PayloadVersion
	return encodeJSON(p)
}

// encodeJSON writes v as compact JSON without HTML escaping.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// TestData is the data of an alert.test event.
type TestData struct {
	Alert AlertRef `json:"alert"`
}

// signatures returns the webhook-signature value for a message signed

// payload builds a delivery's body from the store, with the match fields
// the alert asks for now (so that a receiver that asked for less gets
// less on retries and redeliveries too); nil when every article was
// deleted.
func (s *Service) payload(ctx context.Context, d *Delivery, a *Alert) ([]byte, error) {
	if a.WebhookFormat == FormatSlack {
		return s.slackBody(ctx, d)
	}
	fs := a.matchFields()
	matches, err := s.matches(ctx, d.Alert.Query, d.ArticleIDs, fs.has(fieldSnippet))
	if err != nil {
		return nil, fmt.Errorf("read the matches: %w", err)
	}
	if len(matches) == 0 {
		return nil, nil
	}
	out, err := s.deliveredStories(ctx, matches, fs)
	if err != nil {
		return nil, fmt.Errorf("group the matches by story: %w", err)
	}
	body, err := encodePayload(Payload{Type: EventMatched, Timestamp: d.CreatedAt,
		Data: MatchedData{Alert: d.Alert, Matches: out, TotalNew: d.TotalNew}})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return body, nil
}

// holdFor keeps a delivery back for the next step of its backoff and

// TestResult is the answer of a test event.
type TestResult struct {
	WebhookID  string `json:"webhook_id"`
	StatusCode int    `json:"status_code"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
}

// SendTest sends a signed alert.test event now, outside the outbox, and
// reports the receiver's answer.
func (s *Service) SendTest(ctx context.Context, id string) (*TestResult, error) {
	if err := s.cfg.Hold.Refuse("webhook sending"); err != nil {
		return nil, err
	}
	a, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.WebhookURL == "" {
		return nil, news.Errorf(news.ECodeConflict, "alert %q has no webhook_url: the test event is a webhook", id)
	}
	var body []byte
	if a.WebhookFormat == FormatSlack {
		body, err = slackTest(a, s.AlertURL(a.ID))
	} else {
		body, err = encodePayload(Payload{Type: EventTest, Timestamp: time.Now().UTC(),
			Data: TestData{Alert: AlertRef{ID: a.ID, Name: a.Name, Query: a.Query}}})
	}
	if err != nil {
		return nil, err
	}
	msgID := newID("msg_test_")
	out := s.sender.client.post(ctx, a.WebhookURL, s.signingSecrets(a), msgID, body)
	r := &TestResult{WebhookID: msgID, StatusCode: out.status, OK: out.err == nil}
	if out.err != nil {
		r.Error = out.err.Error()
	}
	return r, nil
}
