package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	language "github.com/watchword/watchword/internal/lang"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
	"github.com/watchword/watchword/internal/news"
)

// Feed content types. Each one takes any of RSS, Atom and JSON Feed: the
// document's own form decides how it is read.
const (
	TypeRSS      = "application/rss+xml"
	TypeAtom     = "application/atom+xml"
	TypeJSONFeed = "application/feed+json"
	TypeXML      = "application/xml"
	TypeTextXML  = "text/xml"
)

// maxLanguageBytes bounds a feed's language tag (BCP 47 tags are short).
const maxLanguageBytes = 35

// FeedItem is one entry of a feed as an article (Item), with the identity
// and content hash the feed poller keeps to tell new, edited and already
// seen entries apart.
type FeedItem struct {
	Item
	// Key identifies the entry independently of the feed it came in: its
	// GUID (Atom id) when that is a URL, tag: or urn: URI; a GUID of any
	// other form qualified with the feed's site; else its link; else a
	// hash of its title and text. The article id is derived from it.
	Key string
	// Hash changes when the entry's title, text or link is edited (not
	// when only its date moves).
	Hash string
	// Dated is false when the entry had no usable date: the article's
	// date is then the time of parsing.
	Dated bool
	// Duplicate is set when the entry has the Key of an earlier entry of
	// the document: only the first counts, and Err says which it was.
	Duplicate bool
}

// ParsedFeed is a decoded RSS, Atom or JSON Feed document.
type ParsedFeed struct {
	Title   string // the feed's title as text
	SiteURL string // the site's link ("" when absent)
	Items   []FeedItem
}

// ParseFeed parses an RSS, Atom or JSON Feed document in the encoding it
// names itself (see ParseFeedType).
func ParseFeed(data []byte, base string, now time.Time) (*ParsedFeed, error) {
	return ParseFeedType(data, "", base, now)
}

// ParseFeedType parses an RSS, Atom or JSON Feed document, decoded as
// FeedUTF8 does with the charset of contentType (the HTTP Content-Type,
// "" when there is none). Every entry becomes
// a normalized article without a source (the caller sets it), or an item
// error. base is the URL the document was fetched from ("" for a file);
// relative links resolve against the feed's site link, or against base
// when the feed has none.
// A document that does not parse is an error and yields no items, so a
// malformed or truncated feed never ingests half of itself.
// An entry whose key repeats an earlier valid entry's is an item error
// (conflict) marked Duplicate.
func ParseFeedType(data []byte, contentType, base string, now time.Time) (*ParsedFeed, error) {
	data, err := FeedUTF8(data, contentType)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, news.Errorf(news.ECodeBadRequest, "feed is empty")
	}
	parser := gofeed.NewParser()
	parser.KeepOriginalFeed = true // for the RSS guids' isPermaLink, which the universal item drops
	f, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, news.Errorf(news.ECodeBadRequest, "not an RSS, Atom or JSON feed")
		}
		return nil, news.Errorf(news.ECodeBadRequest, "malformed feed: %s", clip(err.Error(), 200))
	}
	pf := &ParsedFeed{Title: clean(textOf(f.Title), news.MaxFacetBytes)}
	baseURL, _ := url.Parse(base)
	if site := absoluteURL(f.Link, baseURL); site != "" {
		pf.SiteURL = site
	}
	// Relative entry links resolve against the site link, which is part
	// of the document, so a file and a fetch of one feed agree on them;
	// against the fetch URL only when the feed names no site.
	resolveAgainst := baseURL
	if pf.SiteURL != "" {
		resolveAgainst, _ = url.Parse(pf.SiteURL)
	}
	scope := pf.SiteURL // qualifies GUIDs that are not global
	if scope == "" {
		scope = pf.Title
	}
	if scope == "" {
		scope = base
	}
	// A feed's language that is not a BCP 47 tag is dropped, not fatal:
	// the articles' language is then detected.
	lang, ok := language.Parse(f.Language)
	if !ok || len(lang) > maxLanguageBytes {
		lang = ""
	}
	// An RSS guid is a permalink unless it says isPermaLink="false": it
	// is then the entry's link when the entry has no <link>.
	var permalink []bool
	if orig, ok := f.OriginalFeed().(*rss.Feed); ok && len(orig.Items) == len(f.Items) {
		permalink = make([]bool, len(orig.Items))
		for i, it := range orig.Items {
			permalink[i] = it != nil && it.GUID != nil && !strings.EqualFold(strings.TrimSpace(it.GUID.IsPermalink), "false")
		}
	}
	pf.Items = make([]FeedItem, 0, len(f.Items))
	first := map[string]int{} // key → position of its first valid entry
	for i, it := range f.Items {
		if it == nil {
			continue
		}
		fi := feedItem(it, permalink != nil && permalink[i], resolveAgainst, scope, lang, now)
		if fi.Err == nil {
			if j, ok := first[fi.Key]; ok {
				fi = FeedItem{Key: fi.Key, Duplicate: true}
				fi.Err = news.Errorf(news.ECodeConflict, "entry repeats entry %d (the same id); the first is kept", j)
			} else {
				first[fi.Key] = len(pf.Items)
			}
		}
		pf.Items = append(pf.Items, fi)
	}
	return pf, nil
}

