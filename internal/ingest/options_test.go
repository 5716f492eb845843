package ingest

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParseFieldMap(t *testing.T) {
	m, err := ParseFieldMap(" places=countries, people=speakers,,orgs=topics")
	if err != nil || len(m) != 3 || m["places"] != "countries" || m["people"] != "speakers" || m["orgs"] != "topics" {
		t.Fatalf("%v %v", m, err)
	}
	if m, err := ParseFieldMap(""); err != nil || len(m) != 0 {
		t.Errorf("empty: %v %v", m, err)
	}
	for _, bad := range []string{"places", "places=", "=countries", "places=nowhere", "topics=countries", "a=topics,a=speakers"} {
		if _, err := ParseFieldMap(bad); err == nil {
			t.Errorf("ParseFieldMap(%q) accepted", bad)
		}
	}
}

// TestDecodeCorpusFields reads a file shaped like the shared corpora
// (people, places, orgs beside topics): mapped fields become facets,
// unknown ones are reported once per decode, and [] means none supplied
// unless KeepEmpty.
func TestDecodeCorpusFields(t *testing.T) {
	data, err := os.ReadFile("testdata/corpus-fields.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	// Without options: the extra fields are ignored, [] is none supplied.
	items, err := Decode(TypeNDJSON, data)
	if err != nil || len(items) != 3 {
		t.Fatalf("%v %d items", err, len(items))
	}
	if a := items[0].Article; a.Supplied.Countries != nil || a.Supplied.Speakers != nil || !slices.Equal(a.Supplied.Topics, []string{"diplomacy"}) {
		t.Errorf("plain decode: %+v", a.Supplied)
	}
	if f := items[1].Article.Supplied; f.Topics != nil {
		t.Errorf(`"topics": [] decoded as supplied %#v, want nil (none supplied)`, f.Topics)
	}

	var unknown []string
	m, _ := ParseFieldMap("places=countries,people=speakers")
	items, err = DecodeWith(TypeNDJSON, data, Options{Map: m, Unknown: func(f string) { unknown = append(unknown, f) }})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(unknown)
	if strings.Join(unknown, ",") != "dateline,orgs" {
		t.Errorf("unknown fields reported: %q, want dateline and orgs once each", unknown)
	}
	for i, it := range items {
		if it.Err != nil {
			t.Fatalf("item %d: %v", i, it.Err)
		}
	}
	f0, f1, f2 := items[0].Article.Supplied, items[1].Article.Supplied, items[2].Article.Supplied
	if !slices.Equal(f0.Countries, []string{"switzerland", "ukraine"}) || !slices.Equal(f0.Speakers, []string{"Sergei Lavrov"}) {
		t.Errorf("mapped: %+v", f0)
	}
	if f1.Countries != nil || f1.Speakers != nil || f1.Topics != nil {
		t.Errorf("mapped empty lists: %+v, want none supplied", f1)
	}
	if !slices.Equal(f2.Countries, []string{"brazil"}) {
		t.Errorf("a single string mapped onto a facet: %+v", f2)
	}

	items, err = DecodeWith(TypeNDJSON, data, Options{Map: m, KeepEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	f1 = items[1].Article.Supplied
	for name, v := range map[string][]string{"countries": f1.Countries, "speakers": f1.Speakers, "topics": f1.Topics} {
		if v == nil || len(v) != 0 {
			t.Errorf("KeepEmpty: %s = %#v, want given as empty", name, v)
		}
	}
	// A mapped value of the wrong type is that item's error.
	items, err = DecodeWith(TypeJSON, []byte(`[{"body":"x","places":7},{"body":"y"}]`), Options{Map: m})
	if err != nil || items[0].Err == nil || !strings.Contains(items[0].Err.Error(), "places") || items[1].Err != nil {
		t.Errorf("bad mapped value: %v %+v", err, items)
	}
}

func TestIsJSONFeed(t *testing.T) {
	feed, err := os.ReadFile("testdata/jsonfeed.json")
	if err != nil {
		t.Fatal(err)
	}
	if !IsJSONFeed(feed) {
		t.Error("JSON Feed 1.1 not detected")
	}
	for _, s := range []string{`{"body":"x"}`, `[{"version":"https://jsonfeed.org/version/1"}]`, `{"version":"1.0","body":"x"}`, `not json`, ``} {
		if IsJSONFeed([]byte(s)) {
			t.Errorf("IsJSONFeed(%q) = true", s)
		}
	}
	items, err := DecodeFeed(feed)
	if err != nil || len(items) != 2 || items[1].Article.Body != "The old bridge was closed for repairs." {
		t.Fatalf("DecodeFeed: %v %+v", err, items)
	}
}
