package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/watchword/watchword/internal/netguard"
)

// maxRedirects is how many redirects a fetch follows.
const maxRedirects = 5

// accept names the formats the poller reads, preferred first.
const accept = "application/rss+xml, application/atom+xml, application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"

// fetcher does the HTTP side of a poll.
type fetcher struct {
	client    *http.Client
	userAgent string
	maxBytes  int64
}

// response is what a fetch brought back.
type response struct {
	status       int
	notModified  bool
	body         []byte
	contentType  string // its charset decides how the body decodes
	etag         string
	lastModified string
}

// fetchError is a failed fetch: a message fit for last_error (never the
// URL, whose query string may hold a token) and the HTTP status if any.
type fetchError struct {
	status     int
	msg        string
	retryAfter time.Duration
}

func (e *fetchError) Error() string { return e.msg }

func newFetcher(g *netguard.Guard, timeout time.Duration, maxBytes int64, userAgent string) *fetcher {
	return &fetcher{
		client: netguard.NewClient(g, netguard.ClientOptions{
			Timeout: timeout, MaxIdleConns: 32, MaxIdleConnsPerHost: 2,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("more than %d redirects", maxRedirects)
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to a %q URL", req.URL.Scheme)
				}
				return nil
			},
		}),
		userAgent: userAgent,
		maxBytes:  maxBytes,
	}
}

// fetch GETs the feed, conditionally when validators are known, and reads
// at most maxBytes of the body: a larger response is an error, read no
// further than the limit.
func (f *fetcher) fetch(ctx context.Context, rawURL, etag, lastModified string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &fetchError{msg: "bad feed URL"}
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, &fetchError{msg: "fetch failed: " + describe(err)}
	}
	defer resp.Body.Close()
	r := &response{status: resp.StatusCode}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		r.notModified = true
		return r, nil
	case resp.StatusCode/100 != 2:
		fe := &fetchError{status: resp.StatusCode, msg: "HTTP " + resp.Status}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			fe.retryAfter = netguard.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return nil, fe
	}
	if resp.ContentLength > f.maxBytes {
		return nil, &fetchError{status: resp.StatusCode, msg: fmt.Sprintf("response is %d bytes, over the limit of %d bytes", resp.ContentLength, f.maxBytes)}
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, f.maxBytes+1))
	if n > f.maxBytes {
		return nil, &fetchError{status: resp.StatusCode, msg: fmt.Sprintf("response is larger than the limit of %d bytes", f.maxBytes)}
	}
	if err != nil {
		return nil, &fetchError{status: resp.StatusCode, msg: "reading the response failed: " + describe(err)}
	}
	r.body = buf.Bytes()
	r.contentType = resp.Header.Get("Content-Type")
	r.etag = resp.Header.Get("ETag")
	r.lastModified = resp.Header.Get("Last-Modified")
	return r, nil
}

// describe renders a client error without the URL it was about.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, netguard.ErrRefused):
		return err.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return err.Error()
}
