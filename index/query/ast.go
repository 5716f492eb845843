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
//	primary = ( word | prefix | wildcard | phrase | group ) [ boost ]
//	        | field ":" ( word | prefix | wildcard | phrase | group ) [ boost ]
//	        | "date:" dates .
//	word    = chars [ "~" [ N | "0." digits ] ] .   (fuzzy: N ≤ 2, ~ alone 2)
//	group   = "(" or ")" .
//	prefix  = word "*" .                         (2+ characters before *)
//	wildcard= chars with * and ? inside .        (2+ characters before the first)
//	phrase  = `"` { char | `\"` | `\\` } `"` [ "~" N ] .  (not blank; N ≤ 64)
//	boost   = "^" digits [ "." digits ] .        (0 to 10000)
//	dates   = date
//	        | ( ">" | ">=" | "<" | "<=" ) date
//	        | ( "[" | "{" ) ( date | "*" ) ( " TO " | "," ) ( date | "*" ) ( "]" | "}" | ")" ) .
//	date    = YYYY | YYYY-MM | YYYY-MM-DD | RFC 3339 timestamp
//	        | "now" { ( "+" | "-" ) N unit } [ "/" unit ] .  (unit: y M w d h H m s)
//
// Outside phrases a backslash makes the next character an ordinary word
// character (foo\:bar, \(x\), a\ b, \AND).
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
// match-all it needs. Lower-case operators are words. Fuzzy terms
// (organization~1), sloppy phrases ("quick fox"~3), boosts (^2), * and ?
// wildcards and relative dates (date:>now-7d/d) mean what they mean in
// Lucene and Elasticsearch; the index matches fuzzy and wildcard terms
// against its stemmed words (see the README). Regular expressions (/re/),
// _exists_:, field:*, ranges on fields other than date, leading
// wildcards, edit distances over 2 and proximities over 64 are refused
// with the position of the offending part, never read as words.
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
// one of the canonical field names in Fields. Pos is the offset of the word
// itself, after any field name or "-" in front of it. Text is unescaped (a
// backslash in the query makes the next character an ordinary one).
//
// At most one of Prefix, Wildcard and Fuzzy is set:
//   - Prefix is true for `ukrain*`; Text then holds the part before the star;
//   - Wildcard is true for `ru?sia` and `ru*ia`: every * (any run of
//     characters) and ? (one character) in Text is a wildcard, and Text
//     has at least the minimum prefix of literal characters before the
//     first one;
//   - Fuzzy is the edit distance of `organization~1` (1 or 2; `term~`
//     is 2, as in Lucene; `term~0` is the plain term).
type Term struct {
	Field    string
	Text     string
	Prefix   bool
	Wildcard bool
	Fuzzy    int
	Pos      int // byte offset of the term in the query
}

// Phrase is a quoted sequence of words that must appear in order. Text is
// unescaped; Pos is the offset of the opening quote. Slop is the N of
// `"a b"~N` (0 to MaxSlop): the words may then stand apart and out of
// order, as in Lucene's sloppy phrase: they match when they can be put at
// their places in the phrase by moving them N positions in all
// (each word's distance from its place in the phrase, the largest minus
// the smallest, is at most N; a swap of two adjacent words costs 2).
type Phrase struct {
	Field string
	Text  string
	Slop  int
	Pos   int
}

// DateRange restricts the article date. A zero From or To is an open end.
// From is inclusive and To is exclusive: the parser turns every date form
// into this half-open interval (date:2025-03-10 becomes
// [2025-03-10T00:00Z, 2025-03-11T00:00Z)). Both ends are in UTC. Pos is
// the offset of the value after "date:". Relative is true when an end was
// given relative to now (date:>now-7d): the range then holds for the Now
// it was parsed with only, and a query kept for later (an alert) must be
// parsed again when it runs.
type DateRange struct {
	From     time.Time
	To       time.Time
	Relative bool
	Pos      int
}

// Boost multiplies the relevance score of Child by Factor: `russia^2`,
// `"a b"^3`, `(a OR b)^0.5`, `title:x^2`. It changes the order of the
// hits, never which documents match. Pos is the offset of the "^".
type Boost struct {
	Child  Node
	Factor float64
	Pos    int
}

func (*And) node()       {}
func (*Or) node()        {}
func (*Not) node()       {}
func (*All) node()       {}
func (*Term) node()      {}
func (*Phrase) node()    {}
func (*DateRange) node() {}
func (*Boost) node()     {}

// Canonical field names. Aliases (speakers, countries, topics, sources) are
// accepted by the parser and mapped onto these.
const (
	FieldTitle   = "title"
	FieldBody    = "body"
	FieldSpeaker = "speaker"
	FieldCountry = "country"
	// FieldMainCountry matches the countries an article is about;
	// FieldCountry every country it mentions.
	FieldMainCountry = "main_country"
	FieldTopic       = "topic"
	FieldSource      = "source"
	// FieldLanguage matches the article's language: language:ru.
	FieldLanguage = "language"
	FieldID       = "id"
	FieldDate     = "date"
	// FieldStory matches the copies of one story: story:ID, the id a
	// search hit's story carries (16 hex digits).
	FieldStory = "story"
)

// Fields lists the field names a query may use, in the order error
// messages list them.
var Fields = []string{FieldTitle, FieldBody, FieldSpeaker, FieldCountry, FieldMainCountry, FieldTopic, FieldSource, FieldLanguage, FieldID, FieldStory, FieldDate}

// IsRelative reports whether n holds a date range relative to now, so
// that it holds only for the Now it was parsed with.
func IsRelative(n Node) bool {
	switch n := n.(type) {
	case *And:
		for _, c := range n.Children {
			if IsRelative(c) {
				return true
			}
		}
	case *Or:
		for _, c := range n.Children {
			if IsRelative(c) {
				return true
			}
		}
	case *Not:
		return IsRelative(n.Child)
	case *Boost:
		return IsRelative(n.Child)
	case *DateRange:
		return n.Relative
	}
	return false
}
