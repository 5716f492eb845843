package news

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2025-03-10", "2025-03-10T00:00:00Z", true},
		{"2025-03-10T12:30:00+02:00", "2025-03-10T10:30:00Z", true},
		{"2025-03-10T12:30:00.123Z", "2025-03-10T12:30:00.123Z", true},
		{"2025-03", "2025-03-01T00:00:00Z", true},
		{" 2025-03-10 ", "2025-03-10T00:00:00Z", true},
		{"yesterday", "", false},
		{"2025-13-01", "", false},
		{"10/03/2025", "", false},
		{"0001-01-01", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, err := ParseDate(c.in)
		if c.ok != (err == nil) {
			t.Errorf("ParseDate(%q) err = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && got.Format(time.RFC3339Nano) != c.want {
			t.Errorf("ParseDate(%q) = %s, want %s", c.in, got.Format(time.RFC3339Nano), c.want)
		}
		if !c.ok && ErrorCode(err) != ECodeInvalid {
			t.Errorf("ParseDate(%q) code = %s, want invalid", c.in, ErrorCode(err))
		}
	}
}

func TestNormalizeDerivesFields(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := &Article{Body: "  The Kremlin said on Monday that talks were at an early stage. More text follows.  "}
	if err := a.Normalize(now); err != nil {
		t.Fatal(err)
	}
	if a.Title != "The Kremlin said on Monday that talks were at an early stage." {
		t.Errorf("title = %q", a.Title)
	}
	if !a.Date.Equal(now) || !a.IngestedAt.Equal(now) {
		t.Errorf("date = %v, ingested_at = %v, want %v", a.Date, a.IngestedAt, now)
	}
	if len(a.ID) != 20 {
		t.Errorf("derived id %q", a.ID)
	}
	// The same undated story posted again an hour later: no id, url or
	// date, so its date defaults to a different now. It must get the same
	// id, so that the re-post is an update and not a second article.
	b := &Article{Body: a.Body}
	if err := b.Normalize(now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID {
		t.Errorf("undated re-post derived different ids %q and %q", a.ID, b.ID)
	}
	if !b.Date.Equal(now.Add(time.Hour)) {
		t.Errorf("re-post date = %v, want its ingest time", b.Date)
	}
	// Its title given as the one derived is the same story.
	b2 := &Article{Body: a.Body, Title: a.Title}
	_ = b2.Normalize(now.Add(2 * time.Hour))
	if b2.ID != a.ID {
		t.Errorf("undated re-post with the derived title: id %q, want %q", b2.ID, a.ID)
	}
	// Another source, or another title, is another article.
	for _, o := range []*Article{{Body: a.Body, Source: "other wire"}, {Body: a.Body, Title: "Another headline"}} {
		_ = o.Normalize(now)
		if o.ID == a.ID {
			t.Errorf("%+v got the same id as the first story", o)
		}
	}
	// A dated version of the story keeps its own date-based id.
	dated := &Article{Body: a.Body, Date: now}
	_ = dated.Normalize(now)
	if dated.ID == a.ID {
		t.Errorf("dated and undated versions share id %q", a.ID)
	}
	c := &Article{Body: "x", URL: "https://example.org/a"}
	d := &Article{Body: "different body", URL: "https://example.org/a", Title: "other"}
	_ = c.Normalize(now)
	_ = d.Normalize(now)
	if c.ID != d.ID {
		t.Errorf("same URL derived different ids %q and %q", c.ID, d.ID)
	}
}

// TestDerivedIDsAreStable pins the ids derived for articles with a url or
// a date: stores written by earlier versions are keyed by them, so a
// change would turn every re-ingest into a duplicate.
func TestDerivedIDsAreStable(t *testing.T) {
	date := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		a    Article
		want string
	}{
		{Article{Body: "Peskov said talks were at an early stage.", Date: date}, "b1b09bbe1c4460f44b20"},
		{Article{Body: "Peskov said talks were at an early stage.", Title: "Talks", Date: date, Source: "wire"}, "c7522f1651ebee8e0f97"},
		{Article{Body: "x", URL: "https://example.org/a"}, "a69f6ca77778caf47fd2"},
		{Article{Body: "x", URL: "https://example.org/a", Date: date}, "a69f6ca77778caf47fd2"},
	}
	for i, c := range cases {
		if err := c.a.Normalize(time.Now()); err != nil {
			t.Fatal(err)
		}
		if c.a.ID != c.want {
			t.Errorf("case %d: derived id %q, want %q as before", i, c.a.ID, c.want)
		}
	}
	if got := DeriveID("https://example.org/a", time.Time{}, "", ""); got != "a69f6ca77778caf47fd2" {
		t.Errorf("DeriveID(url) = %q", got)
	}
}

