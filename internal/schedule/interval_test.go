package schedule

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/watchword/watchword/internal/news"
)

// TestScheduleMinimumInterval: every firing counts, not the first few:
// schedules whose short gap comes late in the hour, at a month's end, in
// a leap year, between weekdays, or at a daylight-saving change are
// refused, and their neighbours that never fire that close are accepted.
func TestScheduleMinimumInterval(t *testing.T) {
	now := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC) // a Monday
	burst := "0,10,20,30,40,50,51,52,53,54,55,56,57,58,59 9 * * *"
	cases := []struct {
		spec, tz string
		min      time.Duration
		refuse   string // "" to accept; else a part of the message
	}{
		{burst, "UTC", 10 * time.Minute, "1m0s apart (at 09:50 and 09:51)"},
		{burst, "UTC", time.Minute, ""},
		{"0,10,20,30,40,50 * * * *", "UTC", 10 * time.Minute, ""},
		{"*/10 * * * *", "UTC", 11 * time.Minute, "10m0s apart"},
		{"0 * * * *", "UTC", time.Hour, ""},
		{"@hourly", "UTC", 61 * time.Minute, "1h0m0s apart"},
		{"@every 10m", "UTC", 10 * time.Minute, ""},
		{"@every 9m", "UTC", 10 * time.Minute, "fires every 9m0s"},
		{"55 23 * * *", "UTC", 24 * time.Hour, ""},
		{"55 23 * * *", "UTC", 24*time.Hour + time.Second, "24h0m0s apart"},
		// Across days: 23:59 then 00:00 on the next calendar day.
		{"0,59 0,23 * * *", "UTC", 10 * time.Minute, "at 23:59 on 2025-01-06 and 00:00 on 2025-01-07"},
		// Only at the end of a 31-day month, of a 30-day month, of
		// February in a leap year.
		{"0,59 0,23 1,31 * *", "UTC", 10 * time.Minute, "at 23:59 on 2025-01-31 and 00:00 on 2025-02-01"},
		{"0,59 0,23 1,30 * *", "UTC", 10 * time.Minute, "at 23:59 on 2025-04-30 and 00:00 on 2025-05-01"},
		{"0,59 0,23 28,29 2 *", "UTC", 10 * time.Minute, "at 23:59 on 2028-02-28 and 00:00 on 2028-02-29"},
		{"0,59 0,23 1,29 * *", "UTC", 10 * time.Minute, "at 23:59 on 2028-02-29 and 00:00 on 2028-03-01"},
		{"0,59 0,23 2,29 * *", "UTC", 10 * time.Minute, ""},
		// Day of week, and day of month OR day of week (both restricted).
		{"0,59 0,23 * * 1,2", "UTC", 10 * time.Minute, "on 2025-01-06 and 00:00 on 2025-01-07"},
		{"0,59 0,23 * * 1,3,5", "UTC", 10 * time.Minute, ""},
		{"59 23 * * 1,3,5", "UTC", 48 * time.Hour, ""},
		{"59 23 * * 1,3,5", "UTC", 48*time.Hour + time.Second, "at 23:59 on 2025-01-06 and 23:59 on 2025-01-08"},
		{"0,59 0,23 1 * 0", "UTC", 10 * time.Minute, "on 2025-02-01 and 00:00 on 2025-02-02"},  // Saturday the 1st, then Sunday
		{"0,59 0,23 31 * 1", "UTC", 10 * time.Minute, "on 2025-08-31 and 00:00 on 2025-09-01"}, // Sunday the 31st, then Monday
		{"0,59 0,23 15 * 0", "UTC", 10 * time.Minute, "on 2025-02-15 and 00:00 on 2025-02-16"}, // Saturday the 15th
		// Day of month AND day of week when one is a star: Mondays in January.
		{"0,59 0,23 * 1 1", "UTC", 10 * time.Minute, ""},
		// Daylight saving: New York repeats 01:00-01:59 on 2 November 2025,
		// and robfig/cron fires in both: 01:50 EDT, then 01:10 EST.
		{"10,50 1 * * *", "America/New_York", 30 * time.Minute, "20m0s apart (at 2025-11-02T01:50:00-04:00 and 2025-11-02T01:10:00-05:00)"},
		{"10,50 1 * * *", "UTC", 30 * time.Minute, ""},
		{"TZ=America/New_York 10,50 1 * * *", "UTC", 30 * time.Minute, "20m0s apart"},
		// Berlin skips 02:00-02:59 on 30 March 2025: 01:30 CET to 03:30
		// CEST is an hour.
		{"30 1,3 * * *", "Europe/Berlin", 90 * time.Minute, "1h0m0s apart (at 2025-03-30T01:30:00+01:00 and 2025-03-30T03:30:00+02:00)"},
		{"30 1,3 * * *", "Europe/Berlin", time.Hour, ""},
		// Lord Howe moves its clocks by half an hour, from 02:00 to 02:30
		// on 5 October 2025.
		{"45 2 * * *", "Australia/Lord_Howe", 24 * time.Hour, "23h30m0s apart (at 2025-10-04T02:45:00+10:30 and 2025-10-05T02:45:00+11:00)"},
		{"45 2 * * *", "Australia/Lord_Howe", 23*time.Hour + 30*time.Minute, ""},
	}
	for _, c := range cases {
		t.Run(c.tz+" "+c.spec+" "+c.min.String(), func(t *testing.T) {
			_, err := Parse(c.spec, c.tz, c.min, now)
			switch {
			case c.refuse == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.refuse != "" && news.ErrorCode(err) != news.ECodeInvalid:
				t.Fatalf("accepted (%v), want refused with %q", err, c.refuse)
			case c.refuse != "" && !strings.Contains(err.Error(), c.refuse):
				t.Fatalf("message %q, want %q in it", err, c.refuse)
			}
		})
	}
}

