package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
)

// feedFlags are the serve flags of the feed poller.
type feedFlags struct {
	minInterval *time.Duration
	timeout     *time.Duration
	maxBytes    *int64
	allow       *string
}

func addFeedFlags(fs *flag.FlagSet) feedFlags {
	return feedFlags{
		minInterval: fs.Duration("min-feed-interval", feeds.DefaultMinInterval, "shortest allowed feed schedule interval"),
		timeout:     fs.Duration("feed-timeout", feeds.DefaultTimeout, "time limit of one feed fetch, body included"),
		maxBytes:    fs.Int64("feed-max-bytes", feeds.DefaultMaxBytes, "largest feed response read, in bytes; larger ones fail the poll"),
		allow:       fs.String("feed-allow", "", "CIDRs feeds may be fetched from despite the private-address guard, e.g. 127.0.0.0/8"),
	}
}

// startFeeds opens the feed service on the engine's store and schedules
// its feeds on the shared scheduler sched.
func startFeeds(eng *engine.Engine, log *slog.Logger, f feedFlags, m *feeds.Metrics, sched *cron.Cron, hold *alerts.Hold) (*feeds.Service, error) {
	allow, err := alerts.ParseAllow(*f.allow)
	if err != nil {
		return nil, usageError{fmt.Errorf("--feed-allow: %w", err)}
	}
	if *f.minInterval < time.Second {
		return nil, usageError{errors.New("--min-feed-interval must be at least 1s")}
	}
	if *f.timeout <= 0 || *f.maxBytes <= 0 {
		return nil, usageError{errors.New("--feed-timeout and --feed-max-bytes must be positive")}
	}
	svc, err := feeds.New(feeds.Config{
		Engine: eng, Logger: log, MinInterval: *f.minInterval, Allow: allow, Timeout: *f.timeout,
		MaxBytes: *f.maxBytes, Version: version, Metrics: m, Cron: sched, Hold: hold,
	})
	if err != nil {
		return nil, err
	}
	if err := svc.Start(); err != nil {
		return nil, err
	}
	return svc, nil
}

// stopCron stops the shared scheduler once its services are stopped, and
// waits for jobs still running.
func stopCron(c *cron.Cron, log *slog.Logger, timeout time.Duration) {
	select {
	case <-c.Stop().Done():
	case <-time.After(timeout):
		log.Error("scheduler: jobs still running at shutdown")
	}
}

const feedsUsage = `usage: watchword feeds add|list|remove|poll [flags]

  feeds add [--schedule "@every 1h"] [--source NAME] [--no-poll] URL
  feeds list
  feeds remove ID
  feeds poll ID
`

// cmdFeeds manages the feeds of a running server.
func cmdFeeds(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, feedsUsage)
		return usageError{errors.New("want add, list, remove or poll")}
	}
	sub := args[0]
	fs := newFlags("feeds "+sub, stderr)
	srv := addServerFlags(fs)
	sched := fs.String("schedule", "", "add: cron spec or descriptor (default @every 1h)")
	source := fs.String("source", "", "add: source name of the feed's articles (default: the feed's title)")
	noPoll := fs.Bool("no-poll", false, "add: do not fetch the feed at once")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	c := srv.client()
	oneArg := func(what string) (string, error) {
		if fs.NArg() != 1 {
			return "", usageError{fmt.Errorf("feeds %s needs one %s", sub, what)}
		}
		return fs.Arg(0), nil
	}
	switch sub {
	case "list":
		var res struct {
			Feeds []feeds.View `json:"feeds"`
		}
		if err := c.do("GET", "/api/feeds", "", nil, &res); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSOURCE\tSCHEDULE\tLAST POLL\tSTATUS\tITEMS\tNEXT POLL\tURL")
		for _, f := range res.Feeds {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.ID, orDash(f.Source), f.Schedule, when(f.LastPolledAt),
				status(f), f.ItemsIngested, when(f.NextPollAt), f.URL)
		}
		return tw.Flush()
	case "add":
		u, err := oneArg("feed URL")
		if err != nil {
			return err
		}
		in := map[string]any{"url": u}
		if *sched != "" {
			in["schedule"] = *sched
		}
		if *source != "" {
			in["source"] = *source
		}
		body, _ := json.Marshal(in)
		var v feeds.View
		if err := c.do("POST", "/api/feeds", "application/json", body, &v); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added feed %s (%s)\n", v.ID, v.Schedule)
		if *noPoll {
			return nil
		}
		return pollFeed(c, v.ID, stdout)
	case "remove":
		id, err := oneArg("feed id")
		if err != nil {
			return err
		}
		if err := c.do("DELETE", "/api/feeds/"+url.PathEscape(id), "", nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed feed %s (its articles stay)\n", id)
		return nil
	case "poll":
		id, err := oneArg("feed id")
		if err != nil {
			return err
		}
		return pollFeed(c, id, stdout)
	}
	fmt.Fprint(stderr, feedsUsage)
	return usageError{fmt.Errorf("unknown feeds command %q", sub)}
}

// pollFeed polls a feed now and prints what was added; a failed poll is
// an error (exit status 1).
func pollFeed(c *client, id string, stdout io.Writer) error {
	var r feeds.PollResult
	if err := c.do("POST", "/api/feeds/"+url.PathEscape(id)+"/poll", "", nil, &r); err != nil {
		return err
	}
	if r.Status == feeds.StatusError {
		return fmt.Errorf("poll of %s failed: %s", id, r.Error)
	}
	fmt.Fprintf(stdout, "polled %s: %s, %d entries, %d added, %d updated, %d unchanged, %d rejected\n",
		id, r.Status, r.Entries, r.Added, r.Updated, r.Unchanged+r.Known, r.Rejected)
	for _, a := range r.Articles {
		fmt.Fprintf(stdout, "  %s  %s  %s\n", a.Date.Format("2006-01-02"), a.ID, a.Title)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(stdout, "  entry %d rejected: %s\n", e.Index+1, e.Message)
	}
	return nil
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// status is a feed's state in one word or two.
func status(f feeds.View) string {
	switch {
	case !f.Enabled:
		return "paused"
	case f.LastStatus == "":
		return "not polled"
	case f.ConsecutiveFailures > 0:
		return fmt.Sprintf("error×%d: %s", f.ConsecutiveFailures, f.LastError)
	}
	return f.LastStatus
}
