package feeds

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

const (
	guidA = "https://wire.example/a"
	guidB = "https://wire.example/b"
	guidC = "https://wire.example/c"
	guidD = "https://wire.example/d"
	guidE = "https://wire.example/e"
)

var (
	itemA  = rssItem{guidA, "Alpha story", "<p>Alpha body about the harbour.</p>", "Mon, 10 Mar 2025 08:00:00 GMT"}
	itemB  = rssItem{guidB, "Bravo story", "<p>Bravo body about the bridge.</p>", "Mon, 10 Mar 2025 09:00:00 GMT"}
	itemC  = rssItem{guidC, "Charlie story", "<p>Charlie body, first version.</p>", "Mon, 10 Mar 2025 10:00:00 GMT"}
	itemC2 = rssItem{guidC, "Charlie story (corrected)", "<p>Charlie body, second version.</p>", "Mon, 10 Mar 2025 10:00:00 GMT"}
	itemD  = rssItem{guidD, "Delta story", "<p>Delta body about the dam.</p>", "Tue, 11 Mar 2025 07:00:00 GMT"}
	itemE  = rssItem{guidE, "Echo story", "<p>Echo body about the estuary.</p>", "Wed, 12 Mar 2025 07:00:00 GMT"}
)

// TestPollLifecycle polls one feed through every case of the issue, in
// order, and checks the exact outcome of each: new entries, a 304, an
// edited entry, a removed entry, a reordered and republished entry, a
// 500, a malformed document, a 50 MiB response, recovery, and a server
// that ignores conditional requests. At the end the store and the index
// hold each entry exactly once.
func TestPollLifecycle(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	v := e.create(t, o.url("/feed.xml?token=s3cret"), nil)
	if v.LastStatus != "" || v.LastPolledAt != nil || v.ItemsIngested != 0 || v.NextPollAt == nil || !v.NextPollAt.After(time.Now()) {
		t.Fatalf("a new feed has status: %+v", v)
	}

	// 1. Three new entries.
	o.serve("application/rss+xml", rss("Test Wire", itemA, itemB, itemC), `"v1"`)
	r := e.poll(t, v.ID)
	if r.Status != StatusOK || r.Entries != 3 || r.Added != 3 || r.Updated != 0 || r.Unchanged != 0 || r.Rejected != 0 || len(r.Articles) != 3 {
		t.Fatalf("poll 1: %+v", r)
	}
	if r.Articles[0].ID != idOf(guidA) || r.Articles[0].Title != "Alpha story" || r.Articles[0].URL != guidA {
		t.Errorf("poll 1 added %+v", r.Articles[0])
	}
	if ua := o.last().Header.Get("User-Agent"); ua != UserAgent("test") || !strings.HasPrefix(ua, "Watchword/test ") {
		t.Errorf("User-Agent %q", ua)
	}
	if h := o.last().Header.Get("If-None-Match"); h != "" {
		t.Errorf("first poll sent If-None-Match %q", h)
	}
	f := r.Feed
	if f.LastStatus != StatusOK || f.ItemsIngested != 3 || f.LastPolledAt == nil || f.LastHTTPStatus != 200 || f.Source != "Test Wire" || f.Title != "Test Wire" {
		t.Errorf("feed after poll 1: %+v", f)
	}
	arts := e.stored(t)
	if len(arts) != 3 || arts[idOf(guidA)] == nil || arts[idOf(guidA)].Source != "Test Wire" || arts[idOf(guidA)].Body != "Alpha body about the harbour." {
		t.Fatalf("store after poll 1: %v", sortedKeys(arts))
	}
	seqA := arts[idOf(guidA)].Seq

	// 2. 304: the validator was sent; nothing changes but the status.
	r = e.poll(t, v.ID)
	if r.Status != StatusNotModified || r.Added != 0 || r.HTTPStatus != 304 || r.Feed.LastHTTPStatus != 304 || r.Feed.ItemsIngested != 3 {
		t.Fatalf("poll 2 (304): %+v", r)
	}
	if h := o.last().Header.Get("If-None-Match"); h != `"v1"` {
		t.Errorf("poll 2 If-None-Match %q", h)
	}

	// 3. Reordered, B removed, C edited, D new, A republished with a new date.
	a2 := itemA
	a2.date = "Thu, 13 Mar 2025 12:00:00 GMT"
	o.serve("application/rss+xml", rss("Test Wire", itemD, itemC2, a2), `"v2"`)
	r = e.poll(t, v.ID)
	if r.Status != StatusOK || r.Entries != 3 || r.Added != 1 || r.Updated != 1 || r.Unchanged != 1 || r.Known != 0 {
		t.Fatalf("poll 3: %+v", r)
	}
	if len(r.Articles) != 1 || r.Articles[0].ID != idOf(guidD) || len(r.UpdatedIDs) != 1 || r.UpdatedIDs[0] != idOf(guidC) {
		t.Fatalf("poll 3 added %+v, updated %v", r.Articles, r.UpdatedIDs)
	}
	arts = e.stored(t)
	if len(arts) != 4 {
		t.Fatalf("store after poll 3: %v", sortedKeys(arts))
	}
	if arts[idOf(guidB)] == nil {
		t.Error("the removed entry's article was deleted")
	}
	if c := arts[idOf(guidC)]; c.Title != "Charlie story (corrected)" || c.Body != "Charlie body, second version." {
		t.Errorf("edited entry stored as %q / %q", c.Title, c.Body)
	}
	if a := arts[idOf(guidA)]; a.Seq != seqA || !a.Date.Equal(time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("the republished entry was written again: seq %d (was %d), date %v", a.Seq, seqA, a.Date)
	}
	if r.Feed.ItemsIngested != 4 || r.Feed.ItemsUpdated != 1 {
		t.Errorf("counts after poll 3: %+v", r.Feed)
	}
	if res, err := e.eng.Search(context.Background(), searchAll("second version")); err != nil || res.Total != 1 {
		t.Errorf("the edit is not searchable: %v %v", res, err)
	}
	if res, err := e.eng.Search(context.Background(), searchAll("\"first version\"")); err != nil || res.Total != 0 {
		t.Errorf("the old text is still searchable: %v %v", res, err)
	}

	// 4. 500: a failure; nothing stored; the validator is kept.
	o.status(http.StatusInternalServerError)
	r = e.poll(t, v.ID)
	if r.Status != StatusError || r.Error != "HTTP 500 Internal Server Error" || r.HTTPStatus != 500 {
		t.Fatalf("poll 4 (500): %+v", r)
	}
	f = r.Feed
	if f.LastStatus != StatusError || f.LastError != "HTTP 500 Internal Server Error" || f.ConsecutiveFailures != 1 || f.LastSuccessAt == nil || f.ItemsIngested != 4 {
		t.Errorf("feed after poll 4: %+v", f)
	}
	if strings.Contains(f.LastError, "s3cret") {
		t.Error("last_error carries the URL's token")
	}

	// 5. Malformed (truncated) document holding a new entry: nothing of it
	// is ingested.
	doc := rss("Test Wire", itemE, itemD, itemC2, a2)
	o.serve("application/rss+xml", doc[:len(doc)/2], `"v3-broken"`)
	r = e.poll(t, v.ID)
	if r.Status != StatusError || !strings.HasPrefix(r.Error, "malformed feed: ") || r.Added != 0 || r.Entries != 0 {
		t.Fatalf("poll 5 (malformed): %+v", r)
	}
	if o.last().Header.Get("If-None-Match") != `"v2"` {
		t.Errorf("after a 500 the poller forgot the validator: %q", o.last().Header.Get("If-None-Match"))
	}
	f = r.Feed
	if f.ConsecutiveFailures != 2 || f.BackoffUntil == nil || !f.BackoffUntil.After(time.Now()) || f.NextPollAt == nil || f.NextPollAt.Before(*f.BackoffUntil) {
		t.Errorf("feed after poll 5: failures %d, backoff %v, next %v", f.ConsecutiveFailures, f.BackoffUntil, f.NextPollAt)
	}
	if len(e.stored(t)) != 4 {
		t.Fatal("the malformed document ingested something")
	}

	// 6. A 50 MiB response is cut off at the 10 MiB default limit.
	o.huge(50<<20, false)
	r = e.poll(t, v.ID)
	if r.Status != StatusError || r.Error != "response is larger than the limit of 10485760 bytes" || r.Feed.ConsecutiveFailures != 3 {
		t.Fatalf("poll 6 (50 MiB): %+v", r)
	}
	t.Logf("50 MiB answer without Content-Length, 10 MiB limit: the origin got %.1f MiB out before the poller hung up", float64(o.written.Load())/(1<<20))
	if w := o.written.Load(); w > 30<<20 {
		t.Errorf("the origin wrote %d MiB: the poller read on past the limit", w>>20)
	}
	o.huge(50<<20, true)
	r = e.poll(t, v.ID)
	if r.Status != StatusError || r.Error != "response is 52428800 bytes, over the limit of 10485760 bytes" {
		t.Fatalf("poll 6b (Content-Length 50 MiB): %+v", r)
	}
	if len(e.stored(t)) != 4 {
		t.Fatal("the huge response ingested something")
	}

	// 7. Recovery: E is new; the failures and the backoff are cleared.
	o.serve("application/rss+xml", doc, `"v3"`)
	r = e.poll(t, v.ID)
	if r.Status != StatusOK || r.Added != 1 || r.Unchanged != 3 || r.Articles[0].ID != idOf(guidE) {
		t.Fatalf("poll 7: %+v", r)
	}
	if f = r.Feed; f.ConsecutiveFailures != 0 || f.BackoffUntil != nil || f.LastError != "" || f.ItemsIngested != 5 {
		t.Errorf("feed after poll 7: %+v", f)
	}

	// 8. A server that ignores validators republishes everything: nothing
	// is written again.
	o.serve("application/rss+xml", doc, "")
	r = e.poll(t, v.ID)
	if r.Status != StatusOK || r.Added != 0 || r.Updated != 0 || r.Unchanged != 4 {
		t.Fatalf("poll 8: %+v", r)
	}

	// Nothing lost, nothing duplicated.
	arts = e.stored(t)
	want := []string{idOf(guidA), idOf(guidB), idOf(guidC), idOf(guidD), idOf(guidE)}
	for _, id := range want {
		if arts[id] == nil {
			t.Errorf("article %s missing", id)
		}
	}
	if len(arts) != len(want) {
		t.Errorf("store holds %d articles, want %d", len(arts), len(want))
	}
}

