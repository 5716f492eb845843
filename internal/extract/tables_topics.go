package extract

// The topic tables: the IPTC Media Topic definitions and the weighted
// lexicon of terms that point at them, with their plurals and stems.

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// loadTopics reads topic definitions and the weighted lexicon:
//
//	topic <TAB> code <TAB> name <TAB> parent-code|-
//	term  <TAB> code <TAB> weight <TAB> term|term|...
func (x *Extractor) loadTopics(name string) error {
	byCode := map[string]int16{}
	type pending struct {
		code  string
		w     float64
		terms string
		line  int
	}
	var terms []pending
	err := lines(name, func(n int, line string) error {
		f := strings.Split(line, "\t")
		switch f[0] {
		case "topic":
			if len(f) != 4 {
				return fmt.Errorf("topic line wants 4 fields")
			}
			if _, dup := byCode[f[1]]; dup {
				return fmt.Errorf("topic %s defined twice", f[1])
			}
			parent := int16(-1)
			if f[3] != "-" {
				p, ok := byCode[f[3]]
				if !ok {
					return fmt.Errorf("topic %s: parent %s not defined before it", f[1], f[3])
				}
				if x.topics[p].parent >= 0 {
					return fmt.Errorf("topic %s: parent %s is not top-level", f[1], f[3])
				}
				parent = p
			}
			byCode[f[1]] = int16(len(x.topics))
			x.topics = append(x.topics, topicDef{code: f[1], name: f[2], parent: parent})
		case "term":
			if len(f) != 4 {
				return fmt.Errorf("term line wants 4 fields")
			}
			w, err := strconv.ParseFloat(f[2], 32)
			if err != nil {
				return fmt.Errorf("term weight: %w", err)
			}
			terms = append(terms, pending{f[1], w, f[3], n})
		case "threshold":
			if len(f) != 3 {
				return fmt.Errorf("threshold line wants 3 fields")
			}
			v, err := strconv.ParseFloat(f[2], 32)
			if err != nil {
				return fmt.Errorf("threshold: %w", err)
			}
			switch f[1] {
			case "top":
				x.topicTh = float32(v)
			case "sub":
				x.subTh = float32(v)
			case "ratio":
				x.ratioTh = float32(v)
			case "subratio":
				x.subRatioTh = float32(v)
			case "maxtop":
				x.maxTop = int(v)
			default:
				return fmt.Errorf("unknown threshold %q", f[1])
			}
		default:
			return fmt.Errorf("unknown line type %q", f[0])
		}
		return nil
	})
	if err != nil {
		return err
	}
	termIDs := map[string]int32{}
	for _, t := range terms {
		ti, ok := byCode[t.code]
		if !ok {
			return fmt.Errorf("extract: %s:%d: unknown topic %s", name, t.line, t.code)
		}
		for _, term := range strings.Split(t.terms, "|") {
			exact := strings.HasPrefix(term, "=")
			words := termWords(strings.TrimPrefix(term, "="))
			if len(words) == 0 {
				continue
			}
			if len(words) > 4 {
				return fmt.Errorf("extract: %s:%d: term %q longer than 4 words", name, t.line, term)
			}
			key := strings.Join(words, " ")
			if exact {
				// A plural that is evidence only as a plural ("rights",
				// "arms", "futures"): its own entry, not its stem's.
				key = strings.ToLower(strings.TrimSpace(term[1:]))
				if len(words) != 1 || !stems(key) {
					return fmt.Errorf("extract: %s:%d: exact term %q is not one plural word", name, t.line, term)
				}
			}
			e := x.entry(key)
			if exact {
				e.bits |= bExact
			}
			if e.term < 0 {
				id, ok := termIDs[key]
				if !ok {
					id = int32(len(termIDs))
					termIDs[key] = id
				}
				e.term = id
			}
			dup := false
			for _, h := range e.hits {
				if h.topic == ti {
					dup = true
				}
			}
			if !dup {
				e.hits = append(e.hits, termHit{topic: ti, weight: float32(t.w)})
			}
			// Chain the words: entry(w1) + w2 -> entry("w1 w2") + w3 -> ...
			node := x.entry(words[0])
			for k := 1; k < len(words); k++ {
				node.bits |= bPrefix
				w := x.entry(words[k])
				w.bits |= bInTerm
				longer := x.entry(strings.Join(words[:k+1], " "))
				x.next[uint64(node.id)<<32|uint64(w.id)] = longer.id
				node = longer
			}
		}
	}
	if len(x.topics) > maxTopics {
		return fmt.Errorf("extract: %s: %d topics, at most %d supported", name, len(x.topics), maxTopics)
	}
	if x.topicTh <= 0 || x.subTh <= 0 {
		return fmt.Errorf("extract: %s: thresholds missing", name)
	}
	return nil
}

