// Package query is Watchword's boolean query language: a hand-written
// recursive-descent parser that turns a query string into a small AST.
// The index package compiles the AST into Bleve queries; this package knows
// nothing of Bleve.
//
// # Grammar
//
//	query   = [ or ] .                           (blank: All)
//	or      = and { ( "OR" | "||" ) and } .
//	and     = unary { [ "AND" | "&&" ] unary } . (no operator: AND)
//	unary   = ( "NOT" | "!" ) unary
//	        | "-" primary                        (NOT)
//	        | "+" primary                        (the primary itself)
//	        | primary .
//	primary = word | prefix | phrase | group
//	        | field ":" ( word | prefix | phrase | group )
//	        | "date:" dates .
//	group   = "(" or ")" .
//	prefix  = word "*" .                         (2+ characters before *)
//	phrase  = `"` { char | `\"` | `\\` } `"` .  (not blank)
//	dates   = date
//	        | ( ">" | ">=" | "<" | "<=" ) date
//	        | ( "[" | "{" ) ( date | "*" ) ( " TO " | "," ) ( date | "*" ) ( "]" | "}" | ")" ) .
//	date    = YYYY | YYYY-MM | YYYY-MM-DD | RFC 3339 timestamp .
//
// Precedence is NOT > AND > OR, so a b OR c means (a AND b) OR c.
// AND, OR, NOT and TO are operators only in upper case: and, or and not are
// ordinary words. A word runs up to a space, a parenthesis, a double quote
// or the end of the query; "-", "+", "!", "&&" and "||" are operators only
// at the start of a word (al-Assad, covid-19, AT&T and a&&b are single
// words). "-" and "+" must touch their operand: "a - b" is an error.
//
// Fields are title, body, speaker, country, topic, source, id and date, in
// any case, with the aliases speakers, countries, topics and sources. A word
// is read as a field only when the part before its first colon is ASCII
// letters and underscores, so 10:30 is a plain word and foo:bar is an
// unknown-field error. A field must touch its value; a field before a group
// applies to every term and phrase in it, and a group so fielded may not
// contain another field.
//
// Date values are UTC days, months or years, or exact RFC 3339 instants.
// Each names a span of time; "[" and "]" include the span and "{", "}" and
// ")" exclude it, so date:[2025-03-01 TO 2025-03-31] ends at the end of
// March 31 and date:>2025-03-01 starts on March 2. Every form becomes a
// half-open DateRange; its String form date:[from,to) parses back.
//
// # Differences from Lucene
//
// Adjacent clauses are ANDed (Lucene's default operator is OR, with "+"
// marking required clauses); here "+" changes nothing and "-" is NOT. A
// query may be purely negative (NOT trump): the compiler supplies the
// match-all it needs. Lower-case operators are words, there are no fuzzy
// (~), boost (^), wildcard (?), regexp (/re/) or backslash-escape syntaxes
// outside phrases, and ranges exist only for dates.
//
// # Limits
//
// A query may be at most MaxQueryBytes long and nest at most MaxDepth deep;
// it must be valid UTF-8. Parsing is linear in the query length. Its cost
// is bounded by a budget, Limits: terms, words per phrase, prefix length
// and prefix expansions (the last checked by the index).
package query

import "time"

// Node is one node of a parsed query.
type Node interface {
	node()
	// String renders the node in a canonical prefix form used by tests,
	// for example (AND peskov (OR ukraine kyiv) (NOT trump)).
	String() string
}

// And matches documents that match every child.
type And struct{ Children []Node }

// Or matches documents that match at least one child.
type Or struct{ Children []Node }

// Not matches documents that do not match Child.
type Not struct{ Child Node }

// All matches every document (the empty query).
type All struct{}

// Term is one word. Field is "" for the default fields (title and body) or
// one of the canonical field names in Fields. Prefix is true for `ukrain*`
// (Text then holds the part before the star). Pos is the offset of the word
// itself, after any field name or "-" in front of it.
type Term struct {
	Field  string
	Text   string
	Prefix bool
	Pos    int // byte offset of the term in the query
}

// Phrase is a quoted sequence of words that must appear in order. Text is
// unescaped; Pos is the offset of the opening quote.
type Phrase struct {
	Field string
	Text  string
	Pos   int
}

// DateRange restricts the article date. A zero From or To is an open end.
// From is inclusive and To is exclusive: the parser turns every date form
// into this half-open interval (date:2025-03-10 becomes
// [2025-03-10T00:00Z, 2025-03-11T00:00Z)). Both ends are in UTC. Pos is
// the offset of the value after "date:".
type DateRange struct {
	From time.Time
	To   time.Time
	Pos  int
}

func (*And) node()       {}
func (*Or) node()        {}
func (*Not) node()       {}
func (*All) node()       {}
func (*Term) node()      {}
func (*Phrase) node()    {}
func (*DateRange) node() {}

// Canonical field names. Aliases (speakers, countries, topics, sources) are
// accepted by the parser and mapped onto these.
const (
	FieldTitle   = "title"
	FieldBody    = "body"
	FieldSpeaker = "speaker"
	FieldCountry = "country"
	FieldTopic   = "topic"
	FieldSource  = "source"
	FieldID      = "id"
	FieldDate    = "date"
)

// Fields lists the field names a query may use, in the order error
// messages list them.
var Fields = []string{FieldTitle, FieldBody, FieldSpeaker, FieldCountry, FieldTopic, FieldSource, FieldID, FieldDate}