func TestFirstSentenceCutsAtWord(t *testing.T) {
	long := strings.Repeat("word ", 100)
	got := FirstSentence(long)
	if !strings.HasSuffix(got, "…") || strings.Contains(got, "wor…") || len([]rune(got)) > maxTitleRunes+1 {
		t.Errorf("FirstSentence cut badly: %q", got)
	}
	if got := FirstSentence("U.S. talks. Next."); got != "U.S. talks." {
		t.Errorf("FirstSentence = %q", got)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		a    Article
		code string
	}{
		{"empty body", Article{}, ECodeInvalid},
		{"whitespace body", Article{Body: "  \n "}, ECodeInvalid},
		{"huge body", Article{Body: strings.Repeat("a", MaxBodyBytes+1)}, ECodeTooLarge},
		{"bad utf8", Article{Body: "ok \xff"}, ECodeInvalid},
		{"slash id", Article{Body: "x", ID: "a/b"}, ECodeInvalid},
		{"ftp url", Article{Body: "x", URL: "ftp://x"}, ECodeInvalid},
		{"too many speakers", Article{Body: "x", Supplied: Facets{Speakers: make([]string, MaxFacetValues+1)}}, ECodeInvalid},
		{"ok", Article{Body: "x", ID: "a-1", URL: "https://x.org"}, ""},
	}
	for _, c := range cases {
		err := c.a.Normalize(time.Now())
		if got := ErrorCode(err); got != c.code {
			t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.code)
		}
	}
}

func TestMergePrecedence(t *testing.T) {
	a := &Article{
		Supplied:  Facets{Speakers: []string{"Given Person"}, Topics: []string{}},
		Extracted: Facets{Speakers: []string{"Found Person"}, Countries: []string{"Russia"}, Topics: []string{"politics"}},
	}
	a.Merge()
	if strings.Join(a.Speakers, ",") != "Given Person" {
		t.Errorf("speakers = %v, want the supplied value", a.Speakers)
	}
	if strings.Join(a.Countries, ",") != "Russia" {
		t.Errorf("countries = %v, want the extracted value", a.Countries)
	}
	if a.Topics == nil || len(a.Topics) != 0 {
		t.Errorf("topics = %#v, want the supplied empty list", a.Topics)
	}
}

// TestFacetsJSONKeepsGivenEmpty: the store keeps articles as JSON, and a
// reindex merges again from what it reads back, so "given as empty" must
// survive the round trip (with omitempty it came back as "not given" and
// extraction refilled a facet the client had said was empty).
func TestFacetsJSONKeepsGivenEmpty(t *testing.T) {
	in := Facets{Speakers: []string{"A"}, Topics: []string{}}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"speakers":["A"],"topics":[]}` {
		t.Errorf("marshalled %s", raw)
	}
	var out Facets
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if out.Countries != nil {
		t.Errorf("countries = %#v, want nil (not given)", out.Countries)
	}
	if out.Topics == nil || len(out.Topics) != 0 {
		t.Errorf("topics = %#v, want given as empty", out.Topics)
	}
}

// TestNormalizeLanguage: a supplied language is a BCP 47 tag, kept in
// lower case; anything else is an invalid error naming the field.
func TestNormalizeLanguage(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{"ru": "ru", " pt-BR ": "pt-br", "UK": "uk", "en_US": "en-us", "": "", "und": ""} {
		a := Article{Body: "text", Language: in}
		if err := a.Normalize(now); err != nil || a.Language != want {
			t.Errorf("language %q: got %q, %v; want %q", in, a.Language, err, want)
		}
	}
	for _, in := range []string{"russian", "xx", "en US", "12", "ru-", strings.Repeat("a", 100)} {
		a := Article{Body: "text", Language: in}
		err := a.Normalize(now)
		if ErrorCode(err) != ECodeInvalid || !strings.Contains(ErrorMessage(err), "language") {
			t.Errorf("language %q: got %v, want an invalid error naming the field", in, err)
		}
	}
}
