package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/feeds/boltstore"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/schedule"
)

// feedFlags are the serve flags of the feed poller.
type feedFlags struct {
	minInterval time.Duration
	timeout     time.Duration
	maxBytes    int64
	allow       string
}

func (f *feedFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&f.minInterval, "min-feed-interval", feeds.DefaultMinInterval, "shortest allowed feed schedule interval")
	fs.DurationVar(&f.timeout, "feed-timeout", feeds.DefaultTimeout, "time limit of one feed fetch, body included")
	fs.Int64Var(&f.maxBytes, "feed-max-bytes", feeds.DefaultMaxBytes, "largest feed response read, in bytes; larger ones fail the poll")
	fs.StringVar(&f.allow, "feed-allow", "", "CIDRs feeds may be fetched from despite the private-address guard, e.g. 127.0.0.0/8")
}

// startFeeds opens the feed service on the engine's store and schedules
// its feeds on the shared scheduler sched.
func startFeeds(ctx context.Context, eng *engine.Engine, log *slog.Logger, f feedFlags, m *feeds.Metrics, sched *cron.Cron, hold *schedule.Hold, parts *clusterParts) (*feeds.Service, error) {
	allow, err := netguard.ParseAllow(f.allow)
	if err != nil {
		return nil, usageError{fmt.Errorf("--feed-allow: %w", err)}
	}
	if f.minInterval < time.Second {
		return nil, usageError{errors.New("--min-feed-interval must be at least 1s")}
	}
	if f.timeout <= 0 || f.maxBytes <= 0 {
		return nil, usageError{errors.New("--feed-timeout and --feed-max-bytes must be positive")}
	}
	var st feeds.Store
	var leader func() bool
	if parts != nil {
		st, leader = parts.feeds, parts.lease.Held
	} else if st, err = boltstore.New(ctx, eng.Store()); err != nil {
		return nil, err
	}
	svc, err := feeds.New(feeds.Config{Leader: leader,
		Engine: eng, Store: st, Logger: log, MinInterval: f.minInterval, Allow: allow, Timeout: f.timeout,
		MaxBytes: f.maxBytes, Version: version, Metrics: m, Cron: sched, Hold: hold,
	})
	if err != nil {
		return nil, err
	}
	if err := svc.Start(ctx); err != nil {
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

// newFeedsCmd manages the feeds of a running server.
func newFeedsCmd(stdout io.Writer) *cobra.Command {
	return groupCmd("feeds", "Manage the feeds of a running server",
		newFeedsAddCmd(stdout), newFeedsListCmd(stdout), newFeedsRemoveCmd(stdout), newFeedsPollCmd(stdout))
}

func newFeedsAddCmd(stdout io.Writer) *cobra.Command {
	var (
		srv           serverFlags
		sched, source string
		noPoll        bool
	)
	c := &cobra.Command{
		Use:   "add URL [flags]",
		Short: "Add a feed and poll it at once",
		Args:  exactArgs(1, "one feed URL"),
		RunE: func(c *cobra.Command, args []string) error {
			in := map[string]any{"url": args[0]}
			if sched != "" {
				in["schedule"] = sched
			}
			if source != "" {
				in["source"] = source
			}
			body, _ := json.Marshal(in)
			cl := srv.client()
			var v feeds.View
			if err := cl.do(c.Context(), "POST", "/api/feeds", "application/json", body, &v); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added feed %s (%s)\n", v.ID, v.Schedule)
			if noPoll {
				return nil
			}
			return pollFeed(c.Context(), cl, v.ID, stdout)
		},
	}
	fs := c.Flags()
	srv.register(fs)
	fs.StringVar(&sched, "schedule", "", "cron spec or descriptor (default @every 1h)")
	fs.StringVar(&source, "source", "", "source name of the feed's articles (default: the feed's title)")
	fs.BoolVar(&noPoll, "no-poll", false, "do not fetch the feed at once")
	return c
}

func newFeedsListCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	c := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the feeds and their status",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var res struct {
				Feeds []feeds.View `json:"feeds"`
			}
			if err := srv.client().do(c.Context(), "GET", "/api/feeds", "", nil, &res); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSOURCE\tSCHEDULE\tLAST POLL\tSTATUS\tITEMS\tNEXT POLL\tURL")
			for _, f := range res.Feeds {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.ID, orDash(f.Source), f.Schedule, when(f.LastPolledAt),
					status(f), f.ItemsIngested, when(f.NextPollAt), f.URL)
			}
			return tw.Flush()
		},
	}
	srv.register(c.Flags())
	return c
}

func newFeedsRemoveCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	c := &cobra.Command{
		Use:   "remove ID [flags]",
		Short: "Remove a feed (its articles stay)",
		Args:  exactArgs(1, "one feed id"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := srv.client().do(c.Context(), "DELETE", "/api/feeds/"+url.PathEscape(args[0]), "", nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "removed feed %s (its articles stay)\n", args[0])
			return nil
		},
	}
	srv.register(c.Flags())
	return c
}

func newFeedsPollCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	c := &cobra.Command{
		Use:   "poll ID [flags]",
		Short: "Poll a feed now and print what it added",
		Args:  exactArgs(1, "one feed id"),
		RunE: func(c *cobra.Command, args []string) error {
			return pollFeed(c.Context(), srv.client(), args[0], stdout)
		},
	}
	srv.register(c.Flags())
	return c
}

// pollFeed polls a feed now and prints what was added; a failed poll is
// an error (exit status 1).
func pollFeed(ctx context.Context, c *client, id string, stdout io.Writer) error {
	var r feeds.PollResult
	if err := c.do(ctx, "POST", "/api/feeds/"+url.PathEscape(id)+"/poll", "", nil, &r); err != nil {
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
