package alerts

import (
	"math/rand/v2"
	"sort"
	"strings"
	"unicode"
)

// Vocabulary returns the lower-case words of texts whose document
// frequency is between lo and hi (fractions), sorted, for generating
// realistic saved queries in benchmarks.
func Vocabulary(texts []string, lo, hi float64) []string {
	df := map[string]int{}
	for _, t := range texts {
		seen := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len(w) < 4 || seen[w] {
				continue
			}
			seen[w] = true
			df[w]++
		}
	}
	n := float64(len(texts))
	var out []string
	for w, c := range df {
		if f := float64(c) / n; f >= lo && f <= hi {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// BenchQuery returns a saved query drawn from vocab: single terms,
// AND/OR/NOT combinations, phrases and prefixes.
func BenchQuery(rng *rand.Rand, vocab []string) string {
	w := func() string { return vocab[rng.IntN(len(vocab))] }
	switch rng.IntN(8) {
	case 0, 1:
		return w()
	case 2:
		return w() + " AND " + w()
	case 3:
		return "(" + w() + " OR " + w() + ") AND " + w()
	case 4:
		return w() + " OR " + w() + " OR " + w()
	case 5:
		return `"` + w() + " " + w() + `" OR ` + w()
	case 6:
		p := w()
		return p[:min(len(p), 4)] + "* AND " + w()
	default:
		return w() + " NOT " + w()
	}
}
