package alerts

import (
	"net/http"
	"testing"
	"time"
)

// classify is the one place statuses become outcomes: a 2xx succeeds,
// 410 disables without a retry, 429 and 503 retry after Retry-After,
// anything else retries on the schedule.
func TestClassify(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		status     int
		retryAfter string
		retry      bool
		wait       time.Duration
		disable    bool
		ok         bool
	}{
		{status: 200, ok: true},
		{status: 204, ok: true},
		{status: http.StatusGone, disable: true},
		{status: http.StatusTooManyRequests, retryAfter: "120", retry: true, wait: 2 * time.Minute},
		{status: http.StatusServiceUnavailable, retryAfter: now.Add(time.Hour).Format(http.TimeFormat), retry: true, wait: time.Hour},
		{status: http.StatusServiceUnavailable, retry: true},
		{status: http.StatusInternalServerError, retryAfter: "120", retry: true}, // not honoured on a 500
		{status: http.StatusNotFound, retry: true},
		{status: http.StatusMovedPermanently, retry: true},
	} {
		out := classify(c.status, c.retryAfter, now)
		if out.status != c.status || out.retry != c.retry || out.retryAfter != c.wait || out.disable != c.disable || (out.err == nil) != c.ok {
			t.Errorf("%d (Retry-After %q): %+v, want retry %v after %s, disable %v, ok %v", c.status, c.retryAfter, out, c.retry, c.wait, c.disable, c.ok)
		}
	}
}
