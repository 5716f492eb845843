package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// TestCollapseByStory checks a collapsed search against a model over
// random articles in random stories spread over three shards: one hit per
// story (its best copy), the copies and sources of each, the total and
// the facet counts in stories, with and without a filter, and pages that
// neither skip nor repeat a story.
// joins reports whether an article of story joins it, as the engine
// says (news.Article.StoryJoined): the story's first article starts it,
// every later one joins.
func joins(started map[string]bool, story string) bool {
	if story == "" {
		return false
	}
	j := started[story]
	started[story] = true
	return j
}

func TestCollapseByStory(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 3, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	sources := []string{"Wire", "Ledger", "Post", "Gazette"}
	topics := []string{"politics", "sport", "economy"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var arts []*news.Article
	started := map[string]bool{}
	for i := range 120 {
		story := fmt.Sprintf("%016x", 1+r.IntN(60))
		if r.IntN(5) == 0 {
			story = "" // an article indexed without a story collapses alone
		}
		a := &news.Article{ID: fmt.Sprintf("a%03d", i), Title: "t", Body: "common words here",
			Date: base.Add(time.Duration(r.IntN(1000)) * time.Hour), Source: sources[r.IntN(len(sources))],
			Topics: []string{topics[r.IntN(len(topics))]}, Seq: uint64(i + 1), Story: story}
		a.StoryJoined = joins(started, story)
		a.Speakers, a.Countries = []string{}, []string{}
		arts = append(arts, a)
	}
	if err := ix.Apply(arts, nil, uint64(len(arts))); err != nil {
		t.Fatal(err)
	}
	parsed, err := query.Parse("common")
	if err != nil {
		t.Fatal(err)
	}

	for _, filter := range [][]string{nil, {"sport"}} {
		// The model: stories of the articles that pass the filter;
		// facet counts count a story once per value (a story counts
		// toward a topic when a copy has it, for the filtered topic's
		// own counts: every copy, as disjunctive counts do).
		type mstory struct {
			best    *news.Article
			copies  int
			sources []string
		}
		key := func(a *news.Article) string {
			if a.Story == "" {
				return "seq" + a.ID
			}
			return a.Story
		}
		model := map[string]*mstory{}
		topicStories := map[string]map[string]bool{}
		sourceStories := map[string]map[string]bool{}
		for _, a := range arts {
			pass := filter == nil || slices.Contains(filter, a.Topics[0])
			if topicStories[a.Topics[0]] == nil {
				topicStories[a.Topics[0]] = map[string]bool{}
			}
			topicStories[a.Topics[0]][key(a)] = true // the topic filter's own facet: all copies
			if !pass {
				continue
			}
			if sourceStories[a.Source] == nil {
				sourceStories[a.Source] = map[string]bool{}
			}
			sourceStories[a.Source][key(a)] = true
			m := model[key(a)]
			if m == nil {
				m = &mstory{}
				model[key(a)] = m
			}
			m.copies++
			if !slices.Contains(m.sources, a.Source) {
				m.sources = append(m.sources, a.Source)
			}
			if m.best == nil || a.Date.After(m.best.Date) || (a.Date.Equal(m.best.Date) && a.Seq > m.best.Seq) {
				m.best = a
			}
		}
		var want []*mstory
		for _, m := range model {
			want = append(want, m)
		}
		sort.Slice(want, func(i, j int) bool {
			a, b := want[i].best, want[j].best
			if !a.Date.Equal(b.Date) {
				return a.Date.After(b.Date)
			}
			return a.Seq > b.Seq
		})

		req := Request{Query: parsed, Sort: SortNewest, Size: 7, FacetSize: 10, Collapse: true, Filters: Filters{Topics: filter}}
		var got []Hit
		for {
			res, err := ix.Search(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != uint64(len(model)) {
				t.Fatalf("filter %v: total %d, want %d stories", filter, res.Total, len(model))
			}
			for _, fv := range res.Facets["sources"] {
				if w := len(sourceStories[fv.Value]); fv.Count != w {
					t.Errorf("filter %v: source %s counts %d, want %d stories", filter, fv.Value, fv.Count, w)
				}
			}
			for _, fv := range res.Facets["topics"] {
				if w := len(topicStories[fv.Value]); filter != nil && fv.Count != w {
					t.Errorf("filter %v: topic %s counts %d, want %d stories", filter, fv.Value, fv.Count, w)
				}
			}
			got = append(got, res.Hits...)
			if len(res.Hits) < req.Size {
				break
			}
			req.After = res.Hits[len(res.Hits)-1].Cursor
		}
		if len(got) != len(want) {
			t.Fatalf("filter %v: %d hits over the pages, want %d stories", filter, len(got), len(want))
		}
		for i, h := range got {
			w := want[i]
			slices.Sort(h.Sources)
			slices.Sort(w.sources)
			if h.ID != w.best.ID || h.Copies != w.copies || !slices.Equal(h.Sources, w.sources) || h.Story != w.best.Story {
				t.Errorf("filter %v: hit %d = %s story %q copies %d sources %v, want %s story %q copies %d sources %v",
					filter, i, h.ID, h.Story, h.Copies, h.Sources, w.best.ID, w.best.Story, w.copies, w.sources)
			}
		}
	}

	// story:ID finds every copy of the story, uncollapsed.
	story := arts[0].Story
	if story == "" {
		story = fmt.Sprintf("%016x", 1)
	}
	parsed, err = query.Parse("story:" + story)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), Request{Query: parsed, Size: 200})
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs, gotIDs []string
	for _, a := range arts {
		if a.Story == story {
			wantIDs = append(wantIDs, a.ID)
		}
	}
	for _, h := range res.Hits {
		gotIDs = append(gotIDs, h.ID)
	}
	slices.Sort(gotIDs)
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("story:%s = %v, want %v", story, gotIDs, wantIDs)
	}
}

