package ingest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/watchword/watchword/internal/news"
)

// sample is a text of ours in a language whose usual legacy encoding is
// charset (testdata/encodings/samples.json, UTF-8).
type sample struct {
	Charset string `json:"charset"`
	Title   string `json:"title"`
	Body    string `json:"body"`
}

func loadSamples(t *testing.T) []sample {
	t.Helper()
	raw, err := os.ReadFile("testdata/encodings/samples.json")
	if err != nil {
		t.Fatal(err)
	}
	var ss []sample
	if err := json.Unmarshal(raw, &ss); err != nil {
		t.Fatal(err)
	}
	return ss
}

// rssIn is an RSS document with one entry; decl is its XML declaration.
func rssIn(decl string, s sample) string {
	return decl + `<rss version="2.0"><channel><title>Encodings desk</title><link>https://enc.example/</link>` +
		`<item><guid>https://enc.example/` + s.Charset + `</guid><title>` + s.Title + `</title><description>` + s.Body + `</description></item></channel></rss>`
}

func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	out, err := enc.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encoding %.40q: %v", s, err)
	}
	return []byte(out)
}

// checkOne parses doc and checks that its one entry reads as s.
func checkOne(t *testing.T, doc []byte, contentType string, s sample) {
	t.Helper()
	pf, err := ParseFeedType(doc, contentType, "", time.Now())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(pf.Items) != 1 || pf.Items[0].Err != nil {
		t.Fatalf("items: %+v", pf.Items)
	}
	a := pf.Items[0].Article
	if a.Title != s.Title || a.Body != s.Body || pf.Title != "Encodings desk" {
		t.Fatalf("read as\n  %q\n  %q\nwant\n  %q\n  %q", a.Title, a.Body, s.Title, s.Body)
	}
}

// TestFeedLegacyEncodings: a feed in ISO-8859-1, KOI8-R, windows-1255,
// windows-1252, Shift_JIS or ISO-8859-7 reads right whether the charset
// comes from the HTTP Content-Type or the XML declaration, and the HTTP
// charset wins over a declaration that contradicts it.
func TestFeedLegacyEncodings(t *testing.T) {
	for _, s := range loadSamples(t) {
		enc, _ := charset.Lookup(s.Charset)
		if enc == nil {
			t.Fatalf("no encoder for %s", s.Charset)
		}
		t.Run(s.Charset, func(t *testing.T) {
			t.Run("http", func(t *testing.T) {
				checkOne(t, encode(t, enc, rssIn(`<?xml version="1.0"?>`, s)), "application/rss+xml; charset="+s.Charset, s)
			})
			t.Run("http without declaration", func(t *testing.T) {
				checkOne(t, encode(t, enc, rssIn("", s)), `text/xml; charset="`+strings.ToUpper(s.Charset)+`"`, s)
			})
			t.Run("declaration", func(t *testing.T) {
				checkOne(t, encode(t, enc, rssIn(`<?xml version="1.0" encoding="`+s.Charset+`"?>`, s)), "application/rss+xml", s)
			})
			t.Run("http over declaration", func(t *testing.T) {
				checkOne(t, encode(t, enc, rssIn(`<?xml version='1.0' encoding='utf-8' standalone='yes'?>`, s)), "application/xml;charset="+s.Charset, s)
			})
			if s.Charset == "iso-8859-1" || s.Charset == "windows-1252" {
				t.Run("no label, read as windows-1252", func(t *testing.T) {
					checkOne(t, encode(t, enc, rssIn("", s)), "application/rss+xml", s)
				})
			}
		})
	}
}

// TestFeedUnicodeEncodings: UTF-16 and UTF-32, with a byte order mark or
// (XML) without one, and a mark that contradicts the HTTP charset, which
// the mark wins; JSON Feed too.
func TestFeedUnicodeEncodings(t *testing.T) {
	ss := loadSamples(t)
	s := sample{Charset: "unicode", Title: ss[1].Title + " — " + ss[4].Title, Body: ss[2].Body + " " + ss[0].Body}
	u16le := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	u16be := unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	u16beNoBOM := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	u16leNoBOM := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	u32le := utf32.UTF32(utf32.LittleEndian, utf32.UseBOM)
	u32be := utf32.UTF32(utf32.BigEndian, utf32.UseBOM)
	u8bom := unicode.UTF8BOM
	decl16 := `<?xml version="1.0" encoding="UTF-16"?>`
	for _, c := range []struct {
		name, ctype string
		enc         encoding.Encoding
		decl        string
	}{
		{"utf-16le bom", "application/rss+xml", u16le, decl16},
		{"utf-16be bom", "application/rss+xml", u16be, decl16},
		{"utf-16le bom no declaration", "", u16le, ""},
		{"utf-16le bom over http latin-1", "application/rss+xml; charset=iso-8859-1", u16le, decl16},
		{"utf-16be without bom", "", u16beNoBOM, decl16},
		{"utf-16le without bom", "text/xml", u16leNoBOM, decl16},
		{"utf-16be http charset", "application/xml; charset=utf-16be", u16beNoBOM, ""},
		{"utf-32le bom", "", u32le, `<?xml version="1.0" encoding="UTF-32"?>`},
		{"utf-32be bom", "application/rss+xml", u32be, ""},
		{"utf-8 bom over http windows-1252", "application/rss+xml; charset=windows-1252", u8bom, `<?xml version="1.0"?>`},
		{"utf-8, unknown http charset ignored", "application/rss+xml; charset=x-no-such-thing", unicode.UTF8, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkOne(t, encode(t, c.enc, rssIn(c.decl, s)), c.ctype, s)
		})
	}
	t.Run("json feed utf-16 bom", func(t *testing.T) {
		j, _ := json.Marshal(map[string]any{"version": "https://jsonfeed.org/version/1.1", "title": "Encodings desk", "home_page_url": "https://enc.example/",
			"items": []map[string]string{{"id": "https://enc.example/json", "title": s.Title, "content_text": s.Body}}})
		checkOne(t, encode(t, u16le, string(j)), TypeJSONFeed, s)
	})
	t.Run("utf-8 with a stray byte", func(t *testing.T) {
		doc := strings.Replace(rssIn("", s), "—", "\xff—", 1)
		want := s
		want.Title = strings.Replace(s.Title, "—", "\uFFFD—", 1)
		checkOne(t, []byte(doc), "application/rss+xml; charset=utf-8", want)
	})
	t.Run("unknown declared encoding ignored", func(t *testing.T) {
		checkOne(t, []byte(rssIn(`<?xml version="1.0" encoding="x-martian"?>`, s)), "", s)
	})
}

