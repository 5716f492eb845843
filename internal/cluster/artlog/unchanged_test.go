package artlog_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/cluster/artlog"
	"github.com/watchword/watchword/internal/news"
)

// TestAppendUnchangedPublishesNothing: appending articles that are
// current already with the same content (what a resumed cluster import
// does with the batches it published before it stopped) returns their
// existing sequences and publishes no message, also from a node whose
// store was built from the stream afterwards.
func TestAppendUnchangedPublishesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	js := single(t)
	dir := t.TempDir()
	open := func(name string) *artlog.Log {
		l, err := artlog.Open(ctx, artlog.Config{JS: js, StorePath: filepath.Join(dir, name), Stream: "UNCH", Subject: "t.unch", Replicas: 1, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	batch := func() []*news.Article {
		a, b, c := story("u-1", "one"), story("u-2", "two"), story("u-3", "three")
		for i, x := range []*news.Article{a, b, c} {
			x.Date = time.Date(2026, 3, 1, 0, 0, i, 0, time.UTC)
			x.IngestedAt = time.Date(2026, 3, 2, 0, 0, i, 0, time.UTC)
		}
		return []*news.Article{a, b, c}
	}
	first := open("first.db")
	arts := batch()
	if _, err := first.Append(ctx, arts); err != nil {
		t.Fatal(err)
	}
	seqs := []uint64{arts[0].Seq, arts[1].Seq, arts[2].Seq}
	stream, err := js.Stream(ctx, "UNCH")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lastBefore := info.State.LastSeq
	for _, l := range []*artlog.Log{first, open("second.db")} {
		again := batch()
		applied, err := l.Append(ctx, again)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range again {
			if a.Seq != seqs[i] {
				t.Errorf("%s re-appended at %d, first at %d", a.ID, a.Seq, seqs[i])
			}
		}
		if applied != lastBefore {
			t.Errorf("Append returned %d, the log ends at %d", applied, lastBefore)
		}
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.LastSeq != lastBefore || info.State.Msgs != 3 {
			t.Errorf("after the re-append the stream ends at %d with %d messages; before at %d with 3", info.State.LastSeq, info.State.Msgs, lastBefore)
		}
	}
}
