package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain text is collapsed", "  a \n\t b  ", "a b"},
		{"paragraphs", "<p>One &amp; two</p><p>Three</p>", "One & two\n\nThree"},
		{"script and style dropped", `<p>a</p><script>document.write("<p>x</p>")</script><style>p{color:red}</style><p>b</p>`, "a\n\nb"},
		{"noscript, iframe, svg dropped", `a<noscript>enable js</noscript> b<iframe src="x">frame</iframe> c<svg><text>chart</text></svg>`, "a b c"},
		{"line breaks", "line one<br>line two<br/>line three", "line one\nline two\nline three"},
		{"named and numeric entities", "caf&eacute; &#8217;s &#x201C;q&#x201D;&nbsp;x &lt;tag&gt;", "café ’s “q” x <tag>"},
		{"inline tags join words", "<b>bold</b>ly a <i>b</i> c", "boldly a b c"},
		{"list items on lines", "<ul><li>one</li><li>two</li></ul><p>after</p>", "one\ntwo\n\nafter"},
		{"pre keeps lines", "<p>code:</p><pre>  x := 1\n  y := 2</pre>", "code:\n\n  x := 1\n  y := 2"},
		{"unclosed tags", "<p>unclosed <b>bold", "unclosed bold"},
		{"comments dropped", "a<!-- hidden -->b <!--[if IE]>ie<![endif]-->c", "ab c"},
		{"nested blocks", "<div><p>nested</p></div>text<h2>Head</h2>more", "nested\n\ntext\n\nHead\n\nmore"},
		{"bare angle brackets", "5 < 6 and 7 > 3", "5 < 6 and 7 > 3"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"whole document", "<html><head><title>T</title><meta charset=utf-8></head><body><p>Body text.</p></body></html>", "Body text."},
		{"only markup", "<p></p><br><div> </div>", ""},
		{"images have no text", `see <img src="x.png" alt="a chart"> here`, "see here"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := HTMLText(c.in); got != c.want {
				t.Errorf("HTMLText(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

// FuzzHTMLText checks the reducer never panics and its output is tidy:
// valid UTF-8 for valid input, no line break at either end nor white
// space at the end (pre may indent its first line), no more than one
// blank line in a row.
func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "<script>x", "&amp;&#0;&#xffffff;", "<pre>\n\n\n</pre>", "a<br><br><br>b", "<<>>", "<p\x00>", "\xff<p>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := HTMLText(in)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid input: %q", out)
		}
		if strings.TrimRight(out, " \t\r\n") != out || strings.HasPrefix(out, "\n") {
			t.Fatalf("white space at an end: %q", out)
		}
		if strings.Contains(out, "\n\n\n") {
			t.Fatalf("more than one blank line: %q", out)
		}
	})
}
