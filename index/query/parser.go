package query

import (
	"time"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/news"
)

// Limits that keep parsing (and everything downstream of the AST) bounded.
const (
	// MaxQueryBytes is the longest query accepted, in bytes.
	MaxQueryBytes = 16 << 10
	// MaxDepth is the deepest nesting accepted. Every parenthesis and every
	// negation (NOT, !, -) on the way from the root to a term counts as one
	// level.
	MaxDepth = 64
)

// Options are what a parse depends on besides the query.
type Options struct {
	// Limits is the budget (zero fields: defaults).
	Limits Limits
	// Now is the instant "now" stands for in relative dates
	// (date:>now-7d). The parser never reads the clock: with a zero Now,
	// a relative date is refused.
	Now time.Time
}

// Parse parses a query with the default Limits and no clock, so relative
// dates (date:>now-7d) are refused; see ParseWith. The empty query parses
// to &All{}. Every error is a *news.Error with a Position that is a byte
// offset into q: code news.ECodeQuerySyntax, or news.ECodeQueryBroad for a
// query over its budget.
func Parse(q string) (Node, error) {
	n, _, err := parse(q, Options{})
	return n, err
}

// ParseLimits is Parse with the given budget (zero fields: defaults). It
// checks the clauses, the words of each phrase as typed and the length of
// each prefix as typed; the index checks the rest (see Limits).
func ParseLimits(q string, lim Limits) (Node, error) {
	n, _, err := parse(q, Options{Limits: lim})
	return n, err
}

// ParseWith is Parse with the given budget and clock.
func ParseWith(q string, o Options) (Node, error) {
	n, _, err := parse(q, o)
	return n, err
}

// parse is ParseWith that also reports how much work it did (tokens lexed
// plus nodes placed while flattening), so tests can check that the work
// grows linearly with the query instead of timing it.
func parse(q string, o Options) (Node, int, error) {
	if len(q) > MaxQueryBytes {
		return nil, 0, syntaxErr(MaxQueryBytes, "query longer than %d bytes", MaxQueryBytes)
	}
	if i := firstInvalidUTF8(q); i >= 0 {
		return nil, 0, syntaxErr(i, "invalid UTF-8")
	}
	lim := o.Limits.WithDefaults()
	p := &parser{lx: lexer{src: q, minPrefix: lim.MinPrefix, now: o.Now}, lim: lim}
	if err := p.advance(); err != nil {
		return nil, p.work(), err
	}
	if p.tok.kind == tokEOF {
		return &All{}, p.work(), nil
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, p.work(), err
	}
	if p.tok.kind != tokEOF {
		// parseOr stops only at ")" or the end of the query.
		return nil, p.work(), syntaxErr(p.tok.pos, "unexpected )")
	}
	n = p.flatten(n)
	return n, p.work(), nil
}

func syntaxErr(pos int, format string, args ...any) error {
	return news.ErrorAt(news.ECodeQuerySyntax, pos, format, args...)
}

