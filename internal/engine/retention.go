package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
)

// Retention says which articles are deleted for their age, by their date
// (the publication date; an article ingested without one is dated at its
// ingest). The zero value deletes nothing.
type Retention struct {
	// MaxAge deletes every article dated more than MaxAge ago; 0: none.
	MaxAge time.Duration
	// Sources deletes the articles of a source (named as the source
	// filter matches it) dated more than its age ago, whatever
	// MaxAge says: a shorter limit for some sources, or the only limit
	// when MaxAge is 0.
	Sources map[string]time.Duration
	// Leader, when set, tells whether this node runs the background
	// passes (RunRetention) now: a cluster's scheduler lease, so one
	// node deletes and the others fold its tombstones. nil: always.
	Leader func() bool
}

// Enabled reports whether the retention deletes anything.
func (r Retention) Enabled() bool { return r.MaxAge > 0 || len(r.Sources) > 0 }

// String describes the retention for logs: "365d, reuters=30d".
func (r Retention) String() string {
	var parts []string
	if r.MaxAge > 0 {
		parts = append(parts, FormatAge(r.MaxAge))
	}
	srcs := make([]string, 0, len(r.Sources))
	for s := range r.Sources {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	for _, s := range srcs {
		parts = append(parts, s+"="+FormatAge(r.Sources[s]))
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ", ")
}

// ParseAge reads an age as a Go duration ("720h", "90m") or a whole
// number of days ("365d").
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int64
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || fmt.Sprint(n) != days || n < 0 || n > 100_000 {
			return 0, fmt.Errorf("%q is not a number of days such as 365d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not an age such as 365d or 720h", s)
	}
	return d, nil
}

// FormatAge writes an age in whole days when it is one ("30d"), else as a
// Go duration.
func FormatAge(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// pruneBatch is the most articles one retention step deletes: one store
// transaction and one index batch, so a pass never holds the write lock
// (and ingest) for long.
const pruneBatch = 500

// PruneArticles deletes the articles the retention says are too old,
// through the same path as Delete (a tombstone in the change log, then
// the index), in batches of at most pruneBatch with the write lock
// released between them. The alert runner sees the deletions like any
// other: deleted articles are neither matched nor sent. It stops early,
// with ctx's error, when ctx is done; the next pass continues.
func (e *Engine) PruneArticles(ctx context.Context, r Retention) (int, error) {
	now := e.now()
	type rule struct {
		source string
		age    time.Duration
	}
	var rules []rule
	if r.MaxAge > 0 {
		rules = append(rules, rule{age: r.MaxAge})
	}
	for s, age := range r.Sources {
		if age > 0 {
			rules = append(rules, rule{source: s, age: age})
		}
	}
	total := 0
	for _, ru := range rules {
		req := index.Request{Query: &query.All{}, To: now.Add(-ru.age), Sort: index.SortUnordered, Size: pruneBatch}
		if ru.source != "" {
			req.Filters.Sources = []string{ru.source}
		}
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			res, err := e.index.Search(ctx, req)
			if err != nil {
				return total, fmt.Errorf("engine: find articles past retention: %w", err)
			}
			if len(res.Hits) == 0 {
				break
			}
			ids := make([]string, len(res.Hits))
			for i, h := range res.Hits {
				ids[i] = h.ID
			}
			n, err := e.DeleteMany(ctx, ids)
			total += n
			if err != nil {
				return total, err
			}
			if n == 0 {
				// The index names articles the store no longer has: it
				// is behind, and DeleteMany caught it up. Stop here
				// rather than spin; the next pass sees the index right.
				break
			}
		}
	}
	return total, nil
}

// DeleteMany removes the stored articles among ids from the store (one
// transaction) and the index (one batch), and returns how many it
// deleted; ids not stored are skipped.
func (e *Engine) DeleteMany(ctx context.Context, ids []string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("engine: delete %d articles: %w", len(ids), context.Cause(ctx))
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if err := e.syncLocked(); err != nil {
		return 0, err
	}
	deleted, seq, err := e.articles.Delete(ctx, ids)
	if err != nil || len(deleted) == 0 {
		return 0, err
	}
	if e.follow {
		return len(deleted), e.syncLocked()
	}
	e.group(nil, deleted, nil)
	if err := e.apply(nil, deleted, seq); err != nil {
		if e.syncLocked() == nil {
			return len(deleted), nil
		}
		return len(deleted), fmt.Errorf("engine: delete %d articles: %w", len(deleted), err)
	}
	e.indexedSeq.Store(seq)
	return len(deleted), nil
}

// Exist reports, for each id, whether the article is stored.
func (e *Engine) Exist(ctx context.Context, ids []string) ([]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("engine: exist: %w", context.Cause(ctx))
	}
	return e.articles.Exist(ctx, ids)
}

// RunRetention runs PruneArticles now and then every `every` in the
// background until ctx is done or the engine closes, logging what it
// deleted. A nil-retention (nothing enabled) does not start.
func (e *Engine) RunRetention(ctx context.Context, r Retention, every time.Duration) {
	if !r.Enabled() {
		return
	}
	if every <= 0 {
		every = time.Hour
	}
	ctx, cancel := context.WithCancel(ctx)
	e.bg.Add(2)
	go func() {
		defer e.bg.Done()
		defer cancel()
		select {
		case <-e.closing:
		case <-ctx.Done():
		}
	}()
	go func() {
		defer e.bg.Done()
		for {
			start := time.Now()
			var n int
			var err error
			if r.Leader == nil || r.Leader() {
				n, err = e.PruneArticles(ctx, r)
			}
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				e.log.Error("retention: delete old articles", "deleted", n, "err", err)
			case n > 0:
				e.log.Info("retention: deleted old articles", "deleted", n, "retention", r.String(),
					"took", time.Since(start).Round(time.Millisecond))
			}
			t := time.NewTimer(every)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
}
