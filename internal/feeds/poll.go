package feeds

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/netguard"
	"github.com/watchword/watchword/internal/news"
)

// PollResult is what one poll did.
type PollResult struct {
	FeedID     string `json:"feed_id"`
	Status     string `json:"status"` // ok, not_modified or error
	Error      string `json:"error,omitempty"`
	HTTPStatus int    `json:"http_status"`
	// Entries = Added + Updated + Unchanged + Known + Rejected + Duplicates.
	Entries    int `json:"entries"`    // entries in the document
	Added      int `json:"added"`      // new articles
	Updated    int `json:"updated"`    // edited entries whose article was rewritten
	Unchanged  int `json:"unchanged"`  // seen before: nothing written
	Known      int `json:"known"`      // new to this feed but already stored (another feed, a file, a push)
	Rejected   int `json:"rejected"`   // entries that are not valid articles (see errors)
	Duplicates int `json:"duplicates"` // entries repeating an earlier entry's id (guid) in the document: the first counts
	// Articles are the added articles, in document order.
	Articles   []AddedArticle     `json:"articles"`
	UpdatedIDs []string           `json:"updated_ids"`
	Errors     []engine.ItemError `json:"errors"` // index: the entry's position in the document
	TookMS     float64            `json:"took_ms"`
	Feed       View               `json:"feed"`
}

// AddedArticle names an article a poll added.
type AddedArticle struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	URL   string    `json:"url"`
	Date  time.Time `json:"date"`
}

// Poll fetches a feed now, whether it is paused or backing off, and
// ingests what is new, through the same code path as the scheduler. A
// failed fetch or a malformed document is not an error of the call: it is
// reported in the result (status error) and in the feed's status.
//
// The fetch and the ingest end when ctx ends (or the service stops): then
// Poll returns ctx's error and records nothing in the feed's status, and
// the next poll tries again. It logs through the logger ctx carries (see
// internal/logctx), if any.
func (s *Service) Poll(ctx context.Context, id string) (*PollResult, error) {
	if err := s.cfg.Hold.Refuse("feed polling"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("feeds: poll %s: %w", id, context.Cause(ctx))
	}
	if !s.begin() {
		return nil, news.Errorf(news.ECodeUnavailable, "the feed poller is shutting down")
	}
	defer s.wg.Done()
	// The poll ends with the caller's ctx or with the service.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	return s.poll(ctx, id)
}

// entry is one document entry on its way through a poll.
type entry struct {
	index int // position in the document
	item  ingest.FeedItem
	key   string // seen-set key: the entry's key
	prev  *Seen  // the seen-set's record, nil when new to this feed
	write bool   // to be written
	added bool   // new article (else an update)
}

