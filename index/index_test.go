package index

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a small corpus with known answers.
var fixture = []*news.Article{
	{ID: "a1", Title: "Kremlin on talks", Body: "Dmitry Peskov said Ukraine must want peace. Peskov's remarks followed talks in Riyadh.",
		Date: day("2025-03-10"), Source: "Wire", Speakers: []string{"Dmitry Peskov"}, Countries: []string{"Russia", "Ukraine", "Saudi Arabia"}, Topics: []string{"politics"}},
	{ID: "a2", Title: "Kyiv under fire", Body: "Ukraine said Kyiv was attacked overnight. Donald Trump called for a ceasefire.",
		Date: day("2025-03-12"), Source: "Ledger", Speakers: []string{}, Countries: []string{"Ukraine", "United States"}, Topics: []string{"conflict, war and peace"}},
	{ID: "a3", Title: "Erdoğan hosts summit", Body: "Recep Tayyip Erdoğan said Istanbul would host the White House delegation.",
		Date: day("2025-04-01"), Source: "Wire", Speakers: []string{"Recep Tayyip Erdoğan"}, Countries: []string{"Turkey", "United States"}, Topics: []string{"politics"}},
	{ID: "a4", Title: "Oil prices rise", Body: "Crude oil rose as Saudi output fell, traders said. Ukrainian exports were steady.",
		Date: day("2025-02-20"), Source: "Post", Countries: []string{"Saudi Arabia", "Ukraine"}, Topics: []string{"economy, business and finance"}},
	{ID: "a5", Title: "Peskov on gas", Body: "Peskov said gas talks with Beijing continue. Trump was not mentioned by the Kremlin.",
		Date: day("2025-05-05"), Source: "Ledger", Speakers: []string{"Dmitry Peskov"}, Countries: []string{"Russia", "China"}, Topics: []string{"economy, business and finance", "politics"}},
	{ID: "a6", Title: "Health agency", Body: "The US and the WHO spoke.", Date: day("2024-01-01")},
}

