package importer_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/alerts"
	alertsbolt "github.com/watchword/watchword/alerts/boltstore"
	alertsjs "github.com/watchword/watchword/alerts/jsstore"
	"github.com/watchword/watchword/internal/cluster/artlog"
	"github.com/watchword/watchword/internal/cluster/clustertest"
	"github.com/watchword/watchword/internal/cluster/importer"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	feedsbolt "github.com/watchword/watchword/internal/feeds/boltstore"
	feedsjs "github.com/watchword/watchword/internal/feeds/jsstore"
	"github.com/watchword/watchword/internal/keys"
	keysbolt "github.com/watchword/watchword/internal/keys/boltstore"
	keysjs "github.com/watchword/watchword/internal/keys/jsstore"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/saved"
	savedbolt "github.com/watchword/watchword/internal/saved/boltstore"
	savedjs "github.com/watchword/watchword/internal/saved/jsstore"
	"github.com/watchword/watchword/internal/store"
)

var (
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
	t0    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func story(i int) *news.Article {
	id := fmt.Sprintf("a%02d", i)
	return &news.Article{ID: id, Title: "Story " + id, Body: "Harvest report number " + id + " from Kharkiv.", Source: "test",
		Date: t0.Add(time.Duration(i) * time.Minute), IngestedAt: t0.Add(time.Duration(i) * time.Second),
		Speakers: []string{}, Countries: []string{}, Topics: []string{}}
}

// single is what the single node's directory holds.
type single struct {
	dir     string
	ids     []string          // current articles, in old sequence order
	oldSeq  map[string]uint64 // id -> old sequence
	alert   *alerts.Alert     // as the old store has it (watermark 14)
	pending string            // the pending delivery's id
	done    string            // the succeeded delivery's id
}

// makeSingle builds a single node's store file: articles a01..a20 (a05
// deleted afterwards, so the log has a gap and a deletion record), an
// alert whose runs covered up to sequence 14 (a succeeded delivery of a03
// and a07, then a pending one of a12), a feed with a seen-set, a key and
// a saved search.
func makeSingle(t *testing.T) *single {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(engine.StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var arts []*news.Article
	for i := 1; i <= 20; i++ {
		arts = append(arts, story(i))
	}
	if _, err := st.Log().Append(ctx, arts); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Log().Delete(ctx, []string{"a05"}); err != nil {
		t.Fatal(err)
	}
	s := &single{dir: dir, oldSeq: map[string]uint64{}}
	err = st.Changes(0, 0, 100, func(chs []store.Change) error {
		for _, ch := range chs {
			if !ch.Deleted {
				s.ids = append(s.ids, ch.ID)
				s.oldSeq[ch.ID] = ch.Seq
			}
		}
		return nil
	})
	if err != nil || len(s.ids) != 19 || s.oldSeq["a14"] != 14 {
		t.Fatalf("old log: %v, %d current, a14 at %d", err, len(s.ids), s.oldSeq["a14"])
	}

	as, err := alertsbolt.New(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"first", "deleted"} { // a deleted alert leaves a gap in the numbers
		a := &alerts.Alert{Info: alerts.Info{ID: id, Name: "Kharkiv harvest", Query: "kharkiv", Schedule: "@hourly", Timezone: "UTC",
			WebhookURL: "https://receiver.example/hook", Enabled: id == "first", MaxMatchesPerDelivery: 25},
			Progress: alerts.Progress{CreatedAt: t0}, Secret: "whsec_AAAA", Version: 1, CreatedBy: "key_admin", FeedKeyHash: "abcd"}
		if err := as.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	gone, _ := as.Get(ctx, "deleted")
	if err := as.Delete(ctx, "deleted", gone.Version); err != nil {
		t.Fatal(err)
	}
	a, _ := as.Get(ctx, "first")
	commit := func(upTo uint64, now time.Time, ids ...string) string {
		out, err := as.CommitRun(ctx, now, upTo, []alerts.RunCommit{{Alert: a, Matches: ids}})
		if err != nil || out[0].Err != nil || out[0].Deliveries != 1 {
			t.Fatalf("commit: %v %+v", err, out)
		}
		a, _ = as.Get(ctx, "first")
		return a.Head
	}
	s.done = commit(10, t0.Add(time.Hour), "a03", "a07")
	if err := as.Complete(ctx, s.done, alerts.Result{Status: alerts.StatusSucceeded, Attempts: 1, StatusCode: 200, At: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.pending = commit(14, t0.Add(2*time.Hour), "a12")
	if err := as.RetryAt(ctx, s.pending, t0.Add(3*time.Hour), alerts.Result{Status: alerts.StatusRetrying, Attempts: 1, StatusCode: 503, Err: "HTTP 503", At: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.alert, _ = as.Get(ctx, "first")
	if s.alert.Watermark != 14 || s.alert.Num != 1 {
		t.Fatalf("old alert: watermark %d, number %d", s.alert.Watermark, s.alert.Num)
	}

	fs, err := feedsbolt.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	f := &feeds.Feed{Info: feeds.Info{ID: "feed1", URL: "https://wire.example/rss", Schedule: "@every 1h", Source: "Wire", Enabled: true, CreatedAt: t0}}
	if err := fs.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
	f.ItemsIngested = 2
	if err := fs.RecordPoll(ctx, f, &feeds.SeenUpdate{Put: map[string]feeds.Seen{
		"guid-1": {Hash: "h1", ArticleID: "a01", LastSeen: t0},
		"guid-2": {Hash: "h2", ArticleID: "a02", LastSeen: t0},
	}}); err != nil {
		t.Fatal(err)
	}
	ks, err := keysbolt.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	revoked := t0.Add(time.Hour)
	for _, k := range []*keys.Key{
		{ID: "key_admin", Name: "ops", Scope: keys.ScopeAdmin, Hash: []byte("0123456789abcdef0123456789abcdef"), CreatedAt: t0},
		{ID: "key_old", Name: "old", Scope: keys.ScopeRead, Hash: []byte("fedcba9876543210fedcba9876543210"), CreatedAt: t0, RevokedAt: &revoked},
	} {
		if err := ks.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	ss, err := savedbolt.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Create(ctx, &saved.Search{ID: "ss1", Name: "harvest", Params: saved.Params{Query: "harvest"}, Owner: "key_admin", CreatedBy: "key_admin", CreatedAt: t0, UpdatedAt: t0}, 0); err != nil {
		t.Fatal(err)
	}
	return s
}

// target is one node of an embedded cluster with its replicated stores.
type target struct {
	importer.Target
	st *store.Store
}

func openTarget(t *testing.T, c *clustertest.Cluster, i int) *target {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	js := c.Node(i).JetStream()
	dir := t.TempDir()
	al, err := artlog.Open(ctx, artlog.Config{JS: js, StorePath: filepath.Join(dir, "articles.db"), Replicas: len(c.Peers), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { al.Close() })
	st, err := store.Open(filepath.Join(dir, "watchword.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := len(c.Peers)
	tg := &target{Target: importer.Target{JS: js, Articles: al, Replicas: r}, st: st}
	if tg.Alerts, err = alertsjs.New(ctx, js, st, quiet, alertsjs.Options{Replicas: r}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Alerts.Close() })
	if tg.Feeds, err = feedsjs.New(ctx, js, st, quiet, feedsjs.Options{Replicas: r}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Feeds.Close() })
	if tg.Keys, err = keysjs.New(ctx, js, st, quiet, keysjs.Options{Replicas: r}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Keys.Close() })
	if tg.Saved, err = savedjs.New(ctx, js, st, quiet, savedjs.Options{Replicas: r}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Saved.Close() })
	return tg
}

func openSource(t *testing.T, dir string) *importer.Source {
	t.Helper()
	src, err := importer.OpenSource(context.Background(), dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// check verifies that the cluster node holds all of s, and returns the
// alert's mapped watermark.
func check(t *testing.T, s *single, tg *target) {
	t.Helper()
	ctx := context.Background()
	old, err := store.OpenReadOnly(engine.StorePath(s.dir), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	// Articles: same ids, in old order, same content and ingested_at.
	var got []*news.Article
	if err := tg.Articles.ReadFrom(ctx, 0, 0, 100, func(chs []news.Change) error {
		for _, ch := range chs {
			if ch.Deleted {
				t.Errorf("a deletion at new sequence %d", ch.Seq)
				continue
			}
			got = append(got, ch.Article)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(s.ids) {
		t.Fatalf("the cluster has %d articles, the single node %d", len(got), len(s.ids))
	}
	want, err := old.Log().Get(ctx, s.ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range got {
		if a.ID != s.ids[i] {
			t.Fatalf("article %d is %s, want %s (old order)", i, a.ID, s.ids[i])
		}
		if a.Seq != uint64(i+1) {
			t.Errorf("article %s has new sequence %d, want %d", a.ID, a.Seq, i+1)
		}
		h1, _ := artlog.ContentHash(a)
		h2, _ := artlog.ContentHash(want[i])
		if h1 != h2 || !a.IngestedAt.Equal(want[i].IngestedAt) {
			t.Errorf("article %s differs from the single node's", a.ID)
		}
	}
	// The alert: number, version, definition, watermark mapped: old 14
	// covered a01..a14 but a05, 13 articles, new sequences 1..13.
	a, err := tg.Alerts.Get(ctx, "first")
	if err != nil {
		t.Fatal(err)
	}
	if a.Watermark != 13 {
		t.Errorf("mapped watermark %d, want 13 (the new sequence of a14)", a.Watermark)
	}
	if a.Num != s.alert.Num || a.Version != s.alert.Version || a.Head != s.alert.Head || a.CreatedBy != "key_admin" ||
		a.FeedKeyHash != "abcd" || a.Secret != "whsec_AAAA" || a.LastDeliveryStatus != s.alert.LastDeliveryStatus || !a.LastRunAt.Equal(*s.alert.LastRunAt) {
		t.Errorf("imported alert %+v, single node's %+v", a, s.alert)
	}
	if _, err := tg.Alerts.Get(ctx, "deleted"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("the deleted alert: %v", err)
	}
	ds, err := tg.Alerts.Deliveries(ctx, "first", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].ID != s.pending || ds[1].ID != s.done {
		t.Fatalf("deliveries %v, want [%s %s]", ids(ds), s.pending, s.done)
	}
	if ds[0].Status != alerts.StatusRetrying || ds[0].Attempts != 1 || ds[0].NextAttemptAt == nil || !slices.Equal(ds[0].ArticleIDs, []string{"a12"}) {
		t.Errorf("the pending delivery: %+v", ds[0])
	}
	if ds[1].Status != alerts.StatusSucceeded || ds[1].LastStatusCode != 200 || !slices.Equal(ds[1].ArticleIDs, []string{"a03", "a07"}) {
		t.Errorf("the finished delivery: %+v", ds[1])
	}
	if n, _, err := tg.Alerts.Depth(ctx); err != nil || n != 1 {
		t.Errorf("outbox depth %d (%v), want 1", n, err)
	}
	if unsent, err := tg.Alerts.Unsent(ctx, a, []string{"a03", "a07", "a12", "a15"}); err != nil || !slices.Equal(unsent, []string{"a15"}) {
		t.Errorf("unsent %v (%v), want [a15]: the sent-set came along", unsent, err)
	}
	f, err := tg.Feeds.Get(ctx, "feed1")
	if err != nil || f.ItemsIngested != 2 || f.Version != 2 {
		t.Fatalf("feed: %+v %v", f, err)
	}
	seen, err := tg.Feeds.Seen(ctx, "feed1", []string{"guid-1", "guid-2", "guid-3"})
	if err != nil || seen[0] == nil || seen[0].ArticleID != "a01" || seen[1] == nil || seen[1].Hash != "h2" || seen[2] != nil {
		t.Errorf("seen-set: %v %v", seen, err)
	}
	ks, err := tg.Keys.List(ctx)
	if err != nil || len(ks) != 2 || ks[1].RevokedAt == nil || string(ks[0].Hash) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("keys: %v %v", ks, err)
	}
	ss, err := tg.Saved.List(ctx, "")
	if err != nil || len(ss) != 1 || ss[0].Query != "harvest" || ss[0].Owner != "key_admin" {
		t.Errorf("saved searches: %v %v", ss, err)
	}
}

func ids(ds []*alerts.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

// nextRun is the alert's next evaluation as the runner makes it: every
// article after the watermark (the query matches them all) up to the
// log's end, committed on the snapshot. It returns the articles
// delivered.
func nextRun(t *testing.T, tg *target) []string {
	t.Helper()
	ctx := context.Background()
	a, err := tg.Alerts.Get(ctx, "first")
	if err != nil {
		t.Fatal(err)
	}
	last, err := tg.Articles.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var matches []string
	if err := tg.Articles.ReadFrom(ctx, a.Watermark, last, 100, func(chs []news.Change) error {
		for _, ch := range chs {
			matches = append(matches, ch.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out, err := tg.Alerts.CommitRun(ctx, t0.Add(24*time.Hour), last, []alerts.RunCommit{{Alert: a, Matches: matches}})
	if err != nil || out[0].Err != nil {
		t.Fatalf("commit: %v %+v", err, out)
	}
	ds, err := tg.Alerts.Deliveries(ctx, "first", 1)
	if err != nil || out[0].Deliveries != 1 {
		t.Fatalf("the next run made %d deliveries (%v)", out[0].Deliveries, err)
	}
	return ds[0].ArticleIDs
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

func TestImport(t *testing.T) {
	s := makeSingle(t)
	c := clustertest.Start(t, 1)
	tg := openTarget(t, c, 0)
	ctx := context.Background()
	oldSum := fileSum(t, engine.StorePath(s.dir))
	defer func() {
		if fileSum(t, engine.StorePath(s.dir)) != oldSum {
			t.Errorf("the import wrote to the single node's store file")
		}
	}()
	sum, err := importer.Run(ctx, openSource(t, s.dir), tg.Target, importer.Options{Batch: 4, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary %+v", sum)
	if sum.Articles != 19 || sum.Alerts != 1 || sum.Deliveries != 2 || sum.Feeds != 1 || sum.SeenRecords != 2 || sum.Keys != 2 || sum.Saved != 1 || sum.SentRecords != 3 || sum.Resumed {
		t.Errorf("summary %+v", sum)
	}
	check(t, s, tg)
	// A new matching article: the next run delivers the articles the
	// single node had not evaluated yet (old a15..a20) and the new one,
	// none it had covered.
	if _, err := tg.Articles.Append(ctx, []*news.Article{story(21)}); err != nil {
		t.Fatal(err)
	}
	got := nextRun(t, tg)
	if want := []string{"a15", "a16", "a17", "a18", "a19", "a20", "a21"}; !slices.Equal(got, want) {
		t.Errorf("the next run delivered %v, want %v", got, want)
	}
	// An alert created after the import gets a number no imported or
	// deleted alert had (sent records name alerts by number).
	later := &alerts.Alert{Info: alerts.Info{ID: "later", Name: "later", Query: "kharkiv", Schedule: "@hourly", Timezone: "UTC",
		WebhookURL: "https://receiver.example/hook", Enabled: true, MaxMatchesPerDelivery: 25}, Progress: alerts.Progress{CreatedAt: t0}, Version: 1}
	if err := tg.Alerts.Create(ctx, later); err != nil || later.Num != 3 {
		t.Errorf("an alert created after the import: number %d (%v), want 3", later.Num, err)
	}
	m, err := importer.ReadMarker(ctx, tg.JS)
	if err != nil || m == nil || m.State != importer.StateDone || m.Summary == nil || m.Summary.Articles != 19 {
		t.Errorf("marker %+v (%v)", m, err)
	}
	// A second import of the same directory is refused: it is done.
	_, err = importer.Run(ctx, openSource(t, s.dir), tg.Target, importer.Options{Logger: quiet})
	if !errors.Is(err, importer.ErrDone) {
		t.Errorf("a second import: %v, want ErrDone", err)
	}
	t.Log(err)
}

// TestImportResume: an import that stops after two batches is finished
// by running it again; nothing is in the stream twice.
func TestImportResume(t *testing.T) {
	s := makeSingle(t)
	c := clustertest.Start(t, 1)
	tg := openTarget(t, c, 0)
	ctx := context.Background()
	boom := errors.New("injected failure")
	var o importer.Options
	o.Batch, o.Logger = 4, quiet
	importer.SetAfterBatch(&o, func(n int) error {
		if n == 2 {
			return boom
		}
		return nil
	})
	if _, err := importer.Run(ctx, openSource(t, s.dir), tg.Target, o); !errors.Is(err, boom) {
		t.Fatalf("first run: %v", err)
	}
	if n, _ := tg.Articles.Count(ctx); n != 8 {
		t.Fatalf("after two batches of 4: %d articles", n)
	}
	if m, err := importer.ReadMarker(ctx, tg.JS); err != nil || m == nil || m.State != importer.StateStarted {
		t.Fatalf("marker after the failure: %+v %v", m, err)
	}
	// Another single node's directory can't finish it (one that ingested
	// one more article is another source).
	other := makeSingle(t)
	ost, err := store.Open(engine.StorePath(other.dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ost.Log().Append(ctx, []*news.Article{story(30)}); err != nil {
		t.Fatal(err)
	}
	ost.Close()
	if _, err := importer.Run(ctx, openSource(t, other.dir), tg.Target, importer.Options{Logger: quiet}); !errors.Is(err, importer.ErrOtherSrc) {
		t.Fatalf("another source: %v, want ErrOtherSrc", err)
	}
	sum, err := importer.Run(ctx, openSource(t, s.dir), tg.Target, importer.Options{Batch: 3, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Resumed || sum.Articles != 19 {
		t.Errorf("summary %+v", sum)
	}
	check(t, s, tg)
	stream, err := tg.JS.Stream(ctx, artlog.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 19 || info.State.LastSeq != 19 {
		t.Errorf("stream holds %d messages up to %d; want 19 up to 19 (nothing published twice)", info.State.Msgs, info.State.LastSeq)
	}
}

func TestImportRefusals(t *testing.T) {
	s := makeSingle(t)
	c := clustertest.Start(t, 1)
	tg := openTarget(t, c, 0)
	ctx := context.Background()

	t.Run("cluster node's directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "cluster.json"), []byte(`{"node":"n1","instance":"x"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := importer.OpenSource(ctx, dir, quiet)
		if !errors.Is(err, importer.ErrClusterDir) {
			t.Fatalf("got %v, want ErrClusterDir", err)
		}
		t.Log(err)
	})
	t.Run("held by a running server", func(t *testing.T) {
		st, err := store.Open(engine.StorePath(s.dir)) // the exclusive lock a running single node holds
		if err != nil {
			t.Fatal(err)
		}
		_, err = importer.OpenSource(ctx, s.dir, quiet)
		st.Close()
		if !errors.Is(err, importer.ErrHeld) {
			t.Fatalf("got %v, want ErrHeld", err)
		}
		t.Log(err)
	})
	t.Run("not empty", func(t *testing.T) {
		if _, err := tg.Articles.Append(ctx, []*news.Article{story(99)}); err != nil {
			t.Fatal(err)
		}
		_, err := importer.Run(ctx, openSource(t, s.dir), tg.Target, importer.Options{Logger: quiet})
		if !errors.Is(err, importer.ErrNotEmpty) {
			t.Fatalf("got %v, want ErrNotEmpty", err)
		}
		t.Log(err)
		if m, err := importer.ReadMarker(ctx, tg.JS); err != nil || m != nil {
			t.Errorf("a refused import wrote a marker: %+v %v", m, err)
		}
		if n, _ := tg.Articles.Count(ctx); n != 1 {
			t.Errorf("a refused import wrote articles: %d", n)
		}
	})
}

func TestImportNotEmptyAlerts(t *testing.T) {
	s := makeSingle(t)
	c := clustertest.Start(t, 1)
	tg := openTarget(t, c, 0)
	ctx := context.Background()
	if err := tg.Keys.Create(ctx, &keys.Key{ID: "key_x", Name: "x", Scope: keys.ScopeRead, Hash: []byte("h"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	_, err := importer.Run(ctx, openSource(t, s.dir), tg.Target, importer.Options{Logger: quiet})
	if !errors.Is(err, importer.ErrNotEmpty) {
		t.Fatalf("got %v, want ErrNotEmpty", err)
	}
}

// TestImportArticlesOnly: a store that only ever held articles (built by
// the store alone: no alert, feed, key or saved-search buckets) imports
// its articles; the owners it never held are skipped, not created.
func TestImportArticlesOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(engine.StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Log().Append(ctx, []*news.Article{story(1), story(2), story(3)}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	c := clustertest.Start(t, 1)
	tg := openTarget(t, c, 0)
	sum, err := importer.Run(ctx, openSource(t, dir), tg.Target, importer.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Articles != 3 || sum.Alerts+sum.Feeds+sum.Keys+sum.Saved != 0 {
		t.Errorf("summary %+v", sum)
	}
	if n, _ := tg.Articles.Count(ctx); n != 3 {
		t.Errorf("%d articles in the cluster, want 3", n)
	}
}
