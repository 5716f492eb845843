package ingest

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLText reduces an HTML fragment (a feed entry's content or
// description) to plain text: tags are dropped, entities decoded, the
// contents of script, style and similar elements left out, white space
// collapsed (kept inside pre), and block elements separated by a blank
// line, line breaks and list items by a newline. It never fails: broken
// markup gives the text a browser would show, more or less.
func HTMLText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.Fields(s), " ")
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var t textBuilder
	skip, pre := 0, 0 // depth inside skipped elements and inside pre
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return t.String()
		case html.TextToken:
			if skip == 0 {
				t.text(string(z.Text()), pre > 0)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			end := tt == html.EndTagToken
			if skipped[a] {
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch {
			case a == atom.Pre:
				if tt == html.StartTagToken {
					pre++
				} else if end && pre > 0 {
					pre--
				}
				t.brk(sepParagraph)
			case a == atom.Br:
				t.brk(sepLine)
			case a == atom.Li || a == atom.Dt || a == atom.Dd || a == atom.Tr || a == atom.Caption:
				t.brk(sepLine)
			case a == atom.Td || a == atom.Th:
				t.brk(sepSpace)
			case blocks[a]:
				t.brk(sepParagraph)
			}
		}
	}
}

// Separators between two pieces of text, weakest first.
const (
	sepNone = iota
	sepSpace
	sepLine
	sepParagraph
)

// textBuilder writes words with the strongest separator asked for since
// the last word; nothing leads or trails.
type textBuilder struct {
	b   strings.Builder
	sep int
}

func (t *textBuilder) brk(sep int) { t.sep = max(t.sep, sep) }

func (t *textBuilder) word(w string) {
	if t.b.Len() > 0 {
		switch t.sep {
		case sepSpace:
			t.b.WriteByte(' ')
		case sepLine:
			t.b.WriteByte('\n')
		case sepParagraph:
			t.b.WriteString("\n\n")
		}
	}
	t.sep = sepNone
	t.b.WriteString(w)
}

// text adds decoded character data: collapsed to single spaces, or line
// by line inside pre.
func (t *textBuilder) text(s string, pre bool) {
	if pre {
		for i, ln := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if i > 0 {
				t.brk(sepLine)
			}
			if ln = strings.TrimRight(ln, " \t\r"); strings.TrimSpace(ln) != "" {
				t.word(ln)
			}
		}
		return
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		if s != "" {
			t.brk(sepSpace)
		}
		return
	}
	if s != "" && s[0] != f[0][0] {
		t.brk(sepSpace) // leading white space
	}
	for i, w := range f {
		if i > 0 {
			t.brk(sepSpace)
		}
		t.word(w)
	}
	if last := f[len(f)-1]; !strings.HasSuffix(s, last) {
		t.brk(sepSpace) // trailing white space
	}
}

func (t *textBuilder) String() string { return t.b.String() }

// skipped elements: their content is not text a reader sees.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Object: true, atom.Svg: true, atom.Math: true, atom.Select: true,
	atom.Textarea: true, atom.Button: true, atom.Title: true, atom.Noembed: true, atom.Noframes: true,
}

// blocks are separated from their neighbours by a blank line.
var blocks = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true, atom.Details: true,
	atom.Dialog: true, atom.Div: true, atom.Dl: true, atom.Fieldset: true, atom.Figcaption: true,
	atom.Figure: true, atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hgroup: true, atom.Hr: true,
	atom.Main: true, atom.Nav: true, atom.Ol: true, atom.P: true, atom.Section: true, atom.Summary: true,
	atom.Table: true, atom.Ul: true, atom.Body: true, atom.Html: true,
}
