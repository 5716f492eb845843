package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// intervalYears is how far ahead shortestGap looks for calendar and
// daylight-saving patterns: 28 years is the cycle of weekdays and leap
// years of the Gregorian calendar from 1901 to 2099, and one more covers
// the pairs of firings that straddle its ends.
const intervalYears = 29

// maxTransitions bounds the time-zone changes shortestGap looks at in
// intervalYears (two a year where daylight saving applies, four in a few
// zones).
const maxTransitions = 8 * intervalYears

// shortestGap looks for two consecutive firings of s less than min apart
// and describes the first it finds. It proves the interval rather than
// sampling it, in three steps, each stopping at the first violation:
//
//  1. Within a day: the times of day s fires at (at most 1,440 for a
//     5-field spec), consecutive pairs compared.
//  2. Across days: the last time of one firing day to the first of the
//     next. When consecutive calendar days would give too short a gap, the
//     calendar days of the next intervalYears (10,600) are walked until
//     two firing days are found that are close enough.
//  3. Across time-zone changes in s's zone: the real firings (s.Next, so
//     robfig/cron's own handling of skipped and repeated hours) from min
//     before each change in the next intervalYears to the end of the
//     hour it repeats. At most maxTransitions changes, each window a few
//     dozen firings at most, since consecutive firings of a 5-field spec
//     that passed step 1 are min apart on the clock.
func shortestGap(s *cron.SpecSchedule, now time.Time, min time.Duration) (gap time.Duration, where string, found bool) {
	loc := s.Location
	if loc == nil || loc == time.Local {
		loc = time.UTC
	}
	var tod []int // seconds of the day s fires at, ascending
	for h := 0; h < 24; h++ {
		if s.Hour&(1<<h) == 0 {
			continue
		}
		for m := 0; m < 60; m++ {
			if s.Minute&(1<<m) == 0 {
				continue
			}
			for sec := 0; sec < 60; sec++ {
				if s.Second&(1<<sec) != 0 {
					tod = append(tod, h*3600+m*60+sec)
				}
			}
		}
	}
	if len(tod) == 0 || (s.Second == 1 && min <= time.Minute) {
		// A 5-field spec fires at second 0 of a minute: never twice
		// within a minute.
		return 0, "", false
	}
	secs := func(n int) time.Duration { return time.Duration(n) * time.Second }
	for i := 1; i < len(tod); i++ {
		if g := secs(tod[i] - tod[i-1]); g < min {
			return g, fmt.Sprintf("at %s and %s", clock(tod[i-1]), clock(tod[i])), true
		}
	}
	first, last := tod[0], tod[len(tod)-1]
	across := func(days int) time.Duration { return secs(days*86400 - last + first) }
	if across(1) < min {
		// Walk the calendar days of the next intervalYears (as dates in
		// s's zone, so daylight saving plays no part) from firing day to
		// firing day.
		y, m, d := now.In(loc).Date()
		prev := -1
		for i := 0; i <= intervalYears*366; i++ {
			day := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
			if !firesOn(s, day) {
				continue
			}
			if prev >= 0 {
				if g := across(i - prev); g < min {
					return g, fmt.Sprintf("at %s on %s and %s on %s", clock(last), day.AddDate(0, 0, prev-i).Format(time.DateOnly), clock(first), day.Format(time.DateOnly)), true
				}
			}
			prev = i
		}
	}
	// Time-zone changes. A pair of firings that straddles one is shorter
	// or longer than on other days by the change, and robfig/cron fires
	// twice in a repeated hour. Only pairs whose first firing is at most
	// min before the change can be too short; the walk goes on through
	// the repeated hour, if any, for robfig/cron's sake.
	horizon := now.AddDate(intervalYears, 0, 0)
	t := now
	for n := 0; n < maxTransitions && t.Before(horizon); n++ {
		_, change := t.In(loc).ZoneBounds()
		if change.IsZero() || !change.After(t) {
			break // no more changes
		}
		_, before := change.Add(-time.Second).In(loc).Zone()
		_, after := change.In(loc).Zone()
		a := s.Next(change.Add(-min))
		if a.IsZero() {
			break
		}
		for end := change.Add(secs(abs(after - before))); !a.After(end); {
			b := s.Next(a)
			if b.IsZero() {
				break
			}
			if g := b.Sub(a); g < min {
				return g, fmt.Sprintf("at %s and %s", a.In(loc).Format(time.RFC3339), b.In(loc).Format(time.RFC3339)), true
			}
			a = b
		}
		// a is the first firing after this change's window; a change
		// whose window ends before it does not matter (and no change
		// moves the clocks by a day).
		t = change
		if skip := a.Add(-24 * time.Hour); skip.After(t) {
			t = skip
		}
	}
	return 0, "", false
}

// starBit marks a cron field given as * (robfig/cron's convention, which
// TestScheduleIntervalMatchesFirings checks against its Next).
const starBit = 1 << 63

// firesOn reports whether s fires on day's date: its month, and its day
// of month and day of week as robfig/cron combines them (both must match
// when either is a *, else either may).
func firesOn(s *cron.SpecSchedule, day time.Time) bool {
	if s.Month&(1<<uint(day.Month())) == 0 {
		return false
	}
	dom := s.Dom&(1<<uint(day.Day())) != 0
	dow := s.Dow&(1<<uint(day.Weekday())) != 0
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// clock formats seconds of the day as 15:04, or 15:04:05 when they are
// not whole minutes.
func clock(s int) string {
	if s%60 != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/3600, s/60%60)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
