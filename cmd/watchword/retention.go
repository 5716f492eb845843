package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/schedule"
)

// ageValue is a flag holding an age: a Go duration or whole days ("30d").
type ageValue time.Duration

func (v *ageValue) String() string {
	if *v == 0 {
		return "0" // pflag shows no default for it
	}
	return engine.FormatAge(time.Duration(*v))
}
func (v *ageValue) Type() string { return "age" }
func (v *ageValue) Set(s string) error {
	d, err := engine.ParseAge(s)
	if err != nil {
		return err
	}
	*v = ageValue(d)
	return nil
}

// retentionFlags are the serve flags of what is kept for how long.
type retentionFlags struct {
	deliveries ageValue
	articles   ageValue
	sources    string
}

func (f *retentionFlags) register(fs *pflag.FlagSet) {
	f.deliveries = ageValue(alerts.DefaultDeliveryRetention)
	fs.Var(&f.deliveries, "delivery-retention", "how long finished webhook deliveries (and the sent records of deleted articles) are kept, e.g. 30d or 72h; 0: for ever")
	fs.Var(&f.articles, "retention", "delete articles dated longer ago than this, e.g. 365d (0: keep every article)")
	fs.StringVar(&f.sources, "retention-source", "", "a shorter retention for some sources, e.g. reuters=30d,wire=7d (applies even with --retention 0)")
}

// article returns the article retention the flags ask for.
func (f *retentionFlags) article() (engine.Retention, error) {
	r := engine.Retention{MaxAge: time.Duration(f.articles)}
	for _, part := range strings.Split(f.sources, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		src, age, ok := strings.Cut(part, "=")
		src = strings.TrimSpace(src)
		d, err := engine.ParseAge(age)
		if !ok || src == "" || err != nil || d <= 0 {
			return engine.Retention{}, usageError{fmt.Errorf("--retention-source %q: want source=age pairs such as reuters=30d", part)}
		}
		if r.Sources == nil {
			r.Sources = map[string]time.Duration{}
		}
		r.Sources[src] = d
	}
	return r, nil
}

// delivery returns alerts.Config.DeliveryRetention: negative for "for ever".
func (f *retentionFlags) delivery() time.Duration {
	if f.deliveries <= 0 {
		return -1
	}
	return time.Duration(f.deliveries)
}

// startRetention starts deleting articles past the retention in the
// background (hourly, in small batches), once the hold of a restored
// store is released; it stops when ctx ends or the engine closes.
func startRetention(ctx context.Context, eng *engine.Engine, r engine.Retention, hold *schedule.Hold, parts *clusterParts, log *slog.Logger) {
	if !r.Enabled() {
		return
	}
	if parts != nil {
		r.Leader = parts.lease.Held // one node deletes; the others fold its tombstones
	}
	log.Info("retention: articles past it are deleted hourly", "retention", r.String())
	hold.OnRelease(func() { eng.RunRetention(ctx, r, time.Hour) })
}
