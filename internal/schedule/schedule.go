// Package schedule parses the cron schedules of alerts and feeds, checks
// their minimum interval, and makes the one scheduler the server shares
// between them.
package schedule

import (
	"log/slog"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/watchword/watchword/internal/news"
)

// MaxSpecBytes bounds a schedule spec.
const MaxSpecBytes = 256

// Realtime is the schedule of an alert evaluated as articles are
// ingested rather than on a clock. It is not a cron spec: Parse refuses
// it, and the alerts service, the only user that accepts it, checks
// IsRealtime first and runs such alerts on the engine's ingest signal.
const Realtime = "@realtime"

// IsRealtime reports whether spec is the realtime schedule (spaces
// around it and its case do not matter).
func IsRealtime(spec string) bool { return strings.EqualFold(strings.TrimSpace(spec), Realtime) }

// Parse parses a cron spec (5 fields or a descriptor such as
// @hourly or @every 5m) in the IANA time zone tz and checks that it fires,
// and never twice within minInterval (0: no check), on any day: see
// shortestGap. robfig/cron panics on some inputs
// (TZ= without a spec); those are recovered into a 400.
func Parse(spec, tz string, minInterval time.Duration, now time.Time) (sched cron.Schedule, err error) {
	if len(spec) > MaxSpecBytes {
		return nil, news.Errorf(news.ECodeInvalid, "schedule is longer than %d bytes", MaxSpecBytes)
	}
	if IsRealtime(spec) {
		return nil, news.Errorf(news.ECodeInvalid, "schedule %q is not a clock schedule: only alerts take it", spec)
	}
	loc, lerr := time.LoadLocation(tz)
	if lerr != nil || tz == "Local" {
		return nil, news.Errorf(news.ECodeInvalid, "timezone %q is not a known IANA time zone", tz)
	}
	full := spec
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// The spec names its own zone; it must be a valid one, followed by
		// a spec. robfig/cron panics when nothing follows.
		_, rest, _ := strings.Cut(spec, "=")
		zone, tail, ok := strings.Cut(rest, " ")
		if !ok || strings.TrimSpace(tail) == "" || zone == "" {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q: TZ=/CRON_TZ= must be followed by a time zone and a spec; prefer the timezone field", spec)
		}
		spec = strings.TrimSpace(tail)
	} else {
		full = "CRON_TZ=" + loc.String() + " " + spec
	}
	defer func() {
		if p := recover(); p != nil {
			sched, err = nil, news.Errorf(news.ECodeInvalid, "schedule %q is not a valid cron spec", spec)
		}
	}()
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, derr := time.ParseDuration(strings.TrimSpace(rest))
		if derr != nil {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q: @every needs a duration such as 5m or 1h", spec)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q: @every needs a whole number of seconds", spec)
		}
		if d < minInterval {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q fires every %s, more often than the minimum interval of %s", spec, d, minInterval)
		}
	}
	s, perr := cron.ParseStandard(full)
	if perr != nil {
		return nil, news.Errorf(news.ECodeInvalid, "schedule %q is not a valid cron spec: %v", spec, perr)
	}
	if s.Next(now).IsZero() {
		return nil, news.Errorf(news.ECodeInvalid, "schedule %q never fires", spec)
	}
	if ss, ok := s.(*cron.SpecSchedule); ok && minInterval > 0 {
		if gap, where, found := shortestGap(ss, now, minInterval); found {
			return nil, news.Errorf(news.ECodeInvalid, "schedule %q fires %s apart (%s), more often than the minimum interval of %s", spec, gap, where, minInterval)
		}
	}
	return s, nil
}

// NewCron returns a scheduler with the options alerts and feeds rely on: UTC,
// a panicking job is logged and recovered, and a job still running when
// it fires again skips that firing. The server shares one between alerts
// and feeds (alerts.Config.Cron, feeds.Config.Cron).
func NewCron(log *slog.Logger) *cron.Cron {
	return cron.New(
		cron.WithLocation(time.UTC),
		cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log})),
	)
}

type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
