package web

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/news"
)

// exportFlushEvery is how many records an export writes between flushes
// (and write-deadline extensions).
const exportFlushEvery = 500

// exportIdle is how long one flush of an export may take: an export
// outlives the server's write timeout as long as the client keeps
// reading.
const exportIdle = time.Minute

// MaxExports bounds the exports running at once: each holds a page of
// sort keys and keeps a core busy.
const MaxExports = 4

// ExportColumns are the CSV export's columns, in order. Lists (speakers,
// countries, main_countries, topics) are joined with "; ".
var ExportColumns = []string{"id", "date", "title", "source", "url", "language", "speakers", "countries", "main_countries", "topics", "seq", "ingested_at", "body"}

// handleExport runs GET /api/search/export: every hit of a search (the
// search's parameters, without size and cursor) streamed in date order
// as CSV or NDJSON. Errors found before the first byte are the usual
// JSON errors; a failure mid-stream aborts the response, so the client
// sees a broken transfer rather than a file that looks complete.
func (s *Server) handleExport(c echo.Context) error {
	v := c.QueryParams()
	format := v.Get("format")
	if format == "" {
		format = "ndjson"
	}
	if format != "csv" && format != "ndjson" {
		return news.Errorf(news.ECodeInvalid, "format must be csv or ndjson, not %q", news.Clip(format))
	}
	if v.Has("cursor") || v.Has("size") {
		return news.Errorf(news.ECodeInvalid, "an export takes every hit: leave out size and cursor")
	}
	p, err := searchParams(v)
	if err != nil {
		return err
	}
	select {
	case s.exports <- struct{}{}:
		defer func() { <-s.exports }()
	default:
		c.Response().Header().Set("Retry-After", "10")
		return news.Errorf(news.ECodeRateLimited, "%d exports are running; try again when one has finished", MaxExports)
	}
	p.Size = 0 // the engine's page size
	if p.Sort == "" {
		p.Sort = "newest"
	}
	w := &exportWriter{c: c, format: format, rc: http.NewResponseController(c.Response())}
	res, err := s.eng.Export(c.Request().Context(), p, w.write)
	if err != nil {
		if !w.started {
			return err
		}
		s.Logger(c).Warn("web: export broken off", "exported", res.Exported, "err", err)
		panic(http.ErrAbortHandler) // tell the client the body is incomplete
	}
	if err := w.finish(); err != nil {
		s.Logger(c).Warn("web: export broken off at the end", "exported", res.Exported, "err", err)
		panic(http.ErrAbortHandler)
	}
	s.Logger(c).Info("web: export", "format", format, "total", res.Total, "exported", res.Exported)
	return nil
}

// exportWriter writes the records of an export, sending the headers with
// the first one (or at the end, for an empty export).
type exportWriter struct {
	c       echo.Context
	format  string
	rc      *http.ResponseController
	started bool
	n       int
	buf     *bufio.Writer
	csv     *csv.Writer
	enc     *json.Encoder
	line    []byte // an NDJSON record (appendExportJSON)
	row     []string
}

func (w *exportWriter) start() error {
	w.started = true
	h := w.c.Response().Header()
	name := "watchword-export-" + time.Now().UTC().Format("20060102-150405")
	if w.format == "csv" {
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		name += ".csv"
	} else {
		h.Set(echo.HeaderContentType, "application/x-ndjson")
		name += ".ndjson"
	}
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	w.c.Response().WriteHeader(http.StatusOK)
	w.buf = bufio.NewWriterSize(w.c.Response(), 64<<10)
	if w.format == "csv" {
		w.csv = csv.NewWriter(w.buf)
		w.row = make([]string, len(ExportColumns))
		return w.csv.Write(ExportColumns)
	}
	w.enc = json.NewEncoder(w.buf)
	w.enc.SetEscapeHTML(false)
	return nil
}

func (w *exportWriter) write(a *news.Article) error {
	if !w.started {
		if err := w.start(); err != nil {
			return err
		}
	}
	var err error
	if w.csv != nil {
		r := w.row
		r[0], r[1], r[2], r[3], r[4], r[5] = a.ID, a.Date.UTC().Format(time.RFC3339), cell(a.Title), cell(a.Source), cell(a.URL), a.Language
		r[6], r[7], r[8], r[9] = cell(strings.Join(a.Speakers, "; ")), cell(strings.Join(a.Countries, "; ")), cell(strings.Join(a.Main(), "; ")), cell(strings.Join(a.Topics, "; "))
		r[10], r[11], r[12] = strconv.FormatUint(a.Seq, 10), a.IngestedAt.UTC().Format(time.RFC3339), cell(a.Body)
		err = w.csv.Write(r)
	} else if line, ok := appendExportJSON(w.line[:0], a); ok {
		w.line = append(line, '\n')
		_, err = w.buf.Write(w.line)
	} else {
		rec := exportRecord{Article: a}
		if a.MainCountries == nil {
			b := *a // stored before main countries existed: see news.Article.Main
			b.MainCountries = a.Main()
			rec.Article = &b
		}
		err = w.enc.Encode(rec)
	}
	if err != nil {
		return fmt.Errorf("web: export: write: %w", err)
	}
	w.n++
	if w.n%exportFlushEvery == 0 {
		return w.flush()
	}
	return nil
}

func (w *exportWriter) flush() error {
	if w.csv != nil {
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return fmt.Errorf("web: export: %w", err)
		}
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("web: export: %w", err)
	}
	// The server's write timeout bounds a whole response; an export
	// instead gets exportIdle per flush, so it lasts as long as the
	// client reads. Not every writer can (httptest's recorder): fine.
	_ = w.rc.SetWriteDeadline(time.Now().Add(exportIdle))
	return w.rc.Flush()
}

func (w *exportWriter) finish() error {
	if !w.started {
		if err := w.start(); err != nil {
			return err
		}
	}
	return w.flush()
}

// exportRecord is an article as an NDJSON export writes it: its stored
// fields without the supplied/extracted bookkeeping.
type exportRecord struct {
	*news.Article
	Supplied  *struct{} `json:"supplied,omitempty"`
	Extracted *struct{} `json:"extracted,omitempty"`
}

// cell neutralises a CSV cell a spreadsheet would run as a formula (one
// starting with =, +, -, @, tab or carriage return, OWASP's "CSV
// injection") by putting an apostrophe before it; everything else is
// written as stored.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