// TestFeedControlCharacters: C1 characters (windows-1252 text decoded as
// ISO-8859-1 upstream) are stored as what they meant, raw or as character
// references, in RSS and JSON Feed; other control characters are dropped,
// so a raw one no longer breaks the XML.
func TestFeedControlCharacters(t *testing.T) {
	rssDoc := "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Ctl\u0001 desk</title><link>https://ctl.example/</link>" +
		"<item><guid>https://ctl.example/1</guid><title>It\u0092s \u0080 5\x7f \u0093a\u0094 \u0081</title>" +
		"<description>Line&#x92;s one &#150; two\u0002\ttab</description></item></channel></rss>"
	pf, err := ParseFeedType([]byte(rssDoc), "", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := pf.Items[0].Article
	if a.Title != "It’s € 5 “a”" || a.Body != "Line’s one – two tab" || pf.Title != "Ctl desk" {
		t.Errorf("rss: %q %q %q", pf.Title, a.Title, a.Body)
	}
	jsonDoc := `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"https://ctl.example/2","title":"\u0093Quoted\u0094\u0001","content_text":"Caf\u00e9\u0085 and \u009c\u001b."}]}`
	items, err := Decode(TypeJSONFeed, []byte(jsonDoc))
	if err != nil || items[0].Err != nil {
		t.Fatal(err, items)
	}
	if a := items[0].Article; a.Title != "“Quoted”" || a.Body != "Café… and œ." {
		t.Errorf("json feed: %q %q", a.Title, a.Body)
	}
	for in, want := range map[string]string{
		"plain":              "plain",
		"tab\tnl\ncr\r":      "tab\tnl\ncr\r",
		"a\u0000b\u001fc":    "abc",
		"\u0080\u009f\u008d": "€Ÿ",
		"bad \xff byte":      "bad \uFFFD byte",
		"real \uFFFD kept":   "real \uFFFD kept",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFeedRepeatedGUID: the second entry with an id already in the
// document is an item error (conflict) marked Duplicate, so the items
// decoded add up to the entries in the document: stored + errors.
func TestFeedRepeatedGUID(t *testing.T) {
	doc := `<rss version="2.0"><channel><title>Dup</title><link>https://dup.example/</link>` +
		`<item><guid>7</guid><title>First</title></item>` +
		`<item><guid>8</guid><title>Other</title></item>` +
		`<item><guid>7</guid><title>First, again</title></item>` +
		`<item><guid>9</guid><title></title></item>` +
		`<item><guid>9</guid><title>Nine, the first valid one</title></item>` +
		`</channel></rss>`
	pf, err := ParseFeed([]byte(doc), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var dup, bad, ok []int
	for i, it := range pf.Items {
		switch {
		case it.Duplicate:
			dup = append(dup, i)
			if news.ErrorCode(it.Err) != news.ECodeConflict || it.Article != nil || !strings.Contains(it.Err.Error(), "entry 0") {
				t.Errorf("item %d: %+v", i, it)
			}
		case it.Err != nil:
			bad = append(bad, i)
		default:
			ok = append(ok, i)
		}
	}
	if fmt.Sprint(ok, bad, dup) != "[0 1 4] [3] [2]" {
		t.Errorf("ok %v, bad %v, duplicates %v", ok, bad, dup)
	}
	items, err := Decode("text/xml", []byte(doc))
	if err != nil || len(items) != 5 || items[2].Err == nil || items[0].Err != nil {
		t.Fatalf("decode: %v %+v", err, items)
	}
}

// FuzzFeedUTF8: whatever the bytes and the content type, the result is
// valid UTF-8 without control characters other than tab, line feed and
// carriage return, or a coded error, and decoding it again changes
// nothing.
func FuzzFeedUTF8(f *testing.F) {
	ss := []string{"<?xml version=\"1.0\" encoding=\"koi8-r\"?><rss/>", "\xff\xfe<\x00r\x00", "\x00\x00\xfe\xff\x00\x00\x00<", "<\x00?\x00x\x00", "\xef\xbb\xbf<a>\u0092</a>", "caf\xe9 \x92"}
	for i, s := range ss {
		f.Add([]byte(s), []string{"", "text/xml; charset=windows-1255", "application/xml; charset=utf-16", ";;", "text/xml; charset=utf-32"}[i%5])
	}
	f.Fuzz(func(t *testing.T, data []byte, ctype string) {
		out, err := FeedUTF8(data, ctype)
		if err != nil {
			if news.ErrorCode(err) != news.ECodeBadRequest {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 out: %q", out)
		}
		for _, r := range string(out) {
			if isControl(r) {
				t.Fatalf("control character %U in %q", r, out)
			}
		}
		again, err := FeedUTF8(out, "")
		if err != nil || string(again) != string(out) {
			t.Fatalf("not stable: %q → %q (%v)", out, again, err)
		}
	})
}
