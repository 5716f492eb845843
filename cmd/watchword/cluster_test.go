package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/engine"
)

const threeNodes = "n1=127.0.0.1:7101,n2=127.0.0.1:7102,n3=127.0.0.1:7103"

func TestClusterFlagsValidate(t *testing.T) {
	for _, tc := range []struct {
		f    clusterFlags
		want string // "" accepted
	}{
		{clusterFlags{}, ""},
		{clusterFlags{node: "n1", peers: threeNodes, replicas: 3, wait: 1}, ""},
		{clusterFlags{node: "n1", nats: "nats://127.0.0.1:4222", replicas: 3, wait: 1}, ""},
		{clusterFlags{peers: threeNodes, replicas: 3, wait: 1}, "need --node"},
		{clusterFlags{node: "n1", replicas: 3, wait: 1}, "--node needs --cluster"},
		{clusterFlags{node: "n9", peers: threeNodes, replicas: 3, wait: 1}, `--node "n9" is not one of the --cluster nodes (n1, n2, n3)`},
		{clusterFlags{node: "n1", peers: threeNodes, nats: "nats://x:4222", replicas: 3, wait: 1}, "not both"},
		{clusterFlags{node: "n1", peers: "n1=127.0.0.1:7101,n1=127.0.0.1:7102,n3=127.0.0.1:7103", replicas: 3, wait: 1}, "given twice"},
		{clusterFlags{node: "n1", peers: threeNodes, replicas: 5, wait: 1}, "the cluster has 3 nodes"},
		{clusterFlags{node: "n1", peers: threeNodes, replicas: 0, wait: 1}, "--replicas must be 1 to 5"},
		{clusterFlags{importDir: "/old"}, "--import is for cluster mode"},
		{clusterFlags{node: "n1", peers: threeNodes, replicas: 3, wait: 1, importDir: "/old"}, ""},
	} {
		err := tc.f.validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
	}
}

// TestCheckDataDir: a directory of the other mode or another node is
// refused before anything in it is opened, and nothing is written to it.
func TestCheckDataDir(t *testing.T) {
	n1 := clusterFlags{node: "n1", peers: threeNodes, replicas: 3, wait: 1}
	n2 := clusterFlags{node: "n2", peers: threeNodes, replicas: 3, wait: 1}

	// A new directory becomes n1's, with an instance id that stays.
	fresh := filepath.Join(t.TempDir(), "d")
	m, err := checkDataDir(fresh, n1)
	if err != nil || m.Node != "n1" || len(m.Instance) != 24 {
		t.Fatalf("fresh directory: %+v, %v", m, err)
	}
	again, err := checkDataDir(fresh, n1)
	if err != nil || again.Instance != m.Instance {
		t.Fatalf("restart of n1: %+v, %v (instance %s)", again, err, m.Instance)
	}
	if _, err := checkDataDir(fresh, n2); err == nil || !strings.Contains(err.Error(), `belongs to cluster node "n1", not "n2"`) {
		t.Fatalf("n1's directory started as n2: %v", err)
	}
	if _, err := checkDataDir(fresh, clusterFlags{}); err == nil || !strings.Contains(err.Error(), `belongs to cluster node "n1"`) {
		t.Fatalf("n1's directory started alone: %v", err)
	}

	// A single node's directory (it has a store) is refused in cluster
	// mode and left as it was.
	single := t.TempDir()
	if err := os.WriteFile(engine.StorePath(single), []byte("a store"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := checkDataDir(single, n1); err == nil || !strings.Contains(err.Error(), "holds a single node's data") || !strings.Contains(err.Error(), "--import "+single) {
		t.Fatalf("single node's directory in cluster mode: %v", err)
	}
	entries, _ := os.ReadDir(single)
	if len(entries) != 1 {
		t.Fatalf("the refused directory was written to: %v", entries)
	}
	if m, err := checkDataDir(single, clusterFlags{}); err != nil || m != nil {
		t.Fatalf("single node's directory alone: %+v, %v", m, err)
	}

	// A damaged marker is an error, not a new identity.
	if err := os.WriteFile(filepath.Join(fresh, clusterMarkerName), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := checkDataDir(fresh, n1); err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Fatalf("damaged marker: %v", err)
	}
}

// TestOpenImportSource: --import's directory is checked before anything
// is opened: the node's own --data, a cluster node's directory and a
// directory without a store are refused.
func TestOpenImportSource(t *testing.T) {
	n1 := clusterFlags{node: "n1", peers: threeNodes, replicas: 3, wait: 1}
	data := t.TempDir()
	n1.importDir = data
	if _, err := openImportSource(t.Context(), data, n1, quietLog); err == nil || !strings.Contains(err.Error(), "the node's own --data") {
		t.Errorf("--import of the node's own --data: %v", err)
	}
	n1.importDir = t.TempDir()
	if _, err := openImportSource(t.Context(), data, n1, quietLog); err == nil || !strings.Contains(err.Error(), "not a single node's data directory") {
		t.Errorf("--import of an empty directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(n1.importDir, clusterMarkerName), []byte(`{"node":"n2","instance":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openImportSource(t.Context(), data, n1, quietLog); err == nil || !strings.Contains(err.Error(), "a cluster node's data directory") {
		t.Errorf("--import of a cluster node's directory: %v", err)
	}
	n1.importDir = ""
	if src, err := openImportSource(t.Context(), data, n1, quietLog); src != nil || err != nil {
		t.Errorf("no --import: %v %v", src, err)
	}
}
