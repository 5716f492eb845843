package extract

// strTable is a read-only open-addressing hash table from strings to
// uint32 values, built once by New. Look-ups hash the word's bytes directly
// (optionally lower-casing ASCII on the fly), so the hot path needs neither a
// lower-cased copy of the word nor Go's map machinery.
type strTable struct {
	mask  uint32
	slots []strSlot
	keys  []string
	vals  []uint32
}

type strSlot struct {
	h uint32 // hash of the key
	v int32  // 1 + index into keys/vals; 0 marks an empty slot
}

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func fnv[T string | []byte](s T) uint32 {
	h := uint32(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * fnvPrime
	}
	return h
}

// fnvLowerASCII hashes s lower-cased; ok is false when s is not ASCII.
func fnvLowerASCII(s string) (h uint32, ok bool) {
	h = fnvOffset
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return 0, false
		}
		if c-'A' < 26 {
			c += 'a' - 'A'
		}
		h = (h ^ uint32(c)) * fnvPrime
	}
	return h, true
}

// newStrTable builds a table from a map.
func newStrTable(m map[string]uint32) strTable {
	n := uint32(16)
	for n < uint32(len(m))*2 {
		n <<= 1
	}
	t := strTable{mask: n - 1, slots: make([]strSlot, n)}
	for k, v := range m {
		t.keys = append(t.keys, k)
		t.vals = append(t.vals, v)
		h := fnv(k)
		for i := h & t.mask; ; i = (i + 1) & t.mask {
			if t.slots[i].v == 0 {
				t.slots[i] = strSlot{h: h, v: int32(len(t.keys))}
				break
			}
		}
	}
	return t
}

// get looks s up exactly.
func (t *strTable) get(s string) (uint32, bool) {
	return find(t, s, fnv(s), false)
}

// getBytes looks b up exactly.
func (t *strTable) getBytes(b []byte) (uint32, bool) {
	return find(t, b, fnv(b), false)
}

// getLower looks up the lower-cased s, which must be ASCII; h is
// fnvLowerASCII(s).
func (t *strTable) getLower(s string, h uint32) (uint32, bool) {
	return find(t, s, h, true)
}

func find[T string | []byte](t *strTable, s T, h uint32, lower bool) (uint32, bool) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := t.slots[i]
		if sl.v == 0 {
			return 0, false
		}
		if sl.h != h {
			continue
		}
		k := t.keys[sl.v-1]
		if len(k) != len(s) {
			continue
		}
		eq := true
		for j := 0; j < len(s); j++ {
			c := s[j]
			if lower && c-'A' < 26 {
				c += 'a' - 'A'
			}
			if c != k[j] {
				eq = false
				break
			}
		}
		if eq {
			return t.vals[sl.v-1], true
		}
	}
}
