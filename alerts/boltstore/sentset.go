package boltstore

// The sent-set: per article, the numbers of the alerts it was sent to.

import (
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// encodeNums writes ascending alert numbers as uvarint deltas.
func encodeNums(nums []uint64) []byte {
	b := make([]byte, 0, 2*len(nums)+2)
	var last uint64
	for _, n := range nums {
		b = binary.AppendUvarint(b, n-last)
		last = n
	}
	return b
}

func decodeNums(v []byte) ([]uint64, error) {
	out := make([]uint64, 0, len(v))
	var last uint64
	for len(v) > 0 {
		d, n := binary.Uvarint(v)
		if n <= 0 || (d == 0 && len(out) > 0) {
			return nil, errCorrupt
		}
		last += d
		out = append(out, last)
		v = v[n:]
	}
	return out, nil
}

// sentSet is the sent-set as one transaction sees and extends it.
type sentSet struct {
	b    *bolt.Bucket
	have map[string][]uint64 // article id -> alert numbers recorded before
	add  map[string][]uint64 // article id -> alert numbers sent in this transaction
}

func newSentSet(tx *bolt.Tx) *sentSet {
	return &sentSet{b: tx.Bucket(bucketSent), have: map[string][]uint64{}, add: map[string][]uint64{}}
}

func (s *sentSet) recorded(id string) ([]uint64, error) {
	if nums, ok := s.have[id]; ok {
		return nums, nil
	}
	var nums []uint64
	if v := s.b.Get([]byte(id)); v != nil {
		var err error
		if nums, err = decodeNums(v); err != nil {
			return nil, fmt.Errorf("alerts: sent record of article %q: %w", id, err)
		}
	}
	s.have[id] = nums
	return nums, nil
}

// filter returns the ids not yet sent to alert num, in order and without
// duplicates. With mark it records them as sent (written by flush).
func (s *sentSet) filter(num uint64, ids []string, mark bool) ([]string, error) {
	out := make([]string, 0, len(ids))
	var seen map[string]bool
	if !mark {
		seen = make(map[string]bool, len(ids))
	}
	for _, id := range ids {
		nums, err := s.recorded(id)
		if err != nil {
			return nil, err
		}
		if _, found := slices.BinarySearch(nums, num); found {
			continue
		}
		if mark {
			add := s.add[id]
			if len(add) > 0 && add[len(add)-1] == num {
				continue // a duplicate within ids
			}
			s.add[id] = append(add, num)
		} else {
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		out = append(out, id)
	}
	return out, nil
}

// flush writes the records extended by filter, in key order.
func (s *sentSet) flush() error {
	ids := make([]string, 0, len(s.add))
	for id := range s.add {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		have, err := s.recorded(id)
		if err != nil {
			return err
		}
		add := s.add[id]
		slices.Sort(add)
		merged := mergeNums(have, add)
		if err := s.b.Put([]byte(id), encodeNums(merged)); err != nil {
			return fmt.Errorf("alerts: write sent record of article %q: %w", id, err)
		}
		s.have[id] = merged
	}
	clear(s.add)
	return nil
}

// mergeNums merges two sorted lists into one without duplicates.
func mergeNums(a, b []uint64) []uint64 {
	out := make([]uint64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}
