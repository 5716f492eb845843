// Package savedtest is the conformance suite every saved.Store passes
// (the bbolt one today, a replicated one next): one suite, every backend.
//
//	func TestConformance(t *testing.T) {
//		savedtest.TestStore(t, open)
//	}
package savedtest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/saved"
)

// Opener opens a fresh, empty store for one test; reopen closes it and
// opens the same data again (a restart).
type Opener func(t *testing.T) (s saved.Store, reopen func() saved.Store)

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// search is a saved search with every field set.
func search(id, owner string, at time.Time) *saved.Search {
	return &saved.Search{
		ID: id, Name: "name " + id, Owner: owner, CreatedBy: owner, CreatedAt: at, UpdatedAt: at,
		Params: saved.Params{
			Query: "Peskov AND (Ukraine OR Kyiv)", From: "now-7d", To: "2026-03-01", Sort: "newest",
			Filters: saved.Filters{Speakers: []string{"Dmitry Peskov"}, Countries: []string{"Ukraine", "Russia"}, MainCountries: []string{"Ukraine"},
				Topics: []string{"diplomacy"}, Sources: []string{"Wire"}, Languages: []string{"en"}},
		},
	}
}

func js(t *testing.T, s *saved.Search) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ids(ss []*saved.Search) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// TestStore runs the suite.
func TestStore(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("CreateGetListReopen", func(t *testing.T) {
		s, reopen := open(t)
		for i, id := range []string{"ss_c", "ss_a", "ss_b"} {
			owner := "key_1"
			if id == "ss_b" {
				owner = "key_2"
			}
			sr := search(id, owner, base.Add(time.Duration(i)*time.Minute))
			if err := s.Create(ctx, sr, 10); err != nil {
				t.Fatal(err)
			}
			if sr.Version != 1 {
				t.Fatalf("create set version %d, want 1", sr.Version)
			}
		}
		if err := s.Create(ctx, search("ss_a", "key_1", base), 10); news.ErrorCode(err) != news.ECodeConflict {
			t.Fatalf("a second ss_a: %v, want a conflict", err)
		}
		if _, err := s.Get(ctx, "ss_zz"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("an unknown search: %v, want not found", err)
		}
		s = reopen()
		got, err := s.Get(ctx, "ss_a")
		if err != nil {
			t.Fatal(err)
		}
		want := search("ss_a", "key_1", base.Add(time.Minute))
		want.Version = 1
		if js(t, got) != js(t, want) {
			t.Fatalf("ss_a after reopen:\n got %s\nwant %s", js(t, got), js(t, want))
		}
		all, err := s.List(ctx, "")
		if err != nil || fmt.Sprint(ids(all)) != "[ss_c ss_a ss_b]" {
			t.Fatalf("List of everyone's, oldest first: %v %v", ids(all), err)
		}
		own, err := s.List(ctx, "key_1")
		if err != nil || fmt.Sprint(ids(own)) != "[ss_c ss_a]" {
			t.Fatalf("List of key_1's: %v %v", ids(own), err)
		}
		none, err := s.List(ctx, "key_none")
		if err != nil || len(none) != 0 {
			t.Fatalf("List of a key without searches: %v %v", ids(none), err)
		}
	})

	t.Run("CreateCountsPerOwner", func(t *testing.T) {
		s, _ := open(t)
		for i := range 3 {
			if err := s.Create(ctx, search(fmt.Sprintf("ss_%d", i), "key_1", base), 3); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Create(ctx, search("ss_4", "key_1", base), 3); news.ErrorCode(err) != news.ECodeConflict {
			t.Fatalf("a fourth search with max 3: %v, want a conflict", err)
		}
		if err := s.Create(ctx, search("ss_5", "key_2", base), 3); err != nil {
			t.Fatalf("another key's first search: %v", err)
		}
		if _, err := s.Get(ctx, "ss_4"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("the refused search was stored: %v", err)
		}
	})

	t.Run("ConcurrentCreatesKeepTheLimit", func(t *testing.T) {
		s, _ := open(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Create(ctx, search(fmt.Sprintf("ss_%d", i), "key_1", base), 5)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case news.ErrorCode(err) != news.ECodeConflict:
				t.Fatal(err)
			}
		}
		if l, _ := s.List(ctx, "key_1"); ok != 5 || len(l) != 5 {
			t.Fatalf("%d of 8 concurrent creates with max 5 succeeded, %d stored; want 5", ok, len(l))
		}
	})

	t.Run("UpdateIsCompareAndSet", func(t *testing.T) {
		s, reopen := open(t)
		if err := s.Create(ctx, search("ss_a", "key_1", base), 10); err != nil {
			t.Fatal(err)
		}
		first, _ := s.Get(ctx, "ss_a")
		second, _ := s.Get(ctx, "ss_a")
		first.Name = "renamed"
		if err := s.Update(ctx, first); err != nil {
			t.Fatal(err)
		}
		if first.Version != 2 {
			t.Fatalf("update set version %d, want 2", first.Version)
		}
		second.Name = "stale"
		if err := s.Update(ctx, second); news.ErrorCode(err) != news.ECodeConflict {
			t.Fatalf("update at a stale version: %v, want a conflict", err)
		}
		if err := s.Update(ctx, search("ss_none", "key_1", base)); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("update of an unknown search: %v", err)
		}
		s = reopen()
		got, _ := s.Get(ctx, "ss_a")
		if js(t, got) != js(t, first) {
			t.Fatalf("after CAS and reopen:\n got %s\nwant %s", js(t, got), js(t, first))
		}
	})

	t.Run("ConcurrentUpdatesOneWins", func(t *testing.T) {
		s, _ := open(t)
		if err := s.Create(ctx, search("ss_a", "key_1", base), 10); err != nil {
			t.Fatal(err)
		}
		k, _ := s.Get(ctx, "ss_a")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := *k
				c.Name = fmt.Sprintf("writer %d", i)
				errs[i] = s.Update(ctx, &c)
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

	t.Run("DeleteIsCompareAndSet", func(t *testing.T) {
		s, reopen := open(t)
		sr := search("ss_a", "key_1", base)
		if err := s.Create(ctx, sr, 10); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "ss_a", sr.Version+1); news.ErrorCode(err) != news.ECodeConflict {
			t.Fatalf("delete at a wrong version: %v, want a conflict", err)
		}
		if err := s.Delete(ctx, "ss_none", 1); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("delete of an unknown search: %v", err)
		}
		if err := s.Delete(ctx, "ss_a", sr.Version); err != nil {
			t.Fatal(err)
		}
		s = reopen()
		if _, err := s.Get(ctx, "ss_a"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("after delete and reopen: %v", err)
		}
		// The freed place counts again.
		if err := s.Create(ctx, search("ss_b", "key_1", base), 1); err != nil {
			t.Fatalf("create after a delete with max 1: %v", err)
		}
	})

	t.Run("DoneContext", func(t *testing.T) {
		s, _ := open(t)
		dead, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Create(dead, search("ss_a", "key_1", base), 10); err == nil {
			t.Fatal("Create with a done context stored the search")
		}
		if _, err := s.Get(ctx, "ss_a"); news.ErrorCode(err) != news.ECodeNotFound {
			t.Fatalf("after a cancelled create: %v", err)
		}
		if _, err := s.List(dead, ""); err == nil {
			t.Fatal("List with a done context answered")
		}
	})
}
