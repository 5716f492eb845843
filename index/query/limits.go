package query

import "github.com/watchword/watchword/internal/news"

// Default query budget. See Limits.
const (
	// DefaultMaxClauses is the most terms, phrases and date ranges a
	// query may hold.
	DefaultMaxClauses = 1024
	// DefaultMaxPhraseWords is the most words a phrase may hold.
	DefaultMaxPhraseWords = 32
	// DefaultMaxExpansions is the most index terms all the prefixes of a
	// query may expand to together, each occurrence counted.
	DefaultMaxExpansions = 1000
	// DefaultMinPrefix is the fewest characters a prefix may have before
	// its *, after analysis.
	DefaultMinPrefix = 2
	// DefaultMaxPostings is the most postings a query may read: the sum
	// of the document frequencies of every term it reads (each word, each
	// word of a phrase, each expansion of a prefix, each occurrence
	// counted).
	DefaultMaxPostings = 1_000_000
	// DateRangeExpansions is what one date range counts against
	// MaxExpansions: Bleve reads it as a set of numeric terms.
	DateRangeExpansions = 32
	// PatternExpansions is the least one fuzzy or wildcard term counts
	// against MaxExpansions, whatever it matches: each walks the term
	// dictionary to find its words.
	PatternExpansions = 20
	// FuzzyTwoExpansions is the least a fuzzy term of edit distance 2
	// counts: its automaton walks far more of the dictionary than one
	// edit's, each also looks up about a thousand one-edit neighbours,
	// and it reads the postings of every word it finds. At 1M articles
	// each such term mapped about 22 MiB more of the index into memory
	// and 50 took 0.6 s to refuse at 20 each; at 250, four fit in the
	// default budget. Elasticsearch bounds the same cost differently, with
	// at most 50 expansions per fuzzy term.
	FuzzyTwoExpansions = 250
	// FuzzyOneExpansions is the least a fuzzy term of edit distance 1
	// counts: it looks up about a thousand one-edit neighbours and the
	// postings of what it finds (the hostile bench's 200 such terms at 1M
	// ran 50 of them at 20 each before the refusal); at 50, twenty fit.
	FuzzyOneExpansions = 50
)

// Limits is the budget of one query: what it may cost is checked before
// it runs, and a query over it is refused with news.ECodeQueryBroad and
// the byte offset of the part that blew it. The parser checks what it
// can see (clauses, words per phrase, the length of a prefix as typed);
// the index checks the rest after analysis (words per phrase as the
// analyser splits them, the length of a prefix as folded), and what the
// query would read, from the term dictionaries: the terms its prefixes
// expand to, and the postings of every term it reads. A zero field takes
// its default.
type Limits struct {
	MaxClauses     int // terms, phrases and date ranges; default DefaultMaxClauses
	MaxPhraseWords int // words in one phrase; default DefaultMaxPhraseWords
	MaxExpansions  int // index terms over all prefixes; default DefaultMaxExpansions
	MinPrefix      int // characters before *; default DefaultMinPrefix
	MaxPostings    int // document frequencies of the terms read; default DefaultMaxPostings
}

// WithDefaults returns l with every zero (or negative) field set to its
// default.
func (l Limits) WithDefaults() Limits {
	if l.MaxClauses <= 0 {
		l.MaxClauses = DefaultMaxClauses
	}
	if l.MaxPhraseWords <= 0 {
		l.MaxPhraseWords = DefaultMaxPhraseWords
	}
	if l.MaxExpansions <= 0 {
		l.MaxExpansions = DefaultMaxExpansions
	}
	if l.MinPrefix <= 0 {
		l.MinPrefix = DefaultMinPrefix
	}
	if l.MaxPostings <= 0 {
		l.MaxPostings = DefaultMaxPostings
	}
	return l
}

// TooBroad returns the error of a query over its budget at byte pos.
func TooBroad(pos int, format string, args ...any) error {
	return news.ErrorAt(news.ECodeQueryBroad, pos, format, args...)
}
