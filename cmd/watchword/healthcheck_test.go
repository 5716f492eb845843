package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	var ready atomic.Bool
	ready.Store(true)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready.Load() {
			http.Error(w, `{"error":{"code":"unavailable","message":"index is catching up"}}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer ts.Close()
	if code, out := runCmd(t, "healthcheck", "--url", ts.URL+"/readyz"); code != 0 {
		t.Errorf("ready server: exit %d %s", code, out)
	}
	ready.Store(false)
	if code, _ := runCmd(t, "healthcheck", "--url", ts.URL+"/readyz"); code != 1 {
		t.Errorf("unready server: exit %d, want 1", code)
	}
	ts.Close()
	if code, _ := runCmd(t, "healthcheck", "--url", ts.URL+"/readyz", "--timeout", "1s"); code != 1 {
		t.Errorf("no server: exit %d, want 1", code)
	}
}
