package extract

// strTable is a read-only open-addressing hash table from strings to
// uint32 values, built once by New. Look-ups hash the word's bytes directly
// (optionally lower-casing ASCII on the fly), so the hot path needs neither a
// lower-cased copy of the word nor Go's map machinery.
//
// The table is laid out for the cache: a slot is 4 bytes, the high bits of
// the key's hash (a tag) and the key's index, so a probe sequence usually
// stays in one cache line and a miss rarely reads a key; the keys lie back
// to back in one string.
type strTable struct {
	mask  uint32
	slots []uint32 // tag<<tagShift | (1 + key index); 0 is empty
	keys  []strKey
	arena string // every key, back to back
}

// strKey locates one key in the arena and holds its value.
type strKey struct {
	off, n uint32
	v      uint32
}

const (
	tagShift = 20 // key indexes below 1<<20
	idxMask  = 1<<tagShift - 1
)

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

// tag is the part of a hash stored in a slot: its top bits.
func tag(h uint32) uint32 { return h >> tagShift << tagShift }

// newStrTable builds a table from a map, at most 2/3 full.
func newStrTable(m map[string]uint32) strTable {
	n := uint32(16)
	for n < uint32(len(m))*3/2 {
		n <<= 1
	}
	t := strTable{mask: n - 1, slots: make([]uint32, n), keys: make([]strKey, 0, len(m))}
	var arena []byte
	for k, v := range m {
		if len(t.keys) >= idxMask {
			panic("extract: too many keys for a strTable")
		}
		t.keys = append(t.keys, strKey{off: uint32(len(arena)), n: uint32(len(k)), v: v})
		arena = append(arena, k...)
		h := fnv(k)
		for i := h & t.mask; ; i = (i + 1) & t.mask {
			if t.slots[i] == 0 {
				t.slots[i] = tag(h) | uint32(len(t.keys))
				break
			}
		}
	}
	t.arena = string(arena)
	return t
}

// key returns the text and value of the key a slot points at.
func (t *strTable) key(slot uint32) (string, uint32) {
	k := &t.keys[slot&idxMask-1]
	return t.arena[k.off : k.off+k.n], k.v
}

// get looks s up exactly.
func (t *strTable) get(s string) (uint32, bool) {
	h := fnv(s)
	tg := tag(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := t.slots[i]
		if sl == 0 {
			return 0, false
		}
		if sl&^idxMask == tg {
			if k, v := t.key(sl); k == s {
				return v, true
			}
		}
	}
}

// getBytes looks b up exactly.
func (t *strTable) getBytes(b []byte) (uint32, bool) {
	h := fnv(b)
	tg := tag(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := t.slots[i]
		if sl == 0 {
			return 0, false
		}
		if sl&^idxMask == tg {
			if k, v := t.key(sl); k == string(b) {
				return v, true
			}
		}
	}
}

// getLower looks up the lower-cased s, which must be ASCII; h is
// fnvLowerASCII(s).
func (t *strTable) getLower(s string, h uint32) (uint32, bool) {
	tg := tag(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := t.slots[i]
		if sl == 0 {
			return 0, false
		}
		if sl&^idxMask != tg {
			continue
		}
		k, v := t.key(sl)
		if len(k) != len(s) {
			continue
		}
		eq := true
		for j := 0; j < len(k); j++ {
			c := s[j]
			if c-'A' < 26 {
				c += 'a' - 'A'
			}
			if c != k[j] {
				eq = false
				break
			}
		}
		if eq {
			return v, true
		}
	}
}
