package importer

import "testing"

// TestSeqMapAt: an old watermark maps to the largest new sequence whose
// old one it covers, never past an imported article it did not cover
// (out of order) nor past an article another node wrote during the
// import (a sequence the import did not produce).
func TestSeqMapAt(t *testing.T) {
	for _, c := range []struct {
		name   string
		pairs  [][2]uint64 // old → new, in old order
		wantAt map[uint64]uint64
	}{
		{"in order", [][2]uint64{{3, 1}, {5, 2}, {9, 3}},
			map[uint64]uint64{0: 0, 2: 0, 3: 1, 4: 1, 5: 2, 9: 3, 100: 3}},
		{"a retried publish landed late", [][2]uint64{{3, 1}, {5, 3}, {9, 2}},
			// old 5 is at new 3, but old 9 (not covered by watermark 5)
			// is at new 2: the watermark stays below it.
			map[uint64]uint64{3: 1, 5: 1, 9: 3}},
		{"another node wrote sequence 3 during the import", [][2]uint64{{3, 1}, {5, 2}, {9, 4}, {12, 5}},
			// Watermark 9 covered old 9 (new 4), but new 3 is a foreign
			// article no old alert saw: the watermark stops at 2.
			map[uint64]uint64{3: 1, 5: 2, 9: 2, 12: 2}},
		{"foreign writes after the last imported one", [][2]uint64{{3, 1}, {5, 2}},
			map[uint64]uint64{5: 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &seqMap{}
			for _, p := range c.pairs {
				m.add(p[0], p[1])
			}
			m.finish()
			for old, want := range c.wantAt {
				if got := m.at(old); got != want {
					t.Errorf("at(%d) = %d, want %d", old, got, want)
				}
			}
		})
	}
}
