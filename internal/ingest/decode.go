// Package ingest decodes the formats articles arrive in: JSON (one object
// or an array), NDJSON (one object per line), the seed's plain text
// (optional leading whitespace, the word "date", an ISO date, the story)
// and RSS, Atom and JSON Feed documents (each entry an article, HTML
// reduced to text).
// Decoders never fail the whole input for one bad item: each item carries
// its own error, so the caller can store the rest and report by position.
package ingest

import (
	"bytes"
	"encoding/json"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/news"
)

// Content types.
const (
	TypeJSON   = "application/json"
	TypeNDJSON = "application/x-ndjson"
	TypeText   = "text/plain"
)

const supportedTypes = "application/json, application/x-ndjson, text/plain, or a feed as application/rss+xml, application/atom+xml, application/feed+json, application/xml or text/xml"

// Item is one decoded article or the reason it could not be decoded.
type Item struct {
	Article *news.Article
	Err     error
}

// Input is the wire form of an article.
type Input struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Date      string   `json:"date"`
	Source    string   `json:"source"`
	URL       string   `json:"url"`
	Language  string   `json:"language"`
	Speakers  []string `json:"speakers"`
	Countries []string `json:"countries"`
	Topics    []string `json:"topics"`
}

// Article converts the wire form, parsing the date. Facets present in the
// input (even empty) are kept as supplied values.
func (in *Input) Article() (*news.Article, error) {
	a := &news.Article{
		ID: in.ID, Title: in.Title, Body: in.Body, Source: in.Source, URL: in.URL, Language: in.Language,
		Supplied: news.Facets{Speakers: in.Speakers, Countries: in.Countries, Topics: in.Topics},
	}
	if strings.TrimSpace(in.Date) != "" {
		t, err := news.ParseDate(in.Date)
		if err != nil {
			return nil, err
		}
		a.Date = t
	}
	return a, nil
}

// Decode dispatches on the content type. A feed is decoded with the
// charset the content type names (see FeedUTF8); the other formats are
// UTF-8 only, and their charset parameter is ignored.
func Decode(contentType string, data []byte) ([]Item, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return nil, news.Errorf(news.ECodeUnsupported, "content type %q is malformed", contentType)
	}
	switch mt {
	case TypeJSON:
		return DecodeJSON(data)
	case TypeNDJSON, "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return DecodeNDJSON(data)
	case TypeText:
		return []Item{DecodeText(data)}, nil
	case TypeRSS, TypeAtom, TypeJSONFeed, TypeXML, TypeTextXML:
		return DecodeFeedType(data, contentType)
	case "":
		return nil, news.Errorf(news.ECodeUnsupported, "content type is required: %s", supportedTypes)
	}
	return nil, news.Errorf(news.ECodeUnsupported, "content type %q is not supported: use %s", mt, supportedTypes)
}

// DecodeJSON accepts one article object or an array of them. A body that
// is not JSON at all is an error; an array element that does not decode
// is reported in its Item.
func DecodeJSON(data []byte) ([]Item, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, news.Errorf(news.ECodeBadRequest, "body is empty")
	}
	if !utf8.Valid(data) {
		return nil, news.Errorf(news.ECodeBadRequest, "body is not valid UTF-8")
	}
	if data[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(data, &raws); err != nil {
			return nil, jsonError(err)
		}
		if len(raws) == 0 {
			return nil, news.Errorf(news.ECodeBadRequest, "array is empty")
		}
		items := make([]Item, len(raws))
		for i, raw := range raws {
			items[i] = decodeOne(raw)
		}
		return items, nil
	}
	if data[0] != '{' {
		return nil, news.Errorf(news.ECodeBadRequest, "body must be a JSON object or an array of objects")
	}
	// Validate the whole document first so trailing garbage is an error.
	if !json.Valid(data) {
		var v any
		return nil, jsonError(json.Unmarshal(data, &v))
	}
	return []Item{decodeOne(data)}, nil
}

// DecodeNDJSON decodes one object per line; blank lines are skipped and a
// bad line becomes an item with an error naming its line.
func DecodeNDJSON(data []byte) ([]Item, error) {
	var items []Item
	line := 0
	for len(data) > 0 {
		line++
		var ln []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			ln, data = data, nil
		}
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 {
			continue
		}
		var it Item
		switch {
		case !utf8.Valid(ln):
			it.Err = news.Errorf(news.ECodeInvalid, "line %d is not valid UTF-8", line)
		case ln[0] != '{':
			it.Err = news.Errorf(news.ECodeInvalid, "line %d is not a JSON object", line)
		default:
			it = decodeOne(ln)
			if it.Err != nil {
				it.Err = news.Errorf(news.ErrorCode(it.Err), "line %d: %s", line, news.ErrorMessage(it.Err))
			}
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, news.Errorf(news.ECodeBadRequest, "body has no articles")
	}
	return items, nil
}

func decodeOne(raw []byte) Item {
	var in Input
	if err := json.Unmarshal(raw, &in); err != nil {
		return Item{Err: jsonError(err)}
	}
	a, err := in.Article()
	return Item{Article: a, Err: err}
}

func jsonError(err error) error {
	switch e := err.(type) {
	case *json.SyntaxError:
		return &news.Error{Code: news.ECodeBadRequest, Message: "malformed JSON: " + e.Error(), Position: intp(int(e.Offset))}
	case *json.UnmarshalTypeError:
		return news.Errorf(news.ECodeInvalid, "field %q must be %s, not %s", e.Field, kindName(e.Type.String()), e.Value)
	}
	return news.Errorf(news.ECodeBadRequest, "malformed JSON: %s", err.Error())
}

func kindName(t string) string {
	switch t {
	case "[]string":
		return "an array of strings"
	case "string":
		return "a string"
	}
	return t
}

func intp(i int) *int { return &i }

// DecodeText reads the seed's plain-text format: optional leading
// whitespace, the word "date", an ISO date, then the story. Text without
// the "date" header is taken as a story without a date.
func DecodeText(data []byte) Item {
	if !utf8.Valid(data) {
		return Item{Err: news.Errorf(news.ECodeInvalid, "text is not valid UTF-8")}
	}
	s := strings.TrimLeftFunc(string(data), unicode.IsSpace)
	in := Input{Body: s}
	if rest, ok := cutWord(s, "date"); ok {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		end := strings.IndexFunc(rest, unicode.IsSpace)
		if end < 0 {
			end = len(rest)
		}
		in.Date, in.Body = rest[:end], rest[end:]
		if in.Date == "" {
			return Item{Err: news.Errorf(news.ECodeInvalid, "text starts with 'date' but no date follows")}
		}
	}
	a, err := in.Article()
	return Item{Article: a, Err: err}
}

// cutWord reports whether s starts with word (case-insensitive) followed by
// white space, and returns the rest.
func cutWord(s, word string) (string, bool) {
	if len(s) <= len(word) || !strings.EqualFold(s[:len(word)], word) {
		return s, false
	}
	r, _ := utf8.DecodeRuneInString(s[len(word):])
	if !unicode.IsSpace(r) {
		return s, false
	}
	return s[len(word):], true
}
