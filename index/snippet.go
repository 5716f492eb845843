package index

import (
	"html"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/watchword/watchword/index/query"
)

// Snippets are built from the stored text rather than from Bleve's
// highlighter, so the index keeps no stored fields and no array positions
// for them: it stays small and ingest stays fast. The matcher re-analyses
// the text with the same chain as AnalyzerText, token by token, so that
// offsets refer to the original (unfolded) text.

// maxSnippetScan bounds the text scanned for a snippet.
const maxSnippetScan = 64 << 10

// Highlighter marks the words of a query in text.
type Highlighter struct {
	terms    map[string]bool
	prefixes []string
	phrases  [][]string
}

// Highlighter collects the positive words of q that apply to field
// ("title" or "body"; unfielded words apply to both).
func (ix *Index) Highlighter(q query.Node, field string) *Highlighter {
	h := &Highlighter{terms: map[string]bool{}}
	var walk func(n query.Node, negated bool)
	walk = func(n query.Node, negated bool) {
		switch n := n.(type) {
		case *query.And:
			for _, c := range n.Children {
				walk(c, negated)
			}
		case *query.Or:
			for _, c := range n.Children {
				walk(c, negated)
			}
		case *query.Not:
			walk(n.Child, !negated)
		case *query.Term:
			if negated || (n.Field != "" && n.Field != field) {
				return
			}
			if n.Prefix {
				h.prefixes = append(h.prefixes, tokens(ix.nameAn, n.Text)...)
				return
			}
			toks := tokens(ix.textAn, n.Text)
			if len(toks) == 1 {
				h.terms[toks[0]] = true
			} else if len(toks) > 1 {
				h.phrases = append(h.phrases, toks)
			}
		case *query.Phrase:
			if negated || (n.Field != "" && n.Field != field) {
				return
			}
			toks := tokens(ix.textAn, n.Text)
			if len(toks) == 1 {
				h.terms[toks[0]] = true
			} else if len(toks) > 1 {
				h.phrases = append(h.phrases, toks)
			}
		}
	}
	walk(q, false)
	return h
}

func (h *Highlighter) empty() bool {
	return len(h.terms) == 0 && len(h.prefixes) == 0 && len(h.phrases) == 0
}

type span struct{ start, end int }

// matches returns the byte spans of text that match, in order.
func (h *Highlighter) matches(text string) []span {
	if h.empty() {
		return nil
	}
	toks := analyzeWithOffsets(text)
	marked := make([]bool, len(toks))
	for i, t := range toks {
		if h.terms[t.term] {
			marked[i] = true
			continue
		}
		for _, p := range h.prefixes {
			if strings.HasPrefix(t.folded, p) {
				marked[i] = true
				break
			}
		}
	}
	for _, ph := range h.phrases {
		for i := 0; i+len(ph) <= len(toks); i++ {
			ok := true
			for j, w := range ph {
				if toks[i+j].term != w {
					ok = false
					break
				}
			}
			if ok {
				for j := range ph {
					marked[i+j] = true
				}
			}
		}
	}
	var out []span
	for i, t := range toks {
		if marked[i] {
			out = append(out, span{t.start, t.end})
		}
	}
	return out
}

type offToken struct {
	term   string // as indexed by AnalyzerText
	folded string // folded and lower-cased, not stemmed (for prefixes)
	start  int
	end    int
}

func analyzeWithOffsets(text string) []offToken {
	if len(text) > maxSnippetScan {
		text = text[:maxSnippetScan]
	}
	stream := unicode.NewUnicodeTokenizer().Tokenize([]byte(text))
	offs := make([]span, len(stream))
	folder := asciifolding.New()
	for i, t := range stream {
		offs[i] = span{t.Start, t.End}
		for _, b := range t.Term {
			if b >= 0x80 {
				t.Term = folder.Filter(t.Term)
				break
			}
		}
	}
	stream = en.NewPossessiveFilter().Filter(stream)
	stream = lowercase.NewLowerCaseFilter().Filter(stream)
	folded := make([]string, len(stream))
	for i, t := range stream {
		folded[i] = string(t.Term)
	}
	stream = porter.NewPorterStemmer().Filter(stream)
	out := make([]offToken, len(stream))
	for i, t := range stream {
		out[i] = offToken{term: string(t.Term), folded: folded[i], start: offs[i].start, end: offs[i].end}
	}
	return out
}

// Snippet returns an HTML-escaped excerpt of about width bytes around the
// densest run of matches, with matches wrapped in <mark>…</mark>. Without
// matches it returns the start of the text.
func (h *Highlighter) Snippet(text string, width int) string {
	ms := h.matches(text)
	start, end := 0, len(text)
	if len(ms) > 0 {
		best, bestN := 0, 0
		j := 0
		for i := range ms {
			for j < len(ms) && ms[j].end <= ms[i].start+width {
				j++
			}
			if j-i > bestN {
				best, bestN = i, j-i
			}
		}
		start = ms[best].start - width/5
		if start < 0 {
			start = 0
		}
	}
	if end-start > width {
		end = start + width
	}
	start, end = wordBounds(text, start, end)
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	writeMarked(&b, text, start, end, ms)
	if end < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

// Highlight returns the whole text HTML-escaped with matches marked.
func (h *Highlighter) Highlight(text string) string {
	var b strings.Builder
	writeMarked(&b, text, 0, len(text), h.matches(text))
	return b.String()
}

func writeMarked(b *strings.Builder, text string, start, end int, ms []span) {
	pos := start
	for _, m := range ms {
		if m.end <= start || m.start < pos {
			continue
		}
		if m.start >= end {
			break
		}
		b.WriteString(html.EscapeString(text[pos:m.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[m.start:m.end]))
		b.WriteString("</mark>")
		pos = m.end
	}
	if pos < end {
		b.WriteString(html.EscapeString(text[pos:end]))
	}
}

// wordBounds widens start back and narrows end so neither cuts a word or
// a UTF-8 sequence.
func wordBounds(text string, start, end int) (int, int) {
	if start > 0 {
		if i := strings.LastIndexAny(text[:start], " \n\t"); i >= 0 && start-i < 30 {
			start = i + 1
		}
		for start < len(text) && text[start]&0xC0 == 0x80 {
			start++
		}
	}
	if end < len(text) {
		if i := strings.LastIndexAny(text[start:end], " \n\t"); i > 0 {
			end = start + i
		}
		for end > start && end < len(text) && text[end]&0xC0 == 0x80 {
			end--
		}
	}
	return start, end
}