// poll polls one feed; ctx ends with the service (s.ctx) too.
func (s *Service) poll(ctx context.Context, id string) (*PollResult, error) {
	defer s.lock(id)()
	if err := ctx.Err(); err != nil {
		if s.ctx.Err() != nil {
			return nil, news.Errorf(news.ECodeUnavailable, "the feed poller is shutting down")
		}
		return nil, fmt.Errorf("feeds: poll %s: %w", id, context.Cause(ctx))
	}
	start := time.Now()
	f, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	res := &PollResult{FeedID: id, Articles: []AddedArticle{}, UpdatedIDs: []string{}, Errors: []engine.ItemError{}}
	now := s.now().UTC()
	resp, err := s.fetch.fetch(ctx, f.URL, f.ETag, f.LastModified)
	if err != nil {
		if s.ctx.Err() != nil {
			return nil, news.Errorf(news.ECodeUnavailable, "the feed poller is shutting down")
		}
		if ctx.Err() != nil {
			// The caller went away: not the feed's failure.
			return nil, fmt.Errorf("feeds: poll %s: fetch: %w", id, context.Cause(ctx))
		}
		return s.fail(ctx, f, res, err, now, start)
	}
	res.HTTPStatus = resp.status
	if resp.notModified {
		res.Status = StatusNotModified
		return s.commit(ctx, f, res, nil, nil, "", resp, now, start)
	}
	pf, err := ingest.ParseFeedType(resp.body, resp.contentType, f.URL, now)
	if err != nil {
		return s.fail(ctx, f, res, &fetchError{status: resp.status, msg: news.ErrorMessage(err)}, now, start)
	}
	res.Status = StatusOK
	res.Entries = len(pf.Items)
	source := f.Source
	if source == "" {
		source = pf.Title
	}
	if source == "" {
		if u, err := url.Parse(f.URL); err == nil {
			source = u.Hostname()
		}
	}

	// Sort the entries into new, edited and seen, against the seen-set.
	var entries []*entry
	inDoc := map[string]bool{}
	for i, it := range pf.Items {
		if it.Duplicate {
			res.Duplicates++
			continue
		}
		if it.Err != nil {
			res.Rejected++
			res.Errors = append(res.Errors, engine.ItemError{Index: i, Code: news.ErrorCode(it.Err), Message: news.ErrorMessage(it.Err)})
			continue
		}
		k := it.Key
		if inDoc[k] {
			res.Duplicates++ // ParseFeed marks these already
			continue
		}
		inDoc[k] = true
		it.Article.Source = source
		entries = append(entries, &entry{index: i, item: it, key: k})
	}
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.key
	}
	prev, err := s.store.Seen(ctx, f.ID, keys)
	if err != nil {
		return nil, fmt.Errorf("feeds: poll %s: read seen-set: %w", id, err)
	}
	for i, e := range entries {
		e.prev = prev[i]
	}
	if err := s.decide(ctx, entries, res); err != nil {
		return nil, fmt.Errorf("feeds: poll %s: %w", id, err)
	}

	// Write the new and edited entries through the pipeline.
	var arts []*news.Article
	var written []*entry
	for _, e := range entries {
		if e.write {
			arts = append(arts, e.item.Article)
			written = append(written, e)
		}
	}
	if len(arts) > 0 {
		_, rejected, err := s.eng.Ingest(ctx, arts)
		if err != nil {
			// Nothing is marked seen: the next poll tries again, and the
			// store check keeps whatever did land from being doubled.
			if ctx.Err() != nil {
				return nil, fmt.Errorf("feeds: poll %s: %w", id, err) // not the feed's failure
			}
			_, _ = s.fail(ctx, f, res, &fetchError{status: resp.status, msg: "storing the entries failed"}, now, start)
			return nil, fmt.Errorf("feeds: poll %s: %w", id, err)
		}
		for _, r := range rejected {
			e := written[r.Index]
			e.write = false
			e.item.Article = nil // not stored: not marked seen, tried again next time
			res.Rejected++
			res.Errors = append(res.Errors, engine.ItemError{Index: e.index, Code: r.Code, Message: r.Message})
		}
		for _, e := range written {
			if !e.write {
				continue
			}
			a := e.item.Article
			if e.added {
				res.Added++
				res.Articles = append(res.Articles, AddedArticle{ID: a.ID, Title: a.Title, URL: a.URL, Date: a.Date})
			} else {
				res.Updated++
				res.UpdatedIDs = append(res.UpdatedIDs, a.ID)
			}
		}
	}
	return s.commit(ctx, f, res, pf, entries, source, resp, now, start)
}

// decide compares each entry with the seen-set and the store:
//
//   - new to this feed, not in the store: written (added);
//   - new to this feed, already stored (another feed, a file, a push):
//     left alone (known);
//   - seen with the same hash: left alone (unchanged);
//   - seen with another hash (edited): written (updated) when the stored
//     article still holds the entry's previous version, and left alone
//     when it was deleted, already holds the edit, or was rewritten by
//     someone else meanwhile.
func (s *Service) decide(ctx context.Context, entries []*entry, res *PollResult) error {
	var check []*entry
	for _, e := range entries {
		if e.prev == nil || e.prev.Hash != e.item.Hash {
			check = append(check, e)
		} else {
			res.Unchanged++
		}
	}
	if len(check) == 0 {
		return nil
	}
	ids := make([]string, len(check))
	for i, e := range check {
		ids[i] = e.item.Article.ID
	}
	stored, err := s.eng.Articles(ctx, ids)
	if err != nil {
		return err
	}
	for i, e := range check {
		old := stored[i]
		switch {
		case e.prev == nil && old == nil:
			e.write, e.added = true, true
		case e.prev == nil:
			res.Known++
		case old != nil && ingest.ContentHash(old) == e.prev.Hash:
			e.write = true
			a := e.item.Article
			if !e.item.Dated {
				a.Date = old.Date // an undated entry keeps its first date
			}
			if old.Source != "" {
				a.Source = old.Source
			}
		default:
			res.Unchanged++
		}
	}
	return nil
}