// addPlurals registers the plural forms of the topic words ("talks",
// "policies") with a link to the stem's entry, so that annotate finds a
// plural's topic entry with the one look-up it makes for every word.
func (x *Extractor) addPlurals() {
	words := make([]string, 0, len(x.lex))
	for w, e := range x.lex {
		if !strings.Contains(w, " ") && (e.term >= 0 || e.bits&(bPrefix|bInTerm) != 0) {
			words = append(words, w)
		}
	}
	sort.Strings(words) // entry ids do not depend on map order
	for _, w := range words {
		cands := []string{w + "s"}
		if strings.HasSuffix(w, "y") {
			cands = append(cands, w[:len(w)-1]+"ies")
		}
		for _, p := range cands {
			if string(stem([]byte(p))) == w {
				x.entry(p).stemOf = x.lex[w].id + 1
			}
		}
	}
}

// linkExact lets an exact plural term ("=talks") stand wherever its stem
// stands in a multi-word term: "peace talks", "human rights" and "talks
// about" are chained through the stem's entry, and an article's "talks"
// now reads as the exact entry.
func (x *Extractor) linkExact() {
	exact := map[int32]*lexEntry{} // stem entry id -> exact entry
	for _, e := range x.lex {
		if e.bits&bExact != 0 && e.stemOf > 0 {
			exact[e.stemOf-1] = e
		}
	}
	if len(exact) == 0 {
		return
	}
	// The stem's own terms of other topics still hold for the plural
	// (crime lists "case", health "=cases": "cases" is evidence of both).
	for sid, e := range exact {
		for _, h := range x.entries[sid].hits {
			if !slices.ContainsFunc(e.hits, func(h2 termHit) bool { return h2.topic == h.topic }) {
				e.hits = append(e.hits, h)
			}
		}
	}
	keys := make([]uint64, 0, len(x.next))
	for k := range x.next {
		keys = append(keys, k)
	}
	for _, k := range keys {
		a, b := int32(k>>32), int32(uint32(k))
		if e := exact[a]; e != nil {
			x.next[uint64(e.id)<<32|uint64(uint32(b))] = x.next[k]
			e.bits |= bPrefix
		}
		if e := exact[b]; e != nil {
			x.next[k&^0xffffffff|uint64(uint32(e.id))] = x.next[k]
		}
	}
}

// stems reports whether stem would shorten the lower-cased s: "policies",
// "talks", but not "press", "status", "crisis" or short words.
func stems[T string | []byte](s T) bool {
	n := len(s)
	if n >= 5 && s[n-3]|0x20 == 'i' && s[n-2]|0x20 == 'e' && s[n-1]|0x20 == 's' {
		return true
	}
	if n >= 4 && s[n-1]|0x20 == 's' {
		switch s[n-2] | 0x20 {
		case 's', 'u', 'i', '\'':
			return false
		}
		return true
	}
	return false
}

// termWords lower-cases and stems the words of a lexicon term exactly as
// article words are.
func termWords(term string) []string {
	term = strings.TrimSpace(term)
	if term == "" {
		return nil
	}
	tz := tokenizer{text: term}
	tz.segment(0, len(term), false)
	var out []string
	var buf [maxTokenBytes * 2]byte
	for _, t := range tz.toks {
		if t.kind == kPunct {
			continue
		}
		b, ok := lowerInto(buf[:0], term[t.s:t.e])
		if !ok {
			continue
		}
		out = append(out, string(stem(b)))
	}
	return out
}