// firstInvalidUTF8 returns the offset of the first byte of q that is not
// part of a valid UTF-8 sequence, or -1.
func firstInvalidUTF8(q string) int {
	for i := 0; i < len(q); {
		if q[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(q[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// ---------------------------------------------------------------- parser

// parser is a recursive-descent parser over the lexer with one token of
// lookahead. Recursion happens only at parentheses, and MaxDepth is checked
// before each one, so the Go stack stays shallow whatever the input.
type parser struct {
	lx     lexer
	lim    Limits // with defaults
	tok    token
	depth  int    // open parentheses plus pending negations
	leaves int    // terms, phrases and date ranges so far
	field  string // field of the enclosing fielded group, or ""
	fpos   int    // offset of that group's field name
	moved  int    // nodes placed while flattening, for the work count
}

func (p *parser) work() int { return p.lx.tokens + p.moved }

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// startsPrimary reports whether k can begin a term, phrase, field or group.
func startsPrimary(k tokKind) bool {
	switch k {
	case tokWord, tokPhrase, tokField, tokDate, tokLParen:
		return true
	}
	return false
}

// startsOperand reports whether k can begin an operand of AND, OR or NOT.
func startsOperand(k tokKind) bool {
	return startsPrimary(k) || k == tokNot || k == tokMinus || k == tokPlus
}

// or = and { ("OR" | "||") and }
func (p *parser) parseOr() (Node, error) {
	first, err := p.parseAnd()
	if err != nil || p.tok.kind != tokOr {
		return first, err
	}
	children := []Node{first}
	for p.tok.kind == tokOr {
		op := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !startsOperand(p.tok.kind) {
			return nil, syntaxErr(op.pos, "%s needs an operand on its right", op.text)
		}
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
	return &Or{Children: children}, nil
}

// and = unary { ["AND" | "&&"] unary }
func (p *parser) parseAnd() (Node, error) {
	first, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	children := []Node{first}
	for {
		switch {
		case p.tok.kind == tokAnd:
			op := p.tok
			if err := p.advance(); err != nil {
				return nil, err
			}
			if !startsOperand(p.tok.kind) {
				return nil, syntaxErr(op.pos, "%s needs an operand on its right", op.text)
			}
		case startsOperand(p.tok.kind):
			// implicit AND
		default:
			if len(children) == 1 {
				return first, nil
			}
			return &And{Children: children}, nil
		}
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
}

// flatten splices every And directly under an And (and every Or directly
// under an Or) into its parent, in one pass that appends each node once,
// so it stays linear however the groups nest. The parser never builds an
// And or Or with fewer than two children, so none needs collapsing.
func (p *parser) flatten(n Node) Node {
	switch n := n.(type) {
	case *And:
		n.Children = p.collect(make([]Node, 0, len(n.Children)), n.Children, true)
	case *Or:
		n.Children = p.collect(make([]Node, 0, len(n.Children)), n.Children, false)
	case *Not:
		n.Child = p.flatten(n.Child)
	case *Boost:
		n.Child = p.flatten(n.Child)
	}
	return n
}

func (p *parser) collect(dst, children []Node, and bool) []Node {
	for _, c := range children {
		switch c := c.(type) {
		case *And:
			if and {
				dst = p.collect(dst, c.Children, and)
				continue
			}
		case *Or:
			if !and {
				dst = p.collect(dst, c.Children, and)
				continue
			}
		}
		p.moved++
		dst = append(dst, p.flatten(c))
	}
	return dst
}

// unary = ("NOT" | "!") unary | ("-" | "+") primary | primary
//
// Chains of negations are collected in a loop, not by recursion.
func (p *parser) parseUnary() (Node, error) {
	nots := 0
loop:
	for {
		op := p.tok
		switch op.kind {
		case tokNot:
			if p.depth+nots >= MaxDepth {
				return nil, syntaxErr(op.pos, "nesting deeper than %d", MaxDepth)
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
			if !startsOperand(p.tok.kind) {
				return nil, syntaxErr(op.pos, "%s needs an operand", op.text)
			}
			nots++
		case tokMinus, tokPlus:
			if op.kind == tokMinus && p.depth+nots >= MaxDepth {
				return nil, syntaxErr(op.pos, "nesting deeper than %d", MaxDepth)
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
			if !startsPrimary(p.tok.kind) {
				return nil, syntaxErr(op.pos, "%s must be followed directly by a term, phrase, field or group", op.text)
			}
			if op.kind == tokMinus {
				nots++
			}
			break loop
		default:
			break loop
		}
	}
	p.depth += nots
	n, err := p.parsePrimary()
	p.depth -= nots
	if err != nil {
		return nil, err
	}
	for ; nots > 0; nots-- {
		n = &Not{Child: n}
	}
	return n, nil
}

// primary = word | phrase | date | field (word | phrase | group) | group
func (p *parser) parsePrimary() (Node, error) {
	t := p.tok
	switch t.kind {
	case tokWord, tokPhrase:
		return p.leaf()
	case tokDate:
		if p.field != "" {
			return nil, syntaxErr(t.pos, "field date: inside the field group %s:(...) at %d", p.field, p.fpos)
		}
		return p.leaf()
	case tokField:
		if p.field != "" {
			return nil, syntaxErr(t.pos, "field %s: inside the field group %s:(...) at %d", t.text, p.field, p.fpos)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tokWord, tokPhrase, tokLParen:
		case tokField, tokDate:
			return nil, syntaxErr(p.tok.pos, "a field cannot follow another field (%s:)", t.text)
		default:
			return nil, syntaxErr(t.pos, "field %s: needs a term, phrase or group right after the colon", t.text)
		}
		p.field, p.fpos = t.text, t.pos
		var n Node
		var err error
		if p.tok.kind == tokLParen {
			n, err = p.parseGroup()
		} else {
			n, err = p.leaf()
		}
		p.field = ""
		return n, err
	case tokLParen:
		return p.parseGroup()
	case tokRParen:
		return nil, syntaxErr(t.pos, "unexpected )")
	case tokAnd, tokOr:
		return nil, syntaxErr(t.pos, "%s needs an operand on its left", t.text)
	}
	return nil, syntaxErr(t.pos, "unexpected end of query")
}

// leaf turns the current word, phrase or date token into a node.
func (p *parser) leaf() (Node, error) {
	t := p.tok
	p.leaves++
	if p.leaves > p.lim.MaxClauses {
		return nil, TooBroad(t.pos, "more than %d terms", p.lim.MaxClauses)
	}
	var n Node
	switch t.kind {
	case tokWord:
		if p.field == FieldID && (t.wildcard || t.fuzzy > 0) {
			return nil, syntaxErr(t.pos, "id: takes an exact id or an id prefix (id:abc*), not a wildcard or a fuzzy term")
		}
		n = &Term{Field: p.field, Text: t.text, Prefix: t.prefix, Wildcard: t.wildcard, Fuzzy: t.fuzzy, Pos: t.pos}
	case tokPhrase:
		if countWords(t.text, p.lim.MaxPhraseWords+1) > p.lim.MaxPhraseWords {
			return nil, TooBroad(t.pos, "a phrase may hold at most %d words", p.lim.MaxPhraseWords)
		}
		n = &Phrase{Field: p.field, Text: t.text, Slop: t.slop, Pos: t.pos}
	default: // tokDate
		n = &DateRange{From: t.from, To: t.to, Relative: t.relative, Pos: t.vpos}
	}
	if t.boosted {
		n = &Boost{Child: n, Factor: t.boost, Pos: t.bpos}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return n, nil
}

// group = "(" or ")"
func (p *parser) parseGroup() (Node, error) {
	open := p.tok.pos
	if p.depth >= MaxDepth {
		return nil, syntaxErr(open, "nesting deeper than %d", MaxDepth)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokEOF:
		return nil, syntaxErr(open, "unclosed parenthesis opened at %d", open)
	case tokRParen:
		return nil, syntaxErr(open, "empty group ()")
	}
	p.depth++
	n, err := p.parseOr()
	p.depth--
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokRParen {
		return nil, syntaxErr(open, "unclosed parenthesis opened at %d", open)
	}
	if closing := p.tok; closing.boosted {
		n = &Boost{Child: n, Factor: closing.boost, Pos: closing.bpos}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return n, nil
}

// countWords counts the space-separated words of s, stopping at upTo.
func countWords(s string, upTo int) int {
	n, in := 0, false
	for _, r := range s {
		if isSpace(r) {
			in = false
			continue
		}
		if !in {
			if n++; n == upTo {
				return n
			}
			in = true
		}
	}
	return n
}