// feedItem turns one entry into an article. permalink: the entry's guid
// may serve as its link.
func feedItem(it *gofeed.Item, permalink bool, base *url.URL, scope, lang string, now time.Time) FeedItem {
	link := absoluteURL(it.Link, base)
	if link == "" {
		for _, l := range it.Links {
			if link = absoluteURL(l, base); link != "" {
				break
			}
		}
	}
	if link == "" && permalink {
		link = absoluteURL(it.GUID, nil)
	}
	title := clean(textOf(it.Title), news.MaxTitleBytes)
	body := htmlText(it.Content)
	if body == "" {
		body = htmlText(it.Description)
	}
	if body == "" {
		body = title
	}
	body = clip(body, news.MaxBodyBytes)
	var key string
	switch guid := strings.TrimSpace(valid(it.GUID)); {
	case guid != "" && globalID(guid):
		key = guid
	case guid != "":
		key = scope + "#" + guid
	case link != "":
		key = link
	default:
		key = "text:" + hashOf(title, body)
	}
	a := &news.Article{ID: news.DeriveID(key, time.Time{}, "", ""), Title: title, Body: body, URL: link, Language: lang}
	fi := FeedItem{Key: key}
	for _, t := range []*time.Time{it.PublishedParsed, it.UpdatedParsed} {
		if t != nil && t.Year() >= news.MinYear && t.Year() <= news.MaxYear {
			a.Date, fi.Dated = t.UTC(), true
			break
		}
	}
	if strings.TrimSpace(body) == "" {
		fi.Err = news.Errorf(news.ECodeInvalid, "entry has no title, content or description")
		return fi
	}
	if err := a.Normalize(now); err != nil {
		fi.Err = err
		return fi
	}
	fi.Article = a
	fi.Hash = ContentHash(a)
	return fi
}

// ContentHash is the hash of what an edit of a feed entry changes: the
// normalized title, body and URL of its article.
func ContentHash(a *news.Article) string {
	return hashOf(a.Title, a.Body, a.URL)
}

func hashOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// globalID reports whether a GUID is meant to be unique beyond its feed:
// an http(s) URL, a tag: URI (RFC 4151) or a URN. Plain numbers and
// slugs are only unique within one feed.
func globalID(guid string) bool {
	u, err := url.Parse(guid)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "tag", "urn":
		return u.Opaque != ""
	}
	return false
}

// absoluteURL resolves a link and keeps it only when it is an http(s) URL
// of acceptable length.
func absoluteURL(raw string, base *url.URL) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || !utf8.ValidString(raw) {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if base != nil && !u.IsAbs() {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	s := u.String()
	if len(s) > news.MaxURLBytes {
		return ""
	}
	return s
}

// textOf reduces a title, which feeds often give with entities or markup,
// to one line of text.
func textOf(s string) string {
	return strings.Join(strings.Fields(htmlText(s)), " ")
}

// htmlText is HTMLText of a feed's field, control characters cleaned
// (CleanText) before, so that U+0085 is not taken for white space, and
// after, for those that came as character references.
func htmlText(s string) string { return CleanText(HTMLText(CleanText(s))) }

func valid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// clean trims s and cuts it to at most n bytes.
func clean(s string, n int) string { return clip(strings.TrimSpace(s), n) }

// clip cuts s to at most n bytes at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// DecodeFeed decodes an RSS, Atom or JSON Feed document (a file, or the
// body of POST /api/articles) into articles whose source is the feed's
// title (else its site's host name). Ids are derived exactly as the feed
// poller derives them, so a file and a polled feed holding the same entry
// store one article.
func DecodeFeed(data []byte) ([]Item, error) {
	return DecodeFeedType(data, "")
}

// DecodeFeedType is DecodeFeed for a document that came with a Content-Type
// (whose charset, if any, it is decoded with; see FeedUTF8).
func DecodeFeedType(data []byte, contentType string) ([]Item, error) {
	pf, err := ParseFeedType(data, contentType, "", time.Now())
	if err != nil {
		return nil, err
	}
	if len(pf.Items) == 0 {
		return nil, news.Errorf(news.ECodeBadRequest, "feed has no entries")
	}
	src := pf.Title
	if src == "" {
		if u, err := url.Parse(pf.SiteURL); err == nil {
			src = u.Hostname()
		}
	}
	items := make([]Item, len(pf.Items))
	for i, fi := range pf.Items {
		items[i] = fi.Item
		if fi.Article != nil {
			fi.Article.Source = src
		}
	}
	return items, nil
}
