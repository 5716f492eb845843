// Package keystest is the conformance suite every keys.Store passes (the
// bbolt one today, a replicated one next): one suite, every backend.
package keystest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
)

// Opener opens a fresh, empty store for one test; reopen closes it and
// opens the same data again (a restart).
type Opener func(t *testing.T) (s keys.Store, reopen func() keys.Store)

func key(id string, at time.Time) *keys.Key {
	return &keys.Key{ID: id, Name: "n " + id, Scope: keys.ScopeRead, Hash: make([]byte, 32), CreatedBy: "token", CreatedAt: at}
}

// TestStore runs the suite.
func TestStore(t *testing.T, open Opener) {
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	t.Run("CreateGetList", func(t *testing.T) {
		s, reopen := open(t)
		for i, id := range []string{"key_c", "key_a", "key_b"} {
			if err := s.Create(ctx, key(id, base.Add(time.Duration(i)*time.Minute))); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Create(ctx, key("key_a", base)); news.ErrorCode(err) != news.ECodeConflict {
			t.Fatalf("a second key_a: %v, want a conflict", err)
		}
		if _, err := s.Get(ctx, "key_zz"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("an unknown key: %v, want not found", err)
		}
		s = reopen()
		got, err := s.Get(ctx, "key_a")
		if err != nil || got.Name != "n key_a" || got.Scope != keys.ScopeRead || len(got.Hash) != 32 || !got.CreatedAt.Equal(base.Add(time.Minute)) || got.Version == 0 {
			t.Fatalf("key_a after reopen: %+v %v", got, err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 3 || list[0].ID != "key_c" || list[1].ID != "key_a" || list[2].ID != "key_b" {
			t.Fatalf("List, oldest first: %v %v", ids(list), err)
		}
	})

	t.Run("UpdateIsCompareAndSet", func(t *testing.T) {
		s, reopen := open(t)
		if err := s.Create(ctx, key("key_a", base)); err != nil {
			t.Fatal(err)
		}
		k, _ := s.Get(ctx, "key_a")
		v := k.Version
		at := base.Add(time.Hour)
		k.RevokedAt = &at
		if err := s.Update(ctx, k, v); err != nil {
			t.Fatal(err)
		}
		k.Name = "stale"
		if err := s.Update(ctx, k, v); news.ErrorCode(err) != news.ECodeConflict {
			t.Fatalf("update at a stale version: %v, want a conflict", err)
		}
		if err := s.Update(ctx, key("key_none", base), 1); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("update of an unknown key: %v", err)
		}
		s = reopen()
		got, _ := s.Get(ctx, "key_a")
		if got.RevokedAt == nil || !got.RevokedAt.Equal(at) || got.Name != "n key_a" || got.Version != v+1 {
			t.Fatalf("after CAS and reopen: %+v", got)
		}
	})

	t.Run("ConcurrentUpdatesOneWins", func(t *testing.T) {
		s, _ := open(t)
		if err := s.Create(ctx, key("key_a", base)); err != nil {
			t.Fatal(err)
		}
		k, _ := s.Get(ctx, "key_a")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := *k
				c.Name = fmt.Sprintf("writer %d", i)
				errs[i] = s.Update(ctx, &c, k.Version)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case news.ErrorCode(err) != news.ECodeConflict:
				t.Fatal(err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of 8 concurrent updates at one version won, want 1", won)
		}
	})

	t.Run("DoneContext", func(t *testing.T) {
		s, _ := open(t)
		dead, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Create(dead, key("key_a", base)); err == nil {
			t.Fatal("Create with a done context stored the key")
		}
		if _, err := s.Get(ctx, "key_a"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("after a cancelled create: %v", err)
		}
	})
}

func ids(ks []*keys.Key) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID
	}
	return out
}
