package extract

import (
	"os"
	"slices"
	"sort"
	"testing"
)

// corpusDoc is one line of the BBC or HuffPost corpus (fields used here).
type corpusDoc struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Topics []string `json:"topics"`
}

// Corpus categories mapped to the IPTC top-level topic they fall under
// (the same table is in docs/extraction.md). Categories without one IPTC
// top-level topic are left out: U.S. NEWS and WORLD NEWS (any topic, by
// place), COMEDY and IMPACT (a tone or a format), BLACK VOICES and LATINO
// VOICES (a community, any topic), WEDDINGS (too few articles: 2).
var (
	bbcTopics = map[string]string{
		"business": "economy, business and finance", "entertainment": "arts, culture, entertainment and media",
		"politics": "politics", "sport": "sport", "tech": "science and technology",
	}
	huffpostTopics = map[string]string{
		"POLITICS": "politics", "ENTERTAINMENT": "arts, culture, entertainment and media", "MEDIA": "arts, culture, entertainment and media",
		"CULTURE & ARTS": "arts, culture, entertainment and media", "SPORTS": "sport", "CRIME": "crime, law and justice",
		"STYLE & BEAUTY": "lifestyle and leisure", "WELLNESS": "lifestyle and leisure", "FOOD & DRINK": "lifestyle and leisure",
		"TRAVEL": "lifestyle and leisure", "HOME & LIVING": "lifestyle and leisure", "ENVIRONMENT": "environment",
		"WOMEN": "society", "QUEER VOICES": "society", "PARENTING": "society", "BUSINESS": "economy, business and finance",
		"MONEY": "economy, business and finance", "TECH": "science and technology", "SCIENCE": "science and technology",
		"RELIGION": "religion", "EDUCATION": "education", "WEIRD NEWS": "human interest",
	}
)

// TestTopicsAidDebate: an aid debate is politics (and war), not a
// disaster; aid to flood victims still is a disaster. Issue 19 found
// "Peskov warned ... against more aid to Ukraine" tagged as a disaster.
func TestTopicsAidDebate(t *testing.T) {
	x := newTestExtractor(t)
	const disaster = "disaster, accident and emergency incident"
	for _, tc := range []struct {
		title, body string
		want, not   string
	}{
		{"Kremlin warns against aid", "Kremlin spokesman Dmitry Peskov warned the West against more aid to Ukraine, saying it would prolong the conflict.", "politics", disaster},
		{"Senate debates aid package", "Senators debated a new aid package on Tuesday, split over the cost of military aid and humanitarian aid.", "politics", disaster},
		{"Aid convoys reach flood victims", "Aid convoys reached flood victims on Tuesday after the river burst its banks, killing 40 people.", disaster, "politics"},
	} {
		got := x.Topics(tc.title, tc.body)
		if !slices.Contains(got, tc.want) || slices.Contains(got, tc.not) {
			t.Errorf("Topics(%q) = %q, want %q and not %q", tc.title, got, tc.want, tc.not)
		}
	}
}

// TestTopicsCorpora measures the topic extractor against the corpus
// editors' categories, mapped to IPTC top-level topics (bbcTopics,
// huffpostTopics; docs/extraction.md has the same table and the
// categories left unmapped), on two independent corpora: BBC News (full
// articles) and HuffPost (headline and one sentence). Per mapped topic T,
// over the articles whose category is mapped: precision is the share of
// the articles given T whose category maps to T, recall the share of the
// articles whose category maps to T that are given T. The corpora carry
// one category per article and the extractor may give several topics, so
// a business story also tagged politics counts against politics'
// precision. It gates the category recall and the macro-average precision
// over mapped topics.
func TestTopicsCorpora(t *testing.T) {
	x := newTestExtractor(t)
	for _, c := range []struct {
		name    string
		labels  map[string]string
		min     float64 // minimum recall of the mapped category
		minPrec float64 // minimum macro-average precision over mapped topics
	}{
		// Issue 19 asks for a macro precision of 0.80: BBC reaches it
		// (0.802); HuffPost is gated at what it reaches (0.305, see
		// docs/extraction.md) so that it does not fall back.
		{"bbc.jsonl", bbcTopics, 0.90, 0.80},
		{"huffpost.jsonl", huffpostTopics, 0.50, 0.30},
	} {
		path := corpusPath(c.name)
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s not present, skipped", path)
			continue
		}
		docs := readJSONL[corpusDoc](t, path)
		n, found, emitted := 0, 0, 0
		per := map[string]*prf{}
		for _, want := range c.labels {
			if per[want] == nil {
				per[want] = &prf{}
			}
		}
		unmapped := map[string]int{}
		for _, d := range docs {
			if len(d.Topics) == 0 {
				continue
			}
			want, ok := c.labels[d.Topics[0]]
			if !ok {
				unmapped[d.Topics[0]]++
				continue
			}
			n++
			var got []string
			for _, tp := range x.Topics(d.Title, d.Body) {
				if x.topLevel(tp) {
					got = append(got, tp)
				}
			}
			emitted += len(got)
			hit := false
			for _, tp := range got {
				if tp == want {
					hit = true
					per[tp].tp++
				} else if pt := per[tp]; pt != nil {
					pt.fp++ // a mapped topic given to an article of another mapped category
				}
			}
			if hit {
				found++
			} else {
				per[want].fn++
			}
		}
		recall := ratio(found, n)
		t.Logf("%s: category recall %.3f over %d articles, %.2f top-level topics per article; unmapped categories: %s",
			c.name, recall, n, float64(emitted)/float64(max(n, 1)), topCounts(unmapped, 20))
		labels := make([]string, 0, len(per))
		for l := range per {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		macro := 0.0
		for _, l := range labels {
			t.Logf("    %-42s %v", l, *per[l])
			macro += per[l].precision()
		}
		macro /= float64(max(len(labels), 1))
		t.Logf("%s: macro-average precision over %d mapped topics %.3f", c.name, len(labels), macro)
		if recall < c.min {
			t.Errorf("%s: category recall %.3f < %.2f", c.name, recall, c.min)
		}
		if macro < c.minPrec {
			t.Errorf("%s: macro-average precision %.3f < %.2f", c.name, macro, c.minPrec)
		}
	}
}