func TestStoryQueryErrors(t *testing.T) {
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 1, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for _, q := range []string{"story:abc", "story:00000000000000zz", "story:0000000000000001*"} {
		parsed, err := query.Parse(q)
		if err != nil {
			continue // a syntax error of the parser is fine too
		}
		_, err = ix.Search(context.Background(), Request{Query: parsed, Size: 1})
		if news.ErrorCode(err) != news.ECodeQuerySyntax {
			t.Errorf("%s: error %v, want %s", q, err, news.ECodeQuerySyntax)
		}
	}
}

// TestCollapsedPagesAndOrders checks the page a collapsed search picks
// (a heap of the page's size, not a sort of every story) in every order:
// a page of k stories is the first k of the page of all of them, which
// in a ranked order is the uncollapsed hits' first copy of each story in
// turn, with the story's copies; the months count each story once, under
// its shown copy's date.
func TestCollapsedPagesAndOrders(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 3, quiet, metaHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var arts []*news.Article
	started := map[string]bool{}
	for i := range 300 {
		story := fmt.Sprintf("%016x", 1+r.IntN(150))
		if r.IntN(6) == 0 {
			story = ""
		}
		body := "common " + strings.Repeat("filler ", r.IntN(30)) + strings.Repeat("common ", r.IntN(4))
		a := &news.Article{ID: fmt.Sprintf("a%03d", i), Title: "t", Body: body,
			Date: base.Add(time.Duration(r.IntN(24*365)) * time.Hour), Source: fmt.Sprintf("S%d", r.IntN(5)),
			Topics: []string{"economy"}, Seq: uint64(i + 1), Story: story}
		a.StoryJoined = joins(started, story)
		a.Speakers, a.Countries = []string{}, []string{}
		arts = append(arts, a)
	}
	if err := ix.Apply(arts, nil, uint64(len(arts))); err != nil {
		t.Fatal(err)
	}
	byID := map[string]*news.Article{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	parsed, err := query.Parse("common")
	if err != nil {
		t.Fatal(err)
	}
	key := func(a *news.Article) string {
		if a.Story == "" {
			return "seq" + a.ID
		}
		return a.Story
	}
	for _, sortBy := range []string{SortRelevance, SortNewest, SortOldest, SortUnordered} {
		all, err := ix.Search(context.Background(), Request{Query: parsed, Sort: sortBy, Size: 1000, FacetSize: 10, Months: true, Collapse: true})
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(all.Hits)) != all.Total {
			t.Fatalf("%s: %d hits of %d stories", sortBy, len(all.Hits), all.Total)
		}
		for _, k := range []int{1, 5, 17} {
			page, err := ix.Search(context.Background(), Request{Query: parsed, Sort: sortBy, Size: k, FacetSize: 10, Collapse: true})
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range page.Hits {
				if h.ID != all.Hits[i].ID || h.Copies != all.Hits[i].Copies {
					t.Fatalf("%s: page of %d, hit %d = %s (%d copies), the full page has %s (%d copies)", sortBy, k, i, h.ID, h.Copies, all.Hits[i].ID, all.Hits[i].Copies)
				}
			}
			if len(page.Hits) != k {
				t.Fatalf("%s: page of %d has %d hits", sortBy, k, len(page.Hits))
			}
		}
		if sortBy == SortUnordered {
			continue
		}
		flat, err := ix.Search(context.Background(), Request{Query: parsed, Sort: sortBy, Size: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		copies := map[string]int{}
		months := map[time.Time]int{}
		for _, h := range flat.Hits {
			a := byID[h.ID]
			if copies[key(a)]++; copies[key(a)] == 1 {
				want = append(want, h.ID)
				months[time.Date(a.Date.Year(), a.Date.Month(), 1, 0, 0, 0, 0, time.UTC)]++
			}
		}
		if len(want) != len(all.Hits) {
			t.Fatalf("%s: %d stories collapsed, %d in the uncollapsed hits", sortBy, len(all.Hits), len(want))
		}
		for i, h := range all.Hits {
			if h.ID != want[i] || h.Copies != copies[key(byID[h.ID])] {
				t.Fatalf("%s: hit %d = %s (%d copies), want %s (%d copies)", sortBy, i, h.ID, h.Copies, want[i], copies[key(byID[want[i]])])
			}
		}
		if len(all.Months) != len(months) {
			t.Fatalf("%s: %d months, want %d", sortBy, len(all.Months), len(months))
		}
		for _, m := range all.Months {
			if m.Count != months[m.Month] {
				t.Errorf("%s: month %s counts %d stories, want %d", sortBy, m.Month.Format("2006-01"), m.Count, months[m.Month])
			}
		}
		// The months without facet counts: the shards' counts are summed
		// the same way.
		bare, err := ix.Search(context.Background(), Request{Query: parsed, Sort: sortBy, Size: 3, Months: true, Collapse: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(bare.Months, all.Months) || bare.Total != all.Total {
			t.Errorf("%s: without facets, %d stories in months %v; with them %d in %v", sortBy, bare.Total, bare.Months, all.Total, all.Months)
		}
	}
}

// The story table answers as a Go map does, through growth and reuse.
func TestStoryTable(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 5))
	var tab storyTable
	for round := range 4 {
		want := map[uint64]int32{}
		n := []int{10, 5000, 40, 3000}[round]
		for i := range n {
			k := 1 + r.Uint64N(uint64(2*n)) // repeats, and keys that share slots
			if round%2 == 1 {
				k <<= 32 // low bits all zero
			}
			got, found := tab.getOrPut(k, int32(i))
			w, ok := want[k]
			if !ok {
				want[k], w = int32(i), int32(i)
			}
			if found != ok || got != w {
				t.Fatalf("round %d: getOrPut(%d) = %d, %v; want %d, %v", round, k, got, found, w, ok)
			}
		}
		for k, w := range want {
			if got, ok := tab.get(k); !ok || got != w {
				t.Fatalf("round %d: get(%d) = %d, %v; want %d", round, k, got, ok, w)
			}
		}
		_, in := want[1<<63]
		if _, ok := tab.get(1 << 63); ok != in {
			t.Fatalf("round %d: get of an absent key found it", round)
		}
		if tab.n != len(want) {
			t.Fatalf("round %d: %d entries, want %d", round, tab.n, len(want))
		}
		tab.reset()
		if _, ok := tab.get(want0(want)); ok {
			t.Fatalf("round %d: a key survived reset", round)
		}
	}
}

func want0(m map[uint64]int32) uint64 {
	for k := range m {
		return k
	}
	return 1
}

// TestStoryFilter: every story a segment lists as joined is shared; of
// stories no segment lists, few are (the filter's false positives); a
// search on the same segments gets the same filter, one on other
// segments a new one.
func TestStoryFilter(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 5))
	mc := newMetaCache()
	joined := map[uint64]bool{}
	var sms []*snapshotMeta
	for shard := range 2 {
		sm := &snapshotMeta{}
		for seg := range 5 {
			m := &segMeta{}
			for range 10_000 {
				s := r.Uint64() | 1
				m.joined = append(m.joined, s)
				joined[s] = true
			}
			sm.metas = append(sm.metas, m)
			sm.keys = append(sm.keys, segKey{shard, uint64(seg)})
		}
		sms = append(sms, sm)
	}
	f := mc.storyFilterFor(sms)
	for s := range joined {
		if !f.shared(s) {
			t.Fatalf("story %x joined in a segment, not shared", s)
		}
	}
	fp := 0
	const probes = 100_000
	for range probes {
		if s := r.Uint64() | 1; !joined[s] && f.shared(s) {
			fp++
		}
	}
	if rate := float64(fp) / probes; rate > 0.05 {
		t.Errorf("false positives %.3f of stories of their own, want at most 0.05", rate)
	}
	if g := mc.storyFilterFor(sms); g != f {
		t.Error("the same segments built a new filter")
	}
	sms[1].keys[4].id = 99 // a merge replaced a segment
	sms[1].metas[4] = &segMeta{joined: []uint64{42}}
	g := mc.storyFilterFor(sms)
	if g == f || !g.shared(42) {
		t.Errorf("other segments: same filter %v, shares the new segment's story %v", g == f, g.shared(42))
	}
}

