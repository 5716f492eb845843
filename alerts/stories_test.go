package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// wire is a body long enough to be grouped, with the word "ukraine".
func wire(tag string) string {
	w := []string{"Ukraine"}
	for i := range 120 {
		w = append(w, fmt.Sprintf("%s%d", tag, i*7919%1000))
	}
	return strings.Join(w, " ")
}

func copyOf(id, src, body string) *news.Article {
	return &news.Article{ID: id, Source: src, URL: "https://" + strings.ToLower(src) + ".example/" + id, Body: body,
		Date: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
}

// TestAlertDeliversEachStoryOnce: one delivery lists a story once with
// its copies' sources and URLs; a later copy of a delivered story is not
// delivered again; with repeat_stories it is; an edit is no new match.
func TestAlertDeliversEachStoryOnce(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	hr := newHook(t)
	ar := e.create(t, hr, "ukraine", func(in *Input) { yes := true; in.RepeatStories = &yes })
	body := wire("kyiv")
	e.ingest(t, copyOf("r1", "Reuters", body), copyOf("ap1", "AP", "Lead paragraph. "+body),
		copyOf("other", "Post", wire("grain")))
	res, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil || res.Matches != 3 || res.Deliveries != 1 {
		t.Fatalf("first run: %+v %v", res, err)
	}
	testutil.WaitFor(t, "a webhook", 5*time.Second, func() bool { return h.count() == 1 })
	h.mu.Lock()
	raw := h.raw[0]
	h.mu.Unlock()
	var p struct {
		Data struct {
			Matches []DeliveredMatch `json:"matches"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Data.Matches) != 2 {
		t.Fatalf("%d entries, want 2 stories: %s", len(p.Data.Matches), raw)
	}
	var withCopies *DeliveredMatch
	for i := range p.Data.Matches {
		if p.Data.Matches[i].Story != nil {
			withCopies = &p.Data.Matches[i]
		}
	}
	if withCopies == nil || len(withCopies.Story.Copies) != 1 {
		t.Fatalf("no story with one other copy: %s", raw)
	}
	c := withCopies.Story.Copies[0]
	if c.Source == "" || !strings.HasPrefix(c.URL, "https://") || (c.ID != "r1" && c.ID != "ap1") || c.ID == withCopies.ID {
		t.Errorf("copy %+v of %s", c, withCopies.ID)
	}

	// A later copy of the delivered story, and an edit of a delivered
	// article: nothing new for the alert.
	e.ingest(t, copyOf("bbc1", "BBC", body+" Reporting by BBC."), copyOf("r1", "Reuters", body+" (corrected)"))
	if res, err := e.svc.RunNow(context.Background(), a.ID); err != nil || res.Matches != 0 {
		t.Fatalf("later copy delivered again: %+v %v", res, err)
	}
	// The alert with repeat_stories gets every copy (the edit is not new).
	if res, err := e.svc.RunNow(context.Background(), ar.ID); err != nil || res.Matches != 4 {
		t.Fatalf("repeat_stories: %+v %v, want the 4 articles", res, err)
	}
	testutil.WaitFor(t, "repeat hook", 5*time.Second, func() bool { return hr.count() == 1 })
	if res, err := e.svc.RunNow(context.Background(), ar.ID); err != nil || res.Matches != 0 {
		t.Fatalf("repeat_stories second run: %+v %v", res, err)
	}
}

// TestStoriesDroppedPerAlertInOneRound: a round looks the stories up once
// for all its alerts, yet each alert still drops only the copies of the
// stories delivered to it: two alerts that were sent a story drop its
// later copy, one that was not gets every copy.
func TestStoriesDroppedPerAlertInOneRound(t *testing.T) {
	e := newEnv(t, nil)
	// A receiver each: a hook verifies the signatures of one alert.
	a1 := e.create(t, newHook(t), "ukraine", nil)
	a2 := e.create(t, newHook(t), "ukraine", nil)
	a3 := e.create(t, newHook(t), "ukraine", nil)
	body := wire("kyiv")
	e.ingest(t, copyOf("r1", "Reuters", body))
	for _, id := range []string{a1.ID, a3.ID} {
		if res, err := e.svc.RunNow(context.Background(), id); err != nil || res.Matches != 1 {
			t.Fatalf("first run of %s: %+v %v", id, res, err)
		}
	}
	e.ingest(t, copyOf("ap1", "AP", "Lead paragraph. "+body), copyOf("other", "Post", wire("grain")))
	res, err := e.svc.RunAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Matches != 1+3+1 {
		t.Errorf("round: %d matches, want 5 (other to a1 and a3; r1, ap1, other to a2)", res.Matches)
	}
	latest := func(id string) []string {
		ds := e.deliveries(t, id)
		ids := append([]string(nil), ds[0].ArticleIDs...)
		slices.Sort(ids)
		return ids
	}
	for _, c := range []struct {
		id   string
		want []string
	}{{a1.ID, []string{"other"}}, {a2.ID, []string{"ap1", "other", "r1"}}, {a3.ID, []string{"other"}}} {
		if got := latest(c.id); !slices.Equal(got, c.want) {
			t.Errorf("alert %s: latest delivery carries %v, want %v", c.id, got, c.want)
		}
	}
}
