// Package saved keeps the searches people name and reopen: a query, its
// filters, dates and sort, per API key. A key sees and changes its own
// saved searches; an admin key sees and changes everyone's.
//
// The records sit behind Store, a seam like the others: the bbolt
// implementation is internal/saved/boltstore and every implementation
// passes the conformance suite in internal/saved/savedtest.
package saved

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// Limits of a saved search.
const (
	MaxNameChars    = 200      // a name, in characters
	MaxQueryBytes   = 16 << 10 // the query
	MaxFilterValues = 50       // filter values of all kinds together
	MaxValueBytes   = 200      // one filter value
	MaxPerOwner     = 200      // saved searches per key
)

// Filters are a search's filter values by kind, named as the search
// API's parameters.
type Filters struct {
	Speakers      []string `json:"speaker,omitempty"`
	Countries     []string `json:"country,omitempty"`
	MainCountries []string `json:"main_country,omitempty"`
	Topics        []string `json:"topic,omitempty"`
	Sources       []string `json:"source,omitempty"`
	Languages     []string `json:"language,omitempty"`
}

// Lists returns the filter lists with their parameter names.
func (f *Filters) Lists() []struct {
	Param string
	Vals  *[]string
} {
	return []struct {
		Param string
		Vals  *[]string
	}{
		{"speaker", &f.Speakers}, {"country", &f.Countries}, {"main_country", &f.MainCountries},
		{"topic", &f.Topics}, {"source", &f.Sources}, {"language", &f.Languages},
	}
}

// Params is the search a saved search reopens.
type Params struct {
	Query   string  `json:"query"`
	Filters Filters `json:"filters"`
	// From and To are the date range as the search page takes it: a
	// date (2026-03-01), a month, an instant, or date math relative to
	// when the search runs (now-7d, now/d). Empty: open.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Sort string `json:"sort,omitempty"` // relevance, newest, oldest; empty: the default
}

