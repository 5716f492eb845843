package extract

import "slices"

// Topic scoring constants; see doc.go.
const (
	titleWeight  = 3 // a term in the title counts this many times
	maxTermCount = 3 // a term counts at most this many times per article
	normTokens   = 200
	maxTopics    = 64 // size of the per-call score arrays; New enforces it
)

// termCounter counts occurrences of term ids in a small open-addressing
// table; when it is full further terms are simply not capped.
type termCounter struct {
	ids [256]int32 // term id + 1; 0 is empty
	n   [256]uint8
}

func (c *termCounter) bump(term int32) uint8 {
	h := uint32(term) * 2654435761 >> 24
	for probe := 0; probe < 256; probe++ {
		slot := (h + uint32(probe)) & 255
		switch c.ids[slot] {
		case term + 1:
			if c.n[slot] < 255 {
				c.n[slot]++
			}
			return c.n[slot]
		case 0:
			c.ids[slot] = term + 1
			c.n[slot] = 1
			return 1
		}
	}
	return 1
}

// longestTerm extends a multi-word term starting at token i, whose entry
// is id; it returns the longest matching term's entry and the index after
// it, or -1.
func (d *doc) longestTerm(i int, id int32) (best int32, bestEnd int) {
	best = -1
	cur := id
	for j := i + 1; j < len(d.toks) && j < i+4; j++ {
		t := d.toks[j]
		if t.kind != kWord || t.flags&fSent != 0 || d.info[j].stem == 0 {
			break
		}
		next, ok := d.x.next[uint64(cur)<<32|uint64(d.info[j].stem-1)]
		if !ok {
			break
		}
		cur = next
		r := &d.x.topicRecs[cur]
		if r.term >= 0 {
			best, bestEnd = cur, j+1
		}
		if !r.prefix {
			break
		}
	}
	return best, bestEnd
}

// topicScores holds the raw score and first evidence position of every
// topic for one article, and which topics pass the thresholds.
type topicScores struct {
	score  [maxTopics]float32
	first  [maxTopics]int32
	chosen [maxTopics]bool
}

// topicNames scores every topic and returns those above threshold, each
// subtopic preceded by its top-level parent, in order of first evidence.
func (d *doc) topicNames() []string {
	x := d.x
	var ts topicScores
	d.scoreTopics(&ts)
	type pick struct {
		topic int16
		pos   int32
	}
	var pickArr [maxTopics]pick
	picks := pickArr[:0]
	for t := range x.topics {
		if ts.chosen[t] {
			picks = append(picks, pick{int16(t), ts.first[t]})
		}
	}
	if len(picks) == 0 {
		return []string{}
	}
	slices.SortStableFunc(picks, func(a, b pick) int {
		if a.pos != b.pos {
			return int(a.pos) - int(b.pos)
		}
		// A parent before its child at the same position.
		return int(x.topics[a.topic].parent) - int(x.topics[b.topic].parent)
	})
	out := make([]string, len(picks))
	for i, p := range picks {
		out[i] = x.topics[p.topic].name
	}
	return out
}

// strongSub is how many times its threshold a subtopic's own score must
// be to count whatever its parent's share of the best topic.
const strongSub = 1.5

// scoreTopics fills ts: every topic's score and first evidence, and the
// topics chosen.
func (d *doc) scoreTopics(ts *topicScores) {
	x := d.x
	nt := len(x.topics)
	scores, first := ts.score[:nt], ts.first[:nt]
	for i := range first {
		first[i] = -1
	}
	var counts termCounter
	toks, info := d.toks, d.info
	add := func(t int16, w float32, pos int) {
		scores[t] += w
		if first[t] < 0 {
			first[t] = int32(pos)
		}
	}
	for i := 0; i < len(toks); i++ {
		if info[i].stem == 0 {
			continue
		}
		id := info[i].stem - 1
		r := &x.topicRecs[id]
		end := i + 1
		if r.prefix {
			if lid, lend := d.longestTerm(i, id); lid >= 0 {
				r, end = &x.topicRecs[lid], lend
			}
		}
		if r.term < 0 {
			continue
		}
		if counts.bump(r.term) <= maxTermCount {
			mult := float32(1)
			if toks[i].flags&fTitle != 0 {
				mult = titleWeight
			}
			// A subtopic scores its own weight; a top-level topic the
			// highest weight the term has for it or any of its subtopics:
			// one word ("election") is one piece of evidence.
			hits := x.termHits[r.hitOff : r.hitOff+uint32(r.hitN)]
			for k, h := range hits {
				top := h.topic
				if p := x.topics[top].parent; p >= 0 {
					add(top, h.weight*mult, i)
					top = p
				}
				w, seen := float32(0), false
				for k2, h2 := range hits {
					t2 := h2.topic
					if p := x.topics[t2].parent; p >= 0 {
						t2 = p
					}
					if t2 != top {
						continue
					}
					if k2 < k {
						seen = true // counted with an earlier hit
						break
					}
					w = max(w, h2.weight)
				}
				if !seen {
					add(top, w*mult, i)
				}
			}
		}
		i = end - 1
	}
	norm := sqrt32(1 + float32(d.words)/normTokens)
	chosen := ts.chosen[:nt]
	var best float32
	for t := 0; t < nt; t++ {
		if x.topics[t].parent < 0 && scores[t] > best {
			best = scores[t]
		}
	}
	for t := 0; t < nt; t++ {
		s := scores[t] / norm
		def := x.topics[t]
		if def.parent < 0 {
			if s >= x.topicTh && scores[t] >= x.ratioTh*best {
				chosen[t] = true
			}
			continue
		}
		// A subtopic counts when its parent is a good share of the best
		// topic, or when its own specific evidence is strong (half as
		// much again as the threshold): "peace talks", "make peace" and
		// "restoring relations" make a peace-process story even where
		// the diplomacy around it outscores the war.
		if s >= x.subTh && (scores[def.parent] >= x.subRatioTh*best || s >= strongSub*x.subTh) {
			chosen[t] = true
			chosen[def.parent] = true
		}
	}
	if x.maxTop > 0 {
		// At most maxTop top-level topics: the best-scoring ones, with
		// their subtopics.
		for {
			n, worst := 0, -1
			for t := 0; t < nt; t++ {
				if chosen[t] && x.topics[t].parent < 0 {
					n++
					if worst < 0 || scores[t] < scores[worst] {
						worst = t
					}
				}
			}
			if n <= x.maxTop {
				break
			}
			chosen[worst] = false
			for t := 0; t < nt; t++ {
				if x.topics[t].parent == int16(worst) {
					chosen[t] = false
				}
			}
		}
	}
}

// topicCode returns the IPTC Media Topic code ("medtop:11000000") of a
// topic name returned by Topics, or "" for an unknown name.
func (x *Extractor) topicCode(name string) string {
	for _, t := range x.topics {
		if t.name == name {
			return t.code
		}
	}
	return ""
}

// topLevel reports whether name is one of the 17 top-level IPTC Media
// Topics (as opposed to a subtopic).
func (x *Extractor) topLevel(name string) bool {
	for _, t := range x.topics {
		if t.name == name {
			return t.parent < 0
		}
	}
	return false
}
