package index

import (
	"cmp"
	"html"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/lang"
)

// Snippets are built from the stored text rather than by Bleve's
// highlighter, so the index keeps no stored fields and no array positions
// for them: it stays small and ingest stays fast. The matcher runs the
// index's own analysers over the text; their offsets are offsets into
// the original text (see TokenizerName).

// maxSnippetScan bounds the text scanned for a snippet.
const maxSnippetScan = 64 << 10

// Highlighter marks the words of a query in text.
type Highlighter struct {
	textAn, nameAn analysis.Analyzer
	lang           string // the language of textAn; "" for AnalyzerText
	cache          *tokenCache
	terms          map[string]bool
	prefixes       []string
	phrases        [][]string // "" stands for a dropped stop word: any word

	// For Lang: the query, the index, and the highlighters made per
	// language; alt is this highlighter's language one.
	ix     *Index
	q      query.Node
	field  string
	byLang map[string]*Highlighter
	alt    *Highlighter
}

// Highlighter collects the positive words of q that apply to field
// ("title" or "body"; unfielded words apply to both).
func (ix *Index) Highlighter(q query.Node, field string) *Highlighter {
	h := ix.highlighter(q, field, ix.textAn, "")
	h.ix, h.q, h.field = ix, q, field
	return h
}

// Lang returns the highlighter for a text in language tag: it also marks
// the words that language's analysis matches (Пескова marks Песков in a
// Russian text), as the search did. Without an analyser for the language,
// it is h. The result is kept: call it per hit. Not safe for concurrent
// use.
func (h *Highlighter) Lang(tag string) *Highlighter {
	if h.ix == nil || h.alt != nil {
		return h
	}
	l := lang.Base(tag)
	an := h.ix.langAn[l]
	if an == nil {
		return h
	}
	if lh, ok := h.byLang[l]; ok {
		return lh
	}
	lh := *h
	lh.byLang = nil
	lh.alt = h.ix.highlighter(h.q, h.field, an, l)
	if h.byLang == nil {
		h.byLang = map[string]*Highlighter{}
	}
	h.byLang[l] = &lh
	return &lh
}

func (ix *Index) highlighter(q query.Node, field string, textAn analysis.Analyzer, l string) *Highlighter {
	h := &Highlighter{textAn: textAn, nameAn: ix.nameAn, lang: l, cache: ix.tokens, terms: map[string]bool{}}
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
		case *query.Boost:
			walk(n.Child, negated)
		case *query.Term:
			if negated || (n.Field != "" && n.Field != field) || n.Wildcard || n.Fuzzy > 0 {
				// Fuzzy and wildcard terms are not highlighted: their
				// words are known only to the index's dictionaries.
				return
			}
			if n.Prefix {
				if l == "" { // prefixes search the unstemmed words of any language
					h.prefixes = append(h.prefixes, tokens(ix.nameAn, n.Text)...)
				}
				return
			}
			h.add(phraseSlots(textAn, n.Text))
		case *query.Phrase:
			if negated || (n.Field != "" && n.Field != field) {
				return
			}
			if n.Slop > 0 {
				// A sloppy phrase's words need not be adjacent: each
				// is marked where it stands.
				for _, w := range tokens(textAn, n.Text) {
					h.terms[w] = true
				}
				return
			}
			h.add(phraseSlots(textAn, n.Text))
		}
	}
	walk(q, false)
	return h
}

func (h *Highlighter) add(slots [][]string) {
	switch {
	case len(slots) == 1:
		for _, t := range slots[0] {
			h.terms[t] = true
		}
	case len(slots) > 1:
		ph := make([]string, len(slots))
		for i, s := range slots {
			if len(s) > 0 {
				ph[i] = s[0]
			}
		}
		h.phrases = append(h.phrases, ph)
	}
}

// span is a match; key names what matched (a term, a phrase, a prefix),
// so a snippet can prefer a window that shows more of the query.
type span struct {
	start, end int
	key        string
}

// matches returns the byte spans of text that match, in order, with
// those of the language's analysis (Lang) when there is one. A phrase is
// one span, stop words inside it included.
func (h *Highlighter) matches(text string) []span {
	ms := h.own(text)
	if h.alt == nil {
		return ms
	}
	more := h.alt.own(text)
	if len(more) == 0 {
		return ms
	}
	all := append(append(make([]span, 0, len(ms)+len(more)), ms...), more...)
	slices.SortFunc(all, func(a, b span) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end)) })
	out := all[:0]
	last := -1
	for _, m := range all {
		if m.start < last {
			continue // inside the span before (both analyses matched it)
		}
		out = append(out, m)
		last = m.end
	}
	return out
}

