package index

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/index/query"
	"github.com/watchword/watchword/internal/news"
)

// luceneCorpus is a small corpus for the Lucene idioms, in two shards so
// that the dictionary walks of fuzzy and wildcard terms cover both.
func luceneCorpus(t *testing.T) *Index {
	t.Helper()
	return luceneCorpusF(t)
}

func luceneCorpusF(t testing.TB) *Index {
	t.Helper()
	return openCorpus(t, 2, []*news.Article{
		{ID: "fox1", Title: "Animals", Body: "The quick brown fox jumped over the lazy dog.", Date: day("2025-03-01")},
		{ID: "fox2", Title: "Animals", Body: "A quick fox ran off.", Date: day("2025-03-02")},
		{ID: "fox3", Title: "Animals", Body: "We saw a fox, quick and brown.", Date: day("2025-03-03")},
		{ID: "fox4", Title: "Animals", Body: "A quick and very very brown dog met a fox.", Date: day("2025-03-04")},
		{ID: "org1", Title: "Meeting", Body: "The organisation met in Geneva.", Date: day("2025-03-05")},
		{ID: "rus", Title: "Talks", Body: "Russia said talks go on.", Date: day("2025-03-06"),
			Speakers: []string{"Dmitry Peskov"}, Countries: []string{"Russia"}},
		{ID: "ukr", Title: "Talks", Body: "Ukraine said talks go on.", Date: day("2025-03-07"),
			Countries: []string{"Ukraine"}},
	})
}

