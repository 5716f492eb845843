package web

// The feeds page: a shell filled in by /static/feeds.js.

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *Server) handleFeedsPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "feeds", pageData{Title: "Feeds", Nav: "feeds"})
}
