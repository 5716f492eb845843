package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// TestRealtime: @realtime is recognized whatever its case and spaces,
// and Parse, which makes clock schedules (feeds take only those),
// refuses it with a 400 naming it instead of robfig/cron's "unrecognized
// descriptor".
func TestRealtime(t *testing.T) {
	for _, s := range []string{"@realtime", " @realtime ", "@RealTime"} {
		if !IsRealtime(s) {
			t.Errorf("IsRealtime(%q) false", s)
		}
	}
	for _, s := range []string{"", "@hourly", "@realtime 5s", "realtime"} {
		if IsRealtime(s) {
			t.Errorf("IsRealtime(%q) true", s)
		}
	}
	_, err := Parse("@realtime", "UTC", time.Minute, time.Now())
	if news.ErrorCode(err) != news.ECodeInvalid || !strings.Contains(err.Error(), "only alerts") {
		t.Fatalf("Parse(@realtime): %v", err)
	}
}
