package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/schedule"
)

// alertFlags are the serve flags of the alert service.
type alertFlags struct {
	minInterval   time.Duration
	realtimeEvery time.Duration
	retry         string
	allow         string
	senders       int
	smtpURL       string
	smtpFrom      string
	publicURL     string
}

func (f *alertFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&f.minInterval, "min-alert-interval", alerts.DefaultMinInterval, "shortest allowed alert schedule interval")
	fs.DurationVar(&f.realtimeEvery, "realtime-every", alerts.DefaultRealtimeEvery, "rate cap of @realtime alerts: at most one evaluation round of them per this interval (signals of ingests meanwhile join the next round)")
	fs.StringVar(&f.retry, "webhook-retry", "", "webhook retry schedule, the wait before each attempt, e.g. 0s,5s,5m (default: the Standard Webhooks schedule)")
	fs.StringVar(&f.allow, "webhook-allow", "", "CIDRs webhooks may reach despite the private-address guard, e.g. 127.0.0.0/8")
	fs.IntVar(&f.senders, "webhook-senders", alerts.DefaultSenders, "concurrent webhook deliveries")
	fs.StringVar(&f.smtpURL, "smtp-url", "", "SMTP server for alert emails: smtp://user:pass@host:587 (STARTTLS required; add ?starttls=optional for a relay without TLS) or smtps://user:pass@host:465 (TLS); prefer WATCHWORD_SMTP_URL to keep the password out of the process list")
	fs.StringVar(&f.smtpFrom, "smtp-from", "", "sender address of alert emails, e.g. watchword@example.com (required with --smtp-url)")
	fs.StringVar(&f.publicURL, "public-url", "", "the server's URL as its users reach it, e.g. https://watchword.example.com: the base of the links in emails and chat messages (required with --smtp-url)")
}

// smtp reads --smtp-url and --smtp-from; nil without --smtp-url. Its
// errors never carry the password.
func (f *alertFlags) smtp() (*alerts.SMTPConfig, error) {
	if strings.TrimSpace(f.smtpURL) == "" {
		if f.smtpFrom != "" {
			return nil, usageError{errors.New("--smtp-from needs --smtp-url")}
		}
		return nil, nil
	}
	c, err := alerts.ParseSMTPURL(f.smtpURL, f.smtpFrom)
	if err != nil {
		return nil, usageError{err}
	}
	if strings.TrimSpace(f.publicURL) == "" {
		return nil, usageError{errors.New("--smtp-url needs --public-url: each email links to the alert and to a pause link on this server")}
	}
	return c, nil
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
func startAlerts(eng *engine.Engine, log *slog.Logger, f alertFlags, deliveryRetention time.Duration, m *alerts.Metrics, sched *cron.Cron, hold *schedule.Hold, parts *clusterParts) (*alerts.Service, error) {
	retry, err := parseRetry(f.retry)
	if err != nil {
		return nil, err
	}
	allow, err := netguard.ParseAllow(f.allow)
	if err != nil {
		return nil, usageError{err}
	}
	if f.minInterval < time.Second {
		return nil, usageError{errors.New("--min-alert-interval must be at least 1s")}
	}
	if f.realtimeEvery < alerts.MinRealtimeEvery {
		return nil, usageError{fmt.Errorf("--realtime-every must be at least %s", alerts.MinRealtimeEvery)}
	}
	smtp, err := f.smtp()
	if err != nil {
		return nil, err
	}
	var ast alerts.Store
	var leader func() bool
	var fresh func(context.Context) error
	if parts != nil {
		ast, leader, fresh = parts.alerts, parts.lease.Held, parts.fresh
	} else if ast, err = boltstore.New(context.Background(), eng.Store(), log); err != nil {
		return nil, err
	}
	svc, err := alerts.New(alerts.Config{Leader: leader, Fresh: fresh,
		Store: ast, Engine: eng, Logger: log, MinInterval: f.minInterval, RetrySchedule: retry,
		Allow: allow, Senders: f.senders, Version: version, Metrics: m, Cron: sched, Hold: hold,
		DeliveryRetention: deliveryRetention, RealtimeEvery: f.realtimeEvery, SMTP: smtp, PublicURL: strings.TrimSpace(f.publicURL),
	})
	if err != nil {
		return nil, usageError{err}
	}
	if smtp != nil {
		log.Info("alerts: email on", "smtp", smtp.String(), "smtp_url", netguard.RedactURL(f.smtpURL), "from", smtp.From, "public_url", f.publicURL)
	}
	if parts != nil {
		// A delivery enqueued by another node's evaluation wakes this
		// node's senders too.
		parts.alerts.OnDue(svc.WakeSenders)
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

// newAlertsCmd manages the alerts of a running server.
func newAlertsCmd(stdout io.Writer) *cobra.Command {
	return groupCmd("alerts", "Manage the alerts of a running server",
		newAlertsListCmd(stdout), newAlertsCreateCmd(stdout), newAlertsDeleteCmd(stdout), newAlertsPreviewCmd(stdout), newAlertsRotateCmd(stdout))
}

func newAlertsListCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	c := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the alerts",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var res struct {
				Alerts []alerts.View `json:"alerts"`
			}
			if err := srv.client().do(c.Context(), "GET", "/api/alerts", "", nil, &res); err != nil {
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
		},
	}
	srv.register(c.Flags())
	return c
}

