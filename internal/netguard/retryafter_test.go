package netguard

import (
	"net/http"
	"testing"
	"time"
)

// TestParseRetryAfter: both forms of the header, the bound, and garbage
// (signed or fractional numbers, bad dates, dates in the past) as no wait.
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		// delta-seconds
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"007", 7 * time.Second},
		{"86399", 86399 * time.Second},
		{"86400", MaxRetryAfter},
		{"999999999", MaxRetryAfter},
		{"99999999999999999999999999", MaxRetryAfter}, // overflows int64: still the cap
		// HTTP-date, in all three formats http.ParseTime reads
		{date(90 * time.Second), 90 * time.Second},
		{now.Add(time.Hour).Format(time.RFC850), time.Hour},
		{now.Add(time.Hour).Format(time.ANSIC), time.Hour},
		{date(48 * time.Hour), MaxRetryAfter},
		{date(-time.Minute), 0},
		{date(0), 0},
		// garbage
		{"", 0},
		{"soon", 0},
		{"-5", 0},
		{"+5", 0},
		{"1.5", 0},
		{"5s", 0},
		{"1e3", 0},
		{"0x10", 0},
		{"Thu, 01 Jan 2026 00:01:30", 0}, // no zone
	} {
		if got := ParseRetryAfter(c.in, now); got != c.want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
