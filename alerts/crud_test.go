package alerts

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Edits and rotations of one alert at the same time lose nothing: each
// is a read-modify-write with compare-and-set on the version, tried again
// from a fresh read when another write came first. The last PATCH's name
// and the last rotation's secret are both in the store at the end.
func TestConcurrentEditsLoseNothing(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	const n = 100
	var wg sync.WaitGroup
	var lastSecret string
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range n {
			if _, err := e.svc.Update(context.Background(), a.ID, &Input{Name: strp(fmt.Sprintf("name %d", i))}); err != nil {
				t.Errorf("update %d: %v", i, err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			v, err := e.svc.RotateSecret(context.Background(), a.ID, 0)
			if err != nil {
				t.Errorf("rotation %d: %v", i, err)
				return
			}
			lastSecret = v.Secret
		}
	}()
	wg.Wait()
	got, err := e.svc.load(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != fmt.Sprintf("name %d", n-1) || got.Secret != lastSecret {
		t.Errorf("after %d edits and %d rotations: name %q, secret is the last rotation's: %v", n, n, got.Name, got.Secret == lastSecret)
	}
	if got.Version < 2*n+1 {
		t.Errorf("version %d after %d writes, want at least %d", got.Version, 2*n, 2*n+1)
	}
}

// Six editors of one alert at once, three renaming it (each edit
// validates the query, a slow read-modify-write) and three rotating its
// secret (a fast one): every edit succeeds. The slow edits used to lose
// every compare-and-set round to the fast ones and answer 409.
func TestManyEditorsOfOneAlert(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", nil)
	const each = 100
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range each {
				var err error
				if w%2 == 0 {
					_, err = e.svc.Update(context.Background(), a.ID, &Input{Name: strp(fmt.Sprintf("editor %d, edit %d", w, i))})
				} else {
					_, err = e.svc.RotateSecret(context.Background(), a.ID, 0)
				}
				if err != nil {
					t.Errorf("editor %d, edit %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := e.svc.load(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version < 6*each+1 {
		t.Errorf("version %d after %d edits, want at least %d", got.Version, 6*each, 6*each+1)
	}
}
