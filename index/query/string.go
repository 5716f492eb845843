package query

import (
	"strconv"
	"strings"
	"time"
)

// String renders the canonical prefix form, for example
// (AND Peskov (OR Ukraine Kyiv) (NOT Trump)).
func (n *And) String() string { return nodeString(n) }

// String renders the canonical prefix form (OR a b ...).
func (n *Or) String() string { return nodeString(n) }

// String renders the canonical prefix form (NOT a).
func (n *Not) String() string { return nodeString(n) }

// String renders the match-everything query as *:*.
func (n *All) String() string { return nodeString(n) }

// String renders the term as field:text, with a trailing * for a prefix.
func (n *Term) String() string { return nodeString(n) }

// String renders the phrase quoted, with " and \ escaped.
func (n *Phrase) String() string { return nodeString(n) }

// String renders the range half-open, date:[from,to), with * for an open
// end. The parser accepts this form back.
func (n *DateRange) String() string { return nodeString(n) }

// String renders a boosted term, phrase or date range as leaf^N, and
// anything else as (^N child).
func (n *Boost) String() string { return nodeString(n) }

func nodeString(n Node) string {
	var b strings.Builder
	writePrefix(&b, n)
	return b.String()
}

// writePrefix writes the canonical prefix form of n.
func writePrefix(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case *And:
		if n == nil {
			break
		}
		writePrefixList(b, "(AND", n.Children)
		return
	case *Or:
		if n == nil {
			break
		}
		writePrefixList(b, "(OR", n.Children)
		return
	case *Not:
		if n == nil {
			break
		}
		b.WriteString("(NOT ")
		writePrefix(b, n.Child)
		b.WriteByte(')')
		return
	case *All:
		b.WriteString("*:*")
		return
	case *Boost:
		if n == nil {
			break
		}
		if isLeaf(n.Child) {
			writeLeaf(b, n.Child)
			writeBoost(b, n.Factor)
			return
		}
		b.WriteString("(^")
		b.WriteString(formatFactor(n.Factor))
		b.WriteByte(' ')
		writePrefix(b, n.Child)
		b.WriteByte(')')
		return
	default:
		if writeLeaf(b, n) {
			return
		}
	}
	b.WriteString("<nil>")
}

// isLeaf reports whether n is a non-nil term or phrase: what ^N may
// follow directly (a date range takes it in parentheses only).
func isLeaf(n Node) bool {
	switch n := n.(type) {
	case *Term:
		return n != nil
	case *Phrase:
		return n != nil
	}
	return false
}

func writeBoost(b *strings.Builder, f float64) {
	b.WriteByte('^')
	b.WriteString(formatFactor(f))
}

func formatFactor(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func writePrefixList(b *strings.Builder, head string, children []Node) {
	b.WriteString(head)
	for _, c := range children {
		b.WriteByte(' ')
		writePrefix(b, c)
	}
	b.WriteByte(')')
}

// writeLeaf writes a Term, Phrase or DateRange (the same text in both the
// prefix and the infix form) and reports whether n was one of them.
func writeLeaf(b *strings.Builder, n Node) bool {
	switch n := n.(type) {
	case *Term:
		if n == nil {
			return false
		}
		writeField(b, n.Field)
		escapeTerm(b, n.Text, n.Wildcard, n.Prefix)
		if n.Prefix {
			b.WriteByte('*')
		}
		if n.Fuzzy > 0 {
			b.WriteByte('~')
			b.WriteString(strconv.Itoa(n.Fuzzy))
		}
	case *Phrase:
		if n == nil {
			return false
		}
		writeField(b, n.Field)
		b.WriteByte('"')
		for i := 0; i < len(n.Text); i++ {
			if c := n.Text[i]; c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(n.Text[i])
		}
		b.WriteByte('"')
		if n.Slop > 0 {
			b.WriteByte('~')
			b.WriteString(strconv.Itoa(n.Slop))
		}
	case *DateRange:
		if n == nil {
			return false
		}
		b.WriteString("date:[")
		writeInstant(b, n.From)
		b.WriteByte(',')
		writeInstant(b, n.To)
		b.WriteByte(')')
	default:
		return false
	}
	return true
}

func writeField(b *strings.Builder, field string) {
	if field != "" {
		b.WriteString(field)
		b.WriteByte(':')
	}
}

func writeInstant(b *strings.Builder, t time.Time) {
	if t.IsZero() {
		b.WriteByte('*')
		return
	}
	b.WriteString(t.UTC().Format(time.RFC3339Nano))
}

// format renders n as query syntax that Parse turns back into the same
// tree: infix operators, parentheses only where precedence needs them, and
// fields pushed down onto each term. All renders as the empty query.
//
// String cannot serve for this: its prefix form (AND a b) is not valid
// query syntax, because an operator at the start of a group has no left
// operand.
func format(n Node) string {
	var b strings.Builder
	writeInfix(&b, n)
	return b.String()
}

func writeInfix(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case *And:
		for i, c := range n.Children {
			if i > 0 {
				b.WriteString(" AND ")
			}
			switch c.(type) {
			case *Or, *And:
				writeGroup(b, c)
			default:
				writeInfix(b, c)
			}
		}
	case *Or:
		for i, c := range n.Children {
			if i > 0 {
				b.WriteString(" OR ")
			}
			if _, ok := c.(*Or); ok {
				writeGroup(b, c)
			} else {
				writeInfix(b, c)
			}
		}
	case *Not:
		b.WriteString("NOT ")
		switch n.Child.(type) {
		case *Or, *And:
			writeGroup(b, n.Child)
		default:
			writeInfix(b, n.Child)
		}
	case *All:
		// the empty query
	case *Boost:
		if isLeaf(n.Child) {
			writeLeaf(b, n.Child)
		} else {
			writeGroup(b, n.Child)
		}
		writeBoost(b, n.Factor)
	default:
		writeLeaf(b, n)
	}
}

func writeGroup(b *strings.Builder, n Node) {
	b.WriteByte('(')
	writeInfix(b, n)
	b.WriteByte(')')
}
