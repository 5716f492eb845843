package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

const rssDoc = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Example &amp; Wire</title>
  <link>https://news.example.com/world/</link>
  <language>en-GB</language>
  <item>
    <guid isPermaLink="true">https://news.example.com/world/peskov-talks</guid>
    <link>https://news.example.com/world/peskov-talks</link>
    <title>Peskov: talks &amp;amp; &lt;b&gt;progress&lt;/b&gt;</title>
    <description>Short summary.</description>
    <content:encoded><![CDATA[<p>Kremlin spokesman Dmitry Peskov said on Monday that talks had stalled.</p><script>track()</script><p>Second paragraph &amp; more.</p>]]></content:encoded>
    <pubDate>Mon, 10 Mar 2025 08:30:00 +0100</pubDate>
  </item>
  <item>
    <guid isPermaLink="false">4711</guid>
    <link>/world/relative-link</link>
    <title>Plain numeric guid</title>
    <description>&lt;p&gt;Escaped &lt;i&gt;HTML&lt;/i&gt; description.&lt;/p&gt;</description>
  </item>
  <item>
    <link>https://news.example.com/world/link-only</link>
    <title>No guid</title>
    <description>Identified by its link.</description>
  </item>
  <item>
    <title>Neither guid nor link</title>
    <description>Identified by its text.</description>
    <pubDate>not a date</pubDate>
  </item>
  <item>
    <title></title>
    <description></description>
  </item>
</channel>
</rss>`

const atomDoc = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Atom &lt;em&gt;Desk&lt;/em&gt;</title>
  <link href="https://atom.example.org/"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2025-03-11T10:00:00Z</updated>
  <entry>
    <id>tag:atom.example.org,2025:entry-1</id>
    <title>Erdogan hosts Black Sea talks</title>
    <link rel="alternate" href="https://atom.example.org/2025/erdogan"/>
    <updated>2025-03-11T09:00:00Z</updated>
    <summary>Summary only.</summary>
    <content type="html">&lt;p&gt;President Erdogan hosted talks in Istanbul.&lt;/p&gt;</content>
  </entry>
  <entry>
    <id>tag:atom.example.org,2025:entry-2</id>
    <title>Summary only entry</title>
    <published>2025-03-09T07:00:00Z</published>
    <updated>2025-03-10T07:00:00Z</updated>
    <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>XHTML <b>summary</b>.</p></div></summary>
  </entry>
</feed>`

func TestParseRSS(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pf, err := ParseFeed([]byte(rssDoc), "https://news.example.com/rss.xml", now)
	if err != nil {
		t.Fatal(err)
	}
	if pf.Title != "Example & Wire" || pf.SiteURL != "https://news.example.com/world/" || len(pf.Items) != 5 {
		t.Fatalf("feed: %q %q %d items", pf.Title, pf.SiteURL, len(pf.Items))
	}
	first := pf.Items[0]
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	a := first.Article
	if a.Title != "Peskov: talks & progress" {
		t.Errorf("title %q", a.Title)
	}
	if a.Body != "Kremlin spokesman Dmitry Peskov said on Monday that talks had stalled.\n\nSecond paragraph & more." {
		t.Errorf("body (content:encoded wins over description, script dropped) %q", a.Body)
	}
	if !a.Date.Equal(time.Date(2025, 3, 10, 7, 30, 0, 0, time.UTC)) || a.Date.Location() != time.UTC {
		t.Errorf("date %v", a.Date)
	}
	if a.URL != "https://news.example.com/world/peskov-talks" || a.Language != "en-gb" {
		t.Errorf("url %q language %q", a.URL, a.Language)
	}
	// A permalink GUID is the link: the id is the one a JSON article with
	// that url gets, so pushing the story and polling it store one article.
	if first.Key != a.URL || a.ID != news.DeriveID(a.URL, time.Time{}, "", "") {
		t.Errorf("key %q id %q", first.Key, a.ID)
	}
	if a.Source != "" {
		t.Errorf("ParseFeed set a source: %q", a.Source)
	}

	num := pf.Items[1]
	if num.Key != "https://news.example.com/world/#4711" {
		t.Errorf("a bare GUID is qualified with the site: %q", num.Key)
	}
	if num.Article.URL != "https://news.example.com/world/relative-link" {
		t.Errorf("relative link resolved against the feed URL: %q", num.Article.URL)
	}
	if num.Article.Body != "Escaped HTML description." {
		t.Errorf("escaped HTML description: %q", num.Article.Body)
	}
	if !num.Article.Date.Equal(now) || num.Dated || !first.Dated {
		t.Errorf("undated entry: date %v, want the ingest time", num.Article.Date)
	}
	if pf.Items[2].Key != "https://news.example.com/world/link-only" {
		t.Errorf("no GUID: key %q", pf.Items[2].Key)
	}
	if k := pf.Items[3].Key; !strings.HasPrefix(k, "text:") || pf.Items[3].Article.Title != "Neither guid nor link" {
		t.Errorf("no GUID nor link: key %q", k)
	}
	if e := pf.Items[4]; e.Err == nil || e.Article != nil || news.ErrorCode(e.Err) != news.ECodeInvalid {
		t.Errorf("empty entry: %+v", e)
	}
	// Every id is distinct and every hash set.
	seen := map[string]bool{}
	for _, it := range pf.Items[:4] {
		if seen[it.Article.ID] || it.Hash == "" {
			t.Errorf("id %q repeated or hash empty", it.Article.ID)
		}
		seen[it.Article.ID] = true
	}
}

