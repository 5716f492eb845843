package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// FuzzParse checks, for any input, that Parse does not panic and that:
//
//   - on error, the error is a *news.Error with code query_syntax (or
//     query_too_broad, over the default budget) and a
//     Position within [0, len(q)];
//   - on success, the tree survives a round trip through query syntax.
//
// The round trip cannot use String directly: its canonical prefix form
// (AND a b) is not query syntax, because AND at the start of a group has
// no left operand (and the grammar requires that to be an error). Instead
// the tree is rendered as infix query syntax by format, re-parsed, and the
// two trees are compared by their String forms. String is itself checked
// as query syntax where it is one: for a lone term, phrase or date range.
// format may lengthen a query (date:2025 becomes a 48-byte range), so the
// round trip is skipped when its output is over MaxQueryBytes.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases() {
		if len(tc.in) <= 1024 {
			f.Add(tc.in)
		}
	}
	for _, s := range []string{
		`a AND (b OR "c d") NOT e:f`,
		`title:(x y) OR body:"z" -country:RU`,
		`date:[2025-03-01T10:00:00.123456789+05:30 TO 2025-12-31]`,
		`date:{* TO 2025-03-01T00:00:00Z]`,
		"(a \u00a0OR\u3000b)",
		`"unbalanced \\" quote`,
		`a || b && !c`,
		"id:x\x00y",
		`date:[2025-03,2025-04]`,
		`NOT (NOT (NOT a))`,
		`organization~1 russia~ x~0.8 "quick fox"~3^2`,
		`(a OR b)^0.5 title:ru?sia^3 ru*ia ab**`,
		`date:[now-30d/d TO now} date:>now-1M/M date:<=now+12h`,
		`foo\:bar \(x\) a\ b \AND c\+\+ \-d`,
		`/re/ _exists_:x title:[a TO b] a~3 "a b"~65 ?x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := parseAt(q)
		if err != nil {
			if n != nil {
				t.Fatalf("Parse(%q) returned a node and the error %v", q, err)
			}
			var e *news.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): error %T %v is not a *news.Error", q, err, err)
			}
			if e.Code != news.ECodeQuerySyntax && e.Code != news.ECodeQueryBroad {
				t.Fatalf("Parse(%q): code %q", q, e.Code)
			}
			if e.Position == nil || *e.Position < 0 || *e.Position > len(q) {
				t.Fatalf("Parse(%q): bad position in %v", q, err)
			}
			return
		}
		if n == nil {
			t.Fatalf("Parse(%q) returned neither a node nor an error", q)
		}
		s := n.String()
		if s2 := n.String(); s2 != s {
			t.Fatalf("String is not deterministic: %q then %q", s, s2)
		}

		syntax := false
		switch n := n.(type) {
		case *Term, *Phrase, *DateRange:
			syntax = true
		case *Boost:
			syntax = isLeaf(n.Child)
		}
		if syntax {
			n2, err := parseAt(s)
			if err != nil {
				t.Fatalf("Parse(%q) = %s, which does not parse: %v", q, s, err)
			}
			if got := n2.String(); got != s {
				t.Fatalf("Parse(%q) = %s, which parses to %s", q, s, got)
			}
		}

		if blank := strings.TrimSpace(q) == ""; blank != (s == "*:*") {
			t.Fatalf("Parse(%q) = %s: only the blank query is *:*", q, s)
		}

		infix := format(n)
		if len(infix) > MaxQueryBytes {
			return
		}
		n2, err := parseAt(infix)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, formatted %q, which does not parse: %v", q, s, infix, err)
		}
		if got := n2.String(); got != s {
			t.Fatalf("Parse(%q) = %s, formatted %q, which parses to %s", q, s, infix, got)
		}
	})
}
