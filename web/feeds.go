package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
)

// feedRoutes adds the feed API. Without a feed service the routes answer
// 503 unavailable.
func (s *Server) feedRoutes(api *echo.Group, read, write echo.MiddlewareFunc) {
	on := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if s.cfg.Feeds == nil {
				return news.Errorf(news.ECodeUnavailable, "feeds are not enabled on this server")
			}
			return next(c)
		}
	}
	read = chain(read, on)
	write = chain(write, on)
	api.POST("/feeds", s.handleCreateFeed, write, requireJSON)
	api.GET("/feeds", s.handleListFeeds, read)
	api.GET("/feeds/:id", s.handleGetFeed, read)
	api.PATCH("/feeds/:id", s.handlePatchFeed, write, requireJSON)
	api.DELETE("/feeds/:id", s.handleDeleteFeed, write)
	api.POST("/feeds/:id/poll", s.handlePollFeed, write)
}

func (s *Server) feedInput(c echo.Context) (*feeds.Input, error) {
	body, err := s.readBody(c)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, news.Errorf(news.ECodeBadRequest, "request body is empty; want a feed JSON object")
	}
	return feeds.DecodeInput(body)
}

func (s *Server) handleCreateFeed(c echo.Context) error {
	in, err := s.feedInput(c)
	if err != nil {
		return err
	}
	in.CreatedBy = s.callerOf(c).who.KeyID
	v, err := s.cfg.Feeds.Create(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.feedView(c, v))
}

func (s *Server) handleListFeeds(c echo.Context) error {
	vs, err := s.cfg.Feeds.Views(c.Request().Context())
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []feeds.View{}
	}
	for i := range vs {
		vs[i] = s.feedView(c, vs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"feeds": vs})
}

func (s *Server) handleGetFeed(c echo.Context) error {
	v, err := s.cfg.Feeds.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.feedView(c, v))
}

// feedView is a feed as the caller may see it: its URLs whole to a key
// that may write, who created it to an admin key.
func (s *Server) feedView(c echo.Context, v feeds.View) feeds.View {
	if !s.fullURLs(c) {
		v = v.Redacted()
	}
	if !s.allows(c, keys.ScopeAdmin) {
		v.CreatedBy = ""
	}
	return v
}

func (s *Server) handlePatchFeed(c echo.Context) error {
	in, err := s.feedInput(c)
	if err != nil {
		return err
	}
	v, err := s.cfg.Feeds.Update(c.Request().Context(), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.feedView(c, v))
}

func (s *Server) handleDeleteFeed(c echo.Context) error {
	if err := s.cfg.Feeds.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("id"), "deleted": true})
}

// handlePollFeed polls a feed now. A failed fetch or a malformed document
// is the poll's outcome, not an error of the request: 200 with status
// "error" and the reason.
func (s *Server) handlePollFeed(c echo.Context) error {
	r, err := s.cfg.Feeds.Poll(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