func luceneHits(t *testing.T, ix *Index, q string, sortBy string) []string {
	t.Helper()
	n, err := query.ParseWith(q, query.Options{Now: time.Date(2025, 3, 8, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	res, err := ix.Search(context.Background(), Request{Query: n, Size: 100, Sort: sortBy})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	out := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out
}

// TestLuceneIdioms checks each idiom against what Elasticsearch's
// query_string finds on the same text (standard analyser), on a real
// index: the answers in want are Lucene's.
func TestLuceneIdioms(t *testing.T) {
	ix := luceneCorpus(t)
	for _, tc := range []struct {
		q, want string
	}{
		// Fuzzy: Levenshtein distance, ~ alone is 2.
		{`organization`, ""},
		{`organization~0`, ""},
		{`organization~1`, "org1"},  // one substitution; stems organ vs organis
		{`organization~`, "org1"},   // 2 edits
		{`organisaton~1`, "org1"},   // a deletion
		{`organizaton~1`, ""},       // two edits from organisation
		{`organizaton~2`, ""},       // Lucene: org1; a documented difference (stems)
		{`organ~2`, "fox2 org1"},    // ran, as in Lucene; and organis (Lucene: not organisation)
		{`russai~1`, "rus"},         // a swap of adjacent letters is one edit
		{`rusia~1`, "rus"},          // an insertion
		{`rusia`, ""},               // no fuzziness without ~
		{`speaker:peskof~1`, "rus"}, // facet words are not stemmed
		{`country:ukrane~1`, "ukr"},
		{`organization~0.9`, "org1"}, // Lucene's old form: (1-0.9)×12 = 1 edit
		{`organization~0.95`, ""},    // 0.6 edit: none
		// Proximity: words within N positions, any order.
		{`"quick fox"`, "fox2"},
		{`"quick fox"~0`, "fox2"},
		{`"quick fox"~1`, "fox1 fox2"},      // quick brown fox: one away
		{`"quick fox"~2`, "fox1 fox2 fox3"}, // fox, quick: reversed costs 2
		{`"quick fox"~6`, "fox1 fox2 fox3"}, // fox4: 8 apart
		{`"quick fox"~8`, "fox1 fox2 fox3 fox4"},
		{`"fox quick"~0`, "fox3"},
		{`"quick brown fox"~1`, "fox1"},
		{`"quick brown fox"~4`, "fox1 fox3"}, // fox3: shifts 4, 5 and 1
		{`"quick lazy"~5 OR "quick ran"~1`, "fox1 fox2"},
		{`body:"brown fox"~1 AND quick`, "fox1"},
		{`body:"brown fox"~4 AND quick`, "fox1 fox3 fox4"}, // fox3: fox 3 before brown; fox4: 3 after
		// Wildcards.
		{`ru?sia`, "rus"},
		{`ru*ia`, "rus"},
		{`ru?ia`, ""},
		{`ru??ia`, "rus"},
		{`ukr?ine OR ru?sia`, "rus ukr"},
		{`country:ru?sia`, "rus"},
		{`qu*k AND NOT fo?`, ""},
		{`title:tal?s`, "rus ukr"}, // the stem talk, of talks
		{`organi?ation`, "org1"},   // the stem organis
		{`organi?ations`, "org1"},  // organisations: the same stem
		{`organi?ationx`, ""},      // organisationx stems to itself
		// Escapes: a\ b is one word to the parser, two to the analyser.
		{`quick\ fox`, "fox2"},
		{`\(russia\)`, "rus"},
		// Relative dates (now is 2025-03-08T12:00Z).
		{`date:>now-2d`, "ukr"},
		{`date:>=now-2d/d`, "rus ukr"},
		{`date:[now-3d/d TO now-2d/d]`, "org1 rus"},
		{`date:{now-3d/d TO now/d}`, "rus ukr"},
	} {
		got := luceneHits(t, ix, tc.q, SortOldest)
		slices.Sort(got)
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%s: got %q, want %q", tc.q, s, tc.want)
		}
	}
}

// TestBoostOrder checks that ^N changes the ranking as in Lucene: the
// boosted side comes first, whichever it is, for terms, phrases, groups
// and fielded terms.
func TestBoostOrder(t *testing.T) {
	ix := luceneCorpus(t)
	for _, tc := range []struct {
		q, first string
	}{
		{`russia^5 OR ukraine`, "rus"},
		{`russia OR ukraine^5`, "ukr"},
		{`"russia said"^5 OR "ukraine said"`, "rus"},
		{`"russia said" OR "ukraine said"^5`, "ukr"},
		{`(russia OR geneva)^5 OR ukraine`, "rus"},
		{`(russia OR geneva) OR ukraine^5`, "ukr"},
		{`body:russia^5 OR body:ukraine`, "rus"},
		{`body:russia OR body:ukraine^5`, "ukr"},
		{`talks (russia^0.1 OR ukraine)`, "ukr"},
		{`talks (russia OR ukraine^0.1)`, "rus"},
		{`ru?sia^5 OR ukraine`, "rus"},
		{`russia~1 OR ukraine~1^5`, "ukr"},
	} {
		got := luceneHits(t, ix, tc.q, SortRelevance)
		if len(got) < 2 || got[0] != tc.first {
			t.Errorf("%s: order %v, want %s first", tc.q, got, tc.first)
		}
	}
}

// TestPatternBudget checks that fuzzy and wildcard terms count against
// the expansion budget like prefixes: what they match, at least
// query.PatternExpansions each, with the offset of the term that went
// over.
func TestPatternBudget(t *testing.T) {
	var arts []*news.Article
	for i := range 40 {
		arts = append(arts, &news.Article{ID: fmt.Sprintf("w%d", i), Title: "t", Date: day("2025-01-01"),
			Body: fmt.Sprintf("alpha%d beta", i+10)})
	}
	ix := openCorpus(t, 1, arts)
	compile := func(q string, max int) error {
		n, err := query.Parse(q)
		if err != nil {
			t.Fatalf("parse %q: %v", q, err)
		}
		_, err = ix.Compile(context.Background(), n, query.Limits{MaxExpansions: max})
		return err
	}
	// al*a?? matches alpha10 … alpha49: 40 terms.
	if err := compile("al*a??", 40); err != nil {
		t.Fatalf("40 terms within 40: %v", err)
	}
	wantBroad(t, compile("beta al*a??", 39), 5, "match more than 39 words")
	// alpha1? matches 10 terms but counts 20.
	if err := compile("alpha1? alpha2?", 40); err != nil {
		t.Fatalf("2 × 20 within 40: %v", err)
	}
	wantBroad(t, compile("alpha1? alpha2? alpha3?", 40), 16, "counts at least 20")
	// alpha10~1 matches alpha10 … alpha19, alpha20, alpha30, alpha40 (not
	// alpha1, absent): 13 terms, counted 50 (a fuzzy term of one edit
	// counts at least 50).
	if err := compile("alpha10~1 alpha20~1", 100); err != nil {
		t.Fatalf("two fuzzy terms within 100: %v", err)
	}
	wantBroad(t, compile("alpha10~1 alpha20~1", 99), 10, "more than 99")
	// A fuzzy term over the budget alone stops there.
	wantBroad(t, compile("x alpha10~2", 25), 2, "more than 25 words")
	// Two edits count 250 each before anything is looked up: four fit in
	// the default budget of 1,000, the fifth is refused where it stands
	// (at 20 each, fifty took 0.6 s to refuse at 1M).
	four := strings.Repeat("alpha10~2 ", 4)
	if err := compile(four, query.DefaultMaxExpansions); err != nil {
		t.Fatalf("four fuzzy terms of two edits: %v", err)
	}
	wantBroad(t, compile(four+"beta~2", query.DefaultMaxExpansions), len(four), "counts at least 250")
	// The literal prefix is counted after folding: Ä? is one letter.
	n, _ := query.Parse("ää?")
	if _, err := ix.Compile(context.Background(), n, query.Limits{MinPrefix: 3}); err == nil {
		t.Fatal("a 2-letter wildcard prefix passed MinPrefix 3")
	}
}
