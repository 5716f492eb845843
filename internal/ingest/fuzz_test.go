package ingest

import (
	"strings"
	"testing"
	"time"

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

// FuzzDecodeFeed checks the feed decoder on arbitrary documents: no
// panic, only coded errors, and every article it yields is valid, has a
// key and a hash, and gets the same id and hash when decoded again.
func FuzzDecodeFeed(f *testing.F) {
	for _, s := range []string{
		rssDoc, atomDoc, rssDoc[:300], `<rss><channel><item><guid>1</guid></item></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="html">&lt;p&gt;x</content></entry></feed>`,
		`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<p>x</p>"}]}`,
		`<rss><channel><item><title>` + "\xff\xfe" + `</title></item></channel></rss>`,
		`<rss><channel><item><link>javascript:alert(1)</link><description>x</description><pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate></item></channel></rss>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		pf, err := ParseFeed([]byte(data), "https://feed.example/rss", now)
		if err != nil {
			if news.ErrorCode(err) == news.ECodeInternal {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		again, err := ParseFeed([]byte(data), "https://feed.example/rss", now)
		if err != nil || len(again.Items) != len(pf.Items) {
			t.Fatalf("second decode differs: %v", err)
		}
		for i, it := range pf.Items {
			if it.Err != nil {
				if news.ErrorCode(it.Err) == news.ECodeInternal {
					t.Fatalf("uncoded item error %v", it.Err)
				}
				continue
			}
			a := it.Article
			if a == nil || it.Key == "" || it.Hash == "" || a.ID == "" {
				t.Fatalf("item %d incomplete: %+v", i, it)
			}
			if err := a.Validate(); err != nil {
				t.Fatalf("item %d does not validate: %v", i, err)
			}
			if a.URL != "" && !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") {
				t.Fatalf("item %d url %q", i, a.URL)
			}
			if b := again.Items[i]; b.Article == nil || b.Article.ID != a.ID || b.Hash != it.Hash {
				t.Fatalf("item %d: id or hash not deterministic", i)
			}
		}
	})
}
