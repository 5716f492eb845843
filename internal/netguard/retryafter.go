package netguard

import (
	"net/http"
	"strings"
	"time"
)

// MaxRetryAfter caps the wait a server may ask for with Retry-After.
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After header value (RFC 9110 10.2.3):
// either delta-seconds (ASCII digits only: no sign, no fraction) or an
// HTTP-date, which counts from now. The wait is at most MaxRetryAfter; a
// date in the past, an empty value and anything else give 0 (no wait
// asked for).
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		const maxSecs = int64(MaxRetryAfter / time.Second)
		var n int64
		for i := 0; i < len(v); i++ {
			n = n*10 + int64(v[i]-'0')
			if n >= maxSecs {
				return MaxRetryAfter
			}
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, MaxRetryAfter)
		}
	}
	return 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
