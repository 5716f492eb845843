package testutil

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeT records a failure instead of ending the test.
type fakeT struct {
	testing.TB
	failed atomic.Bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed.Store(true)
}

// TestWaitFor: a condition that comes true ends the wait without a
// failure; one that never does fails once the time is up (without
// MinWait's floor here, which WaitFor adds).
func TestWaitFor(t *testing.T) {
	var n atomic.Int64
	ft := &fakeT{TB: t}
	WaitFor(ft, "three polls", 5*time.Second, func() bool { return n.Add(1) >= 3 })
	if ft.failed.Load() || n.Load() != 3 {
		t.Fatalf("failed %v after %d polls", ft.failed.Load(), n.Load())
	}

	ft = &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Fatalf does not stop this goroutine here, so end the loop by
		// returning true once the failure is recorded.
		waitFor(ft, "never", 50*time.Millisecond, func() bool { return ft.failed.Load() })
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WaitFor did not give up")
	}
	if !ft.failed.Load() {
		t.Fatal("a condition that never held did not fail the test")
	}
}

// TestReceiver: every request is kept with its path, headers and body,
// in order, and answered with the status chosen for it.
func TestReceiver(t *testing.T) {
	rc := NewReceiver(t, func(r *http.Request, n int) int {
		if r.URL.Path == "/fail" || n == 3 {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	post := func(path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, rc.URL+path, strings.NewReader(body))
		req.Header.Set("webhook-id", "msg_"+body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, c := range []struct {
		path, body string
		want       int
	}{{"/ok", "a", 200}, {"/fail", "b", 503}, {"/ok", "c", 503}, {"/ok", "d", 200}} {
		if got := post(c.path, c.body); got != c.want {
			t.Errorf("request %d: %d, want %d", i+1, got, c.want)
		}
	}
	got := rc.Requests()
	if rc.Count() != 4 || len(got) != 4 {
		t.Fatalf("%d requests recorded, want 4", rc.Count())
	}
	for i, want := range []string{"a", "b", "c", "d"} {
		if string(got[i].Body) != want || got[i].Header.Get("webhook-id") != "msg_"+want || got[i].Method != http.MethodPost {
			t.Errorf("request %d: %+v", i+1, got[i])
		}
	}
	if got[1].Path != "/fail" {
		t.Errorf("path %q", got[1].Path)
	}
}
