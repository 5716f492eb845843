package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/saved"
)

// savedRoutes wires /api/saved-searches. Saved searches are kept per
// key: every call needs a key, on an open server too, and a read key
// may keep its own (they change nothing anyone else sees). A key sees
// and changes only its own; an admin key any key's, and lists them all
// with ?all=true. Another key's search answers 404, as an unknown one.
// Without a saved-search service the routes answer 503.
func (s *Server) savedRoutes(api *echo.Group) {
	on := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if s.cfg.Saved == nil {
				return news.Errorf(news.ECodeUnavailable, "saved searches are not enabled on this server")
			}
			return next(c)
		}
	}
	read := chain(s.requireScope(keys.ScopeRead, true), on)
	change := chain(s.limiter, s.requireScope(keys.ScopeRead, true), LimitBody(SmallBodyLimit), on)
	api.GET("/saved-searches", s.handleListSaved, read)
	api.POST("/saved-searches", s.handleCreateSaved, change, requireJSON)
	api.GET("/saved-searches/:id", s.handleGetSaved, read)
	api.PATCH("/saved-searches/:id", s.handlePatchSaved, change, requireJSON)
	api.DELETE("/saved-searches/:id", s.handleDeleteSaved, change)
}

// savedCaller is who a saved-search call acts for.
func (s *Server) savedCaller(c echo.Context) saved.Caller {
	w := s.callerOf(c).who
	return saved.Caller{KeyID: w.KeyID, Admin: w.Scope.Allows(keys.ScopeAdmin)}
}

func (s *Server) savedInput(c echo.Context) (saved.Input, error) {
	var in saved.Input
	body, err := s.readBody(c)
	if err != nil {
		return in, err
	}
	if len(body) == 0 {
		return in, news.Errorf(news.ECodeBadRequest, "request body is empty; want a saved search JSON object")
	}
	return in, decodeStrict(body, &in)
}

func (s *Server) handleCreateSaved(c echo.Context) error {
	in, err := s.savedInput(c)
	if err != nil {
		return err
	}
	sr, err := s.cfg.Saved.Create(c.Request().Context(), s.savedCaller(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sr)
}

func (s *Server) handleListSaved(c echo.Context) error {
	all := false
	switch c.QueryParam("all") {
	case "", "false":
	case "true":
		all = true
	default:
		return news.Errorf(news.ECodeInvalid, "all must be true or false")
	}
	ss, err := s.cfg.Saved.List(c.Request().Context(), s.savedCaller(c), all)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"saved_searches": ss})
}

func (s *Server) handleGetSaved(c echo.Context) error {
	sr, err := s.cfg.Saved.Get(c.Request().Context(), s.savedCaller(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sr)
}

func (s *Server) handlePatchSaved(c echo.Context) error {
	in, err := s.savedInput(c)
	if err != nil {
		return err
	}
	sr, err := s.cfg.Saved.Update(c.Request().Context(), s.savedCaller(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sr)
}

func (s *Server) handleDeleteSaved(c echo.Context) error {
	if err := s.cfg.Saved.Delete(c.Request().Context(), s.savedCaller(c), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("id"), "deleted": true})
}
