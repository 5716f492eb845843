package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleIndexPage serves a minimal page until the full UI lands.
func (s *Server) handleIndexPage(c echo.Context) error {
	return c.HTML(http.StatusOK, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Watchword</title></head>
<body><h1>Watchword</h1><p>The JSON API is at <a href="/api/search?q=">/api/search</a>.</p></body></html>`)
}
