package ingest

import (
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// FuzzDecode checks that no input makes a decoder panic and that every
// failure is a coded error (so the API answers 4xx, never 5xx).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"body":"x"}`, `[{"body":"x"},{"body":1}]`, "{\"body\":\"a\"}\n{bad\n", "date 2025-03-10 text",
		"date", "  date  ", `{"date":"2025-13-45","body":"x"}`, `[`, "\xff\xfe", `{"speakers":[1,2]}`,
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	types := []string{TypeJSON, TypeNDJSON, TypeText}
	f.Fuzz(func(t *testing.T, data string, which uint8) {
		items, err := Decode(types[int(which)%len(types)], []byte(data))
		if err != nil {
			if news.ErrorCode(err) == news.ECodeInternal {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		for _, it := range items {
			if it.Err != nil {
				if news.ErrorCode(it.Err) == news.ECodeInternal {
					t.Fatalf("uncoded item error %v", it.Err)
				}
				continue
			}
			if it.Article == nil {
				t.Fatal("item without article or error")
			}
		}
	})
}