func newAlertsCreateCmd(stdout io.Writer) *cobra.Command {
	var (
		srv                                  serverFlags
		name, q, hook, format, sched, tz     string
		maxm                                 int
		speakers, countries, topics, sources []string
		emails                               []string
	)
	c := &cobra.Command{
		Use:   "create --name N --query Q (--webhook URL | --email ADDRESS) [flags]",
		Short: "Create an alert; prints its signing secret once",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			in := map[string]any{"name": name, "query": q, "webhook_url": hook, "schedule": sched, "timezone": tz,
				"filters": map[string][]string{"speaker": speakers, "country": countries, "topic": topics, "source": sources}}
			if maxm > 0 {
				in["max_matches_per_delivery"] = maxm
			}
			if len(emails) > 0 {
				in["email"] = emails
			}
			if format != "" {
				in["webhook_format"] = format
			}
			body, _ := json.Marshal(in)
			var v alerts.View
			if err := srv.client().do(c.Context(), "POST", "/api/alerts", "application/json", body, &v); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created alert %s\nsigning secret (shown once): %s\n", v.ID, v.Secret)
			return nil
		},
	}
	fs := c.Flags()
	srv.register(fs)
	fs.StringVar(&name, "name", "", "alert name")
	fs.StringVar(&q, "query", "", "query, in the search language (empty: every new article that passes the --speaker, --country, --topic or --source filters)")
	fs.StringVar(&hook, "webhook", "", "webhook URL")
	fs.StringVar(&format, "webhook-format", "", "webhook body: standard (default) or slack")
	fs.StringArrayVar(&emails, "email", nil, "address to mail each delivery to (repeatable; the server needs --smtp-url)")
	fs.StringVar(&sched, "schedule", "@hourly", "cron spec or descriptor, or @realtime (evaluated as articles are ingested)")
	fs.StringVar(&tz, "timezone", "UTC", "IANA time zone of the schedule")
	fs.IntVar(&maxm, "max-matches", 0, fmt.Sprintf("matches per delivery (default %d)", alerts.DefaultMaxMatches))
	fs.StringArrayVar(&speakers, "speaker", nil, "filter by speaker (repeatable)")
	fs.StringArrayVar(&countries, "country", nil, "filter by country (repeatable)")
	fs.StringArrayVar(&topics, "topic", nil, "filter by topic (repeatable)")
	fs.StringArrayVar(&sources, "source", nil, "filter by source (repeatable)")
	return c
}

func newAlertsDeleteCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	c := &cobra.Command{
		Use:   "delete ID [flags]",
		Short: "Delete an alert",
		Args:  exactArgs(1, "one alert id"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := srv.client().do(c.Context(), "DELETE", "/api/alerts/"+url.PathEscape(args[0]), "", nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "deleted alert %s\n", args[0])
			return nil
		},
	}
	srv.register(c.Flags())
	return c
}

func newAlertsRotateCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	var grace time.Duration
	c := &cobra.Command{
		Use:   "rotate-secret ID [flags]",
		Short: "Replace an alert's signing secret; the old one keeps signing for --grace",
		Args:  exactArgs(1, "one alert id"),
		RunE: func(c *cobra.Command, args []string) error {
			body, err := json.Marshal(map[string]string{"grace": grace.String()})
			if err != nil {
				return err
			}
			var v alerts.View
			if err := srv.client().do(c.Context(), "POST", "/api/alerts/"+url.PathEscape(args[0])+"/rotate-secret", "application/json", body, &v); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "new secret for alert %s (shown once): %s\n", v.ID, v.Secret)
			for _, p := range v.PreviousSecrets {
				fmt.Fprintf(stdout, "a previous secret keeps signing until %s\n", p.ExpiresAt.Format(time.RFC3339))
			}
			return nil
		},
	}
	c.Flags().DurationVar(&grace, "grace", alerts.DefaultRotationGrace, "how long the replaced secret keeps signing deliveries beside the new one (0s: stop at once)")
	srv.register(c.Flags())
	return c
}

func newAlertsPreviewCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	c := &cobra.Command{
		Use:   "preview ID [flags]",
		Short: "Show what an alert's next run would send",
		Args:  exactArgs(1, "one alert id"),
		RunE: func(c *cobra.Command, args []string) error {
			var p alerts.Preview
			if err := srv.client().do(c.Context(), "GET", "/api/alerts/"+url.PathEscape(args[0])+"/preview", "", nil, &p); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%d new matches would be sent\n", p.TotalNew)
			for _, m := range p.Matches {
				fmt.Fprintf(stdout, "%s  %s  %s\n", m.Date.Format("2006-01-02"), m.ID, m.Title)
			}
			return nil
		},
	}
	srv.register(c.Flags())
	return c
}
