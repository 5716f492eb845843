package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
)

// alertFlags are the serve flags of the alert service.
type alertFlags struct {
	minInterval *time.Duration
	retry       *string
	allow       *string
	senders     *int
}

func addAlertFlags(fs *flag.FlagSet) alertFlags {
	return alertFlags{
		minInterval: fs.Duration("min-alert-interval", alerts.DefaultMinInterval, "shortest allowed alert schedule interval"),
		retry:       fs.String("webhook-retry", "", "webhook retry schedule, the wait before each attempt, e.g. 0s,5s,5m (default: the Standard Webhooks schedule)"),
		allow:       fs.String("webhook-allow", "", "CIDRs webhooks may reach despite the private-address guard, e.g. 127.0.0.0/8"),
		senders:     fs.Int("webhook-senders", alerts.DefaultSenders, "concurrent webhook deliveries"),
	}
}

func parseRetry(s string) ([]time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < 0 {
			return nil, usageError{fmt.Errorf("--webhook-retry %q: want durations such as 0s,5s,5m", s)}
		}
		out = append(out, d)
	}
	return out, nil
}

// startAlerts opens the alert service on the engine's store, schedules its
// alerts on the shared scheduler sched and starts its senders.
func startAlerts(eng *engine.Engine, log *slog.Logger, f alertFlags, m *alerts.Metrics, sched *cron.Cron, hold *alerts.Hold) (*alerts.Service, error) {
	retry, err := parseRetry(*f.retry)
	if err != nil {
		return nil, err
	}
	allow, err := alerts.ParseAllow(*f.allow)
	if err != nil {
		return nil, usageError{err}
	}
	if *f.minInterval < time.Second {
		return nil, usageError{errors.New("--min-alert-interval must be at least 1s")}
	}
	svc, err := alerts.New(alerts.Config{
		Engine: eng, Logger: log, MinInterval: *f.minInterval, RetrySchedule: retry,
		Allow: allow, Senders: *f.senders, Version: version, Metrics: m, Cron: sched, Hold: hold,
	})
	if err != nil {
		return nil, err
	}
	if err := svc.Start(); err != nil {
		return nil, err
	}
	return svc, nil
}

// stopService stops a service that runs jobs on the shared scheduler,
// waiting at most timeout for jobs in flight.
func stopService(name string, stop func(context.Context) error, log *slog.Logger, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := stop(ctx); err != nil {
		log.Error(name+": stop", "err", err)
	}
}

const alertsUsage = `usage: watchword alerts list|create|delete|preview [flags]

  alerts list
  alerts create --name N --query Q --webhook URL [--schedule @hourly] [--timezone UTC] [--speaker S ...]
  alerts delete ID
  alerts preview ID
`

// cmdAlerts manages the alerts of a running server.
func cmdAlerts(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, alertsUsage)
		return usageError{errors.New("want list, create, delete or preview")}
	}
	sub := args[0]
	fs := newFlags("alerts "+sub, stderr)
	srv := addServerFlags(fs)
	name := fs.String("name", "", "create: alert name")
	q := fs.String("query", "", "create: query, in the search language")
	hook := fs.String("webhook", "", "create: webhook URL")
	sched := fs.String("schedule", "@hourly", "create: cron spec or descriptor")
	tz := fs.String("timezone", "UTC", "create: IANA time zone of the schedule")
	maxm := fs.Int("max-matches", 0, fmt.Sprintf("create: matches per delivery (default %d)", alerts.DefaultMaxMatches))
	var speakers, countries, topics, sources multiFlag
	fs.Var(&speakers, "speaker", "create: filter by speaker (repeatable)")
	fs.Var(&countries, "country", "create: filter by country (repeatable)")
	fs.Var(&topics, "topic", "create: filter by topic (repeatable)")
	fs.Var(&sources, "source", "create: filter by source (repeatable)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	c := srv.client()
	oneID := func() (string, error) {
		if fs.NArg() != 1 {
			return "", usageError{fmt.Errorf("alerts %s needs one alert id", sub)}
		}
		return url.PathEscape(fs.Arg(0)), nil
	}
	switch sub {
	case "list":
		var res struct {
			Alerts []alerts.View `json:"alerts"`
		}
		if err := c.do("GET", "/api/alerts", "", nil, &res); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCHEDULE\tENABLED\tLAST RUN\tLAST DELIVERY\tQUERY")
		for _, a := range res.Alerts {
			last := "-"
			if a.LastRunAt != nil {
				last = a.LastRunAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\t%s\n", a.ID, a.Name, a.Schedule, a.Enabled, last, a.LastDeliveryStatus, a.Query)
		}
		return tw.Flush()
	case "create":
		in := map[string]any{"name": *name, "query": *q, "webhook_url": *hook, "schedule": *sched, "timezone": *tz,
			"filters": map[string][]string{"speaker": speakers, "country": countries, "topic": topics, "source": sources}}
		if *maxm > 0 {
			in["max_matches_per_delivery"] = *maxm
		}
		body, _ := json.Marshal(in)
		var v alerts.View
		if err := c.do("POST", "/api/alerts", "application/json", body, &v); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created alert %s\nsigning secret (shown once): %s\n", v.ID, v.Secret)
		return nil
	case "delete":
		id, err := oneID()
		if err != nil {
			return err
		}
		if err := c.do("DELETE", "/api/alerts/"+id, "", nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted alert %s\n", fs.Arg(0))
		return nil
	case "preview":
		id, err := oneID()
		if err != nil {
			return err
		}
		var p alerts.Preview
		if err := c.do("GET", "/api/alerts/"+id+"/preview", "", nil, &p); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d new matches would be sent\n", p.TotalNew)
		for _, m := range p.Matches {
			fmt.Fprintf(stdout, "%s  %s  %s\n", m.Date.Format("2006-01-02"), m.ID, m.Title)
		}
		return nil
	}
	fmt.Fprint(stderr, alertsUsage)
	return usageError{fmt.Errorf("unknown alerts command %q", sub)}
}
