package watchword_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/watchword/watchword"

// imports maps each package of the module (its path relative to the
// module root) to the packages its non-test Go files import. Test files
// are left out: an end-to-end test may wire packages together that the
// code keeps apart (internal/feeds/alert_test.go runs the alerts on
// feed entries).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(p))
		for _, is := range f.Imports {
			ip, _ := strconv.Unquote(is.Path.Value)
			if !slices.Contains(out[pkg], ip) {
				out[pkg] = append(out[pkg], ip)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out["internal/feeds"]) == 0 || len(out["alerts"]) == 0 {
		t.Fatalf("found no imports of internal/feeds or alerts: run from the module root (%d packages)", len(out))
	}
	return out
}

// TestLayering asserts the layering rules that hold today, so that no
// change makes them worse:
//
//   - alerts and internal/feeds do not import each other; what they share
//     lives below them (internal/netguard, internal/schedule).
//   - internal/netguard and internal/schedule import nothing of the
//     module but internal/news.
//   - internal/logctx imports nothing of the module.
//   - internal/testutil is imported by test files only.
//   - web and cmd/watchword import neither index, index/query nor bbolt:
//     they go through internal/engine (and internal/store for the file
//     work of backup and restore).
//   - the JetStream implementations of the seams (alerts/jsstore,
//     internal/feeds/jsstore, internal/keys/jsstore) import their own
//     boltstore only; internal/cluster/rsm imports nothing of the
//     module; the embedded nats-server is imported by internal/cluster
//     only.
//   - bbolt is imported only by internal/store and the bbolt
//     implementations of the seams (alerts/boltstore,
//     internal/feeds/boltstore, internal/keys/boltstore,
//     internal/saved/boltstore); index and
//     index/query only by internal/engine (and index/query by index
//     itself).
//   - alerts, internal/feeds and web never reach around the engine to its
//     store file (Engine.Store, which is for cmd/watchword's wiring of the
//     seams): a call, not an import, so TestNoStoreBypass reads the
//     source.
func TestLayering(t *testing.T) {
	imps := imports(t)
	importers := func(target string) []string {
		var out []string
		for pkg, is := range imps {
			if slices.Contains(is, target) {
				out = append(out, pkg)
			}
		}
		slices.Sort(out)
		return out
	}
	mustNot := func(from, to string) {
		if slices.Contains(imps[from], module+"/"+to) {
			t.Errorf("%s imports %s", from, to)
		}
	}
	mustNot("internal/feeds", "alerts")
	mustNot("alerts", "internal/feeds")

	// The replicated stores of the seams (cluster mode) fold into their
	// own bbolt implementation and nothing else's; the state machine
	// under them (internal/cluster/rsm) is generic and imports nothing
	// of the module.
	for _, js := range []string{"alerts/jsstore", "internal/feeds/jsstore", "internal/keys/jsstore"} {
		if len(imps[js]) == 0 {
			t.Errorf("%s: no Go files found", js)
		}
		own := path.Dir(js) + "/boltstore"
		for _, ip := range imps[js] {
			if strings.HasSuffix(ip, "/boltstore") && ip != module+"/"+own {
				t.Errorf("%s imports %s; it folds into %s only", js, ip, own)
			}
		}
	}
	mustNot("alerts/jsstore", "internal/feeds")
	mustNot("internal/feeds/jsstore", "alerts")
	for _, ip := range imps["internal/cluster/rsm"] {
		if strings.HasPrefix(ip, module+"/") {
			t.Errorf("internal/cluster/rsm imports %s; it must import nothing of the module", ip)
		}
	}

	for _, low := range []string{"internal/netguard", "internal/schedule"} {
		if len(imps[low]) == 0 {
			t.Errorf("%s: no Go files found", low)
		}
		for _, ip := range imps[low] {
			if strings.HasPrefix(ip, module+"/") && ip != module+"/internal/news" {
				t.Errorf("%s imports %s; it must stay below alerts and feeds", low, ip)
			}
		}
	}

	// internal/logctx sits under everything that logs: it imports nothing
	// of the module.
	for _, ip := range imps["internal/logctx"] {
		if strings.HasPrefix(ip, module+"/") {
			t.Errorf("internal/logctx imports %s; it must import nothing of the module", ip)
		}
	}

	only := func(target string, allowed ...string) {
		for _, pkg := range importers(target) {
			if !slices.Contains(allowed, pkg) {
				who := "only test files"
				if len(allowed) > 0 {
					who = "only " + strings.Join(allowed, ", ")
				}
				t.Errorf("%s imports %s; %s may (see TestLayering)", pkg, path.Base(target), who)
			}
		}
	}
	only(module + "/internal/testutil")
	for _, pkg := range []string{"web", "cmd/watchword"} {
		if len(imps[pkg]) == 0 {
			t.Errorf("%s: no Go files found", pkg)
		}
		for _, ip := range []string{module + "/index", module + "/index/query", "go.etcd.io/bbolt"} {
			for _, got := range imps[pkg] {
				if got == ip || strings.HasPrefix(got, ip+"/") {
					t.Errorf("%s imports %s; it goes through internal/engine", pkg, got)
				}
			}
		}
	}
	only("go.etcd.io/bbolt", "internal/store", "alerts/boltstore", "internal/keys/boltstore", "internal/feeds/boltstore", "internal/saved/boltstore")
	// The embedded JetStream server runs in internal/cluster only.
	only("github.com/nats-io/nats-server/v2/server", "internal/cluster")
	only(module+"/index", "internal/engine")
	only(module+"/index/query", "internal/engine", "index")
}

// TestNoStoreBypass: the non-test Go files of alerts, internal/feeds and
// web never call Engine.Store() (nor reach the bbolt handle through it):
// they use the engine's methods and the seams.
func TestNoStoreBypass(t *testing.T) {
	for _, dir := range []string{"alerts", "internal/feeds", "web"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v (%d files)", dir, err, len(files))
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{".Store()", ".DB()"} {
				if strings.Contains(string(src), bad) {
					t.Errorf("%s calls %s: go through internal/engine or a seam", f, bad)
				}
			}
		}
	}
}
