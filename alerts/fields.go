package alerts

import (
	"strings"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// matchFieldNames are the fields of a match in a delivery, in wire order.
// An alert's fields option picks some of them; id is always sent.
var matchFieldNames = [...]string{"id", "title", "date", "source", "url", "snippet", "speakers", "countries", "topics", "main_countries"}

const (
	fieldID = 1 << iota
	fieldTitle
	fieldDate
	fieldSource
	fieldURL
	fieldSnippet
	fieldSpeakers
	fieldCountries
	fieldTopics
	fieldMainCountries

	allMatchFields matchFields = 1<<len(matchFieldNames) - 1
)

// matchFields is a set of match fields, one bit per matchFieldNames entry.
type matchFields uint16

// MatchFields returns the names of the match fields, in wire order.
func MatchFields() []string { return append([]string(nil), matchFieldNames[:]...) }

// parseMatchFields checks an alert's fields option: nil means every
// field; otherwise at least one known name. The id is always included.
func parseMatchFields(names []string) (matchFields, error) {
	if names == nil {
		return allMatchFields, nil
	}
	if len(names) == 0 {
		return 0, news.Errorf(news.ECodeInvalid, "fields is empty; leave it out to send every field (%s), or name the ones to send",
			strings.Join(matchFieldNames[:], ", "))
	}
	fs := matchFields(fieldID)
	for _, n := range names {
		i := fieldIndex(n)
		if i < 0 {
			return 0, news.Errorf(news.ECodeInvalid, "fields: unknown field %q; the fields are %s",
				news.Clip(n), strings.Join(matchFieldNames[:], ", "))
		}
		fs |= 1 << i
	}
	return fs, nil
}

func fieldIndex(name string) int {
	for i, n := range matchFieldNames {
		if n == name {
			return i
		}
	}
	return -1
}

func (fs matchFields) has(f matchFields) bool { return fs&f != 0 }

// names lists the fields in wire order.
func (fs matchFields) names() []string {
	out := make([]string, 0, len(matchFieldNames))
	for i, n := range matchFieldNames {
		if fs&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// stored is the form an alert keeps: nil for every field, so that fields
// added later are sent to the alerts that asked for all of them.
func (fs matchFields) stored() []string {
	if fs == allMatchFields {
		return nil
	}
	return fs.names()
}

// matchFields returns the alert's validated fields option.
func (a *Alert) matchFields() matchFields {
	fs, err := parseMatchFields(a.Fields)
	if err != nil {
		return allMatchFields // Validate refuses it; a stored alert has passed
	}
	return fs
}

// DeliveredMatch is a match as a delivery carries it: the id always, each
// other field when the alert's fields option names it (all by default).
type DeliveredMatch struct {
	ID        string     `json:"id"`
	Title     *string    `json:"title,omitempty"`
	Date      *time.Time `json:"date,omitempty"`
	Source    *string    `json:"source,omitempty"`
	URL       *string    `json:"url,omitempty"`
	Snippet   *string    `json:"snippet,omitempty"`
	Speakers  *[]string  `json:"speakers,omitempty"`
	Countries *[]string  `json:"countries,omitempty"`
	Topics    *[]string  `json:"topics,omitempty"`
	// MainCountries are the countries the article is about, a subset of
	// Countries (every country it names or implies, main ones first).
	MainCountries *[]string `json:"main_countries,omitempty"`
	// Story lists the other copies of the match's story in this delivery
	// (each story is listed once, by its earliest copy); absent for a
	// story of one copy (stories.go).
	Story *DeliveredStory `json:"story,omitempty"`
}

// project keeps the fields of m that fs names.
func project(m *Match, fs matchFields) DeliveredMatch {
	d := DeliveredMatch{ID: m.ID}
	list := func(v []string) *[]string {
		if v == nil {
			v = []string{}
		}
		return &v
	}
	if fs.has(fieldTitle) {
		d.Title = &m.Title
	}
	if fs.has(fieldDate) {
		d.Date = &m.Date
	}
	if fs.has(fieldSource) {
		d.Source = &m.Source
	}
	if fs.has(fieldURL) {
		d.URL = &m.URL
	}
	if fs.has(fieldSnippet) {
		d.Snippet = &m.Snippet
	}
	if fs.has(fieldSpeakers) {
		d.Speakers = list(m.Speakers)
	}
	if fs.has(fieldCountries) {
		d.Countries = list(m.Countries)
	}
	if fs.has(fieldTopics) {
		d.Topics = list(m.Topics)
	}
	if fs.has(fieldMainCountries) {
		d.MainCountries = list(m.MainCountries)
	}
	return d
}