func searchAll(q string) engine.SearchParams { return engine.SearchParams{Q: q, Size: 100} }

// TestPollAtom runs an Atom feed through new, edited and republished
// entries.
func TestPollAtom(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	atom := func(title2, updated2 string, order ...int) string {
		entries := []string{
			`<entry><id>tag:desk.example,2025:1</id><title>Atom one</title><link href="/one"/><published>2025-03-01T10:00:00Z</published><content type="html">&lt;p&gt;First &amp;amp; foremost.&lt;/p&gt;</content></entry>`,
			`<entry><id>tag:desk.example,2025:2</id><title>` + title2 + `</title><link href="/two"/><updated>` + updated2 + `</updated><summary>Second entry.</summary></entry>`,
		}
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Desk</title><link href="https://desk.example/"/><id>urn:x</id><updated>2025-03-02T00:00:00Z</updated>`)
		for _, i := range order {
			b.WriteString(entries[i])
		}
		b.WriteString(`</feed>`)
		return b.String()
	}
	v := e.create(t, o.url("/atom"), func(in *Input) { in.Source = strp("Desk") })
	o.serve("application/atom+xml", atom("Atom two", "2025-03-02T10:00:00Z", 0, 1), "")
	r := e.poll(t, v.ID)
	if r.Added != 2 || r.Feed.Source != "Desk" || r.Feed.Title != "Atom Desk" {
		t.Fatalf("poll 1: %+v", r)
	}
	one, err := e.eng.Article(context.Background(), idOf("tag:desk.example,2025:1"))
	if err != nil || one.Body != "First & foremost." || one.URL != "https://desk.example/one" || one.Source != "Desk" {
		t.Fatalf("atom entry stored as %+v (%v)", one, err)
	}
	// Reordered, the second entry retitled with a new updated time.
	o.serve("application/atom+xml", atom("Atom two, retitled", "2025-03-03T10:00:00Z", 1, 0), "")
	r = e.poll(t, v.ID)
	if r.Added != 0 || r.Updated != 1 || r.Unchanged != 1 {
		t.Fatalf("poll 2: %+v", r)
	}
	two, _ := e.eng.Article(context.Background(), idOf("tag:desk.example,2025:2"))
	if two.Title != "Atom two, retitled" || !two.Date.Equal(time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("edited atom entry: %q %v", two.Title, two.Date)
	}
	if n := len(e.stored(t)); n != 2 {
		t.Errorf("%d articles, want 2", n)
	}
}

// TestSameEntryOneArticle: the same entry in two feeds and in a file
// ingest is one article, and the second feed does not rewrite it.
func TestSameEntryOneArticle(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	doc := rss("Wire One", itemA)
	o.serve("application/rss+xml", doc, "")
	one := e.create(t, o.url("/one"), nil)
	two := e.create(t, o.url("/two"), func(in *Input) { in.Source = strp("Wire Two") })
	if r := e.poll(t, one.ID); r.Added != 1 {
		t.Fatalf("first feed: %+v", r)
	}
	seq := e.stored(t)[idOf(guidA)].Seq
	r := e.poll(t, two.ID)
	if r.Added != 0 || r.Known != 1 || r.Feed.ItemsIngested != 0 {
		t.Fatalf("second feed: %+v", r)
	}
	arts := e.stored(t)
	if len(arts) != 1 || arts[idOf(guidA)].Source != "Wire One" || arts[idOf(guidA)].Seq != seq {
		t.Fatalf("store: %d articles, %+v", len(arts), arts[idOf(guidA)])
	}
	items, err := ingest.Decode(ingest.TypeRSS, []byte(doc))
	if err != nil || len(items) != 1 || items[0].Article.ID != idOf(guidA) {
		t.Fatalf("file ingest of the same feed: %v %+v", err, items)
	}
	// A pushed article with the entry's URL and no id is the same article.
	pushed := &news.Article{URL: guidA, Body: "Pushed."}
	if err := pushed.Normalize(time.Now()); err != nil || pushed.ID != idOf(guidA) {
		t.Fatalf("pushed article id %q (%v), want %q", pushed.ID, err, idOf(guidA))
	}
	// Its second feed's seen-set took note: an edit seen there does not
	// rewrite an article that the first feed wrote and has since changed.
	a2 := itemA
	a2.body = "<p>Alpha body, edited.</p>"
	o.serve("application/rss+xml", rss("Wire One", a2), "")
	if r := e.poll(t, one.ID); r.Updated != 1 {
		t.Fatalf("first feed sees the edit: %+v", r)
	}
	if r := e.poll(t, two.ID); r.Updated != 0 || r.Unchanged != 1 {
		t.Fatalf("second feed after the first applied the edit: %+v", r)
	}
	if a := e.stored(t)[idOf(guidA)]; a.Body != "Alpha body, edited." || a.Source != "Wire One" {
		t.Errorf("after the edit: %q from %q", a.Body, a.Source)
	}
}

// TestSeenSetPrunedAndDeletedArticlesStayDeleted: entries gone from the
// feed for SeenTTL are forgotten, and a forgotten entry that comes back
// is still not stored twice; an article deleted by a user is not brought
// back by the feed that still lists it, nor by an edit of it.
func TestSeenSetPrunedAndDeletedArticlesStayDeleted(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.SeenTTL = 48 * time.Hour })
	o := newOrigin(t)
	v := e.create(t, o.url("/f"), nil)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.clock.Set(start)
	o.serve("application/rss+xml", rss("W", itemA, itemB), "")
	if r := e.poll(t, v.ID); r.Added != 2 {
		t.Fatalf("poll 1: %+v", r)
	}
	o.serve("application/rss+xml", rss("W", itemA), "")
	e.clock.Set(start.Add(47 * time.Hour))
	e.poll(t, v.ID)
	if n := e.seenCount(t, v.ID); n != 2 {
		t.Fatalf("B forgotten before the TTL: %d seen", n)
	}
	e.clock.Set(start.Add(49 * time.Hour))
	e.poll(t, v.ID)
	if n := e.seenCount(t, v.ID); n != 1 {
		t.Fatalf("B not forgotten after the TTL: %d seen", n)
	}
	// B is back: known from the store, not added.
	o.serve("application/rss+xml", rss("W", itemB, itemA), "")
	r := e.poll(t, v.ID)
	if r.Added != 0 || r.Known != 1 || r.Unchanged != 1 || len(e.stored(t)) != 2 {
		t.Fatalf("B back: %+v", r)
	}
	// A user deletes A; the feed still lists it, then edits it.
	if err := e.eng.Delete(context.Background(), idOf(guidA)); err != nil {
		t.Fatal(err)
	}
	if r := e.poll(t, v.ID); r.Added != 0 || r.Unchanged != 2 {
		t.Fatalf("after the delete: %+v", r)
	}
	a2 := itemA
	a2.title = "Alpha, edited"
	o.serve("application/rss+xml", rss("W", itemB, a2), "")
	if r := e.poll(t, v.ID); r.Added != 0 || r.Updated != 0 {
		t.Fatalf("edit of a deleted article: %+v", r)
	}
	if arts := e.stored(t); len(arts) != 1 || arts[idOf(guidB)] == nil {
		t.Fatalf("store: %v", sortedKeys(arts))
	}
	// Deleting the feed drops its seen-set and keeps its articles.
	if err := e.svc.Delete(context.Background(), v.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.seenCount(t, v.ID); n != 0 {
		t.Errorf("%d seen entries left after delete", n)
	}
	if len(e.stored(t)) != 1 {
		t.Error("deleting the feed deleted its articles")
	}
	if _, err := e.svc.Poll(context.Background(), v.ID); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("poll of a deleted feed: %v", err)
	}
}

// seenCount is how many of the test's entries (A and B) the feed's
// seen-set holds.
func (e *env) seenCount(t *testing.T, id string) int {
	t.Helper()
	got, err := e.svc.store.Seen(context.Background(), id, []string{guidA, guidB})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range got {
		if s != nil {
			n++
		}
	}
	return n
}

// TestBackoff: the wait grows with each consecutive failure up to a day,
// Retry-After is honoured, and the scheduler skips the polls inside the
// wait.
func TestBackoff(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		n          int
		retryAfter time.Duration
		want       time.Duration
	}{
		{1, 0, 30 * time.Minute}, // the next hourly poll is not skipped
		{2, 0, 90 * time.Minute}, // one is
		{3, 0, 210 * time.Minute},
		{5, 0, 16*time.Hour - 30*time.Minute},
		{6, 0, MaxBackoff - 30*time.Minute},
		{40, 0, MaxBackoff - 30*time.Minute},
		{1, 5 * time.Hour, 5 * time.Hour},
		{1, 72 * time.Hour, MaxBackoff},
	} {
		got := backoffUntil("@every 1h", c.n, c.retryAfter, now)
		if got == nil || got.Sub(now) != c.want {
			t.Errorf("backoff after %d failures (Retry-After %s): %v, want %s", c.n, c.retryAfter, got, c.want)
		}
	}

	// The scheduled path: a failing feed polled every second.
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	o.status(http.StatusTooManyRequests, "Retry-After", "3")
	v := e.create(t, o.url("/busy"), func(in *Input) { in.Schedule = strp("@every 1s") })
	if err := e.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "a failed scheduled poll", 5*time.Second, func() bool {
		f, _ := e.svc.Get(context.Background(), v.ID)
		return f.ConsecutiveFailures > 0
	})
	first := o.requestTimes()[0]
	f, _ := e.svc.Get(context.Background(), v.ID)
	if f.ConsecutiveFailures != 1 || f.BackoffUntil == nil || f.LastHTTPStatus != 429 || f.BackoffUntil.Sub(first) < 2*time.Second {
		t.Fatalf("after a 429 with Retry-After 3: %+v", f)
	}
	until := *f.BackoffUntil
	o.serve("application/rss+xml", rss("Busy", itemA), "")
	testutil.WaitFor(t, "the poll after the backoff", 8*time.Second, func() bool {
		f, _ := e.svc.Get(context.Background(), v.ID)
		return f.ItemsIngested == 1
	})
	times := o.requestTimes()
	for _, at := range times[1:] {
		if at.Before(until) {
			t.Errorf("polled at %s, inside the backoff until %s", at.Format(time.StampMilli), until.Format(time.StampMilli))
		}
	}
	if f, _ := e.svc.Get(context.Background(), v.ID); f.ConsecutiveFailures != 0 || f.BackoffUntil != nil || f.LastStatus != StatusOK {
		t.Errorf("after recovery: %+v", f)
	}
	// Pausing stops the scheduled polls at once.
	off := false
	if _, err := e.svc.Update(context.Background(), v.ID, &Input{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	n := len(o.requests())
	time.Sleep(2500 * time.Millisecond)
	if m := len(o.requests()); m != n {
		t.Errorf("a paused feed was polled %d times", m-n)
	}
	if f, _ := e.svc.Get(context.Background(), v.ID); f.NextPollAt != nil {
		t.Errorf("a paused feed has next_poll_at %v", f.NextPollAt)
	}
}

// TestGuard: without an allow list a loopback, private, reserved or
// metadata feed URL, or an IPv6 form embedding one, is refused when saved, and the dialler refuses it again when a feed
// saved under an allow list is polled without one (as after DNS
// rebinding).
func TestGuard(t *testing.T) {
	o := newOrigin(t)
	o.serve("application/rss+xml", rss("W", itemA), "")
	strict := newEnv(t, nil, func(c *Config) { c.Allow = nil })
	for _, u := range []string{
		o.url("/feed"), "http://localhost:9/feed", "http://10.1.2.3/feed", "http://169.254.169.254/latest/meta-data",
		"http://[::1]/feed", "http://[fd00::1]/feed", "http://[::127.0.0.1]/feed", "http://[::ffff:0:7f00:1]/feed",
		"http://[64:ff9b::a9fe:a9fe]/latest/meta-data", "http://[2002:a9fe:a9fe::1]/feed", "http://[2001::1]/feed",
		"http://198.18.0.1/feed", "http://192.0.0.8/feed", "http://100.64.0.1/feed", "ftp://example.com/feed", "https://user:pw@example.com/feed", "not a url", "",
	} {
		if _, err := strict.svc.Create(context.Background(), &Input{URL: strp(u)}); news.ErrorCode(err) != news.ECodeInvalid {
			t.Errorf("create %q: %v, want invalid", u, err)
		}
	}
	all, _ := strict.svc.List(context.Background())
	if len(all) != 0 {
		t.Fatalf("%d refused feeds were saved", len(all))
	}
	// Saved under an allow list, polled without one.
	lax := newEnvOn(t, strict.eng, nil)
	v := lax.create(t, o.url("/feed?key=abc"), nil)
	r, err := strict.svc.Poll(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusError || !strings.Contains(r.Error, "address not allowed") || len(o.requests()) != 0 {
		t.Fatalf("dialled loopback without the allow list: %+v, %d requests", r, len(o.requests()))
	}
	if strings.Contains(r.Error, "key=abc") || strings.Contains(r.Error, "/feed") {
		t.Errorf("the error names the URL: %q", r.Error)
	}
}

// TestValidate: schedules get the same 400s as alerts (every firing
// checked against the minimum), unknown fields and
// a second feed for one URL are refused, and PATCH validates.
func TestValidate(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.MinInterval = 5 * time.Minute })
	o := newOrigin(t)
	for name, in := range map[string]*Input{
		"below the minimum": {URL: strp(o.url("/a")), Schedule: strp("@every 1m")},
		// Every 5 minutes but once 1 minute apart, late in the hour, at
		// a month's end, or at New York's repeated hour.
		"burst late in the hour": {URL: strp(o.url("/a")), Schedule: strp("0,5,10,15,20,25,30,35,40,45,50,55,56 * * * *")},
		"month end":              {URL: strp(o.url("/a")), Schedule: strp("0,59 0,23 1,31 * *")},
		"repeated hour":          {URL: strp(o.url("/a")), Schedule: strp("TZ=America/New_York 1,59 1 * * *")},
		"TZ= panics cron":        {URL: strp(o.url("/a")), Schedule: strp("TZ=")},
		"never fires":            {URL: strp(o.url("/a")), Schedule: strp("0 0 30 2 *")},
		"garbage spec":           {URL: strp(o.url("/a")), Schedule: strp("every tuesday")},
		"long source":            {URL: strp(o.url("/a")), Source: strp(strings.Repeat("s", 300))},
		"no url":                 {Schedule: strp("@hourly")},
	} {
		if _, err := e.svc.Create(context.Background(), in); news.ErrorCode(err) != news.ECodeInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	v := e.create(t, o.url("/a"), nil)
	if v.Schedule != DefaultSchedule || !v.Enabled || v.NextPollAt == nil {
		t.Errorf("defaults: %+v", v)
	}
	if _, err := e.svc.Create(context.Background(), &Input{URL: strp(" " + o.url("/a") + " ")}); news.ErrorCode(err) != news.ECodeConflict {
		t.Errorf("second feed for the URL: %v", err)
	}
	if _, err := e.svc.Update(context.Background(), v.ID, &Input{Schedule: strp("@every 10s")}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Errorf("patch below the minimum: %v", err)
	}
	if _, err := e.svc.Update(context.Background(), v.ID, &Input{Schedule: strp("0,30,58 * * * *")}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Errorf("patch to fire at :58 and :00: %v", err)
	}
	got, _ := e.svc.Get(context.Background(), v.ID)
	if got.Schedule != DefaultSchedule {
		t.Errorf("a refused patch changed the schedule to %q", got.Schedule)
	}
	if _, err := DecodeInput([]byte(`{"url":"x","items_ingested":3}`)); news.ErrorCode(err) != news.ECodeBadRequest {
		t.Errorf("read-only field: %v", err)
	}
	if _, err := DecodeInput([]byte(`{"url":"x"} {}`)); news.ErrorCode(err) != news.ECodeBadRequest {
		t.Errorf("trailing data: %v", err)
	}
	if _, err := e.svc.Get(context.Background(), "fd_nope"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("missing feed: %v", err)
	}
}

// TestStopCancelsPolls: Stop ends a poll stuck on a slow server without
// recording a failure, and later polls are refused.
func TestStopCancelsPolls(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	release := make(chan struct{})
	defer close(release)
	o.set(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	v := e.create(t, o.url("/slow"), nil)
	done := make(chan error, 1)
	go func() { _, err := e.svc.Poll(context.Background(), v.ID); done <- err }()
	testutil.WaitFor(t, "the request", 5*time.Second, func() bool { return len(o.requests()) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := e.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; news.ErrorCode(err) != news.ECodeUnavailable {
		t.Errorf("poll during Stop: %v", err)
	}
	if f, _ := e.svc.Get(context.Background(), v.ID); f.ConsecutiveFailures != 0 || f.LastStatus != "" {
		t.Errorf("a cancelled poll was recorded: %+v", f)
	}
	if _, err := e.svc.Poll(context.Background(), v.ID); news.ErrorCode(err) != news.ECodeUnavailable {
		t.Errorf("poll after Stop: %v", err)
	}
}

// TestHugeResponseMemory: a 50 MiB response under a 1 MiB limit allocates
// a few MiB, not 50.
func TestHugeResponseMemory(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.MaxBytes = 1 << 20 })
	o := newOrigin(t)
	o.huge(50<<20, false)
	v := e.create(t, o.url("/huge"), nil)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := e.poll(t, v.ID)
	runtime.ReadMemStats(&after)
	if r.Status != StatusError || r.Error != "response is larger than the limit of 1048576 bytes" {
		t.Fatalf("%+v", r)
	}
	t.Logf("50 MiB answer, 1 MiB limit: the poll allocated %.1f MiB in %.0f ms", float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), r.TookMS)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("the poll allocated %d MiB", alloc>>20)
	}
}

// TestPollCallerCancel: a Poll whose caller goes away (ctx cancelled)
// while the origin hangs returns promptly with ctx's error, records
// nothing against the feed, and the service keeps working; a Poll with a
// ctx already done makes no request.
func TestPollCallerCancel(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	release := make(chan struct{})
	defer close(release)
	o.set(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	v := e.create(t, o.url("/slow"), nil)

	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.svc.Poll(done, v.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("Poll with a done ctx: %v", err)
	}
	if n := len(o.requests()); n != 0 {
		t.Fatalf("Poll with a done ctx made %d requests", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := e.svc.Poll(ctx, v.ID); errc <- err }()
	testutil.WaitFor(t, "the request", 5*time.Second, func() bool { return len(o.requests()) == 1 })
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Poll after its ctx was cancelled: %v", err)
		}
	case <-time.After(2 * time.Second): // the fetch timeout is longer
		t.Fatal("Poll did not return promptly after its ctx was cancelled")
	}
	if f, _ := e.svc.Get(context.Background(), v.ID); f.ConsecutiveFailures != 0 || f.LastStatus != "" {
		t.Errorf("a poll cancelled by its caller was recorded as the feed's failure: %+v", f)
	}

	o.serve("application/rss+xml", rss("Desk", rssItem{guid: "tag:desk.example,2025:c1", title: "After", body: "After the cancel."}), "")
	if r := e.poll(t, v.ID); r.Status != StatusOK || r.Added != 1 {
		t.Fatalf("the next poll: %+v", r)
	}
}
