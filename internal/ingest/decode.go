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
	"errors"
	"fmt"
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

// Article converts the wire form, parsing the date. A facet given with
// values is kept as supplied and wins over extraction. An absent, null or
// empty one ("topics": [], or only blank values) means none supplied:
// extraction fills it. With keepEmpty an empty list is kept as given, the
// client saying "none", and the facet stays empty.
func (in *Input) Article(keepEmpty bool) (*news.Article, error) {
	a := &news.Article{
		ID: in.ID, Title: in.Title, Body: in.Body, Source: in.Source, URL: in.URL, Language: in.Language,
		Supplied: news.Facets{
			Speakers:  supplied(in.Speakers, keepEmpty),
			Countries: supplied(in.Countries, keepEmpty),
			Topics:    supplied(in.Topics, keepEmpty),
		},
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

// supplied is a facet as given: nil (none supplied) when it has no
// non-blank value, unless keepEmpty and it was given as a list.
func supplied(vs []string, keepEmpty bool) []string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return vs
		}
	}
	if keepEmpty && vs != nil {
		return []string{}
	}
	return nil
}

// Options change how JSON and NDJSON input is read. The zero value reads
// Input's fields and ignores any other.
type Options struct {
	// Map reads an input field as one of Input's: {"places": "countries"}
	// reads "places" as countries. Values mapped onto a facet are added to
	// the facet's own; onto a text field they are used when the input has
	// none of its own. Build it with ParseFieldMap.
	Map map[string]string
	// KeepEmpty keeps a facet supplied as an empty list as "none" (see
	// Input.Article).
	KeepEmpty bool
	// Unknown, when set, is called once per Decode call with the name of
	// each top-level field that is neither Input's nor mapped.
	Unknown func(field string)
}

// inputFields are the JSON names of Input's fields; facetFields those that
// are lists.
var (
	inputFields = map[string]bool{"id": true, "title": true, "body": true, "date": true, "source": true,
		"url": true, "language": true, "speakers": true, "countries": true, "topics": true}
	facetFields = map[string]bool{"speakers": true, "countries": true, "topics": true}
)

// ParseFieldMap parses "from=to,from=to" (for example
// "places=countries,people=speakers"): each to is a field of Input, each
// from a field that is not.
func ParseFieldMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		from, to, ok := strings.Cut(pair, "=")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		switch {
		case !ok || from == "" || to == "":
			return nil, fmt.Errorf("%q: want from=to, e.g. places=countries", pair)
		case !inputFields[to]:
			return nil, fmt.Errorf("%q: %s is not an article field (want one of id, title, body, date, source, url, language, speakers, countries, topics)", pair, to)
		case inputFields[from]:
			return nil, fmt.Errorf("%q: %s is an article field already", pair, from)
		case m[from] != "":
			return nil, fmt.Errorf("%q: %s is mapped twice", pair, from)
		}
		m[from] = to
	}
	return m, nil
}

// IsJSONFeed reports whether data is a JSON Feed document (an object whose
// "version" is https://jsonfeed.org/version/...), which DecodeFeed reads,
// rather than article JSON.
func IsJSONFeed(data []byte) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var head struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(data, &head) != nil {
		return false
	}
	return strings.HasPrefix(head.Version, "https://jsonfeed.org/version/")
}

// Decode dispatches on the content type. A feed is decoded with the
// charset the content type names (see FeedUTF8); the other formats are
// UTF-8 only, and their charset parameter is ignored.
func Decode(contentType string, data []byte) ([]Item, error) {
	return DecodeWith(contentType, data, Options{})
}

// DecodeWith is Decode with options for JSON and NDJSON input.
func DecodeWith(contentType string, data []byte, o Options) ([]Item, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return nil, news.Errorf(news.ECodeUnsupported, "content type %q is malformed", contentType)
	}
	d := newDecoder(o)
	switch mt {
	case TypeJSON:
		return d.json(data)
	case TypeNDJSON, "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return d.ndjson(data)
	case TypeText:
		return []Item{DecodeText(data)}, nil
	case TypeRSS, TypeAtom, TypeJSONFeed, TypeXML, TypeTextXML:
		return DecodeFeedType(data, contentType)
	case "":
		return nil, news.Errorf(news.ECodeUnsupported, "content type is required: %s", supportedTypes)
	}
	return nil, news.Errorf(news.ECodeUnsupported, "content type %q is not supported: use %s", mt, supportedTypes)
}

// decoder reads JSON articles with Options, reporting each unknown field
// once.
type decoder struct {
	o       Options
	unknown map[string]bool
}

func newDecoder(o Options) *decoder { return &decoder{o: o, unknown: map[string]bool{}} }

// DecodeJSON accepts one article object or an array of them. A body that
// is not JSON at all is an error; an array element that does not decode
// is reported in its Item.
func DecodeJSON(data []byte) ([]Item, error) { return newDecoder(Options{}).json(data) }

func (d *decoder) json(data []byte) ([]Item, error) {
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
			items[i] = d.one(raw)
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
	return []Item{d.one(data)}, nil
}

// DecodeNDJSON decodes one object per line; blank lines are skipped and a
// bad line becomes an item with an error naming its line.
func DecodeNDJSON(data []byte) ([]Item, error) { return newDecoder(Options{}).ndjson(data) }

func (d *decoder) ndjson(data []byte) ([]Item, error) {
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
			it = d.one(ln)
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

func (d *decoder) one(raw []byte) Item {
	var in Input
	if err := json.Unmarshal(raw, &in); err != nil {
		return Item{Err: jsonError(err)}
	}
	if len(d.o.Map) > 0 || d.o.Unknown != nil {
		if err := d.extra(raw, &in); err != nil {
			return Item{Err: err}
		}
	}
	a, err := in.Article(d.o.KeepEmpty)
	return Item{Article: a, Err: err}
}

// extra applies the field map to raw, an object already decoded into in,
// and reports its unknown fields.
func (d *decoder) extra(raw []byte, in *Input) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return jsonError(err)
	}
	for name, v := range fields {
		to, mapped := d.o.Map[name]
		if !mapped {
			if !inputFields[name] && !d.unknown[name] {
				d.unknown[name] = true
				if d.o.Unknown != nil {
					d.o.Unknown(name)
				}
			}
			continue
		}
		if err := in.add(to, v); err != nil {
			return news.Errorf(news.ECodeInvalid, "field %q (read as %s) must be %s", name, to, err)
		}
	}
	return nil
}

// add sets field of in from a mapped value: appended to a facet (a string
// or a list of strings), or a text field's value when in has none.
func (in *Input) add(field string, raw json.RawMessage) error {
	if facetFields[field] {
		var vs []string
		if err := json.Unmarshal(raw, &vs); err != nil {
			var one string
			if json.Unmarshal(raw, &one) != nil {
				return errors.New("a string or an array of strings")
			}
			vs = []string{one}
		}
		dst := map[string]*[]string{"speakers": &in.Speakers, "countries": &in.Countries, "topics": &in.Topics}[field]
		if vs != nil && *dst == nil {
			*dst = []string{} // given, even as empty: as if the field itself were
		}
		*dst = append(*dst, vs...)
		return nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return errors.New("a string")
	}
	dst := map[string]*string{"id": &in.ID, "title": &in.Title, "body": &in.Body, "date": &in.Date,
		"source": &in.Source, "url": &in.URL, "language": &in.Language}[field]
	if *dst == "" {
		*dst = v
	}
	return nil
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
	a, err := in.Article(false)
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
