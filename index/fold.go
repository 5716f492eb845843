package index

import (
	"bytes"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
)

// FoldFacet is the form in which a filter value and a stored facet value
// are compared: the words the query language's tokenizer finds in it,
// ASCII-folded, lower-cased and joined by one space. So "Russia",
// "russia" and "RUSSIA" are one value, "Erdoğan" and "erdogan" too,
// "U.S." is "us" and "Bosnia-Herzegovina" is "bosnia herzegovina"; but
// "peskov" is not "Dmitry Peskov": a filter names a whole value (the
// query speaker:peskov matches single words). A value without any word
// (only punctuation) folds to itself, trimmed.
func FoldFacet(v string) string {
	toks := wordTokenizer{folder: asciifolding.New()}.Tokenize([]byte(v))
	if len(toks) == 0 {
		return strings.TrimSpace(v)
	}
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.Write(bytes.ToLower(t.Term))
	}
	return b.String()
}
