package news

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/lang"
)

// MaxBodyBytes is the largest accepted article body.
const MaxBodyBytes = 1 << 20

// Limits on the other fields, generous for real news and small enough that
// a hostile client cannot blow up a document.
const (
	MaxIDBytes     = 512
	MaxTitleBytes  = 4096
	MaxURLBytes    = 4096
	MaxFacetValues = 200
	MaxFacetBytes  = 256
	maxTitleRunes  = 200 // a derived title is cut at a word boundary near this
)

// MinYear and MaxYear bound article dates (the index keeps dates as
// nanoseconds in an int64).
const (
	MinYear = 1700
	MaxYear = 2200
)

// Article is one news story. Speakers, Countries, MainCountries and Topics
// are the merged facet values (Countries: every country the article names
// or implies, main ones first; MainCountries: the ones it is about); Supplied and Extracted keep where each came from so a newer
// extractor can be re-run without touching what the client gave us.
type Article struct {
	ID     string    `json:"id"`
	Title  string    `json:"title"`
	Body   string    `json:"body"`
	Date   time.Time `json:"date"`
	Source string    `json:"source,omitempty"`
	URL    string    `json:"url,omitempty"`
	// Language is a BCP 47 tag in lower case ("ru", "pt-br"): supplied by
	// the client, or detected from the title and body, in which case
	// LanguageConfidence (0 to 1) says how sure the detector was; it is
	// zero for a supplied language. "" is unknown.
	Language           string   `json:"language,omitempty"`
	LanguageConfidence float64  `json:"language_confidence,omitempty"`
	Speakers           []string `json:"speakers"`
	Countries          []string `json:"countries"`
	// MainCountries is a subset of Countries.
	MainCountries []string  `json:"main_countries"`
	Topics        []string  `json:"topics"`
	Seq           uint64    `json:"seq"`
	IngestedAt    time.Time `json:"ingested_at"`
	// Story is the id of the story the article is a copy in (see
	// internal/stories), set by the engine before indexing. It is derived
	// state, recomputed on every rebuild: never stored in the log.
	Story string `json:"-"`
	// StoryJoined is true when the article joined a story another
	// article started (Story is not its own): the index marks it, so a
	// collapsed search knows which stories have more than one copy.
	// Derived like Story.
	StoryJoined bool `json:"-"`

	Supplied  Facets `json:"supplied"`
	Extracted Facets `json:"extracted"`
}

// Summary is an article as a list shows it: a search hit, an alert's
// match. Search hits add a score (engine.SearchHit); deliveries keep the
// fields an alert asks for (alerts.DeliveredMatch).
type Summary struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Date      time.Time `json:"date"`
	Source    string    `json:"source"`
	URL       string    `json:"url"`
	Language  string    `json:"language,omitempty"`
	Snippet   string    `json:"snippet"`
	Speakers  []string  `json:"speakers"`
	Countries []string  `json:"countries"`
	// MainCountries are the countries the article is about, a subset of
	// Countries (every country it names or implies, main ones first).
	MainCountries []string `json:"main_countries"`
	Topics        []string `json:"topics"`
}

// Summary is a's summary with the given snippet.
func (a *Article) Summary(snippet string) Summary {
	return Summary{
		ID: a.ID, Title: a.Title, Date: a.Date, Source: a.Source, URL: a.URL, Language: a.Language, Snippet: snippet,
		Speakers: a.Speakers, Countries: a.Countries, MainCountries: a.Main(), Topics: a.Topics,
	}
}

// Facets is one set of entity values. A nil slice means "not given"; an
// empty non-nil slice means "given as empty". Both survive the store's
// JSON: a nil slice is left out (omitzero), an empty one is written as [].
type Facets struct {
	Speakers  []string `json:"speakers,omitzero"`
	Countries []string `json:"countries,omitzero"`
	Topics    []string `json:"topics,omitzero"`
	// MainCountries is only ever extracted: countries a client supplies
	// are all main.
	MainCountries []string `json:"main_countries,omitzero"`
}