// TestScheduleIntervalMatchesFirings compares shortestGap with brute
// force on random schedules: the shortest gap between consecutive real
// firings (cron's Next) over the check's whole horizon. A schedule is
// refused with a minimum just above that gap and accepted with the gap
// itself. The specs are sparse enough for the brute force to walk 29
// years.
func TestScheduleIntervalMatchesFirings(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 12))
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Tokyo"}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(365*24)) * time.Hour)
	pick := func(lo, hi, n int) string {
		var vs []string
		for range n {
			vs = append(vs, fmt.Sprint(lo+rng.IntN(hi-lo+1)))
		}
		return strings.Join(vs, ",")
	}
	edge := func(vs ...int) string { return fmt.Sprint(vs[rng.IntN(len(vs))]) }
	for i := 0; i < 15; i++ {
		minutes := pick(0, 59, 1+rng.IntN(3)) + "," + edge(0, 59)
		hours := pick(0, 23, 1+rng.IntN(2)) + "," + edge(0, 1, 2, 3, 23)
		doms := pick(1, 31, 1+rng.IntN(3)) + "," + edge(1, 28, 29, 30, 31)
		months := pick(1, 12, 1+rng.IntN(3))
		dows := "*"
		if rng.IntN(2) == 0 {
			dows = pick(0, 6, 1)
		}
		spec := strings.Join([]string{minutes, hours, doms, months, dows}, " ")
		tz := zones[rng.IntN(len(zones))]
		loc, _ := time.LoadLocation(tz)
		s, err := cron.ParseStandard("CRON_TZ=" + tz + " " + spec)
		if err != nil {
			t.Fatal(spec, err)
		}
		ss := s.(*cron.SpecSchedule)
		// Brute force.
		best, end := time.Duration(1<<62), now.AddDate(intervalYears, 0, 0)
		var bestAt time.Time
		a := s.Next(now)
		for n := 0; !a.IsZero() && a.Before(end); n++ {
			b := s.Next(a)
			if b.IsZero() {
				break
			}
			if b.Sub(a) < best {
				best, bestAt = b.Sub(a), a
			}
			a = b
			if n > 200_000 {
				t.Fatalf("%s: too many firings for the brute force", spec)
			}
		}
		if best == 1<<62 {
			continue // fires once at most
		}
		if _, _, found := shortestGap(ss, now, best+time.Second); !found {
			t.Errorf("%s in %s: fires %s apart at %s, accepted with a minimum of %s", spec, tz, best, bestAt.In(loc), best+time.Second)
		}
		if g, where, found := shortestGap(ss, now, best); found {
			t.Errorf("%s in %s: refused with the minimum %s, the shortest real gap (at %s); reported %s %s", spec, tz, best, bestAt.In(loc), g, where)
		}
	}
}

// BenchmarkShortestGap: the worst cases: dense schedules in zones with
// daylight saving at their minimum (no early stop), and schedules of rare
// firing days.
func BenchmarkShortestGap(b *testing.B) {
	now := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		spec, tz string
		min      time.Duration
	}{
		{"*/5 * * * *", "Australia/Lord_Howe", 5 * time.Minute},
		{"*/2 * * * *", "Europe/Berlin", 2 * time.Minute},
		{"* * * * *", "UTC", time.Minute},
		{"0,59 0,23 * * 1,3,5", "Europe/Berlin", 10 * time.Minute},
		{"0,59 0,23 29 2 *", "America/New_York", 10 * time.Minute},
	} {
		b.Run(c.tz+" "+c.spec, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(c.spec, c.tz, c.min, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
