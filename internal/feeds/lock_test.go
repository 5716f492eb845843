package feeds

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

func (s *Service) lockedFeeds() int {
	s.locksMu.Lock()
	defer s.locksMu.Unlock()
	return len(s.locks)
}

// pollers is the number of polls holding or waiting for a feed's lock.
func (s *Service) pollers(id string) int {
	s.locksMu.Lock()
	defer s.locksMu.Unlock()
	if l := s.locks[id]; l != nil {
		return l.refs
	}
	return 0
}

// TestFeedLocksBounded: the per-feed poll locks do not outlive the
// polls, whatever feeds come and go, and two polls of one feed still run
// one after the other.
func TestFeedLocksBounded(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	o.serve("application/rss+xml", rss("f", rssItem{guid: "g1", title: "one", body: "One story."}), "")
	for i := range 30 {
		f := e.create(t, o.url(fmt.Sprintf("/feed/%d", i)), nil)
		e.poll(t, f.ID)
		if i%2 == 0 {
			if err := e.svc.Delete(context.Background(), f.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := e.svc.lockedFeeds(); n != 0 {
		t.Fatalf("%d feeds left in the lock map after 30 polls", n)
	}

	// One feed polled twice at once: the origin never sees both.
	var mu sync.Mutex
	inFlight, most := 0, 0
	release := make(chan struct{})
	o.set(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight--
		mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
	})
	f := e.create(t, o.url("/same"), nil)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = e.svc.Poll(context.Background(), f.ID) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.svc.pollers(f.ID) != 2 || len(o.requests()) < 31 {
		if time.Now().After(deadline) {
			t.Fatal("the first poll did not reach the origin with the second waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	if most != 1 {
		t.Errorf("%d polls of one feed ran at once", most)
	}
	if n := e.svc.lockedFeeds(); n != 0 {
		t.Errorf("%d feeds left in the lock map", n)
	}
}