// own is matches for this highlighter's analyser alone.
func (h *Highlighter) own(text string) []span {
	if len(h.terms) == 0 && len(h.prefixes) == 0 && len(h.phrases) == 0 {
		return nil
	}
	if len(text) > maxSnippetScan {
		text = text[:maxSnippetScan]
	}
	toks := h.cache.analyze(h.textAn, 't', h.lang, text)
	// A span per matching token, keyed by the index of its first token.
	end := make([]int, len(toks)) // 0: not marked; else the span's end offset
	key := make([]string, len(toks))
	for i, t := range toks {
		if h.terms[string(t.Term)] {
			end[i], key[i] = t.End, string(t.Term)
		}
	}
	for _, ph := range h.phrases {
		for i := range toks {
			if string(toks[i].Term) != ph[0] {
				continue
			}
			j, last, ok := i, i, true
			for k := 1; k < len(ph) && ok; k++ {
				if ph[k] == "" {
					continue
				}
				want := toks[i].Position + k
				for j < len(toks) && toks[j].Position < want {
					j++
				}
				ok = j < len(toks) && toks[j].Position == want && string(toks[j].Term) == ph[k]
				last = j
			}
			if ok {
				end[i], key[i] = max(end[i], toks[last].End), strings.Join(ph, " ")
			}
		}
	}
	if len(h.prefixes) > 0 {
		// The unstemmed, folded words, for prefixes; same tokenizer, so the
		// same offsets.
		for _, t := range h.cache.analyze(h.nameAn, 'n', "", text) {
			for _, p := range h.prefixes {
				if strings.HasPrefix(string(t.Term), p) {
					// find the stemmed token at the same offset, if any (stop
					// words have none and are marked alone)
					markAt(toks, end, key, t.Start, t.End, p+"*")
					break
				}
			}
		}
	}
	var out []span
	last := -1
	for i, e := range end {
		if e == 0 || toks[i].Start < last {
			continue
		}
		out = append(out, span{toks[i].Start, e, key[i]})
		last = e
	}
	return out
}

func markAt(toks analysis.TokenStream, end []int, key []string, start, stop int, k string) {
	for i, t := range toks {
		if t.Start == start {
			end[i] = max(end[i], stop)
			if key[i] == "" {
				key[i] = k
			}
			return
		}
		if t.Start > start {
			return
		}
	}
}

// Snippet returns an HTML-escaped excerpt of about width bytes around the
// window of matches that shows the most distinct query words (then the
// most matches), with matches wrapped in <mark>…</mark>. Without matches it
// returns the start of the text.
func (h *Highlighter) Snippet(text string, width int) string {
	ms := h.matches(text)
	start, end := 0, len(text)
	if len(ms) > 0 {
		best, bestScore := 0, -1
		inWindow := map[string]int{}
		j := 0
		for i := range ms {
			for j < len(ms) && ms[j].end <= ms[i].start+width {
				inWindow[ms[j].key]++
				j++
			}
			if score := len(inWindow)*len(ms) + (j - i); score > bestScore {
				best, bestScore = i, score
			}
			if inWindow[ms[i].key]--; inWindow[ms[i].key] <= 0 {
				delete(inWindow, ms[i].key)
			}
		}
		start = max(0, ms[best].start-width/5)
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
		if m.start < pos {
			continue
		}
		if m.end > end {
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

// tokenCache keeps the analysed tokens of recently highlighted texts. The
// alert sender builds a snippet of the same article for every alert it
// matched, each with the alert's own query; analysing the body was most
// of the sender's CPU. Token streams are read-only once made, so callers
// share them.
type tokenCache struct {
	mu    sync.Mutex
	items map[tokenKey]analysis.TokenStream
	bytes int // text bytes of the cached entries
	max   int // bound on bytes; token streams take a few times more
}

type tokenKey struct {
	kind byte   // 't': text analyser, 'n': name analyser
	lang string // the text analyser's language; "": AnalyzerText
	text string
}

func newTokenCache(maxBytes int) *tokenCache {
	return &tokenCache{items: map[tokenKey]analysis.TokenStream{}, max: maxBytes}
}

func (c *tokenCache) analyze(an analysis.Analyzer, kind byte, lang, text string) analysis.TokenStream {
	if c == nil || len(text) < 256 {
		return an.Analyze([]byte(text))
	}
	k := tokenKey{kind, lang, text}
	c.mu.Lock()
	toks, ok := c.items[k]
	c.mu.Unlock()
	if ok {
		return toks
	}
	toks = an.Analyze([]byte(text))
	c.mu.Lock()
	if c.bytes+len(text) > c.max {
		clear(c.items) // crude, bounded: the next round of deliveries refills it
		c.bytes = 0
	}
	if len(text) <= c.max {
		c.items[k] = toks
		c.bytes += len(text)
	}
	c.mu.Unlock()
	return toks
}
