package web

import (
	"context"
	"net/http"
	"strconv"
	"testing"
)

// TestSearchMinSeq: an ingest answers the sequence its articles are
// searchable at; a search with min_seq at or below what the node has
// indexed answers at once with the node's sequence in a header, one
// beyond it waits MinSeqWait and answers 503 unavailable with
// Retry-After, and a malformed min_seq is a 400.
func TestSearchMinSeq(t *testing.T) {
	ts := newTestServer(t, nil)
	r := call(t, ts, "POST", "/api/articles", "application/json", `{"title":"Peskov on talks","body":"Peskov said the talks on Ukraine would go on."}`, testToken)
	seq, _ := r.Body["seq"].(float64)
	if r.Status != 200 || seq < 1 {
		t.Fatalf("ingest: %d %s", r.Status, r.Raw)
	}
	resp, err := http.Get(ts.URL + "/api/search?q=Peskov&min_seq=" + strconv.Itoa(int(seq)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get(HeaderIndexedSeq) != strconv.Itoa(int(seq)) {
		t.Fatalf("min_seq=%v: %d, %s %q", seq, resp.StatusCode, HeaderIndexedSeq, resp.Header.Get(HeaderIndexedSeq))
	}
	r = call(t, ts, "GET", "/api/search?q=Peskov&min_seq="+strconv.Itoa(int(seq)+1), "", "", "")
	if r.Status != http.StatusServiceUnavailable || errorOf(t, r) != "unavailable" {
		t.Fatalf("min_seq beyond the node: %d %s", r.Status, r.Raw)
	}
	for _, bad := range []string{"-1", "x", "1e3", "18446744073709551616"} {
		r = call(t, ts, "GET", "/api/search?q=Peskov&min_seq="+bad, "", "", "")
		if r.Status != 400 {
			t.Errorf("min_seq=%s: %d %s", bad, r.Status, r.Raw)
		}
	}
}

// clusterAt is a cluster view whose log is at a fixed sequence: what a
// node that has not yet folded the other nodes' writes sees.
type clusterAt uint64

func (c clusterAt) Status(context.Context) (ClusterInfo, error) {
	return ClusterInfo{Node: "n2", LogLast: uint64(c), Scheduler: "n1"}, nil
}

// TestReadyzReportsFoldLag: a cluster node is ready only once its index
// has the replicated log's last sequence, and reports its lag either way.
func TestReadyzReportsFoldLag(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Cluster = clusterAt(0) })
	r := call(t, ts, "POST", "/api/articles", "application/json", `{"body":"Peskov said the talks would go on."}`, testToken)
	if r.Status != 200 {
		t.Fatalf("ingest: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "GET", "/readyz", "", "", "")
	ci, _ := r.Body["cluster"].(map[string]any)
	if r.Status != 200 || ci["node"] != "n2" || ci["lag"].(float64) != 0 || ci["indexed"].(float64) != 1 || ci["scheduler"] != "n1" {
		t.Fatalf("caught-up node: %d %s", r.Status, r.Raw)
	}
	behind := newTestServer(t, func(c *Config) { c.Cluster = clusterAt(5) })
	r = call(t, behind, "GET", "/readyz", "", "", "")
	ci, _ = r.Body["cluster"].(map[string]any)
	if r.Status != 503 || errorOf(t, r) != "unavailable" || ci["lag"].(float64) != 5 || ci["log_last"].(float64) != 5 {
		t.Fatalf("a node 5 behind the log: %d %s", r.Status, r.Raw)
	}
}
