package boltstore

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type env struct {
	eng *engine.Engine
	svc *alerts.Service
}

func (e *env) ingest(t *testing.T, arts ...*news.Article) {
	t.Helper()
	if _, rej, err := e.eng.Ingest(context.Background(), arts); err != nil || len(rej) > 0 {
		t.Fatalf("ingest: %v %v", err, rej)
	}
}

func art(id, body string) *news.Article { return &news.Article{ID: id, Body: body, Source: "wire"} }

func (e *env) deliveries(t *testing.T, id string) []*alerts.Delivery {
	t.Helper()
	ds, err := e.svc.Deliveries(context.Background(), id, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// sentIDs returns the article ids of all an alert's deliveries, sorted.
func (e *env) sentIDs(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, d := range e.deliveries(t, id) {
		out = append(out, d.ArticleIDs...)
	}
	slices.Sort(out)
	return out
}

func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// sentArticles maps each article id a receiver got to the webhook-ids
// that carried it.
func sentArticles(rc *testutil.Receiver) map[string][]string {
	out := map[string][]string{}
	for _, r := range rc.Requests() {
		var p struct {
			Data struct {
				Matches []struct {
					ID string `json:"id"`
				} `json:"matches"`
			} `json:"data"`
		}
		if json.Unmarshal(r.Body, &p) != nil {
			continue
		}
		for _, m := range p.Data.Matches {
			out[m.ID] = append(out[m.ID], r.Header.Get("webhook-id"))
		}
	}
	return out
}
