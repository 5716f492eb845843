package web

import (
	"net/netip"
	"strings"
	"testing"
)

// TestJSONRoutesNeedJSONContentType: the routes whose body is a JSON
// object refuse any other Content-Type with 415 unsupported_media and the
// error shape, before reading the body; the token is checked first.
func TestJSONRoutesNeedJSONContentType(t *testing.T) {
	alertTS := newAlertServer(t)
	feedTS := newFeedServer(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	alertBody := `{"name":"n","query":"oil","schedule":"@daily","webhook_url":"http://127.0.0.1:9/hook"}`
	feedBody := `{"url":"http://127.0.0.1:9/feed.xml"}`

	r := call(t, alertTS, "POST", "/api/alerts", "application/json; charset=utf-8", alertBody, testToken)
	if r.Status != 201 {
		t.Fatalf("create alert with application/json; charset=utf-8: %d %s", r.Status, r.Raw)
	}
	alertID := r.Body["id"].(string)
	r = call(t, feedTS, "POST", "/api/feeds", "application/json", feedBody, testToken)
	if r.Status != 201 {
		t.Fatalf("create feed: %d %s", r.Status, r.Raw)
	}
	feedID := r.Body["id"].(string)

	routes := []struct {
		ts           string
		method, path string
		body         string
	}{
		{"alerts", "POST", "/api/alerts", alertBody},
		{"alerts", "PATCH", "/api/alerts/" + alertID, `{"name":"renamed"}`},
		{"feeds", "POST", "/api/feeds", `{"url":"http://127.0.0.1:9/other.xml"}`},
		{"feeds", "PATCH", "/api/feeds/" + feedID, `{"source":"renamed"}`},
	}
	for _, rt := range routes {
		ts := alertTS
		if rt.ts == "feeds" {
			ts = feedTS
		}
		for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1", "application/jsonx", "application/json; ="} {
			r := call(t, ts, rt.method, rt.path, ct, rt.body, testToken)
			if r.Status != 415 || errorOf(t, r) != "unsupported_media" {
				t.Errorf("%s %s with Content-Type %q: %d %s", rt.method, rt.path, ct, r.Status, r.Raw)
			}
		}
		// No token: 401 before the content type is looked at.
		if r := call(t, ts, rt.method, rt.path, "text/plain", rt.body, ""); r.Status != 401 {
			t.Errorf("%s %s without token: %d %s", rt.method, rt.path, r.Status, r.Raw)
		}
		// The same body as JSON is taken.
		if r := call(t, ts, rt.method, rt.path, "Application/JSON;charset=UTF-8", rt.body, testToken); r.Status/100 != 2 {
			t.Errorf("%s %s as JSON: %d %s", rt.method, rt.path, r.Status, r.Raw)
		}
	}
	// rotate-secret takes an optional JSON body: none is fine, any other
	// type is a 415 and the secret stays.
	rot := "/api/alerts/" + alertID + "/rotate-secret"
	if r := call(t, alertTS, "POST", rot, "text/plain", `{"grace":"0s"}`, testToken); r.Status != 415 || errorOf(t, r) != "unsupported_media" {
		t.Errorf("rotate-secret with text/plain: %d %s", r.Status, r.Raw)
	}
	if r := call(t, alertTS, "POST", rot, "", "", testToken); r.Status != 200 {
		t.Errorf("rotate-secret without a body: %d %s", r.Status, r.Raw)
	}
	if r := call(t, alertTS, "POST", rot, "application/json", `{"grace":"0s"}`, testToken); r.Status != 200 {
		t.Errorf("rotate-secret with a JSON body: %d %s", r.Status, r.Raw)
	}

	// Nothing was saved by the refused requests.
	r = call(t, alertTS, "GET", "/api/alerts", "", "", testToken)
	if n := strings.Count(r.Raw, `"webhook_url"`); n != 2 {
		t.Errorf("%d alerts after the refused creates, want 2: %s", n, r.Raw)
	}
}
