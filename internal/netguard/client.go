package netguard

import (
	"net"
	"net/http"
	"time"
)

// ClientOptions shape a guarded HTTP client.
type ClientOptions struct {
	// Timeout bounds a whole request and the wait for response headers.
	Timeout time.Duration
	// MaxIdleConns and MaxIdleConnsPerHost size the connection pool.
	MaxIdleConns        int
	MaxIdleConnsPerHost int
	// CheckRedirect is the client's redirect policy (see http.Client).
	CheckRedirect func(req *http.Request, via []*http.Request) error
}

// NewClient returns an HTTP client whose every connection is checked by
// g on the IP actually dialled (see Guard.Control), so neither DNS
// rebinding nor a redirect reaches a refused address. It uses no proxy:
// it dials the target itself, so the guard sees the target's IP. A
// refused dial fails with an error that wraps ErrRefused. g may be nil
// (the default policy).
func NewClient(g *Guard, o ClientOptions) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: g.Control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          o.MaxIdleConns,
		MaxIdleConnsPerHost:   o.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout, CheckRedirect: o.CheckRedirect}
}
