package engine

// Stories: each article indexed gets a story id from the near-duplicate
// detector (internal/stories), fed in sequence order, under writeMu, just
// before its batch goes to the index: at ingest, in the catch-up replay
// and in a rebuild. The detector's state is derived from the log like the
// index: at open it is rebuilt by reading the log up to the index's
// sequence in order (warmStories), so the same articles in the same order
// give the same stories, and a reindex regroups everything from scratch.

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/watchword/watchword/index"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/stories"
)

// signStories computes the signatures of arts on every core.
func (e *Engine) signStories(arts []*news.Article) []*stories.Signature {
	sigs := make([]*stories.Signature, len(arts))
	ForEach(len(arts), runtime.GOMAXPROCS(0), func(i int) { sigs[i] = e.storyCfg.Sign(arts[i].Body) })
	return sigs
}

// group assigns puts to stories (in order; sigs[i] is puts[i]'s signature,
// nil sigs: computed here) and forgets dels. It runs under writeMu.
func (e *Engine) group(puts []*news.Article, dels []string, sigs []*stories.Signature) {
	for _, id := range dels {
		e.stories.Remove(id)
	}
	if sigs == nil {
		sigs = e.signStories(puts)
	}
	for i, a := range puts {
		a.Story = e.stories.Add(storyDoc(a, sigs[i]))
		a.StoryJoined = a.Story != stories.ID(a.ID)
	}
}

// warmStories restores the detector at open from the articles of the
// log's last MaxEntries sequences up to seq (what it can hold at most),
// in order, each in the story the index has for it: the stories stay
// the ones searched and delivered, and opening reads a bounded tail of
// the log, not all of it. An article the index lacks (none should) is
// grouped again.
func (e *Engine) warmStories(ctx context.Context, seq uint64) error {
	if seq == 0 {
		return nil
	}
	start := time.Now()
	from := seq - min(seq, uint64(e.storyCfg.MaxEntries))
	n := 0
	err := e.articles.ReadFrom(ctx, from, seq, e.batch, func(chs []news.Change) error {
		var puts []*news.Article
		var ids []string
		for _, c := range chs {
			if c.Deleted {
				e.stories.Remove(c.ID)
			} else {
				puts = append(puts, c.Article)
				ids = append(ids, c.ID)
			}
		}
		of, err := e.index.StoriesOf(ctx, ids)
		if err != nil {
			return err
		}
		sigs := e.signStories(puts)
		for i, a := range puts {
			if st, ok := of[a.ID]; ok {
				e.stories.Put(storyDoc(a, sigs[i]), st)
			} else {
				e.group([]*news.Article{a}, nil, sigs[i:i+1])
			}
		}
		n += len(chs)
		return nil
	})
	if err != nil {
		return fmt.Errorf("engine: restore stories: %w", err)
	}
	logctx.From(ctx, e.log).Info("stories: detector restored from the log and the index", "changes", n, "held", e.stories.Len(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// storyDoc is a as the detector sees it.
func storyDoc(a *news.Article, sig *stories.Signature) stories.Doc {
	// The detector holds what was ingested within the window (and at
	// most MaxEntries): a backfill of old articles groups with itself,
	// and a future date pushes nothing out.
	clock := a.IngestedAt
	if clock.IsZero() {
		clock = a.Date
	}
	return stories.Doc{ID: a.ID, Seq: a.Seq, Date: a.Date, Clock: clock, Sig: sig}
}

// StoryDetectorLen is the number of articles the story detector holds.
func (e *Engine) StoryDetectorLen() int {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return e.stories.Len()
}

// StoriesOf returns the story id of each of ids that is indexed with one
// (from the index: the stories the articles were grouped into).
func (e *Engine) StoriesOf(ctx context.Context, ids []string) (map[string]string, error) {
	return e.index.StoriesOf(ctx, ids)
}

// StoryCopies returns the ids of up to limit indexed copies of a story.
func (e *Engine) StoryCopies(ctx context.Context, story string, limit int) ([]string, error) {
	n, err := query.Parse("story:" + story)
	if err != nil {
		return nil, err
	}
	res, err := e.index.Search(ctx, index.Request{Query: n, Sort: index.SortUnordered, Size: limit, Limits: e.limits})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}