// TestGuidAsLink: an RSS guid is the link of an entry without <link>,
// unless it says isPermaLink="false".
func TestGuidAsLink(t *testing.T) {
	doc := `<rss version="2.0"><channel><title>G</title>
<item><guid>https://g.example/permalink</guid><description>a</description></item>
<item><guid isPermaLink="false">https://g.example/?p=2</guid><description>b</description></item>
<item><guid>urn:uuid:1</guid><description>c</description></item>
</channel></rss>`
	pf, err := ParseFeed([]byte(doc), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"https://g.example/permalink", "", ""} {
		if got := pf.Items[i].Article.URL; got != want {
			t.Errorf("entry %d: url %q, want %q", i, got, want)
		}
	}
}

func TestParseAtom(t *testing.T) {
	pf, err := ParseFeed([]byte(atomDoc), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if pf.Title != "Atom Desk" || len(pf.Items) != 2 {
		t.Fatalf("feed %q, %d items", pf.Title, len(pf.Items))
	}
	a := pf.Items[0].Article
	if pf.Items[0].Key != "tag:atom.example.org,2025:entry-1" || a.URL != "https://atom.example.org/2025/erdogan" {
		t.Errorf("key %q url %q", pf.Items[0].Key, a.URL)
	}
	if a.Body != "President Erdogan hosted talks in Istanbul." {
		t.Errorf("content wins over summary: %q", a.Body)
	}
	if !a.Date.Equal(time.Date(2025, 3, 11, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("date from updated when not published: %v", a.Date)
	}
	b := pf.Items[1].Article
	if b.Body != "XHTML summary." || !b.Date.Equal(time.Date(2025, 3, 9, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("summary entry: %q %v (published wins over updated)", b.Body, b.Date)
	}
}

func TestFeedItemIdentity(t *testing.T) {
	doc := func(site, guid, title, body string) []byte {
		return []byte(`<rss version="2.0"><channel><title>X</title><link>` + site + `</link><item><guid>` + guid +
			`</guid><title>` + title + `</title><description>` + body + `</description><pubDate>Mon, 10 Mar 2025 08:30:00 GMT</pubDate></item></channel></rss>`)
	}
	parse := func(d []byte) FeedItem {
		t.Helper()
		pf, err := ParseFeed(d, "", time.Now())
		if err != nil || len(pf.Items) != 1 || pf.Items[0].Err != nil {
			t.Fatalf("%v %+v", err, pf)
		}
		return pf.Items[0]
	}
	a := parse(doc("https://a.example/", "https://a.example/story", "T", "Body."))
	b := parse(doc("https://b.example/", "https://a.example/story", "T", "Body."))
	if a.Article.ID != b.Article.ID {
		t.Error("the same URL GUID in two feeds gives two ids")
	}
	c := parse(doc("https://a.example/", "17", "T", "Body."))
	d := parse(doc("https://b.example/", "17", "T", "Body."))
	if c.Article.ID == d.Article.ID {
		t.Error("the bare GUID 17 of two sites gives one id: one would overwrite the other")
	}
	edited := parse(doc("https://a.example/", "https://a.example/story", "T", "Body, edited."))
	if edited.Article.ID != a.Article.ID || edited.Hash == a.Hash {
		t.Errorf("an edit keeps the id and changes the hash: %+v %+v", a, edited)
	}
	redated := parse([]byte(strings.Replace(string(doc("https://a.example/", "https://a.example/story", "T", "Body.")), "08:30", "09:45", 1)))
	if redated.Hash != a.Hash {
		t.Error("a new date alone counts as an edit")
	}
}

func TestParseFeedErrors(t *testing.T) {
	for name, d := range map[string]string{
		"empty":      "  \n",
		"truncated":  rssDoc[:len(rssDoc)/2],
		"html page":  "<!doctype html><html><body><p>Not a feed</p></body></html>",
		"json":       `{"not":"a feed"`,
		"atom trunc": atomDoc[:len(atomDoc)-40],
	} {
		pf, err := ParseFeed([]byte(d), "", time.Now())
		if err == nil || pf != nil || news.ErrorCode(err) != news.ECodeBadRequest {
			t.Errorf("%s: %v %+v", name, err, pf)
		}
	}
}

func TestDecodeFeedTypes(t *testing.T) {
	for _, ct := range []string{TypeRSS, TypeAtom, "application/rss+xml; charset=utf-8"} {
		items, err := Decode(ct, []byte(rssDoc))
		if err != nil || len(items) != 5 {
			t.Fatalf("%s: %v, %d items", ct, err, len(items))
		}
		if items[0].Article.Source != "Example & Wire" {
			t.Errorf("%s: source %q, want the feed's title", ct, items[0].Article.Source)
		}
	}
	items, err := Decode(TypeAtom, []byte(atomDoc))
	if err != nil || len(items) != 2 || items[1].Article.Source != "Atom Desk" {
		t.Fatalf("atom: %v %+v", err, items)
	}
	if _, err := Decode(TypeRSS, []byte(`<rss version="2.0"><channel><title>x</title></channel></rss>`)); news.ErrorCode(err) != news.ECodeBadRequest {
		t.Errorf("a feed without entries: %v", err)
	}
	if _, err := Decode("application/pdf", nil); news.ErrorCode(err) != news.ECodeUnsupported || !strings.Contains(err.Error(), "application/rss+xml") {
		t.Errorf("unsupported type: %v", err)
	}
}

// TestFeedLanguageNotATag: a feed whose <language> is not a BCP 47 tag
// still yields its entries, without a language (then detected), instead
// of articles the validation would refuse.
func TestFeedLanguageNotATag(t *testing.T) {
	for _, l := range []string{"English", "xx", "en_GB ", "ru"} {
		doc := strings.Replace(rssDoc, "<language>en-GB</language>", "<language>"+l+"</language>", 1)
		pf, err := ParseFeed([]byte(doc), "https://news.example.com/rss.xml", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		a := pf.Items[0].Article
		want := map[string]string{"English": "", "xx": "", "en_GB ": "en-gb", "ru": "ru"}[l]
		if pf.Items[0].Err != nil || a.Language != want {
			t.Errorf("<language>%s</language>: language %q, err %v; want %q", l, a.Language, pf.Items[0].Err, want)
			continue
		}
		if err := a.Normalize(time.Now()); err != nil {
			t.Errorf("<language>%s</language>: the article fails validation: %v", l, err)
		}
	}
}
