package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/news"
)

// The pause link of an alert's emails (their List-Unsubscribe): the
// token in its query string is the only credential, so the routes need
// no session. GET shows what the link pauses and a button; POST
// pauses, which is also RFC 8058's one-click unsubscribe (a mail client
// POSTs List-Unsubscribe=One-Click to the link). A GET never pauses: a
// mail scanner that follows links changes nothing.

// pausePage is what the pause page shows.
type pausePage struct {
	Name    string
	Enabled bool
	Done    bool   // paused by this request
	Action  string // the form's target: this link
	Message string // why the link does not work
}

func (s *Server) pauseRoutes() {
	s.e.GET("/alerts/:id/pause", s.handlePausePage, s.readLimiter)
	s.e.POST("/alerts/:id/pause", s.handlePause, s.limiter, LimitBody(LoginBodyLimit))
}

func (s *Server) handlePausePage(c echo.Context) error {
	if s.cfg.Alerts == nil {
		return news.Errorf(news.ECodeUnavailable, "alerts are not enabled on this server")
	}
	id, token := c.Param("id"), c.QueryParam("token")
	info, err := s.cfg.Alerts.CheckPause(c.Request().Context(), id, token)
	return s.renderPause(c, info, false, err, id, token)
}

func (s *Server) handlePause(c echo.Context) error {
	if s.cfg.Alerts == nil {
		return news.Errorf(news.ECodeUnavailable, "alerts are not enabled on this server")
	}
	id, token := c.Param("id"), c.QueryParam("token")
	info, err := s.cfg.Alerts.Pause(c.Request().Context(), id, token)
	return s.renderPause(c, info, err == nil, err, id, token)
}

// renderPause shows the page; a link that is not valid is a 404 page.
func (s *Server) renderPause(c echo.Context, info alerts.PauseInfo, done bool, err error, id, token string) error {
	status := http.StatusOK
	p := pausePage{Name: info.Name, Enabled: info.Enabled, Done: done,
		Action: "/alerts/" + url.PathEscape(id) + "/pause?token=" + url.QueryEscape(token)}
	switch {
	case news.ErrorCode(err) == news.ECodeNotFound:
		status = http.StatusNotFound
		p.Message = "This pause link is not valid: the alert was deleted, or its signing secret was rotated since the email was sent."
	case err != nil:
		return err
	}
	return s.render(c, status, "pause", pageData{Title: "Pause an alert", Nav: "alerts", Body: p})
}
