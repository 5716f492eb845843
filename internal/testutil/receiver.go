package testutil

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is one request a Receiver got.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Receiver is a real HTTP server on loopback that records every request,
// for tests of webhook senders. It answers 200 unless Status says
// otherwise. It closes when the test ends.
type Receiver struct {
	*httptest.Server

	mu     sync.Mutex
	status func(r *http.Request, n int) int
	got    []Request
}

// NewReceiver starts a Receiver. status, when not nil, chooses each
// answer's status from the request and its number (from 1); 0 means 200.
func NewReceiver(t testing.TB, status func(r *http.Request, n int) int) *Receiver {
	t.Helper()
	rc := &Receiver{status: status}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	n, status := len(rc.got), rc.status
	rc.mu.Unlock()
	code := http.StatusOK
	if status != nil {
		if c := status(r, n); c != 0 {
			code = c
		}
	}
	w.WriteHeader(code)
}

// Requests returns a copy of the requests received so far, in order.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.got...)
}

// Count is the number of requests received so far.
func (rc *Receiver) Count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}
