package store

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// TestDeleteArticlesAndInUse deletes a batch with tombstones (missing ids
// skipped), and the pages in use shrink below the file, which does not.
func TestDeleteArticlesAndInUse(t *testing.T) {
	s, path := openTemp(t)
	defer s.Close()
	var arts []*news.Article
	for i := range 300 {
		arts = append(arts, art(fmt.Sprintf("a%d", i), strings.Repeat(fmt.Sprintf("word%d ", i), 400)))
	}
	if err := s.PutArticles(arts); err != nil {
		t.Fatal(err)
	}
	before, err := s.InUse()
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"missing"}
	for i := range 250 {
		ids = append(ids, fmt.Sprintf("a%d", i))
	}
	deleted, last, err := s.DeleteArticles(ids)
	if err != nil || len(deleted) != 250 || last != 550 || deleted[0] != "a0" {
		t.Fatalf("deleted %d, last seq %d, %v", len(deleted), last, err)
	}
	exist, err := s.Exist([]string{"a0", "a249", "a250", "missing"})
	if err != nil || !slices.Equal(exist, []bool{false, false, true, false}) {
		t.Fatalf("exist %v %v", exist, err)
	}
	chs := collect(t, s, 300, 0)
	if len(chs) != 250 || !chs[0].Deleted || chs[0].ID != "a0" || chs[249].Seq != 550 {
		t.Fatalf("tombstones: %d changes, first %+v", len(chs), chs[0])
	}
	after, err := s.InUse()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after <= 0 || after >= before || after > fi.Size() {
		t.Errorf("in use %d before, %d after the deletes, file %d", before, after, fi.Size())
	}
}
