package netguard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

// TestNewClientDialsThroughGuard: the client refuses a loopback server
// with an error wrapping ErrRefused, and reaches it once the allow list
// names loopback.
func TestNewClientDialsThroughGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	o := ClientOptions{Timeout: 5 * time.Second, MaxIdleConns: 2, MaxIdleConnsPerHost: 1}

	_, err := NewClient(&Guard{}, o).Get(srv.URL)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("loopback without allow: %v, want ErrRefused", err)
	}
	c := NewClient(&Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, o)
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
}