// Merge applies precedence: a facet the client supplied (non-nil) wins;
// otherwise the extracted values are used.
func (a *Article) Merge() {
	pick := func(s, e []string) []string {
		if s != nil {
			return s
		}
		if e == nil {
			return []string{}
		}
		return e
	}
	a.Speakers = pick(a.Supplied.Speakers, a.Extracted.Speakers)
	a.Countries = pick(a.Supplied.Countries, a.Extracted.Countries)
	a.Topics = pick(a.Supplied.Topics, a.Extracted.Topics)
	// Countries a client supplies are the ones it says the article is
	// about; extracted main countries are kept only if still listed.
	if a.Supplied.Countries != nil {
		a.MainCountries = a.Countries
	} else {
		a.MainCountries = make([]string, 0, len(a.Extracted.MainCountries))
		for _, c := range a.Extracted.MainCountries {
			if slices.Contains(a.Countries, c) {
				a.MainCountries = append(a.MainCountries, c)
			}
		}
	}
}

// Main returns the article's main countries. An article stored before
// main countries existed has none (nil); its countries were the main ones
// then, so they are returned until "watchword reindex" extracts again.
func (a *Article) Main() []string {
	if a.MainCountries == nil {
		return a.Countries
	}
	return a.MainCountries
}

// ParseDate accepts RFC 3339 (with or without fractional seconds), a bare
// date YYYY-MM-DD, and a year-month YYYY-MM. The result is in UTC.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02", "2006-01"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < MinYear || t.Year() > MaxYear {
				return time.Time{}, Errorf(ECodeInvalid, "date %q is outside the years %d to %d", s, MinYear, MaxYear)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, Errorf(ECodeInvalid, "date %q is not RFC 3339 or YYYY-MM-DD", truncate(s, 40))
}

// Normalize trims fields, fills derived ones (title, date, id) and
// validates. now is the ingest time used when the date is absent.
func (a *Article) Normalize(now time.Time) error {
	a.ID = strings.TrimSpace(a.ID)
	a.Title = collapseSpace(a.Title)
	a.Source = strings.TrimSpace(a.Source)
	a.URL = strings.TrimSpace(a.URL)
	a.Body = strings.TrimSpace(a.Body)
	if err := a.Validate(); err != nil {
		return err
	}
	a.Language, _ = lang.Parse(a.Language)
	if a.Title == "" {
		a.Title = FirstSentence(a.Body)
	}
	if a.ID == "" {
		if a.URL == "" && a.Date.IsZero() {
			// Derived before the date defaults to now, so that the same
			// undated story posted again is an update, not a new article.
			a.ID = deriveUndatedID(a.Source, a.Title, a.Body)
		} else {
			a.ID = DeriveID(a.URL, a.Date, a.Title, a.Body)
		}
	}
	if a.Date.IsZero() {
		a.Date = now.UTC()
	}
	a.IngestedAt = now.UTC()
	a.Supplied.Speakers = cleanValues(a.Supplied.Speakers)
	a.Supplied.Countries = cleanValues(a.Supplied.Countries)
	a.Supplied.Topics = cleanValues(a.Supplied.Topics)
	return nil
}

// Validate checks the fields a client controls.
func (a *Article) Validate() error {
	switch {
	case a.Body == "":
		return Errorf(ECodeInvalid, "body is required")
	case len(a.Body) > MaxBodyBytes:
		return Errorf(ECodeTooLarge, "body is %d bytes, more than the limit of %d", len(a.Body), MaxBodyBytes)
	case !utf8.ValidString(a.Body) || !utf8.ValidString(a.Title) || !utf8.ValidString(a.ID) ||
		!utf8.ValidString(a.Source) || !utf8.ValidString(a.URL):
		return Errorf(ECodeInvalid, "text is not valid UTF-8")
	case len(a.ID) > MaxIDBytes:
		return Errorf(ECodeInvalid, "id is longer than %d bytes", MaxIDBytes)
	case strings.ContainsAny(a.ID, "/\x00") || strings.IndexFunc(a.ID, unicode.IsControl) >= 0:
		return Errorf(ECodeInvalid, "id must not contain '/' or control characters")
	case len(a.Title) > MaxTitleBytes:
		return Errorf(ECodeInvalid, "title is longer than %d bytes", MaxTitleBytes)
	case len(a.URL) > MaxURLBytes:
		return Errorf(ECodeInvalid, "url is longer than %d bytes", MaxURLBytes)
	case len(a.Source) > MaxFacetBytes:
		return Errorf(ECodeInvalid, "source is longer than %d bytes", MaxFacetBytes)
	}
	if _, ok := lang.Parse(a.Language); !ok {
		return Errorf(ECodeInvalid, "language %q is not a BCP 47 language tag (such as en, ru or pt-BR)", truncate(a.Language, 40))
	}
	if a.URL != "" && !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") {
		return Errorf(ECodeInvalid, "url must start with http:// or https://")
	}
	for name, vs := range map[string][]string{"speakers": a.Supplied.Speakers, "countries": a.Supplied.Countries, "topics": a.Supplied.Topics} {
		if len(vs) > MaxFacetValues {
			return Errorf(ECodeInvalid, "%s has more than %d values", name, MaxFacetValues)
		}
		for _, v := range vs {
			if len(v) > MaxFacetBytes || !utf8.ValidString(v) {
				return Errorf(ECodeInvalid, "%s value is longer than %d bytes or not UTF-8", name, MaxFacetBytes)
			}
		}
	}
	return nil
}

