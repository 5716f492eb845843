package query

import (
	"testing"
	"time"
)

func TestDateMathExported(t *testing.T) {
	now := time.Date(2026, 3, 31, 15, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in         string
		start, end time.Time
	}{
		{"now-7d", now.AddDate(0, 0, -7), now.AddDate(0, 0, -7).Add(time.Nanosecond)},
		{"now-24h", now.Add(-24 * time.Hour), now.Add(-24 * time.Hour).Add(time.Nanosecond)},
		{"now/d", time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"now-1M/M", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
	} {
		s, e, err := DateMath(c.in, now)
		if err != nil || !s.Equal(c.start) || !e.Equal(c.end) {
			t.Errorf("DateMath(%q) = %v, %v, %v; want %v, %v", c.in, s, e, err, c.start, c.end)
		}
	}
	for _, bad := range []string{"", "2026-03-01", "now-7", "now-7x", "now/d/d"} {
		if _, _, err := DateMath(bad, now); err == nil {
			t.Errorf("DateMath(%q): no error", bad)
		}
	}
}
