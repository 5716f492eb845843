package feeds

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/logctx"
)

// TestCRUDContext: feed CRUD takes the caller's context: a cancelled one
// changes nothing, and the lines a request's create and delete log carry
// the logger the context holds (web's, with the request_id).
func TestCRUDContext(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	v := e.create(t, o.url("/f"), nil)

	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.svc.Create(cctx, &Input{URL: strp(o.url("/other"))}); !errors.Is(err, context.Canceled) {
		t.Errorf("create with a cancelled context: %v", err)
	}
	if _, err := e.svc.Update(cctx, v.ID, &Input{Source: strp("changed")}); !errors.Is(err, context.Canceled) {
		t.Errorf("update with a cancelled context: %v", err)
	}
	if err := e.svc.Delete(cctx, v.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("delete with a cancelled context: %v", err)
	}
	if _, err := e.svc.Get(cctx, v.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("get with a cancelled context: %v", err)
	}
	if _, err := e.svc.Views(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("list with a cancelled context: %v", err)
	}
	all, err := e.svc.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Source != "" || all[0].ID != v.ID {
		t.Fatalf("after the cancelled calls: %+v", all)
	}

	var buf bytes.Buffer
	ctx := logctx.With(context.Background(), slog.New(slog.NewTextHandler(&buf, nil)).With("request_id", "req-42"))
	w, err := e.svc.Create(ctx, &Input{URL: strp(o.url("/other"))})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"feeds: created", "feeds: deleted"} {
		found := false
		for _, line := range strings.Split(buf.String(), "\n") {
			if strings.Contains(line, msg) && strings.Contains(line, "request_id=req-42") && strings.Contains(line, w.ID) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %q line with the request's id in:\n%s", msg, buf.String())
		}
	}
}
