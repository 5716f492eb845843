package alerts

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// RunResult reports one evaluation round.
type RunResult struct {
	Alerts     int           `json:"alerts"`
	Articles   int           `json:"articles"` // new articles read from the store
	Matches    int           `json:"matches"`  // new matches written to the outbox
	Deliveries int           `json:"deliveries"`
	UpTo       uint64        `json:"up_to"`
	Took       time.Duration `json:"-"`
	TookMS     float64       `json:"took_ms"`
	EvalMS     float64       `json:"eval_ms"`   // reading and matching
	CommitMS   float64       `json:"commit_ms"` // outbox, sent-sets, watermarks
}

// job is one alert in an evaluation: its snapshot and its matches.
type job struct {
	a       *Alert
	node    engine.QueryNode
	matches []string // article ids, in date order
	err     error
}

// evaluate matches the alerts against the articles with a sequence in
// (watermark, upTo]. The new articles are read from the store once, in
// windows of cfg.Window, and indexed into an in-memory index; each alert's
// query runs there with its own sequence range and filters. The cost
// follows the new articles and the alerts, not the archive.
func (s *Service) evaluate(ctx context.Context, jobs []*job, upTo uint64) (int, error) {
	minW := upTo
	for _, j := range jobs {
		minW = min(minW, j.a.Watermark)
	}
	if minW >= upTo {
		return 0, nil
	}
	workers := s.cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	read := 0
	err := s.eng.Changes(ctx, minW, upTo, s.cfg.Window, func(batch []engine.Change) error {
		puts := make([]*news.Article, 0, len(batch))
		for _, c := range batch {
			if !c.Deleted && c.Article != nil {
				puts = append(puts, c.Article)
			}
		}
		read += len(puts)
		if len(puts) == 0 {
			return nil
		}
		lo, hi := batch[0].Seq-1, batch[len(batch)-1].Seq
		mem, err := engine.NewMatcher(s.log, puts, hi)
		if err != nil {
			return err
		}
		defer mem.Close()
		engine.ForEach(len(jobs), workers, func(i int) {
			j := jobs[i]
			if j.err != nil || j.a.Watermark >= hi {
				return
			}
			var after uint64
			if j.a.Watermark > lo {
				after = j.a.Watermark
			}
			// The small index holds only (lo, hi]: no range is needed
			// unless the watermark falls inside it.
			ids, err := mem.Match(ctx, j.node, j.a.Filters, after, 0)
			if err != nil {
				j.err = err
				return
			}
			j.matches = append(j.matches, ids...)
		})
		return nil
	})
	return read, err
}

// prepare builds the jobs for alerts, parsing (or reusing) their queries
// for a run at now.
func (s *Service) prepare(alerts []*Alert, now time.Time) []*job {
	jobs := make([]*job, 0, len(alerts))
	for _, a := range alerts {
		n, err := s.parsed(a, now)
		jobs = append(jobs, &job{a: a, node: n, err: err})
	}
	return jobs
}

// RunAlerts evaluates the given alerts in one batch and commits, in one
// bbolt transaction, their deliveries to the outbox, their sent-sets and
// their new watermarks. An alert edited or deleted meanwhile is left for
// its next run. ctx ends the evaluation (between windows of new articles,
// and in each search); a run whose ctx ends before the commit commits
// nothing and returns ctx's error.
func (s *Service) RunAlerts(ctx context.Context, alerts []*Alert) (*RunResult, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	start := time.Now()
	upTo := s.eng.IndexedSeq()
	jobs := s.prepare(alerts, s.cfg.Clock())
	read, err := s.evaluate(ctx, jobs, upTo)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx) // a search cut short: do not commit a partial run
	}
	if err != nil {
		for range jobs {
			s.cfg.Metrics.run(false)
		}
		return nil, fmt.Errorf("alerts: evaluate: %w", err)
	}
	if err := s.dropDeliveredStories(ctx, jobs); err != nil {
		return nil, fmt.Errorf("alerts: evaluate: %w", err)
	}
	res := &RunResult{Alerts: len(alerts), Articles: read, UpTo: upTo}
	res.EvalMS = float64(time.Since(start).Microseconds()) / 1000
	now := time.Now().UTC()
	batch := make([]RunCommit, 0, len(jobs))
	for _, j := range jobs {
		if j.err != nil {
			s.log.Error("alerts: alert run failed", "alert", j.a.ID, "err", j.err)
			continue
		}
		batch = append(batch, RunCommit{Alert: j.a, Matches: j.matches})
	}
	// ctx has not ended (checked above): the commit runs to its end, so
	// that a round is written as a whole or not at all.
	outs, err := s.store.CommitRun(context.WithoutCancel(ctx), now, upTo, batch)
	for _, o := range outs {
		res.Matches += o.Matches
		res.Deliveries += o.Deliveries
	}
	for _, j := range jobs {
		s.cfg.Metrics.run(err == nil && j.err == nil)
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: commit run: %w", err)
	}
	s.cfg.Metrics.matched(res.Matches)
	if res.Deliveries > 0 {
		s.sender.wake()
	}
	res.Took = time.Since(start)
	res.TookMS = float64(res.Took.Microseconds()) / 1000
	res.CommitMS = res.TookMS - res.EvalMS
	return res, nil
}

// RunNow runs one alert now, through the same code path as the scheduler.
// ctx ends it as RunAlerts says: a run commits as a whole (its
// watermark, sent-set and deliveries move together) or not at all.
func (s *Service) RunNow(ctx context.Context, id string) (*RunResult, error) {
	if err := s.cfg.Hold.Refuse("alert evaluation"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("alerts: run %s: %w", id, context.Cause(ctx))
	}
	a, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.RunAlerts(ctx, []*Alert{a})
}

// RunAll runs every enabled alert in one batch.
func (s *Service) RunAll(ctx context.Context) (*RunResult, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	on := all[:0]
	for _, a := range all {
		if a.Enabled {
			on = append(on, a)
		}
	}
	return s.RunAlerts(ctx, on)
}

// Preview is the dry run of an alert: what its next run would send.
type Preview struct {
	TotalNew int     `json:"total_new"`
	UpTo     uint64  `json:"up_to"`
	Matches  []Match `json:"matches"`
}

// MaxPreview bounds the matches a preview shows (total_new counts all).
const MaxPreview = 1000

// Preview evaluates an alert without sending anything or moving its
// watermark.
func (s *Service) Preview(ctx context.Context, id string) (*Preview, error) {
	a, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	upTo := s.eng.IndexedSeq()
	jobs := s.prepare([]*Alert{a}, s.cfg.Clock())
	if jobs[0].err != nil {
		return nil, jobs[0].err
	}
	if _, err := s.evaluate(ctx, jobs, upTo); err != nil {
		return nil, fmt.Errorf("alerts: preview: %w", err)
	}
	if jobs[0].err != nil {
		return nil, jobs[0].err
	}
	if err := s.dropDeliveredStories(ctx, jobs); err != nil {
		return nil, fmt.Errorf("alerts: preview: %w", err)
	}
	ids, err := s.store.Unsent(ctx, a, jobs[0].matches)
	if err != nil {
		return nil, fmt.Errorf("alerts: preview: %w", err)
	}
	p := &Preview{TotalNew: len(ids), UpTo: upTo}
	if len(ids) > MaxPreview {
		ids = ids[:MaxPreview]
	}
	p.Matches, err = s.matches(ctx, a.Query, ids, true)
	if err != nil {
		return nil, err
	}
	return p, nil
}
