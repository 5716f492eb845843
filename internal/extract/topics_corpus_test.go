package extract

import (
	"os"
	"sort"
	"testing"
)

// corpusDoc is one line of the BBC or HuffPost corpus (fields used here).
type corpusDoc struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Topics []string `json:"topics"`
}

// Corpus categories mapped to the IPTC top-level topic they fall under.
// Categories without a clear IPTC match (U.S. NEWS, WORLD NEWS, COMEDY,
// IMPACT, BLACK VOICES, LATINO VOICES, WEDDINGS) are left out.
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

// TestTopicsCorpora measures how often the topic extractor finds the
// corpus editors' category (mapped to IPTC) on two independent corpora:
// BBC News (full articles) and HuffPost (headline and one sentence). The
// topic lexicon was tuned on these, not on the evaluation set.
func TestTopicsCorpora(t *testing.T) {
	x := newTestExtractor(t)
	for _, c := range []struct {
		path   string
		labels map[string]string
		min    float64 // minimum recall of the mapped category
	}{
		{corpusPath("bbc.jsonl"), bbcTopics, 0.90},
		{corpusPath("huffpost.jsonl"), huffpostTopics, 0.50},
	} {
		if _, err := os.Stat(c.path); err != nil {
			t.Logf("%s not present, skipped", c.path)
			continue
		}
		docs := readJSONL[corpusDoc](t, c.path)
		n, found, emitted := 0, 0, 0
		byLabel := map[string][2]int{}
		for _, d := range docs {
			if len(d.Topics) == 0 {
				continue
			}
			want, ok := c.labels[d.Topics[0]]
			if !ok {
				continue
			}
			n++
			got := 0
			hit := false
			for _, tp := range x.Topics(d.Title, d.Body) {
				if x.topLevel(tp) {
					got++
					hit = hit || tp == want
				}
			}
			emitted += got
			b := byLabel[want]
			b[1]++
			if hit {
				found++
				b[0]++
			}
			byLabel[want] = b
		}
		recall := ratio(found, n)
		t.Logf("%s: category recall %.3f over %d articles, %.2f top-level topics per article", c.path, recall, n, float64(emitted)/float64(max(n, 1)))
		labels := make([]string, 0, len(byLabel))
		for l := range byLabel {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		for _, l := range labels {
			t.Logf("    %-42s %4d / %4d", l, byLabel[l][0], byLabel[l][1])
		}
		if recall < c.min {
			t.Errorf("%s: category recall %.3f < %.2f", c.path, recall, c.min)
		}
	}
}