// TestCollapseWhileIndexing: batches of copies (and deletions, of first
// copies too) go into a two-shard index that keeps many segments while
// other goroutines search it collapsed, so story filters are built and
// replaced under them. After each batch the collapsed total and every
// story's copies match a model of the live articles.
func TestCollapseWhileIndexing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 6))
	ix, _, err := open(filepath.Join(t.TempDir(), "idx"), 2, quiet, metaHooks{manySegments: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	parsed, err := query.Parse("common")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			var err error
			defer func() { errs <- err }()
			for ctx.Err() == nil {
				var res *Result
				res, err = ix.Search(context.Background(), Request{Query: parsed, Size: 50, FacetSize: 5, Collapse: true})
				if err != nil {
					return
				}
				seen := map[string]bool{}
				for _, h := range res.Hits {
					if seen[h.Story] || h.Copies < 1 {
						err = fmt.Errorf("story %s twice on a page or with %d copies", h.Story, h.Copies)
						return
					}
					seen[h.Story] = true
				}
			}
		}()
	}
	live := map[string]*news.Article{}
	started := map[string]bool{}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	for b := range 40 {
		var puts []*news.Article
		var dels []string
		for k := range 25 {
			seq++
			story := fmt.Sprintf("%016x", 1+r.IntN(300))
			a := &news.Article{ID: fmt.Sprintf("a%02d-%02d", b, k), Title: "t", Body: "common words",
				Date: base.Add(time.Duration(r.IntN(5000)) * time.Minute), Source: fmt.Sprintf("S%d", r.IntN(4)),
				Topics: []string{"economy"}, Seq: seq, Story: story}
			a.StoryJoined = joins(started, story)
			a.Speakers, a.Countries = []string{}, []string{}
			puts = append(puts, a)
		}
		for id := range live {
			if len(dels) == 3 {
				break
			}
			dels = append(dels, id)
		}
		if err := ix.Apply(puts, dels, seq); err != nil {
			t.Fatal(err)
		}
		for _, id := range dels {
			delete(live, id)
		}
		for _, a := range puts {
			live[a.ID] = a
		}
		copies := map[string]int{}
		for _, a := range live {
			copies[a.Story]++
		}
		res, err := ix.Search(context.Background(), Request{Query: parsed, Size: 1000, Collapse: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != uint64(len(copies)) || len(res.Hits) != len(copies) {
			t.Fatalf("batch %d: %d stories, %d hits; want %d", b, res.Total, len(res.Hits), len(copies))
		}
		for _, h := range res.Hits {
			if h.Copies != copies[h.Story] {
				t.Fatalf("batch %d: story %s has %d copies, want %d", b, h.Story, h.Copies, copies[h.Story])
			}
		}
	}
	stop()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
