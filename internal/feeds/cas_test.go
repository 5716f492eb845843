package feeds

import (
	"context"
	"sync"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// racingStore is a Store where another writer (a poll) records the feed
// just before the service's next update or delete lands, once each.
type racingStore struct {
	Store
	mu     sync.Mutex
	before map[string]func() // method -> the competing write
}

func (r *racingStore) race(method string) {
	r.mu.Lock()
	fn := r.before[method]
	delete(r.before, method)
	r.mu.Unlock()
	if fn != nil {
		fn()
	}
}

func (r *racingStore) Update(ctx context.Context, f *Feed) error {
	r.race("update")
	return r.Store.Update(ctx, f)
}

func (r *racingStore) Delete(ctx context.Context, id string, version uint64) error {
	r.race("delete")
	return r.Store.Delete(ctx, id, version)
}

// TestEditRacingAPoll: an edit read before a poll's record lands is
// refused by the store (compare-and-set) and the service applies it again
// on the newer feed, so neither the edit nor the poll's status is lost;
// a delete racing a poll still deletes.
func TestEditRacingAPoll(t *testing.T) {
	var rs *racingStore
	e := newEnv(t, nil, func(c *Config) {
		rs = &racingStore{Store: c.Store, before: map[string]func(){}}
		c.Store = rs
	})
	o := newOrigin(t)
	v := e.create(t, o.url("/f"), nil)
	ctx := context.Background()
	pollWrites := func() {
		f, err := rs.Store.Get(ctx, v.ID)
		if err != nil {
			t.Error(err)
			return
		}
		f.ItemsIngested += 5
		f.LastStatus = StatusOK
		if err := rs.Store.RecordPoll(ctx, f, nil); err != nil {
			t.Error(err)
		}
	}
	rs.before["update"] = pollWrites
	got, err := e.svc.Update(ctx, v.ID, &Input{Source: strp("Edited")})
	if err != nil {
		t.Fatalf("update racing a poll: %v", err)
	}
	if got.Source != "Edited" || got.ItemsIngested != 5 || got.LastStatus != StatusOK {
		t.Errorf("after the race: source %q, items %d, status %q", got.Source, got.ItemsIngested, got.LastStatus)
	}
	stored, err := e.svc.store.Get(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Source != "Edited" || stored.ItemsIngested != 5 || stored.Version != 3 {
		t.Errorf("stored: source %q, items %d, version %d (want 3: create, poll, edit)", stored.Source, stored.ItemsIngested, stored.Version)
	}

	rs.before["delete"] = pollWrites
	if err := e.svc.Delete(ctx, v.ID); err != nil {
		t.Fatalf("delete racing a poll: %v", err)
	}
	if _, err := e.svc.Get(ctx, v.ID); news.ErrorCode(err) != news.ECodeNotFound {
		t.Errorf("after the delete: %v", err)
	}
}
