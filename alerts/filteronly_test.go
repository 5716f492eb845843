package alerts

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// An alert with an empty query delivers every new article that passes its
// filters, as a search with an empty query lists them; an alert with
// neither a query nor a filter is refused, on create and on edit.
func TestFilterOnlyAlert(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	e.ingest(t, art("before", "Already there before the alert."))
	a := e.create(t, h, "  ", func(in *Input) { in.Filters = &engine.Filters{Sources: []string{"wire"}} })
	if a.Query != "" {
		t.Fatalf("query %q, want empty", a.Query)
	}
	other := func(id, body string) *news.Article { x := art(id, body); x.Source = "elsewhere"; return x }
	e.ingest(t, art("w1", "Grain prices rose."), other("o1", "Grain prices fell."), art("w2", "Talks in Geneva."))

	p, err := e.svc.Preview(context.Background(), a.ID)
	if err != nil || p.TotalNew != 2 {
		t.Fatalf("preview: %+v %v", p, err)
	}
	res, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil || res.Matches != 2 {
		t.Fatalf("run: %+v %v", res, err)
	}
	testutil.WaitFor(t, "the delivery", 5*time.Second, func() bool { return h.count() == 1 })
	got := h.got()
	if len(got) != 2 || len(got["w1"]) != 1 || len(got["w2"]) != 1 {
		t.Fatalf("delivered %v, want w1 and w2", got)
	}
	h.mu.Lock()
	data, _ := json.Marshal(h.bodies[0].Data)
	h.mu.Unlock()
	if !strings.Contains(string(data), `"query":""`) || strings.Contains(string(data), `\u003cmark`) {
		t.Errorf("payload %s: want the empty query and snippets without marks", data)
	}

	// Neither query nor filter: refused, when created and when an edit
	// takes the last filter away.
	none := &Input{Name: strp("all"), Query: strp(""), Schedule: strp("@daily"), WebhookURL: strp(h.srv.URL + "/hook")}
	if _, err := e.svc.Create(context.Background(), none); news.ErrorCode(err) != news.ECodeInvalid || !strings.Contains(news.ErrorMessage(err), "query or a filter") {
		t.Fatalf("no query, no filter: %v", err)
	}
	if _, err := e.svc.Update(context.Background(), a.ID, &Input{Filters: &engine.Filters{}}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("edit removing the last filter: %v", err)
	}
	if v, _ := e.svc.Get(context.Background(), a.ID); len(v.Filters.Sources) != 1 {
		t.Fatalf("the refused edit changed the alert: %+v", v)
	}

	// Asking for everything on purpose, with a query that says so, works.
	all := e.create(t, h, "date:[* TO *]", nil)
	e.ingest(t, art("w3", "Anything at all."), other("o2", "Anything else."))
	if res, err := e.svc.RunNow(context.Background(), all.ID); err != nil || res.Matches != 2 {
		t.Fatalf("date:[* TO *] run: %+v %v", res, err)
	}
}