// Search is a saved search.
type Search struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Params
	// Owner is the id of the key whose search it is (the one that
	// created it); CreatedBy says the same and is kept apart so an
	// admin may one day hand a search over.
	Owner     string    `json:"owner"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   uint64    `json:"version"` // bumped by every write (compare-and-set)
}

// Store keeps the saved searches.
type Store interface {
	// Create stores a new search with Version 1 (and sets s.Version)
	// unless its owner already has max searches (news.ECodeConflict
	// then, counted in the same transaction); an existing id is
	// news.ECodeConflict too.
	Create(ctx context.Context, s *Search, max int) error
	// Get returns a search, or a news.ECodeNotFound error.
	Get(ctx context.Context, id string) (*Search, error)
	// List returns the searches of owner ("" for everyone's), oldest
	// first (CreatedAt, then ID).
	List(ctx context.Context, owner string) ([]*Search, error)
	// Update replaces a search when its stored Version is s.Version,
	// stores it with the version bumped and sets s.Version;
	// news.ECodeNotFound, news.ECodeConflict.
	Update(ctx context.Context, s *Search) error
	// Delete removes a search at version; news.ECodeNotFound,
	// news.ECodeConflict.
	Delete(ctx context.Context, id string, version uint64) error
}

// ErrNotFound is the answer for an unknown id (and for another key's
// search: its existence is not told).
func ErrNotFound(id string) error {
	return news.Errorf(news.ECodeNotFound, "no saved search %q", news.Clip(id))
}

// ErrConflict is the answer to a stale version or a taken id.
func ErrConflict(id string) error {
	return news.Errorf(news.ECodeConflict, "saved search %s changed meanwhile or exists", news.Clip(id))
}

// ErrTooMany refuses a search over the owner's limit.
func ErrTooMany(max int) error {
	return news.Errorf(news.ECodeConflict, "this key has %d saved searches, the most it may keep; delete one first", max)
}

// Validate checks and trims a search's name and parameters.
func (s *Search) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "":
		return news.Errorf(news.ECodeInvalid, "name: a saved search needs a name")
	case !utf8.ValidString(s.Name) || utf8.RuneCountInString(s.Name) > MaxNameChars:
		return news.Errorf(news.ECodeInvalid, "name: at most %d characters of valid UTF-8", MaxNameChars)
	case len(s.Query) > MaxQueryBytes:
		return news.Errorf(news.ECodeTooLarge, "query: at most %d bytes", MaxQueryBytes)
	case !utf8.ValidString(s.Query):
		return news.Errorf(news.ECodeInvalid, "query: not valid UTF-8")
	}
	n := 0
	for _, l := range s.Filters.Lists() {
		var keep []string
		for _, v := range *l.Vals {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if len(v) > MaxValueBytes || !utf8.ValidString(v) {
				return news.Errorf(news.ECodeInvalid, "filters.%s: a value is over %d bytes or not UTF-8", l.Param, MaxValueBytes)
			}
			keep = append(keep, v)
		}
		*l.Vals = keep
		n += len(keep)
	}
	if n > MaxFilterValues {
		return news.Errorf(news.ECodeInvalid, "filters: %d values; at most %d", n, MaxFilterValues)
	}
	s.From, s.To = strings.TrimSpace(s.From), strings.TrimSpace(s.To)
	for name, v := range map[string]string{"from": s.From, "to": s.To} {
		if len(v) > 64 {
			return news.Errorf(news.ECodeInvalid, "%s: at most 64 bytes", name)
		}
		if err := checkDate(v); err != nil {
			return news.Errorf(news.ECodeInvalid, "%s: %s", name, news.ErrorMessage(err))
		}
	}
	switch s.Sort {
	case "", "relevance", "newest", "oldest":
	default:
		return news.Errorf(news.ECodeInvalid, "sort must be relevance, newest or oldest, not %q", news.Clip(s.Sort))
	}
	return nil
}

// checkDate checks a from or to value as the search takes it: empty, a
// date, a month, an instant, or date math relative to now (now-7d).
func checkDate(v string) error {
	switch {
	case v == "":
		return nil
	case strings.HasPrefix(v, "now"):
		_, _, err := engine.DateMath(v, time.Now())
		return err
	}
	_, err := news.ParseDate(v)
	return err
}

// Service creates, lists, changes and deletes saved searches for a key.
type Service struct {
	store Store
	now   func() time.Time
	max   int
}

// New returns a service over store; now nil is time.Now, max 0 is
// MaxPerOwner.
func New(store Store, now func() time.Time, max int) *Service {
	if now == nil {
		now = time.Now
	}
	if max <= 0 {
		max = MaxPerOwner
	}
	return &Service{store: store, now: now, max: max}
}

// Caller is who acts: a key id, and whether it is an admin (who sees
// and changes every key's searches).
type Caller struct {
	KeyID string
	Admin bool
}

// Input is what a client writes: every field on create; on update only
// the ones set (a nil Params keeps the search, a nil Name the name).
type Input struct {
	Name   *string `json:"name"`
	Params *Params `json:"search"`
}

// Create saves a search for who.
func (s *Service) Create(ctx context.Context, who Caller, in Input) (*Search, error) {
	if who.KeyID == "" {
		return nil, news.Errorf(news.ECodeUnauthorized, "saved searches are kept per key: sign in with one")
	}
	if in.Name == nil {
		return nil, news.Errorf(news.ECodeInvalid, "name: a saved search needs a name")
	}
	now := s.now().UTC()
	sr := &Search{Name: *in.Name, Owner: who.KeyID, CreatedBy: who.KeyID, CreatedAt: now, UpdatedAt: now}
	if in.Params != nil {
		sr.Params = *in.Params
	}
	if err := sr.Validate(); err != nil {
		return nil, err
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("saved: id: %w", err)
	}
	sr.ID = "ss_" + hex.EncodeToString(b[:])
	if err := s.store.Create(ctx, sr, s.max); err != nil {
		return nil, err
	}
	return sr, nil
}

// List returns who's searches, or with all (an admin only) everyone's.
func (s *Service) List(ctx context.Context, who Caller, all bool) ([]*Search, error) {
	owner := who.KeyID
	if all {
		if !who.Admin {
			return nil, news.Errorf(news.ECodeForbidden, "only an admin key lists every key's saved searches")
		}
		owner = ""
	}
	if owner == "" && !all {
		return []*Search{}, nil
	}
	out, err := s.store.List(ctx, owner)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []*Search{}
	}
	return out, nil
}

// Get returns one of who's searches (any, for an admin).
func (s *Service) Get(ctx context.Context, who Caller, id string) (*Search, error) {
	sr, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if sr.Owner != who.KeyID && !who.Admin {
		return nil, ErrNotFound(id)
	}
	return sr, nil
}

// Update renames a search or replaces its parameters.
func (s *Service) Update(ctx context.Context, who Caller, id string, in Input) (*Search, error) {
	for range 3 {
		sr, err := s.Get(ctx, who, id)
		if err != nil {
			return nil, err
		}
		if in.Name != nil {
			sr.Name = *in.Name
		}
		if in.Params != nil {
			sr.Params = *in.Params
		}
		if err := sr.Validate(); err != nil {
			return nil, err
		}
		sr.UpdatedAt = s.now().UTC()
		err = s.store.Update(ctx, sr)
		if news.ErrorCode(err) == news.ECodeConflict {
			continue // changed meanwhile: read it again
		}
		if err != nil {
			return nil, err
		}
		return sr, nil
	}
	return nil, news.Errorf(news.ECodeConflict, "saved search %s kept changing; try again", news.Clip(id))
}

// Delete removes one of who's searches (any, for an admin).
func (s *Service) Delete(ctx context.Context, who Caller, id string) error {
	for range 3 {
		sr, err := s.Get(ctx, who, id)
		if err != nil {
			return err
		}
		err = s.store.Delete(ctx, id, sr.Version)
		if news.ErrorCode(err) == news.ECodeConflict {
			continue
		}
		return err
	}
	return news.Errorf(news.ECodeConflict, "saved search %s kept changing; try again", news.Clip(id))
}
