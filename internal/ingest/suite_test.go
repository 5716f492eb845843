package ingest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

// TestFeedSuite runs every feed file of third-party parser test suites
// through Watchword's decoder (ParseFeedType) and through plain gofeed,
// and reports for each suite directory: files, documents parsed, items,
// item failures, and the files one side parses and the other does not.
// It fails if Watchword fails a document gofeed parses.
//
// The suites are not part of the repository (their text is not ours):
// WATCHWORD_FEED_SUITE lists directories (separated as PATH is) to walk,
// for example checkouts of github.com/mmcdole/gofeed's testdata and
// github.com/kurtmckee/feedparser's tests. A feed file is a .xml, .rss,
// .atom or .rdf file, or a .json file that is neither an expected result
// (*_expected.json) nor the expected result of a .xml beside it. A
// leading comment with "Header: Content-type: …" (feedparser's way of
// giving the HTTP header) is passed to Watchword as the Content-Type;
// gofeed has no way to take it.
func TestFeedSuite(t *testing.T) {
	env := os.Getenv("WATCHWORD_FEED_SUITE")
	if env == "" {
		t.Skip("WATCHWORD_FEED_SUITE is not set")
	}
	type side struct{ parsed, items, failed int }
	type tally struct {
		files              int
		ww, gf             side
		onlyWW, onlyGF     []string
		wwItemsMoreThanGF  int
		wwItemsFewerThanGF []string
	}
	tallies := map[string]*tally{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, root := range filepath.SplitList(env) {
		if _, err := os.Stat(root); err != nil {
			t.Skipf("feed suite %s: %v", root, err)
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isFeedFile(path) {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			group := filepath.Join(filepath.Base(root), filepath.Dir(rel))
			tl := tallies[group]
			if tl == nil {
				tl = &tally{}
				tallies[group] = tl
			}
			tl.files++
			pf, werr := ParseFeedType(data, headerContentType(data), "", now)
			if werr == nil {
				tl.ww.parsed++
				tl.ww.items += len(pf.Items)
				for _, it := range pf.Items {
					if it.Err != nil {
						tl.ww.failed++
					}
				}
			}
			gf, gerr := gofeed.NewParser().Parse(bytes.NewReader(data))
			if gerr == nil {
				tl.gf.parsed++
				tl.gf.items += len(gf.Items)
			}
			switch {
			case werr == nil && gerr != nil:
				tl.onlyWW = append(tl.onlyWW, rel)
			case werr != nil && gerr == nil:
				tl.onlyGF = append(tl.onlyGF, rel+": "+werr.Error())
			case werr == nil && len(pf.Items) < len(gf.Items):
				tl.wwItemsFewerThanGF = append(tl.wwItemsFewerThanGF, rel)
			case werr == nil && len(pf.Items) > len(gf.Items):
				tl.wwItemsMoreThanGF++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	groups := make([]string, 0, len(tallies))
	for g := range tallies {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var total tally
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-40s %6s | %-22s | %-22s | %s\n", "suite directory", "files", "watchword parsed/items/item-failures", "gofeed parsed/items", "only ww / only gofeed")
	for _, g := range groups {
		tl := tallies[g]
		fmt.Fprintf(&b, "%-40s %6d | %6d %7d %5d | %6d %7d | %d / %d\n", g, tl.files, tl.ww.parsed, tl.ww.items, tl.ww.failed, tl.gf.parsed, tl.gf.items, len(tl.onlyWW), len(tl.onlyGF))
		total.files += tl.files
		total.ww.parsed += tl.ww.parsed
		total.ww.items += tl.ww.items
		total.ww.failed += tl.ww.failed
		total.gf.parsed += tl.gf.parsed
		total.gf.items += tl.gf.items
		total.onlyWW = append(total.onlyWW, tl.onlyWW...)
		total.onlyGF = append(total.onlyGF, tl.onlyGF...)
		total.wwItemsFewerThanGF = append(total.wwItemsFewerThanGF, tl.wwItemsFewerThanGF...)
		total.wwItemsMoreThanGF += tl.wwItemsMoreThanGF
	}
	fmt.Fprintf(&b, "%-40s %6d | %6d %7d %5d | %6d %7d | %d / %d\n", "total", total.files, total.ww.parsed, total.ww.items, total.ww.failed, total.gf.parsed, total.gf.items, len(total.onlyWW), len(total.onlyGF))
	fmt.Fprintf(&b, "documents where watchword has more items than gofeed: %d, fewer: %d\n", total.wwItemsMoreThanGF, len(total.wwItemsFewerThanGF))
	t.Log(b.String())
	for _, f := range total.onlyWW {
		t.Logf("parsed by watchword only: %s", f)
	}
	for _, f := range total.wwItemsFewerThanGF {
		t.Logf("fewer items than gofeed: %s", f)
	}
	for _, f := range total.onlyGF {
		t.Errorf("parsed by gofeed only: %s", f)
	}
}

func isFeedFile(path string) bool {
	switch ext := filepath.Ext(path); ext {
	case ".xml", ".rss", ".atom", ".rdf":
		return true
	case ".json":
		stem := strings.TrimSuffix(path, ext)
		if strings.HasSuffix(stem, "_expected") {
			return false
		}
		_, err := os.Stat(stem + ".xml")
		return err != nil
	}
	return false
}

// headerLine finds feedparser's "Header: Content-type: …" in a leading
// comment.
var headerLine = regexp.MustCompile(`(?im)^\s*Header:\s*Content-type:\s*(.+?)\s*$`)

func headerContentType(data []byte) string {
	head := data[:min(len(data), 2048)]
	end := bytes.Index(head, []byte("-->"))
	if end < 0 {
		return ""
	}
	if m := headerLine.FindSubmatch(head[:end]); m != nil {
		return string(m[1])
	}
	return ""
}
