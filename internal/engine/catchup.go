package engine

// Keeping the index caught up with the store: the replay at open, the
// replay before a write after a failed index batch, and the background
// repair while that replay fails.

import (
	"context"
	"fmt"
	"time"

	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/news"
)

// catchUp replays every store change after the index's last sequence.
func (e *Engine) catchUp(ctx context.Context) error {
	from, err := e.index.LastSeq()
	if err != nil {
		return err
	}
	last, err := e.articles.LastSeq(ctx)
	if err != nil {
		return err
	}
	if from > last {
		// The index claims more than the store has: it belongs to another
		// store. Start it again.
		logctx.From(ctx, e.log).Warn("index is ahead of the store, rebuilding", "index_seq", from, "store_seq", last)
		from = 0
	}
	if err := e.warmStories(ctx, from); err != nil {
		return err
	}
	if from == last {
		e.indexedSeq.Store(last)
		return nil
	}
	logctx.From(ctx, e.log).Info("index: catching up with the store", "from_seq", from, "to_seq", last)
	return e.replay(ctx, from, last)
}

// syncLocked replays the changes after the last applied sequence when the
// store is ahead of the index, which happens only after a failed index
// batch. It runs with writeMu held before every write and delete, so no
// later batch can move the index's marker past a sequence it does not
// hold; while it fails, writes are refused with ECodeUnavailable and the
// background repair is running.
func (e *Engine) syncLocked() error {
	// Not the caller's context: the replay repairs the index for every
	// later write, and a half-done one is replayed again anyway.
	ctx := context.Background()
	last, err := e.articles.LastSeq(ctx)
	if err != nil {
		return err
	}
	from := e.indexedSeq.Load()
	if from >= last {
		return nil
	}
	if !e.follow {
		e.log.Warn("index: replaying the changes a failed index batch left out", "from_seq", from, "to_seq", last)
	}
	if err := e.replay(ctx, from, last); err != nil {
		e.log.Error("index: replay failed; writes are refused until it succeeds", "from_seq", from, "err", err)
		e.repairLocked()
		return &news.Error{Code: news.ECodeUnavailable, Err: err,
			Message: "the search index is behind the store after a failed write and could not catch up; try again later"}
	}
	return nil
}

// repairLocked starts the background repair unless it runs already (it
// is what calls syncLocked then). It is called with writeMu held.
func (e *Engine) repairLocked() {
	if e.repairing {
		return
	}
	e.repairing = true
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		wait := e.repairWait
		for {
			t := time.NewTimer(wait)
			select {
			case <-e.closing:
				t.Stop()
				return
			case <-t.C:
			}
			e.writeMu.Lock()
			err := e.syncLocked()
			if err == nil {
				e.repairing = false
			}
			e.writeMu.Unlock()
			if err == nil {
				return
			}
			wait = min(2*wait, time.Minute)
		}
	}()
}

// replay applies the store's changes in (from, last] to the index and
// moves the marker to last.
func (e *Engine) replay(ctx context.Context, from, last uint64) error {
	log := logctx.From(ctx, e.log)
	start := time.Now()
	var done int
	lastLog := time.Now()
	err := e.articles.ReadFrom(ctx, from, last, e.batch, func(chs []news.Change) error {
		var puts []*news.Article
		var dels []string
		for _, c := range chs {
			if c.Deleted {
				dels = append(dels, c.ID)
			} else {
				puts = append(puts, c.Article)
			}
		}
		seq := chs[len(chs)-1].Seq
		e.group(puts, dels, nil)
		if err := e.apply(puts, dels, seq); err != nil {
			return err
		}
		e.indexedSeq.Store(seq)
		done += len(chs)
		if time.Since(lastLog) > 2*time.Second {
			log.Info("index: catch-up progress", "changes", done, "seq", seq, "last", last)
			lastLog = time.Now()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("engine: catch up index: %w", err)
	}
	// Sequences of replaced articles leave gaps in the log; record the
	// store's last sequence so the next start has nothing to do.
	if err := e.apply(nil, nil, last); err != nil {
		return fmt.Errorf("engine: catch up index: %w", err)
	}
	e.indexedSeq.Store(last)
	if e.follow {
		// Every change of a followed log comes here.
		log.Debug("index: caught up", "changes", done, "seq", last, "took", time.Since(start).Round(time.Millisecond))
		return nil
	}
	log.Info("index: caught up", "changes", done, "seq", last, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// followLog replays the changes of a followed log (see Follower) into
// the index each time it signals, until the engine closes. A failed
// replay starts the background repair (syncLocked).
func (e *Engine) followLog(changed <-chan struct{}) {
	defer e.bg.Done()
	for {
		select {
		case <-e.closing:
			return
		case <-changed:
		}
		e.writeMu.Lock()
		before := e.indexedSeq.Load()
		_ = e.syncLocked() // logs its error and starts the repair
		after := e.indexedSeq.Load()
		e.writeMu.Unlock()
		if after > before {
			// Other nodes' articles are searchable here now: the
			// watchers (@realtime alerts) are told as for a local ingest.
			e.notifyIndexed(after)
		}
	}
}

// writeFollowing is write on a followed log: each batch is appended, then
// the index replays the log up to where it is, which holds the batch and
// whatever other nodes appended before it. It runs with writeMu held.
func (e *Engine) writeFollowing(ctx context.Context, arts []*news.Article, prepare func([]*news.Article)) (int, error) {
	stored := 0
	for i := 0; i < len(arts); i += e.batch {
		chunk := arts[i:min(i+e.batch, len(arts))]
		if ctx.Err() == nil && prepare != nil {
			prepare(chunk)
		}
		if ctx.Err() != nil {
			return stored, fmt.Errorf("engine: write %d articles: %w", len(arts), context.Cause(ctx))
		}
		if _, err := e.articles.Append(ctx, chunk); err != nil {
			return stored, fmt.Errorf("engine: write %d articles: %w", len(arts), err)
		}
		stored += len(chunk)
		if err := e.syncLocked(); err != nil {
			return stored, err
		}
	}
	return stored, nil
}