func openFixture(t *testing.T) *Index {
	t.Helper()
	ix, fresh, err := Open(filepath.Join(t.TempDir(), "idx"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if !fresh {
		t.Fatal("new index not reported fresh")
	}
	t.Cleanup(func() { ix.Close() })
	for i, a := range fixture {
		a.Seq = uint64(i + 1)
	}
	if err := ix.Apply(fixture, nil, uint64(len(fixture))); err != nil {
		t.Fatal(err)
	}
	return ix
}

func ids(t *testing.T, ix *Index, r Request) []string {
	t.Helper()
	if r.Size == 0 {
		r.Size = 100
	}
	res, err := ix.Search(context.Background(), r)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	out := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	sort.Strings(out)
	if int(res.Total) != len(out) {
		t.Fatalf("total %d but %d hits", res.Total, len(out))
	}
	return out
}

func parse(t *testing.T, q string) query.Node {
	t.Helper()
	n, err := query.Parse(q)
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	return n
}

func TestQuerySemantics(t *testing.T) {
	ix := openFixture(t)
	cases := []struct {
		q    string
		want string
	}{
		{`Peskov AND Ukraine`, "a1"},
		{`Peskov Ukraine`, "a1"},
		{`Peskov OR Erdogan`, "a1 a3 a5"},
		{`Peskov AND (Ukraine OR Kyiv) NOT Trump`, "a1"},
		{`Ukraine NOT Peskov`, "a2"}, // a4 says "Ukrainian", a different stem
		{`NOT Ukraine`, "a3 a4 a5 a6"},
		{`-Ukraine`, "a3 a4 a5 a6"},
		{`Ukrainian`, "a4"},
		{`+Peskov -gas`, "a1"},
		{``, "a1 a2 a3 a4 a5 a6"},
		{`"White House"`, "a3"},
		{`"House White"`, ""},
		{`Erdogan`, "a3"},     // accent folding
		{`erdoğan`, "a3"},     // either way round
		{`peskov's`, "a1 a5"}, // possessive stripped at query time too
		{`ukrain*`, "a1 a2 a4"},
		{`talk`, "a1 a5"}, // stemming: talks
		{`title:peskov`, "a5"},
		{`body:kremlin`, "a1 a5"},         // body: is the whole text, title included (a1's title)
		{`body:"kremlin on talks"`, "a1"}, // within the title...
		{`body:"talks dmitry"`, ""},       // ...but no phrase spans title and body
		{`body:"dmitry peskov"`, "a1"},
		{`speaker:peskov`, "a1 a5"},
		{`speaker:"Dmitry Peskov"`, "a1 a5"},
		{`speaker:"peskov dmitry"`, ""},
		{`speaker:erdogan`, "a3"},
		{`country:ukraine`, "a1 a2 a4"},
		{`country:(Russia OR Turkey)`, "a1 a3 a5"},
		{`country:"saudi arabia" AND NOT speaker:peskov`, "a4"},
		{`topic:economy`, "a4 a5"},
		{`source:wire`, "a1 a3"},
		{`id:a2`, "a2"},
		{`date:2025-03-10`, "a1"},
		{`date:[2025-03-01 TO 2025-03-31]`, "a1 a2"},
		{`date:>=2025-04-01`, "a3 a5"},
		{`date:<2025-03`, "a4 a6"},
		{`Ukraine AND date:2025-03`, "a1 a2"},
		{`and`, ""},                 // lower-case and is a word; a stop word alone matches nothing
		{`said and talks`, "a1 a5"}, // ...and is neutral beside others
		{`the OR Peskov`, "a1 a5"},
		{`NOT the`, ""},
		{`"host the White House"`, "a3"},   // stop word inside a phrase
		{`"host a White House"`, "a3"},     // any word stands where a stop word was dropped
		{`"Istanbul the White House"`, ""}, // but the position still counts
		{`US OR who`, "a6"},                // news words Bleve's English list would drop
	}
	for _, c := range cases {
		got := strings.Join(ids(t, ix, Request{Query: parse(t, c.q)}), " ")
		if got != c.want {
			t.Errorf("%-45s = [%s], want [%s]", c.q, got, c.want)
		}
	}
}

func TestFiltersAndFacets(t *testing.T) {
	ix := openFixture(t)
	all := parse(t, "")
	// OR within a facet, AND across facets.
	got := ids(t, ix, Request{Query: all, Filters: Filters{Countries: []string{"Turkey", "China"}}})
	if strings.Join(got, " ") != "a3 a5" {
		t.Errorf("country Turkey|China = %v", got)
	}
	got = ids(t, ix, Request{Query: all, Filters: Filters{Countries: []string{"Ukraine"}, Sources: []string{"Wire"}}})
	if strings.Join(got, " ") != "a1" {
		t.Errorf("Ukraine & Wire = %v", got)
	}
	// Filters match whole values, case and accents aside.
	if got := ids(t, ix, Request{Query: all, Filters: Filters{Countries: []string{"ukraine"}}}); strings.Join(got, " ") != "a1 a2 a4" {
		t.Errorf("lower-case filter matched %v", got)
	}
	got = ids(t, ix, Request{Query: all, From: day("2025-03-01"), To: day("2025-04-01")})
	if strings.Join(got, " ") != "a1 a2" {
		t.Errorf("from/to = %v", got)
	}
	got = ids(t, ix, Request{Query: all, SeqAfter: 2, SeqUpTo: 4}) // a6 has seq 6
	if strings.Join(got, " ") != "a3 a4" {
		t.Errorf("seq (2,4] = %v", got)
	}

	res, err := ix.Search(context.Background(), Request{Query: parse(t, "Ukraine OR Peskov"), Size: 0, FacetSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 3 {
		t.Errorf("total = %d", res.Total)
	}
	want := map[string]string{
		"countries": "Russia:2 Ukraine:2 China:1 Saudi Arabia:1 United States:1",
		"speakers":  "Dmitry Peskov:2",
		"sources":   "Ledger:2 Wire:1",
		"topics":    "politics:2 conflict, war and peace:1 economy, business and finance:1",
	}
	for name, w := range want {
		var parts []string
		for _, v := range res.Facets[name] {
			parts = append(parts, fmt.Sprintf("%s:%d", v.Value, v.Count))
		}
		if got := strings.Join(parts, " "); got != w {
			t.Errorf("facet %s = %s, want %s", name, got, w)
		}
	}
}

func TestCursorPaging(t *testing.T) {
	ix, _, err := Open(filepath.Join(t.TempDir(), "idx"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var arts []*news.Article
	for i := 0; i < 57; i++ {
		body := strings.Repeat("alpha ", 1+i%5) + "beta"
		arts = append(arts, &news.Article{ID: fmt.Sprintf("d%02d", i), Title: "t", Body: body,
			Date: day("2025-01-01").Add(time.Duration(i%13) * 24 * time.Hour), Seq: uint64(i + 1)})
	}
	if err := ix.Apply(arts, nil, 57); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{SortRelevance, SortNewest, SortOldest} {
		var seen []string
		var after []string
		var prev *Hit
		for page := 0; page < 20; page++ {
			res, err := ix.Search(context.Background(), Request{Query: parse(t, "alpha"), Sort: order, Size: 10, After: after})
			if err != nil {
				t.Fatalf("%s page %d: %v", order, page, err)
			}
			for i := range res.Hits {
				h := res.Hits[i]
				seen = append(seen, h.ID)
				if prev != nil && order == SortRelevance && h.Score > prev.Score {
					t.Errorf("%s: score rose from %v to %v", order, prev.Score, h.Score)
				}
				prev = &h
			}
			if len(res.Hits) < 10 {
				break
			}
			after = res.Hits[len(res.Hits)-1].Cursor
		}
		uniq := slices.Compact(slices.Sorted(slices.Values(seen)))
		if len(seen) != 57 || len(uniq) != 57 {
			t.Errorf("%s: paged through %d hits (%d distinct), want 57", order, len(seen), len(uniq))
		}
	}
	// newest really is newest first
	res, _ := ix.Search(context.Background(), Request{Query: parse(t, "alpha"), Sort: SortNewest, Size: 57})
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i-1].Cursor[0] < res.Hits[i].Cursor[0] {
			t.Fatalf("newest out of order at %d: %v then %v", i, res.Hits[i-1].Cursor, res.Hits[i].Cursor)
		}
	}
	if _, err := ix.Search(context.Background(), Request{Query: parse(t, "alpha"), Sort: SortNewest, Size: 5, After: []string{"garbage", "x"}}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Errorf("bad cursor err = %v", err)
	}
}

func TestReopenKeepsLastSeqAndDeletes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	ix, _, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(fixture, nil, 6); err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(nil, []string{"a2"}, 7); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, fresh, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if fresh {
		t.Error("existing index reported fresh")
	}
	if seq, _ := ix.LastSeq(); seq != 7 {
		t.Errorf("last seq = %d, want 7", seq)
	}
	if n, _ := ix.DocCount(); n != 5 {
		t.Errorf("doc count = %d, want 5", n)
	}
}

func TestMappingVersionChangeRebuilds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	ix, _, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(fixture, nil, 5); err != nil {
		t.Fatal(err)
	}
	if err := ix.shards[1].SetInternal(keyMappingVersion, []byte("0")); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix, fresh, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if !fresh {
		t.Error("outdated index not reported fresh")
	}
	if n, _ := ix.DocCount(); n != 0 {
		t.Errorf("outdated index kept %d docs", n)
	}
}

func TestSnippet(t *testing.T) {
	ix := openFixture(t)
	h := ix.Highlighter(parse(t, `peskov AND "must want" NOT riyadh AND title:kremlin`), "body")
	got := h.Snippet(fixture[0].Body, 240)
	want := "Dmitry <mark>Peskov</mark> said Ukraine <mark>must want</mark> peace. <mark>Peskov&#39;s</mark> remarks followed talks in Riyadh."
	if got != want {
		t.Errorf("snippet\n got %s\nwant %s", got, want)
	}
	h = ix.Highlighter(parse(t, `"host the White House" OR the`), "body")
	if got := h.Highlight(fixture[2].Body); !strings.Contains(got, "would <mark>host the White House</mark> delegation") {
		t.Errorf("phrase highlight = %s", got)
	}
	h = ix.Highlighter(parse(t, `erdogan OR istanb*`), "body")
	if got := h.Highlight(fixture[2].Body); !strings.Contains(got, "<mark>Erdoğan</mark>") || !strings.Contains(got, "<mark>Istanbul</mark>") {
		t.Errorf("highlight = %s", got)
	}
	long := strings.Repeat("filler words here. ", 100) + "the key Peskov quote" + strings.Repeat(" and more filler", 100)
	s := ix.Highlighter(parse(t, "peskov"), "body").Snippet(long, 120)
	if !strings.Contains(s, "<mark>Peskov</mark>") || len(s) > 200 || !strings.HasPrefix(s, "…") {
		t.Errorf("long snippet = %q", s)
	}
	if s := ix.Highlighter(parse(t, "x"), "body").Snippet("<b>tag</b> & text", 100); s != "&lt;b&gt;tag&lt;/b&gt; &amp; text" {
		t.Errorf("escaping: %q", s)
	}
}

func TestMemoryIndexMatchesLikeDisk(t *testing.T) {
	disk := openFixture(t)
	mem, err := OpenMemory(quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if err := mem.Apply(fixture, nil, uint64(len(fixture))); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`Peskov AND (Ukraine OR Kyiv) NOT Trump`, `speaker:peskov`, `"white house"`, `ukrain*`, `NOT Ukraine`} {
		a := ids(t, disk, Request{Query: parse(t, q)})
		b := ids(t, mem, Request{Query: parse(t, q)})
		if !slices.Equal(a, b) {
			t.Errorf("%s: disk %v, memory %v", q, a, b)
		}
	}
}

func TestSnippetPrefersAllQueryWords(t *testing.T) {
	ix := openFixture(t)
	text := "Ukraine said this. Ukraine said that. Ukraine again and Ukraine once more, " + strings.Repeat("filler words go here. ", 30) +
		"Later Peskov spoke about Ukraine briefly."
	s := ix.Highlighter(parse(t, "Peskov AND Ukraine"), "body").Snippet(text, 120)
	if !strings.Contains(s, "<mark>Peskov</mark>") || !strings.Contains(s, "<mark>Ukraine</mark>") {
		t.Errorf("snippet misses a query word: %q", s)
	}
}

// TestTokenCacheSharedAcrossQueries builds snippets of one long text for
// several queries through the index's token cache and without it: the
// same snippets, the text analysed once, and the cache stays bounded.
func TestTokenCacheSharedAcrossQueries(t *testing.T) {
	ix := openFixture(t)
	text := strings.Repeat("Dmitry Peskov said talks in Riyadh would go on. ", 20) + "Ukraine's exports rose."
	for _, q := range []string{"peskov", `"talks in riyadh"`, "ukrain*", "exports AND NOT trump"} {
		h := ix.Highlighter(parse(t, q), "body")
		cached := h.Snippet(text, 120)
		h.cache = nil
		if plain := h.Snippet(text, 120); cached != plain || !strings.Contains(cached, "<mark>") {
			t.Errorf("%s: cached %q, uncached %q", q, cached, plain)
		}
	}
	if n := len(ix.tokens.items); n != 2 { // the text and the name analyses of one text
		t.Errorf("cache holds %d token streams, want 2", n)
	}
	c := newTokenCache(3 * len(text))
	for i := range 10 {
		c.analyze(ix.textAn, 't', "", fmt.Sprintf("%d %s", i, text))
		if c.bytes > c.max || len(c.items) > 3 {
			t.Fatalf("cache holds %d bytes in %d entries, bound %d bytes", c.bytes, len(c.items), c.max)
		}
	}
}

// TestPersisterNapWritesBatchesTogether: with a persister nap, batches
// that trickle in within it are written as one segment (merged in
// memory), not one each (without the nap: 16 to 20 writes); Close still
// persists them all, so the reopened index has every document and the
// last sequence.
func TestPersisterNapWritesBatchesTogether(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	ix, _, err := OpenWith(dir, quiet, Options{PersisterNap: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const batches = 20
	for b := range batches {
		var arts []*news.Article
		for k := range 6 {
			arts = append(arts, &news.Article{ID: fmt.Sprintf("b%02d-%d", b, k), Title: "t", Body: "nap words",
				Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seq: uint64(b*6 + k + 1)})
		}
		if err := ix.Apply(arts, nil, uint64(b*6+6)); err != nil {
			t.Fatal(err)
		}
		// A trickle, as feeds bring it: without the nap, the persister
		// writes each batch before the next arrives.
		time.Sleep(20 * time.Millisecond)
	}
	if err := ix.Flush(time.Minute); err != nil {
		t.Fatal(err)
	}
	for i, bi := range ix.shards {
		stats, _ := bi.StatsMap()["index"].(map[string]any)
		direct, ok1 := stats["TotPersistedSegments"].(uint64)  // written as they came
		merges, ok2 := stats["TotMemMergeDone"].(uint64)       // merged in memory, then written
		mergedIn, ok3 := stats["TotMemMergeSegments"].(uint64) // batches' segments in those merges
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("shard %d: stats lack the persister's counts: %v", i, stats)
		}
		t.Logf("shard %d: %d segments written as they came, %d merged in memory into %d", i, direct, mergedIn, merges)
		// The trickle lasts about half the nap; a slow machine may split
		// it over a few writes, not twenty.
		if w := direct + merges; w == 0 || w > 5 || mergedIn == 0 {
			t.Errorf("shard %d: %d segment writes for %d batches (%d merged in memory), want 1 to 5 with some merged", i, w, batches, mergedIn)
		}
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, _, err = OpenWith(dir, quiet, Options{PersisterNap: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if seq, _ := ix.LastSeq(); seq != batches*6 {
		t.Errorf("last seq after reopen %d, want %d", seq, batches*6)
	}
	if n, _ := ix.DocCount(); n != batches*6 {
		t.Errorf("%d documents after reopen, want %d", n, batches*6)
	}
}
