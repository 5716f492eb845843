package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/news"
)

type ingestResponse struct {
	Error   *errorDetail       `json:"error,omitempty"`
	Indexed int                `json:"indexed"`
	IDs     []string           `json:"ids"`
	Errors  []engine.ItemError `json:"errors"`
	// Seq is a sequence at or after every article stored here: search
	// on any node of a cluster with min_seq=Seq to see them.
	Seq uint64 `json:"seq,omitempty"`
}

// handleIngest stores and indexes the articles in the body. Items that fail
// are reported by position; the rest are stored. The response is sent only
// after every stored article is durable and searchable.
func (s *Server) handleIngest(c echo.Context) error {
	data, err := s.readBody(c)
	if err != nil {
		return err
	}
	// A facet supplied as [] means none supplied (extraction fills it)
	// unless ?keep_empty=true: then the client says "none".
	keepEmpty := false
	if v := c.QueryParam("keep_empty"); v != "" {
		if keepEmpty, err = strconv.ParseBool(v); err != nil {
			return news.Errorf(news.ECodeBadRequest, "keep_empty must be true or false, not %q", v)
		}
	}
	items, err := ingest.DecodeWith(c.Request().Header.Get(echo.HeaderContentType), data, ingest.Options{KeepEmpty: keepEmpty})
	if err != nil {
		return err
	}
	arts := make([]*news.Article, 0, len(items))
	pos := make([]int, 0, len(items)) // position of arts[i] in items
	resp := ingestResponse{IDs: []string{}, Errors: []engine.ItemError{}}
	for i, it := range items {
		if it.Err != nil {
			resp.Errors = append(resp.Errors, engine.ItemError{Index: i, Code: news.ErrorCode(it.Err), Message: news.ErrorMessage(it.Err)})
			continue
		}
		arts = append(arts, it.Article)
		pos = append(pos, i)
	}
	ids, rejected, err := s.eng.Ingest(c.Request().Context(), arts)
	if err != nil {
		return err
	}
	for _, r := range rejected {
		r.Index = pos[r.Index]
		resp.Errors = append(resp.Errors, r)
	}
	slices.SortStableFunc(resp.Errors, func(a, b engine.ItemError) int { return a.Index - b.Index })
	resp.IDs = ids
	resp.Indexed = len(ids)
	s.metrics.observeIngest(len(items), len(ids), resp.Errors)
	if len(ids) == 0 {
		first := resp.Errors[0]
		msg := "no article could be stored: item " + strconv.Itoa(first.Index) + ": " + first.Message
		if len(items) == 1 {
			msg = first.Message
		}
		resp.Error = &errorDetail{Code: first.Code, Message: msg}
		status := statusOf[first.Code]
		if status == 0 || len(items) > 1 {
			status = http.StatusBadRequest
		}
		return c.JSON(status, resp)
	}
	resp.Seq = s.eng.IndexedSeq() // Ingest returned: every stored article is searchable, so at or below this
	c.Response().Header().Set(HeaderIndexedSeq, strconv.FormatUint(resp.Seq, 10))
	return c.JSON(http.StatusOK, resp)
}

// pathParam returns a path parameter percent-decoded exactly once. Go
// keeps the decoded path in URL.Path and the raw one in URL.RawPath only
// when its escaping is not the default; echo routes on RawPath when it is
// set, so its parameter is then still escaped, and otherwise already
// decoded. Decoding it again would turn /articles/a%2541 into "aA".
func pathParam(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v, nil
	}
	u, err := url.PathUnescape(v)
	if err != nil {
		return "", news.Errorf(news.ECodeBadRequest, "%s is not a valid path segment: %v", name, err)
	}
	return u, nil
}

// handleGetArticle returns one stored article.
func (s *Server) handleGetArticle(c echo.Context) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	a, err := s.eng.Article(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// handleDeleteArticle removes an article from the store and the index.
func (s *Server) handleDeleteArticle(c echo.Context) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.eng.Delete(c.Request().Context(), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deleted": id})
}
