package query

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// parseCase is one row of the parser table: either want (the canonical
// String of the result) or, when errMsg is set, a query_syntax error at
// byte offset errPos whose message contains errMsg.
type parseCase struct {
	in     string
	want   string
	errPos int
	errMsg string
	code   string // of the error; "" is query_syntax
}

func ok(in, want string) parseCase { return parseCase{in: in, want: want} }

func bad(in string, pos int, msg string) parseCase {
	return parseCase{in: in, errPos: pos, errMsg: msg}
}

// broad is a query over its budget (the default Limits).
func broad(in string, pos int, msg string) parseCase {
	return parseCase{in: in, errPos: pos, errMsg: msg, code: news.ECodeQueryBroad}
}

// nested returns n opening parentheses, x, and n closing ones.
func nested(n int, x string) string {
	return strings.Repeat("(", n) + x + strings.Repeat(")", n)
}

// words returns n distinct words "w0 w1 ..." and the offset of the last.
func words(n int) (string, int) {
	var b strings.Builder
	last := 0
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		last = b.Len()
		fmt.Fprintf(&b, "w%d", i)
	}
	return b.String(), last
}

func parseCases() []parseCase {
	w1024, _ := words(1024)
	w1025, last1025 := words(1025)
	w32, _ := words(32)
	w33, _ := words(33)
	day := func(from, to string) string { return "date:[" + from + "," + to + ")" }
	return []parseCase{
		// Empty queries.
		ok("", "*:*"),
		ok(" \t\r\n\u00a0 ", "*:*"),

		// Terms, implicit AND, precedence NOT > AND > OR.
		ok("Peskov", "Peskov"),
		ok("Peskov Ukraine", "(AND Peskov Ukraine)"),
		ok("Peskov AND Ukraine", "(AND Peskov Ukraine)"),
		ok("a b OR c", "(OR (AND a b) c)"),
		ok("a OR b c", "(OR a (AND b c))"),
		ok("a OR b OR c", "(OR a b c)"),
		ok("a AND b AND c", "(AND a b c)"),
		ok("NOT a b", "(AND (NOT a) b)"),
		ok("NOT a OR b", "(OR (NOT a) b)"),
		ok("Peskov (Ukraine OR Kyiv) NOT Trump", "(AND Peskov (OR Ukraine Kyiv) (NOT Trump))"),
		ok("a b c OR d e", "(OR (AND a b c) (AND d e))"),

		// Parentheses and flattening.
		ok("a AND (b AND c)", "(AND a b c)"),
		ok("(a b) (c d)", "(AND a b c d)"),
		ok("(a OR b) OR (c OR d)", "(OR a b c d)"),
		ok("((a))", "a"),
		ok("(a b) OR (c (d OR e))", "(OR (AND a b) (AND c (OR d e)))"),
		ok("a(b)", "(AND a b)"),
		ok("(a)b", "(AND a b)"),
		ok(nested(64, "x"), "x"),

		// Operators are upper case only; lower case ones are words.
		ok("peskov and putin", "(AND peskov and putin)"),
		ok("war or peace not", "(AND war or peace not)"),
		ok("And Or Not", "(AND And Or Not)"),
		ok("ANDROID ORACLE NOTHING", "(AND ANDROID ORACLE NOTHING)"),
		bad("AND(a)", 0, "AND needs an operand on its left"),
		ok("a AND(b)", "(AND a b)"),

		// &&, ||, !.
		ok("a && b", "(AND a b)"),
		ok("a || b", "(OR a b)"),
		ok("a &&b", "(AND a b)"),
		ok("(a)||(b)", "(OR a b)"),
		ok("a&&b", "a&&b"),
		ok("AT&T", "AT&T"),
		ok("!a", "(NOT a)"),
		ok("! a", "(NOT a)"),
		ok("a !b", "(AND a (NOT b))"),
		ok("!!a", "(NOT (NOT a))"),
		ok("Yahoo!", "Yahoo!"),

		// + and - prefixes; hyphens inside words.
		ok("+a -b", "(AND a (NOT b))"),
		ok("+a", "a"),
		ok("-a", "(NOT a)"),
		ok("a OR +b", "(OR a b)"),
		ok("-(a OR b)", "(NOT (OR a b))"),
		ok(`-"a b"`, `(NOT "a b")`),
		ok("al-Assad covid-19", "(AND al-Assad covid-19)"),
		ok("C++ e-", "(AND C++ e-)"),
		ok("NOT -a", "(NOT (NOT a))"),

		// Negation forms.
		ok("NOT Trump", "(NOT Trump)"),
		ok("a AND NOT b", "(AND a (NOT b))"),
		ok("a NOT b", "(AND a (NOT b))"),
		ok("NOT NOT a", "(NOT (NOT a))"),
		ok("a OR NOT b", "(OR a (NOT b))"),
		ok("NOT (a b)", "(NOT (AND a b))"),

		// Phrases and escapes.
		ok(`"Dmitry Peskov"`, `"Dmitry Peskov"`),
		ok(`"Peskov"`, `"Peskov"`),
		ok(`"say \"no\" now"`, `"say \"no\" now"`),
		ok(`"back\\slash"`, `"back\\slash"`),
		ok(`"a\b"`, `"a\\b"`),
		ok(`"(a OR b)" c`, `(AND "(a OR b)" c)`),
		ok(`x"a b"`, `(AND x "a b")`),

		// Prefixes.
		ok("ukrain*", "ukrain*"),
		ok("ab*", "ab*"),
		ok("Ки*", "Ки*"),
		ok("NOT*", "NOT*"),

		// Unicode.
		ok("Erdoğan Киев", "(AND Erdoğan Киев)"),
		ok(`"Владимир Путин" OR 習近平`, `(OR "Владимир Путин" 習近平)`),

		// Colons that are not fields.
		ok("10:30", "10:30"),
		ok("x1:y", "x1:y"),
		ok(":x", ":x"),
		ok("Киев:x", "Киев:x"),

		// Fields, case and aliases.
		ok("country:Russia", "country:Russia"),
		ok("Speaker:Peskov", "speaker:Peskov"),
		ok("TITLE:x body:y", "(AND title:x body:y)"),
		ok("speakers:Peskov countries:RU topics:war sources:TASS",
			"(AND speaker:Peskov country:RU topic:war source:TASS)"),
		ok("source:TASS id:abc-123", "(AND source:TASS id:abc-123)"),
		ok(`speaker:"Dmitry Peskov"`, `speaker:"Dmitry Peskov"`),
		ok("title:ukrain*", "title:ukrain*"),
		ok("title:10:30", "title:10:30"),
		ok("-title:x", "(NOT title:x)"),

		// Fielded groups push the field down.
		ok("country:(Russia OR Ukraine)", "(OR country:Russia country:Ukraine)"),
		ok(`country:(Russia -Ukraine "New York")`, `(AND country:Russia (NOT country:Ukraine) country:"New York")`),
		ok("title:(a (b OR cd*))", "(AND title:a (OR title:b title:cd*))"),
		ok("NOT country:(a b) c", "(AND (NOT (AND country:a country:b)) c)"),
		ok("country:(a) b", "(AND country:a b)"),

		// Dates.
		ok("date:2025-03-10", day("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z")),
		ok("date:2025-03", day("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z")),
		ok("date:2025", day("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")),
		ok("date:2024-02-29", day("2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z")),
		ok("date:2025-12", day("2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z")),
		ok("DATE:2025-12-31", day("2025-12-31T00:00:00Z", "2026-01-01T00:00:00Z")),
		ok("date:[2025-03-01 TO 2025-03-31]", day("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z")),
		ok("date:{2025-03-01 TO 2025-03-31}", day("2025-03-02T00:00:00Z", "2025-03-31T00:00:00Z")),
		ok("date:[2025-03-01 TO 2025-03-31}", day("2025-03-01T00:00:00Z", "2025-03-31T00:00:00Z")),
		ok("date:{2025-03 TO 2025-05]", day("2025-04-01T00:00:00Z", "2025-06-01T00:00:00Z")),
		ok("date:[2024 TO 2025]", day("2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z")),
		ok("date:[ 2025-03-01   TO\t2025-03-01 ]", day("2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z")),
		ok("date:[2025-03-01 TO *]", day("2025-03-01T00:00:00Z", "*")),
		ok("date:[* TO 2025]", day("*", "2026-01-01T00:00:00Z")),
		ok("date:{* TO 2025}", day("*", "2025-01-01T00:00:00Z")),
		ok("date:[* TO *]", day("*", "*")),
		ok("date:>=2025-03-01", day("2025-03-01T00:00:00Z", "*")),
		ok("date:>2025-03-01", day("2025-03-02T00:00:00Z", "*")),
		ok("date:<2025-04", day("*", "2025-04-01T00:00:00Z")),
		ok("date:<=2025-03-31", day("*", "2025-04-01T00:00:00Z")),
		ok("date:2025-03-10T12:00:00Z", day("2025-03-10T12:00:00Z", "2025-03-10T12:00:00.000000001Z")),
		ok("date:>2025-03-10T12:00:00Z", day("2025-03-10T12:00:00.000000001Z", "*")),
		ok("date:<2025-03-10T12:00:00+02:00", day("*", "2025-03-10T10:00:00Z")),
		ok("date:[2025-03-10T12:00:00Z TO 2025-03-10T18:30:00.5+02:00]",
			day("2025-03-10T12:00:00Z", "2025-03-10T16:30:00.500000001Z")),
		ok("date:{2025-03-10T12:00:00Z TO 2025-03-11}", day("2025-03-10T12:00:00.000000001Z", "2025-03-11T00:00:00Z")),
		ok("date:[2025-03-10T00:00:00Z,2025-03-11T00:00:00Z)", day("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z")),
		ok("date:[*,*)", day("*", "*")),
		ok("date:[2025-03, 2025-04)", day("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z")),
		ok("date:9999", day("9999-01-01T00:00:00Z", "*")),
		ok("date:0001", day("*", "0002-01-01T00:00:00Z")),
		ok("date:9999-12-31T23:59:59.999999999Z", day("9999-12-31T23:59:59.999999999Z", "*")),
		ok("date:<=9999-12-31", day("*", "*")),
		ok("date:[2025-03-10 TO 2025-03-10T12:00:00,5Z}", day("2025-03-10T00:00:00Z", "2025-03-10T12:00:00.5Z")),
		ok("Peskov date:2025-03 -date:2025-03-08",
			"(AND Peskov "+day("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z")+
				" (NOT "+day("2025-03-08T00:00:00Z", "2025-03-09T00:00:00Z")+"))"),
		ok("(date:2025)", day("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")),
		ok("date:2025 TO", "(AND "+day("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")+" TO)"),

		// Fuzzy terms (Lucene's term~, term~N, term~0.N).
		ok("russia~", "russia~2"),
		ok("organization~1", "organization~1"),
		ok("russia~2 x", "(AND russia~2 x)"),
		ok("x~0", "x"),
		ok("title:peskof~1", "title:peskof~1"),
		ok("organization~0.8", "organization~2"), // 12 × 0.2 = 2.4 edits
		ok("abcdefg~0.8", "abcdefg~1"),           // 7 × 0.2 = 1.4
		ok("abcd~0.8", "abcd"),                   // 0.8: no edit
		ok("Киев~1", "Киев~1"),
		bad("russia~3", 7, "edit distance 3 is more than 2"),
		bad("russia~10", 7, "edit distance 10 is more than 2"),
		bad("a~1.5", 2, "use ~ (2 edits)"),
		bad("a~x", 2, `unexpected "x" after ~ or ^`),
		bad("a~1~2", 3, "a second ~"),
		bad("ru*~1", 3, "~ cannot follow a word with * or ?"),
		bad("id:abc~1", 3, "id: takes an exact id"),
		bad("~1", 0, "~ must follow a word or a phrase"),
		bad(`"a b" ~2`, 6, "~ must follow a word or a phrase"),

		// Proximity ("a b"~N).
		ok(`"quick fox"~3`, `"quick fox"~3`),
		ok(`"quick fox"~0`, `"quick fox"`),
		ok(`title:"a b"~64`, `title:"a b"~64`),
		ok(`"a b"~2 c`, `(AND "a b"~2 c)`),
		ok(`("a b"~2)`, `"a b"~2`),
		bad(`"a b"~65`, 6, "proximity 65 is more than 64 positions"),
		bad(`"a b"~99999999999999999999`, 6, "proximity 99999999999999999999 is more than 64"),
		bad(`"a b"~`, 5, "needs a whole number of positions"),
		bad(`"a b"~1.5`, 5, "needs a whole number of positions"),
		bad(`"a b"~2x`, 7, `unexpected "x"`),

		// Boosts.
		ok("russia^2", "russia^2"),
		ok("russia^2 ukraine", "(AND russia^2 ukraine)"),
		ok(`"a b"^2`, `"a b"^2`),
		ok(`"a b"~2^3`, `"a b"~2^3`),
		ok("(a OR b)^2", "(^2 (OR a b))"),
		ok("(a)^2", "a^2"),
		ok("title:x^0.5", "title:x^0.5"),
		ok("country:(a b)^3", "(^3 (AND country:a country:b))"),
		ok("russia~1^2", "russia~1^2"),
		ok("russia^2~1", "russia~1^2"),
		ok("ru?sia^2", "ru?sia^2"),
		ok("ukrain*^2", "ukrain*^2"),
		ok("-a^2", "(NOT a^2)"),
		ok("a^0", "a^0"),
		ok("((a b)^2 c)^3", "(^3 (AND (^2 (AND a b)) c))"),
		ok("(date:2025)^2", "(^2 "+day("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")+")"),
		bad("russia^", 6, "^ needs a number from 0 to 10000"),
		bad("russia^20000", 6, "^ needs a number"),
		bad("russia^-1", 7, `unexpected "-"`),
		bad("a^x", 2, `unexpected "x"`),
		bad("a^2^3", 3, "a second ^"),
		bad("(a)~2", 3, "~ cannot follow a group"),
		bad("^2", 0, "^ must follow a word, a phrase or a group"),
		bad("a ^2", 2, "^ must follow"),
		bad("date:2025^2", 5, "invalid date"),

		// Wildcards: ? is one character, * inside a word any run.
		ok("ru?sia", "ru?sia"),
		ok("ru*ia", "ru*ia"),
		ok("ru??ia ru*i?", "(AND ru??ia ru*i?)"),
		ok("title:ru?sia", "title:ru?sia"),
		ok("Ки?в", "Ки?в"),
		ok("qu*b????", "qu*b????"),
		ok("qu????*", "qu????*"),
		broad("qu*b?????", 8, "at most 4 ? may follow a *"),
		broad("qu*?*?*?*?*?", 11, "at most 4 ? may follow a *"),
		broad("?ussia", 0, "at least 2 characters before its first * or ?"),
		broad("*ussia", 0, "a leading wildcard would read every word"),
		broad("r?ssia", 1, "at least 2 characters"),
		broad("x r*a", 3, "at least 2 characters"),
		bad(`ab\*c*`, 2, `an escaped \* or \? cannot stand in a word with wildcards`),
		bad("id:ab?", 3, "id: takes an exact id or an id prefix"),

		// Backslash escapes outside phrases.
		ok(`foo\:bar`, `foo\:bar`),
		ok(`\(a\)`, `\(a\)`),
		ok(`a\ b`, `a\ b`),
		ok(`\-a`, `\-a`),
		ok(`\AND`, `\AND`),
		ok(`c\+\+`, `c++`),
		ok(`russia\^2`, `russia\^2`),
		ok(`ru\?sia`, `ru\?sia`),
		ok(`ab\*`, `ab\*`),
		ok(`\*`, `\*`),
		ok(`a\\b`, `a\\b`),
		ok(`\"a`, `\"a`),
		ok(`title:\-x`, `title:\-x`),
		ok(`Кие\в`, `Киев`),
		bad(`a\`, 1, `\ at the end of a word escapes nothing`),

		// Lucene syntax that is refused.
		bad("/ru.*ia/", 0, "regular expressions (/.../) are not supported"),
		bad("title:/x/", 6, "regular expressions"),
		bad("_exists_:title", 0, "_exists_: is not supported"),
		bad("a _EXISTS_:b", 2, "_exists_: is not supported"),
		bad("title:[a TO b]", 6, "ranges work only on dates"),
		bad("[1 TO 5]", 0, "ranges work only on dates"),
		bad("title:{a TO b}", 6, "ranges work only on dates"),
		bad("title:>5", 6, "comparisons work only on dates"),
		bad("<5", 0, "comparisons work only on dates"),
		bad("title:*", 6, "nor is field:*"),

		// Dates relative to now (testNow is Monday 2025-03-10T15:04:05Z).
		ok("date:>now-7d", day("2025-03-03T15:04:05.000000001Z", "*")),
		ok("date:>=now-7d", day("2025-03-03T15:04:05Z", "*")),
		ok("date:>=now-7d/d", day("2025-03-03T00:00:00Z", "*")),
		ok("date:>now-7d/d", day("2025-03-04T00:00:00Z", "*")),
		ok("date:>now/d", day("2025-03-11T00:00:00Z", "*")),
		ok("date:<now/d", day("*", "2025-03-10T00:00:00Z")),
		ok("date:<=now/d", day("*", "2025-03-11T00:00:00Z")),
		ok("date:<now", day("*", "2025-03-10T15:04:05Z")),
		ok("date:now/d", day("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z")),
		ok("date:[now-30d TO now]", day("2025-02-08T15:04:05Z", "2025-03-10T15:04:05.000000001Z")),
		ok("date:[now-7d/d TO now/d]", day("2025-03-03T00:00:00Z", "2025-03-11T00:00:00Z")),
		ok("date:{now-2d/d TO now/d}", day("2025-03-09T00:00:00Z", "2025-03-10T00:00:00Z")),
		ok("date:[now-1M TO *]", day("2025-02-10T15:04:05Z", "*")),
		ok("date:[2025-01-01 TO now/d}", day("2025-01-01T00:00:00Z", "2025-03-10T00:00:00Z")),
		ok("date:>=now-1y/y", day("2024-01-01T00:00:00Z", "*")),
		ok("date:>=now-1M/M", day("2025-02-01T00:00:00Z", "*")),
		ok("date:>=now-12h", day("2025-03-10T03:04:05Z", "*")),
		ok("date:>=now-12H/h", day("2025-03-10T03:00:00Z", "*")),
		ok("date:>=now-90m", day("2025-03-10T13:34:05Z", "*")),
		ok("date:>=now+1s", day("2025-03-10T15:04:06Z", "*")),
		ok("date:>=now/w", day("2025-03-10T00:00:00Z", "*")),
		ok("date:>=now-1d/w", day("2025-03-03T00:00:00Z", "*")),
		ok("date:>=now-1w-2d+3h", day("2025-03-01T18:04:05Z", "*")),
		bad("date:>now-7", 11, "needs a unit"),
		bad("date:now-7x", 10, "needs a unit"),
		bad("date:now/x", 9, "needs a unit"),
		bad("date:now/", 9, "needs a unit"),
		bad("date:now/d-1d", 10, "the rounding /d must come last"),
		bad("date:now/d/d", 10, "round only once"),
		bad("date:now-", 8, "- needs a number and a unit"),
		bad("date:nowx", 8, "relative dates look like now, now-7d"),
		bad("date:2025-01-01||+1M", 15, "date math on a fixed date"),
		bad("date:>now-9999999d", 10, "too large"),
		bad("date:now-99999y", 5, "out of range"),
		bad("date:[now TO now-1d]", 13, "ends before it starts"),

		// Limits that are not exceeded.
		ok(w1024, "(AND "+w1024+")"),
		ok(strings.Repeat("NOT ", 64)+"a", strings.Repeat("(NOT ", 64)+"a"+strings.Repeat(")", 64)),

		// Errors: parentheses.
		bad("(a OR b", 0, "unclosed parenthesis opened at 0"),
		bad("a (b (c) d", 2, "unclosed parenthesis opened at 2"),
		bad("((a", 1, "unclosed parenthesis opened at 1"),
		bad("(", 0, "unclosed parenthesis opened at 0"),
		bad("a)", 1, "unexpected )"),
		bad(")", 0, "unexpected )"),
		bad("(a))", 3, "unexpected )"),
		bad("()", 0, "empty group"),
		bad("a ( )", 2, "empty group"),
		bad("(())", 1, "empty group"),

		// Errors: quotes.
		bad(`"abc`, 0, "unterminated quote"),
		bad(`a "b \"c`, 2, "unterminated quote"),
		bad(`"abc\`, 0, "unterminated quote"),
		bad(`""`, 0, "empty phrase"),
		bad(`a "  "`, 2, "empty phrase"),

		// Errors: operators without operands.
		bad("Peskov AND", 7, "AND needs an operand on its right"),
		bad("OR x", 0, "OR needs an operand on its left"),
		bad("AND x", 0, "AND needs an operand on its left"),
		bad("a AND OR b", 2, "AND needs an operand on its right"),
		bad("a OR OR b", 2, "OR needs an operand on its right"),
		bad("a OR", 2, "OR needs an operand on its right"),
		bad("a ||", 2, "|| needs an operand on its right"),
		bad("a && ", 2, "&& needs an operand on its right"),
		bad("(a OR)", 3, "OR needs an operand on its right"),
		bad("(OR a)", 1, "OR needs an operand on its left"),
		bad("NOT", 0, "NOT needs an operand"),
		bad("a NOT", 2, "NOT needs an operand"),
		bad("a !", 2, "! needs an operand"),
		bad("(NOT)", 1, "NOT needs an operand"),
		bad("NOT OR a", 0, "NOT needs an operand"),
		bad("a -", 2, "- must be followed directly"),
		bad("- a", 0, "- must be followed directly"),
		bad("--a", 0, "- must be followed directly"),
		bad("+", 0, "+ must be followed directly"),
		bad("(a -)", 3, "- must be followed directly"),
		bad("-AND a", 0, "- must be followed directly"),

		// Errors: fields.
		bad("title:", 0, "field title: needs a term"),
		bad("title: x", 0, "field title: needs a term"),
		bad("(title:)", 1, "field title: needs a term"),
		bad("a Title:-x", 2, "field title: needs a term"),
		bad("title:AND", 0, "field title: needs a term"),
		bad("foo:bar", 0, `unknown field "foo"; known fields: title, body, speaker, country, main_country, topic, source, language, id, story, date`),
		bad("a Foo_Bar:x", 2, `unknown field "Foo_Bar"`),
		bad("http://example.com", 0, `unknown field "http"`),
		bad("country:(title:x)", 9, "field title: inside the field group country:(...) at 0"),
		bad("country:(a (b speaker:c))", 14, "field speaker: inside"),
		bad("title:title:x", 6, "a field cannot follow another field"),
		bad("country:(date:2025)", 9, "field date: inside the field group"),

		// Errors: prefixes.
		bad("*", 0, "bare *"),
		bad("a *", 2, "bare *"),
		broad("a*b", 1, "at least 2 characters before its first * or ?"),
		broad("**", 0, "at least 2 characters before its first * or ?"),
		ok("ab**", "ab**"),
		broad("u*", 1, "at least 2 characters"),
		broad("x ä*", 4, "at least 2 characters"),
		bad("title:*", 6, "bare *"),

		// Errors: dates.
		bad(`date:"2025"`, 0, "not a phrase"),
		bad("date:(2025)", 0, "not a group"),
		bad("(date:)", 1, "field date: needs a date"),
		bad("date:", 0, "field date: needs a term"),
		bad("date:2025-13", 5, "invalid date"),
		bad("date:2025-02-30", 5, "invalid date"),
		bad("date:2025-00-10", 5, "invalid date"),
		bad("date:2025-3-1", 5, "invalid date"),
		bad("date:yesterday", 5, `invalid date "yesterday"`),
		bad("date:NOW", 5, `invalid date "NOW"`),
		bad("date:*", 5, "invalid date"),
		bad("date:2025-03-10T12:00:00", 5, "invalid date"),
		bad("date:0000", 5, "out of range"),
		bad("date:0001-01-01T00:30:00+01:00", 5, "out of range"),
		bad("date:{9999 TO *]", 5, "out of range"),
		bad("date:[2025-03-10T12:00:00Z,2025-03-10T12:00:00Z)", 27, "ends before it starts"),
		bad("date:[2025-03-31 TO 2025-03-01]", 20, "ends before it starts"),
		bad("date:{2025-03-01 TO 2025-03-02}", 20, "ends before it starts"),
		bad("date:[2025 to 2026]", 11, "TO in upper case"),
		bad("date:[2025 TO 2026", 5, "unterminated date range"),
		bad("date:[2025]", 5, "a date range looks like"),
		bad("date:[2025 TO 2026 TO 2027]", 5, "a date range looks like"),
		bad("date:[2025,2026,2027)", 5, "a date range looks like"),
		bad("date:[2025 TO 2026-13]", 14, "invalid date"),
		bad("date:>=", 5, "needs a date right after it"),
		bad("date:> 2025", 5, "needs a date right after it"),
		bad("date:>*", 6, "invalid date"),
		bad("date:>9999-12-31", 5, "out of range"),
		bad("date:<0001-01-01", 5, "nothing is dated before"),

		// Errors: encoding and limits.
		bad("ab\xffcd", 2, "invalid UTF-8"),
		bad("\xc3", 0, "invalid UTF-8"),
		bad(`"Erdoğan" `+"\xe2\x82", 11, "invalid UTF-8"),
		bad(strings.Repeat("a ", MaxQueryBytes/2)+"b", MaxQueryBytes, "longer than 16384 bytes"),
		bad(nested(65, "x"), 64, "nesting deeper than 64"),
		bad(nested(10000, "x")[:MaxQueryBytes], 64, "nesting deeper than 64"),
		bad(strings.Repeat("NOT ", 65)+"a", 64*4, "nesting deeper than 64"),
		bad(strings.Repeat("!", 65)+"a", 64, "nesting deeper than 64"),
		bad(nested(60, strings.Repeat("-(", 5)+"x"+strings.Repeat(")", 5)), 60+2*2, "nesting deeper than 64"),
		broad(w1025, last1025, "more than 1024 terms"),

		// Budget: words per phrase (32 by default) as typed.
		ok(`"`+w32+`"`, `"`+w32+`"`),
		broad(`a "`+w33+`"`, 2, "at most 32 words"),
		broad(`a title:"`+strings.Repeat("x ", 1000)+`"`, 8, "at most 32 words"),
	}
}

// testNow is the Now of the table: Monday 2025-03-10T15:04:05Z.
var testNow = time.Date(2025, 3, 10, 15, 4, 5, 0, time.UTC)

// parseAt parses with testNow as now.
func parseAt(q string) (Node, error) { return ParseWith(q, Options{Now: testNow}) }

func TestParse(t *testing.T) {
	cases := parseCases()
	if len(cases) < 70 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		name := tc.in
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		t.Run(name, func(t *testing.T) {
			n, err := parseAt(tc.in)
			if tc.errMsg == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", tc.in, err)
				}
				if got := n.String(); got != tc.want {
					t.Fatalf("Parse(%q)\n got %s\nwant %s", tc.in, got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error %q at %d", tc.in, n, tc.errMsg, tc.errPos)
			}
			if n != nil {
				t.Errorf("Parse(%q) returned a node with its error", tc.in)
			}
			var e *news.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T %v is not a *news.Error", tc.in, err, err)
			}
			code := tc.code
			if code == "" {
				code = news.ECodeQuerySyntax
			}
			if e.Code != code {
				t.Errorf("code %q, want %q", e.Code, code)
			}
			if e.Position == nil {
				t.Fatalf("Parse(%q): error %v has no position", tc.in, err)
			}
			if *e.Position != tc.errPos {
				t.Errorf("Parse(%q): position %d, want %d (%v)", tc.in, *e.Position, tc.errPos, err)
			}
			if !strings.Contains(e.Message, tc.errMsg) {
				t.Errorf("Parse(%q): message %q does not contain %q", tc.in, e.Message, tc.errMsg)
			}
		})
	}
}

// TestDeepNesting checks that absurd nesting is refused at the 65th level,
// after a bounded amount of work, instead of recursing 10,000 times.
func TestDeepNesting(t *testing.T) {
	balanced := nested(10000, "x") // 20,001 bytes: over MaxQueryBytes
	unbalanced := strings.Repeat("(", 10000) + "x"
	for _, tc := range []struct {
		name string
		q    string
		pos  int
		msg  string
	}{
		// The length limit is checked first, so the full 10,000-deep
		// balanced query fails on its length...
		{"balanced 10000", balanced, MaxQueryBytes, "longer than"},
		// ...and the depth limit is exercised with 10,000 opening
		// parentheses that fit in the length limit.
		{"open 10000", unbalanced, MaxDepth, "nesting deeper than 64"},
		{"balanced 8000", nested(8000, "x"), MaxDepth, "nesting deeper than 64"},
		{"NOT 4000", strings.Repeat("NOT ", 4000) + "x", MaxDepth * 4, "nesting deeper than 64"},
		{"! 16000", strings.Repeat("!", 16000) + "x", MaxDepth, "nesting deeper than 64"},
		{"-( 5000", strings.Repeat("-(", 5000) + "x", MaxDepth, "nesting deeper than 64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, work, err := parse(tc.q, Options{})
			if err == nil {
				t.Fatalf("parsed to %s", n)
			}
			var e *news.Error
			if !errors.As(err, &e) || e.Code != news.ECodeQuerySyntax || e.Position == nil {
				t.Fatalf("error %v is not a positioned query_syntax error", err)
			}
			if *e.Position != tc.pos || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("error %v, want %q at %d", err, tc.msg, tc.pos)
			}
			// The parser gives up at the first level too deep: it lexes
			// only the tokens up to there.
			if work > 2*MaxDepth+2 {
				t.Fatalf("work %d: the parser went past the depth limit", work)
			}
		})
	}
}

// TestLinearWork checks that parsing does work proportional to the query
// length on large and adversarial inputs. It counts tokens lexed plus nodes
// placed while flattening rather than timing anything: the lexer never
// moves backwards, every token but the last consumes at least one byte,
// and every node is placed once, so the count stays within 3*(len+1).
func TestLinearWork(t *testing.T) {
	w1024, _ := words(1024)
	deepAnd := w1024
	deepOr := strings.ReplaceAll(w1024, " ", " OR ")
	for i := 0; i < MaxDepth-1; i++ {
		deepAnd = "a (" + deepAnd + ") b"
		deepOr = "a OR (" + deepOr + ") OR b"
	}
	var alt strings.Builder
	for i := 0; alt.Len() < MaxQueryBytes-8; i++ {
		if i%2 == 0 {
			alt.WriteString("ab ")
		} else {
			alt.WriteString("OR cd ")
		}
	}
	inputs := map[string]string{
		"alternating terms": alt.String(),
		"1024 terms":        w1024,
		"deep AND groups":   deepAnd,
		"deep OR groups":    deepOr,
		"one long word":     strings.Repeat("x", MaxQueryBytes),
		"spaces":            strings.Repeat(" ", MaxQueryBytes),
		"empty phrases":     strings.Repeat(`"" `, MaxQueryBytes/3),
		"long phrase":       `"` + strings.Repeat(`\"`, MaxQueryBytes/2-1),
		"escaped phrase":    `"` + strings.Repeat(`\\`, MaxQueryBytes/2-1) + `"`,
		"open range":        "date:[" + strings.Repeat("2025 ", MaxQueryBytes/5-2),
		"fields":            strings.Repeat("title:ab ", MaxQueryBytes/9),
		"colons":            strings.Repeat("1:", MaxQueryBytes/2),
		"stars":             strings.Repeat("ab* ", MaxQueryBytes/4),
		"operators":         strings.Repeat("a AND ", MaxQueryBytes/6),
		"closing parens":    strings.Repeat(")", MaxQueryBytes),
		"max length words":  strings.Repeat("ab ", MaxQueryBytes/3) + "x",
	}
	for name, q := range inputs {
		t.Run(name, func(t *testing.T) {
			if len(q) > MaxQueryBytes {
				t.Fatalf("test input is %d bytes", len(q))
			}
			n, work, err := parse(q, Options{})
			if err != nil {
				var e *news.Error
				if !errors.As(err, &e) || (e.Code != news.ECodeQuerySyntax && e.Code != news.ECodeQueryBroad) || e.Position == nil {
					t.Fatalf("error %v is not a positioned query_syntax or query_too_broad error", err)
				}
			} else if n == nil {
				t.Fatal("nil node without an error")
			}
			if limit := 3 * (len(q) + 1); work > limit {
				t.Fatalf("work %d for %d bytes, want at most %d", work, len(q), limit)
			}
		})
	}
}

// TestFormatRoundTrip checks the infix rendering used by the fuzzer on
// every valid table input: format(Parse(q)) parses back to the same tree.
func TestFormatRoundTrip(t *testing.T) {
	for _, tc := range parseCases() {
		if tc.errMsg != "" {
			continue
		}
		n, err := parseAt(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		f := format(n)
		n2, err := parseAt(f)
		if err != nil {
			t.Fatalf("Parse(format(%q)) = Parse(%q): %v", tc.in, f, err)
		}
		if n.String() != n2.String() {
			t.Fatalf("round trip of %q via %q:\n got %s\nwant %s", tc.in, f, n2, n)
		}
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"a b OR c":                    "a AND b OR c",
		"(a OR b) c":                  "(a OR b) AND c",
		"-(a b) !c":                   "NOT (a AND b) AND NOT c",
		"country:(Russia OR Ukraine)": "country:Russia OR country:Ukraine",
		`"say \"no\""`:                `"say \"no\""`,
		"date:2025":                   "date:[2025-01-01T00:00:00Z,2026-01-01T00:00:00Z)",
	} {
		n, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := format(n); got != want {
			t.Errorf("format(Parse(%q)) = %q, want %q", in, got, want)
		}
	}
}

// TestLeafFields checks what String does not show: positions, the Prefix
// flag and the unescaped phrase text.
func TestLeafFields(t *testing.T) {
	n, err := Parse(`Erdoğan title:ab* -speaker:"a \"b\"" date:>2025`)
	if err != nil {
		t.Fatal(err)
	}
	and, ok := n.(*And)
	if !ok || len(and.Children) != 4 {
		t.Fatalf("got %s", n)
	}
	if term := and.Children[0].(*Term); *term != (Term{Text: "Erdoğan", Pos: 0}) {
		t.Errorf("term %+v", *term)
	}
	if term := and.Children[1].(*Term); *term != (Term{Field: FieldTitle, Text: "ab", Prefix: true, Pos: 15}) {
		t.Errorf("prefix term %+v", *term)
	}
	ph := and.Children[2].(*Not).Child.(*Phrase)
	if *ph != (Phrase{Field: FieldSpeaker, Text: `a "b"`, Pos: 28}) {
		t.Errorf("phrase %+v", *ph)
	}
	dr := and.Children[3].(*DateRange)
	if dr.Pos != 43 || !dr.To.IsZero() || dr.From.Location() != time.UTC || dr.From.Format(time.DateOnly) != "2026-01-01" {
		t.Errorf("date range %+v", *dr)
	}
}

func TestStringOfBuiltNodes(t *testing.T) {
	for _, tc := range []struct {
		n    Node
		want string
	}{
		{&All{}, "*:*"},
		{&Not{}, "(NOT <nil>)"},
		{(*Term)(nil), "<nil>"},
		{&And{Children: []Node{(*Phrase)(nil), &Or{}}}, "(AND <nil> (OR))"},
		{&Phrase{Field: FieldBody, Text: `a\b`}, `body:"a\\b"`},
		{&DateRange{}, "date:[*,*)"},
		{&DateRange{From: time.Date(2025, 3, 10, 12, 0, 0, 0, time.FixedZone("x", 3600))}, "date:[2025-03-10T11:00:00Z,*)"},
	} {
		if got := tc.n.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// TestParseLimits checks that the budget given to ParseLimits is the one
// applied, with the offset of the part that blew it, and that zero fields
// take the defaults.
func TestParseLimits(t *testing.T) {
	lim := Limits{MaxClauses: 3, MaxPhraseWords: 2, MinPrefix: 3}
	for _, tc := range []struct {
		q   string
		pos int // -1: accepted
		msg string
	}{
		{"a b c", -1, ""},
		{"a b c d", 6, "more than 3 terms"},
		{"a OR (b c) OR d", 14, "more than 3 terms"},
		{`"a b"`, -1, ""},
		{`x "a  b	c"`, 2, "at most 2 words"},
		{"abc*", -1, ""},
		{"x ab*", 4, "at least 3 characters"},
		{"ééé*", -1, ""}, // characters, not bytes
	} {
		_, err := ParseLimits(tc.q, lim)
		if tc.pos < 0 {
			if err != nil {
				t.Errorf("ParseLimits(%q): %v", tc.q, err)
			}
			continue
		}
		var e *news.Error
		if !errors.As(err, &e) || e.Code != news.ECodeQueryBroad || e.Position == nil {
			t.Errorf("ParseLimits(%q): %v, want a positioned query_too_broad error", tc.q, err)
			continue
		}
		if *e.Position != tc.pos || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("ParseLimits(%q): %v, want %q at %d", tc.q, err, tc.msg, tc.pos)
		}
	}
	// Zero fields are the defaults.
	if got := (Limits{}).WithDefaults(); got != (Limits{DefaultMaxClauses, DefaultMaxPhraseWords, DefaultMaxExpansions, DefaultMinPrefix, DefaultMaxPostings}) {
		t.Errorf("defaults %+v", got)
	}
	// The parser does not count expansions: co* 256 times is its clauses'
	// business only, and the index refuses it (index/budget_test.go).
	if _, err := Parse(strings.Repeat("co* OR ", 255) + "co*"); err != nil {
		t.Errorf("256 prefixes: %v", err)
	}
}

// TestRelativeDates checks what the table cannot: that now is the Now of
// the options and nothing else (no clock in the parser), that months are
// calendar months clamped to their end as in Elasticsearch, and that a
// range that used now says so.
func TestRelativeDates(t *testing.T) {
	// Without a Now, a relative date is refused with its position.
	_, err := Parse("ukraine date:>now-1d")
	var e *news.Error
	if !errors.As(err, &e) || e.Code != news.ECodeQuerySyntax || e.Position == nil || *e.Position != 14 ||
		!strings.Contains(e.Message, "without a clock") {
		t.Fatalf("Parse without Now: %v", err)
	}
	for _, tc := range []struct {
		now  time.Time
		q    string
		want string
	}{
		{time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC), "date:>=now-1M", "date:[2025-02-28T12:00:00Z,*)"},
		{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "date:>=now-1y", "date:[2023-02-28T00:00:00Z,*)"},
		{time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC), "date:>=now+1M", "date:[2025-02-28T00:00:00Z,*)"},
		// Now is read in UTC whatever its zone.
		{time.Date(2025, 3, 10, 1, 0, 0, 0, time.FixedZone("x", 3*3600)), "date:now/d", "date:[2025-03-09T00:00:00Z,2025-03-10T00:00:00Z)"},
		// Sunday rounds back to Monday.
		{time.Date(2025, 3, 16, 23, 0, 0, 0, time.UTC), "date:>=now/w", "date:[2025-03-10T00:00:00Z,*)"},
	} {
		n, err := ParseWith(tc.q, Options{Now: tc.now})
		if err != nil {
			t.Fatalf("%s at %s: %v", tc.q, tc.now, err)
		}
		if got := n.String(); got != tc.want {
			t.Errorf("%s at %s = %s, want %s", tc.q, tc.now, got, tc.want)
		}
	}
	for q, rel := range map[string]bool{"date:>now-1d": true, "date:[2025 TO now]": true, "date:>2025": false} {
		n, err := parseAt(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.(*DateRange).Relative; got != rel {
			t.Errorf("%s: Relative %v, want %v", q, got, rel)
		}
	}
	// The same query at two instants gives two ranges.
	a, _ := ParseWith("date:>now-1d", Options{Now: testNow})
	b, _ := ParseWith("date:>now-1d", Options{Now: testNow.Add(48 * time.Hour)})
	if a.String() == b.String() {
		t.Errorf("now did not move: %s", a)
	}
}

// TestLuceneLeafFields checks the fields String shows only in part: the
// positions of fuzzy, wildcard and boosted leaves and the boost's factor.
func TestLuceneLeafFields(t *testing.T) {
	n, err := parseAt(`organization~1 ru?sia "quick fox"~3^2 (a b)^0.5`)
	if err != nil {
		t.Fatal(err)
	}
	c := n.(*And).Children
	if got := *c[0].(*Term); got != (Term{Text: "organization", Fuzzy: 1, Pos: 0}) {
		t.Errorf("fuzzy %+v", got)
	}
	if got := *c[1].(*Term); got != (Term{Text: "ru?sia", Wildcard: true, Pos: 15}) {
		t.Errorf("wildcard %+v", got)
	}
	b := c[2].(*Boost)
	if b.Factor != 2 || b.Pos != 35 || *b.Child.(*Phrase) != (Phrase{Text: "quick fox", Slop: 3, Pos: 22}) {
		t.Errorf("boosted phrase %+v %+v", b, b.Child)
	}
	if g := c[3].(*Boost); g.Factor != 0.5 || g.Pos != 43 || g.Child.String() != "(AND a b)" {
		t.Errorf("boosted group %+v", g)
	}
}
