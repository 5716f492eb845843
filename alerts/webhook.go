package alerts

// The webhook client: signing (Standard Webhooks), the POST and the
// classification of the answer. The outbox (Outbox) and the dispatcher
// (dispatch.go) are the other two parts of the sender.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/watchword/watchword/internal/netguard"
)

// signatures returns the webhook-signature value for a message signed
// with each secret, space-separated, as Standard Webhooks allows during a
// rotation: a receiver that knows any of the secrets verifies it.
func signatures(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		sig, err := Sign(secret, id, ts, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Sign returns the webhook-signature value for a message: v1, and the
// base64 HMAC-SHA256 of id.timestamp.body keyed with the secret's bytes.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", fmt.Errorf("alerts: secret is not base64: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// outcome is the result of one attempt.
type outcome struct {
	status     int
	retry      bool          // try again later
	retryAfter time.Duration // from Retry-After on 429/503; 0 when absent
	disable    bool          // 410 Gone: the receiver asks us to stop
	empty      bool          // nothing to send: every article was deleted
	err        error
}

// statusPolicy is the one table of how receiver statuses are treated. A
// 2xx is success; a status not listed is retried on the schedule.
var statusPolicy = map[int]struct{ retry, honourRetryAfter, disable bool }{
	http.StatusGone:               {retry: false, disable: true},
	http.StatusTooManyRequests:    {retry: true, honourRetryAfter: true},
	http.StatusServiceUnavailable: {retry: true, honourRetryAfter: true},
}

// webhookClient is the stateless part of the sender: it signs a message,
// POSTs it and classifies the answer. It keeps nothing.
type webhookClient struct {
	http      *http.Client
	userAgent string
}

// newWebhookClient makes the client of a pool of senders: it keeps an
// idle connection per sender to each receiver, so that a pool sending to
// one receiver reuses its connections instead of closing all but a few
// after each burst and dialling again (net/http keeps 2 per host unless
// told otherwise).
func newWebhookClient(guard *netguard.Guard, timeout time.Duration, version string, senders int) *webhookClient {
	return &webhookClient{
		http: netguard.NewClient(guard, netguard.ClientOptions{
			Timeout: timeout, MaxIdleConns: max(64, 2*senders), MaxIdleConnsPerHost: max(4, senders),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}),
		userAgent: "Watchword/" + version,
	}
}

// post makes one POST signed with each of secrets and classifies the
// answer. Errors never carry the URL's query string or a secret.
func (c *webhookClient) post(ctx context.Context, target string, secrets []string, id string, body []byte) outcome {
	now := time.Now()
	sig, err := signatures(secrets, id, now, body)
	if err != nil {
		return outcome{err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return outcome{err: errors.New("bad webhook url")}
	}
	req.Header.Set("content-type", "application/json")
	req.Header.Set("user-agent", c.userAgent)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, query string included
		}
		if errors.Is(err, netguard.ErrRefused) {
			return outcome{retry: false, err: err}
		}
		return outcome{retry: true, err: fmt.Errorf("post %s: %v", netguard.RedactURL(target), err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return classify(resp.StatusCode, resp.Header.Get("Retry-After"), now)
}

// classify turns a receiver's status into an outcome, by statusPolicy.
func classify(status int, retryAfter string, now time.Time) outcome {
	if status/100 == 2 {
		return outcome{status: status}
	}
	out := outcome{status: status, retry: true, err: fmt.Errorf("receiver answered %d", status)}
	if pol, ok := statusPolicy[status]; ok {
		out.retry, out.disable = pol.retry, pol.disable
		if pol.honourRetryAfter {
			out.retryAfter = netguard.ParseRetryAfter(retryAfter, now)
		}
	}
	return out
}