// DeriveID makes a deterministic id: from the URL when there is one, else
// from date, title and body, so re-ingesting the same story updates it.
// An article with neither URL nor date gets deriveUndatedID instead. The
// hashes must not change: stored articles are keyed by them.
func DeriveID(url string, date time.Time, title, body string) string {
	h := sha256.New()
	if url != "" {
		fmt.Fprintf(h, "url\x00%s", url)
	} else {
		fmt.Fprintf(h, "doc\x00%s\x00%s\x00%s", date.UTC().Format(time.RFC3339), title, body)
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// deriveUndatedID is the id of an article with neither id, URL nor date:
// from its source, title and body (all normalized, the title derived from
// the body when absent). The ingest time plays no part, so a re-post is
// an update of the same article. Its input is tagged differently from
// DeriveID's, so the two never collide.
func deriveUndatedID(source, title, body string) string {
	h := sha256.New()
	// Length-prefixed, so no field can borrow from its neighbour.
	fmt.Fprintf(h, "undated\x00%d:%s%d:%s%d:%s", len(source), source, len(title), title, len(body), body)
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// FirstSentence returns the body's first sentence, cut at a word boundary
// when it is long.
func FirstSentence(body string) string {
	body = collapseSpace(body)
	end := len(body)
	for i, r := range body {
		if (r == '.' || r == '!' || r == '?') && sentenceEnds(body, i) {
			end = i + 1
			break
		}
	}
	s := body[:end]
	if utf8.RuneCountInString(s) <= maxTitleRunes {
		return s
	}
	// cut at the last space before the limit
	n := 0
	cut := 0
	for i, r := range s {
		if n == maxTitleRunes {
			break
		}
		if unicode.IsSpace(r) {
			cut = i
		}
		n++
	}
	if cut == 0 {
		cut = len(string([]rune(s)[:maxTitleRunes]))
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

// abbreviations that end in a period without ending a sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "gen": true, "sen": true, "rep": true,
	"gov": true, "lt": true, "col": true, "sgt": true, "capt": true, "st": true, "jr": true, "sr": true,
	"inc": true, "co": true, "corp": true, "ltd": true, "no": true, "vs": true, "rev": true, "adm": true,
}

// sentenceEnds reports whether the punctuation at body[i] ends a sentence:
// it is followed by the end of the text or by a space and a capital letter,
// digit or quote, and the word before it is not an abbreviation
// ("U.S.", "Mr.").
func sentenceEnds(body string, i int) bool {
	if i+1 == len(body) {
		return true
	}
	if body[i+1] != ' ' {
		return false
	}
	next, _ := utf8.DecodeRuneInString(body[min(i+2, len(body)):])
	if !unicode.IsUpper(next) && !unicode.IsDigit(next) && next != '"' && next != '\u201c' {
		return false
	}
	if body[i] != '.' {
		return true
	}
	start := strings.LastIndexByte(body[:i], ' ') + 1
	word := body[start:i]
	return !strings.Contains(word, ".") && !abbreviations[strings.ToLower(word)] &&
		!(utf8.RuneCountInString(word) == 1 && unicode.IsUpper([]rune(word)[0]))
}

func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func cleanValues(vs []string) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, 0, len(vs))
	seen := make(map[string]bool, len(vs))
	for _, v := range vs {
		v = collapseSpace(v)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
