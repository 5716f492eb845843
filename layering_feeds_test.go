package watchword_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestFeedsGoThroughTheEngine: internal/feeds (its non-test files, the
// bbolt implementation included) reaches stored articles and the index
// only through the engine's methods, never through Engine.Store() or
// Engine.Index(). Any call of a method of that name with no arguments
// counts: the feeds have no other reason to make one.
func TestFeedsGoThroughTheEngine(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir("internal/feeds", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) != 0 {
				return true
			}
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Store" || sel.Sel.Name == "Index") {
				t.Errorf("%s: calls %s(): go through an engine method", fset.Position(c.Pos()), sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no Go files in internal/feeds: run from the module root")
	}
}
