package extract

import (
	"strconv"
	"testing"
)

// TestStrTable checks every key and some near misses through the three
// look-ups, on a table large enough for long probe runs.
func TestStrTable(t *testing.T) {
	m := map[string]uint32{"said": 1, "Peskov": 2, "u.s.": 3, "élysée": 4}
	for i := 0; i < 3000; i++ {
		m["w"+strconv.Itoa(i)] = uint32(100 + i)
	}
	tab := newStrTable(m)
	for k, v := range m {
		if got, ok := tab.get(k); !ok || got != v {
			t.Errorf("get(%q) = %d, %v; want %d", k, got, ok, v)
		}
		if got, ok := tab.getBytes([]byte(k)); !ok || got != v {
			t.Errorf("getBytes(%q) = %d, %v; want %d", k, got, ok, v)
		}
	}
	for _, s := range []string{"SAID", "Said", "U.S.", "W12"} {
		h, ascii := fnvLowerASCII(s)
		if !ascii {
			t.Fatalf("%q is ASCII", s)
		}
		low, _ := lowerInto(nil, s)
		want, wantOK := m[string(low)]
		if got, ok := tab.getLower(s, h); ok != wantOK || got != want {
			t.Errorf("getLower(%q) = %d, %v; want %d, %v", s, got, ok, want, wantOK)
		}
	}
	for _, s := range []string{"", "peskov", "sai", "saidx", "w3000", "w-1", "Élysée"} {
		if _, ok := tab.get(s); ok {
			t.Errorf("get(%q) found a key that is not there", s)
		}
	}
}