// commit records a successful poll in one atomic write: the seen-set
// (every entry in the document, with the time it was seen), the pruning
// of entries gone for SeenTTL, and the feed's status. pf is nil for a
// 304; source is the name the articles got, kept when the feed had none.
// The record is written even when ctx ended after the ingest, so the
// seen-set matches what was stored.
func (s *Service) commit(ctx context.Context, f *Feed, res *PollResult, pf *ingest.ParsedFeed, entries []*entry, source string, resp *response, now, start time.Time) (*PollResult, error) {
	log := logctx.From(ctx, s.log)
	ctx = context.WithoutCancel(ctx)
	var seen *SeenUpdate
	if pf != nil {
		seen = &SeenUpdate{Put: map[string]Seen{}, ForgetBefore: now.Add(-s.cfg.SeenTTL)}
		for _, e := range entries {
			seen.Present = append(seen.Present, e.key)
			if e.item.Article == nil {
				continue // rejected by the pipeline
			}
			next := Seen{Hash: e.item.Hash, ArticleID: e.item.Article.ID, LastSeen: now}
			if p := e.prev; p != nil && p.Hash == next.Hash && p.ArticleID == next.ArticleID && now.Sub(p.LastSeen) < seenRefresh {
				continue // nothing to record
			}
			seen.Put[e.key] = next
		}
	}
	g, err := s.change(ctx, f.ID, func(g *Feed) error {
		sameURL := g.URL == f.URL
		if pf != nil && sameURL {
			g.Title, g.SiteURL = pf.Title, pf.SiteURL
			if g.Source == "" {
				g.Source = source
			}
			g.ETag, g.LastModified = resp.etag, resp.lastModified
		}
		t := now
		g.LastPolledAt, g.LastSuccessAt = &t, &t
		g.LastStatus, g.LastError, g.LastHTTPStatus = res.Status, "", res.HTTPStatus
		g.ConsecutiveFailures, g.BackoffUntil = 0, nil
		g.ItemsIngested += res.Added
		g.ItemsUpdated += res.Updated
		return nil
	}, func(g *Feed) error { return s.store.RecordPoll(ctx, g, seen) })
	if news.ErrorCode(err) == news.ECodeNotFound {
		g, err = nil, nil // deleted during the poll: its articles stay, its state is gone
	}
	if err != nil {
		return nil, fmt.Errorf("feeds: poll %s: record: %w", f.ID, err)
	}
	s.cfg.Metrics.polled(res.Status, res.Added, res.Updated)
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	if g != nil {
		res.Feed = s.view(g)
	} else {
		res.Feed = s.view(f)
	}
	lv := log.Debug
	if res.Added+res.Updated+res.Rejected > 0 {
		lv = log.Info
	}
	lv("feeds: polled", "feed", f.ID, "url", netguard.RedactURL(f.URL), "status", res.Status, "entries", res.Entries,
		"added", res.Added, "updated", res.Updated, "rejected", res.Rejected, "took_ms", res.TookMS)
	return res, nil
}

// seenRefresh is how stale a seen entry's last-seen time may get before a
// poll that finds the entry again rewrites it.
const seenRefresh = 24 * time.Hour

// fail records a failed poll: the error, one more consecutive failure and
// the backoff that follows. Nothing was ingested.
func (s *Service) fail(ctx context.Context, f *Feed, res *PollResult, err error, now, start time.Time) (*PollResult, error) {
	log := logctx.From(ctx, s.log)
	ctx = context.WithoutCancel(ctx)
	fe := &fetchError{msg: err.Error()}
	var e *fetchError
	if errors.As(err, &e) {
		fe = e
	}
	res.Status, res.Error, res.HTTPStatus = StatusError, fe.msg, fe.status
	g, dberr := s.change(ctx, f.ID, func(g *Feed) error {
		t := now
		g.LastPolledAt = &t
		g.LastStatus, g.LastError, g.LastHTTPStatus = StatusError, fe.msg, fe.status
		g.ConsecutiveFailures++
		g.BackoffUntil = backoffUntil(g.Schedule, g.ConsecutiveFailures, fe.retryAfter, now)
		return nil
	}, func(g *Feed) error { return s.store.RecordPoll(ctx, g, nil) })
	if news.ErrorCode(dberr) == news.ECodeNotFound {
		g, dberr = nil, nil
	}
	if dberr != nil {
		return nil, fmt.Errorf("feeds: poll %s: record failure: %w", f.ID, dberr)
	}
	s.cfg.Metrics.polled(StatusError, 0, 0)
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	if g == nil {
		res.Feed = s.view(f)
		return res, nil
	}
	res.Feed = s.view(g)
	until := ""
	if g.BackoffUntil != nil {
		until = g.BackoffUntil.Format(time.RFC3339)
	}
	log.Warn("feeds: poll failed", "feed", f.ID, "url", netguard.RedactURL(f.URL), "err", fe.msg,
		"http_status", fe.status, "failures", g.ConsecutiveFailures, "backoff_until", until)
	return res, nil
}

// backoffUntil is the end of the wait after n consecutive failures: the
// scheduled polls before it are skipped. After one failure nothing is
// skipped; after n, the first poll comes interval·2^(n-1) after the
// failure, at most MaxBackoff. A 429 or 503 with Retry-After waits at
// least that long (also at most MaxBackoff).
func backoffUntil(spec string, n int, retryAfter time.Duration, now time.Time) *time.Time {
	iv := interval(spec, now)
	wait := backoff(iv, n) - iv/2 // the firing at interval·2^(n-1) is past it
	wait = max(wait, min(retryAfter, MaxBackoff))
	if wait <= 0 {
		return nil
	}
	t := now.Add(wait).UTC()
	return &t
}
