package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/news"
)

// handleSearch runs GET /api/search.
func (s *Server) handleSearch(c echo.Context) error {
	p, err := searchParams(c.QueryParams())
	if err != nil {
		return err
	}
	if err := s.waitMinSeq(c); err != nil {
		return err
	}
	ctx, cancel := s.searchContext(c)
	defer cancel()
	c.Response().Header().Set(HeaderIndexedSeq, strconv.FormatUint(s.eng.IndexedSeq(), 10))
	res, err := s.eng.Search(ctx, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// HeaderIndexedSeq answers every search with the highest ingest
// sequence the answering node had made searchable when the search ran:
// a client that wrote on one node of a cluster and reads on another
// passes its write's sequence as min_seq=.
const HeaderIndexedSeq = "Watchword-Indexed-Seq"

// MinSeqWait is how long a search with min_seq= waits for this node to
// have made that sequence searchable before it answers 503.
const MinSeqWait = 2 * time.Second

// waitMinSeq honours min_seq=: the search waits until every change up
// to it is searchable here (read-your-writes across a cluster's nodes),
// or answers 503 unavailable with Retry-After after MinSeqWait.
func (s *Server) waitMinSeq(c echo.Context) error {
	raw := c.QueryParam("min_seq")
	if raw == "" {
		return nil
	}
	seq, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return news.Errorf(news.ECodeInvalid, "min_seq must be a sequence number (a whole number ≥ 0), not %s", news.Clip(raw))
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), MinSeqWait)
	defer cancel()
	if s.eng.WaitIndexed(ctx, seq) {
		return nil
	}
	c.Response().Header().Set("Retry-After", "1")
	c.Response().Header().Set(HeaderIndexedSeq, strconv.FormatUint(s.eng.IndexedSeq(), 10))
	return news.Errorf(news.ECodeUnavailable, "min_seq %d is not searchable on this node yet (it has %d); retry, or ask another node", seq, s.eng.IndexedSeq())
}

// searchContext is the context a search runs under: the request's, so a
// client that hangs up stops its search, with the server's deadline.
func (s *Server) searchContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
}

// MaxQueryBytes bounds the q parameter; the parser has its own, lower
// limit and answers a positioned syntax error below this.
const MaxQueryBytes = 64 << 10

// searchParams reads and validates the search parameters.
func searchParams(v url.Values) (engine.SearchParams, error) {
	p := engine.SearchParams{
		Q:    v.Get("q"),
		Sort: v.Get("sort"),
		Filters: engine.Filters{
			Speakers: values(v, "speaker"), Countries: values(v, "country"),
			Topics: values(v, "topic"), Sources: values(v, "source"),
			Languages:     values(v, "language"),
			MainCountries: values(v, "main_country"),
		},
		Cursor: v.Get("cursor"),
	}
	switch p.Sort {
	case "", engine.SortRelevance, engine.SortNewest, engine.SortOldest:
	default:
		return p, news.Errorf(news.ECodeInvalid, "sort must be relevance, newest or oldest, not %q", p.Sort)
	}
	if len(p.Q) > MaxQueryBytes {
		return p, news.Errorf(news.ECodeTooLarge, "q is longer than %d bytes", MaxQueryBytes)
	}
	// Off unless asked: clients written before stories expect every
	// article and counts of articles (the UI asks for it).
	switch v.Get("collapse") {
	case "":
	case "story":
		p.Collapse = true
	default:
		return p, news.Errorf(news.ECodeInvalid, "collapse must be story or empty, not %q", news.Clip(v.Get("collapse")))
	}
	var err error
	if p.Size, err = intParam(v, "size", engine.DefaultSize, 0, engine.MaxSize); err != nil {
		return p, err
	}
	if p.FacetSize, err = intParam(v, "facet_size", engine.DefaultFacetSize, 0, engine.MaxFacetSize); err != nil {
		return p, err
	}
	now := time.Now()
	if s := strings.TrimSpace(v.Get("from")); s != "" {
		if p.From, _, err = dateParam(s, now); err != nil {
			return p, news.Errorf(news.ECodeInvalid, "from: %s", news.ErrorMessage(err))
		}
	}
	if s := strings.TrimSpace(v.Get("to")); s != "" {
		if _, p.To, err = dateParam(s, now); err != nil {
			return p, news.Errorf(news.ECodeInvalid, "to: %s", news.ErrorMessage(err))
		}
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To) {
		return p, news.Errorf(news.ECodeInvalid, "from must be before to")
	}
	return p, nil
}

// isRelativeDate reports whether a from or to value is date math
// relative to the time of the search (now-7d), not a date.
func isRelativeDate(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "now") }

// dateParam reads a from or to value: a date, a month, an instant, or
// date math relative to now (now-7d, now/d; the query language's). It
// returns where what it names starts and where it ends (exclusive), so
// that "to" includes the day (the month, the rounded unit) it names.
func dateParam(s string, now time.Time) (start, end time.Time, err error) {
	if isRelativeDate(s) {
		return engine.DateMath(s, now)
	}
	if start, err = news.ParseDate(s); err != nil {
		return start, end, err
	}
	return start, inclusiveEnd(s, start), nil
}

// inclusiveEnd turns an inclusive "to" into the exclusive bound the index
// takes: a date covers its whole day (a month its whole month), an
// instant covers itself.
func inclusiveEnd(s string, t time.Time) time.Time {
	switch len(strings.TrimSpace(s)) {
	case len("2006-01-02"):
		return t.AddDate(0, 0, 1)
	case len("2006-01"):
		return t.AddDate(0, 1, 0)
	}
	return t.Add(time.Nanosecond)
}

func values(v url.Values, key string) []string {
	var out []string
	for _, s := range v[key] {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func intParam(v url.Values, key string, def, lo, hi int) (int, error) {
	s := v.Get(key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, news.Errorf(news.ECodeInvalid, "%s must be a whole number from %d to %d", key, lo, hi)
	}
	return n, nil
}
