package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
)

// alertRoutes adds the alert API. Reads of alerts need a read key on
// every server, open or --private (read is the server's read check,
// which an open server does not enforce: it is replaced here by an
// enforced one). Without an alert service the routes answer 503
// unavailable.
func (s *Server) alertRoutes(api *echo.Group, _, write echo.MiddlewareFunc) {
	read := s.requireScope(keys.ScopeRead, true)
	on := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if s.cfg.Alerts == nil {
				return news.Errorf(news.ECodeUnavailable, "alerts are not enabled on this server")
			}
			return next(c)
		}
	}
	read = alertChain(read, on)
	write = alertChain(write, on)
	api.POST("/alerts", s.handleCreateAlert, write, requireJSON)
	api.GET("/alerts", s.handleListAlerts, read)
	api.GET("/alerts/:id", s.handleGetAlert, read)
	api.PATCH("/alerts/:id", s.handlePatchAlert, write, requireJSON)
	api.DELETE("/alerts/:id", s.handleDeleteAlert, write)
	api.GET("/alerts/:id/preview", s.handlePreviewAlert, read)
	api.POST("/alerts/:id/run", s.handleRunAlert, write)
	api.POST("/alerts/:id/test", s.handleTestAlert, write)
	api.POST("/alerts/:id/rotate-secret", s.handleRotateSecret, write, optionalJSON)
	api.GET("/alerts/:id/deliveries", s.handleDeliveries, read) // web/alerts_feed.go
	api.GET("/alerts/:id/feed.atom", s.handleAlertFeed, s.readLimiter, on, s.feedAuth)
	api.POST("/alerts/:id/feed-key", s.handleRotateFeedKey, write)
	api.POST("/deliveries/:id/redeliver", s.handleRedeliver, write)
	api.POST("/deliveries/:id/retry", s.handleRetryDelivery, write)
}

// alertChain runs a, then b, then the handler.
func alertChain(a, b echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc { return a(b(next)) }
}

func (s *Server) alertInput(c echo.Context) (*alerts.Input, error) {
	body, err := s.readBody(c)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, news.Errorf(news.ECodeBadRequest, "request body is empty; want an alert JSON object")
	}
	return alerts.DecodeInput(body)
}

func (s *Server) handleCreateAlert(c echo.Context) error {
	in, err := s.alertInput(c)
	if err != nil {
		return err
	}
	in.CreatedBy = s.callerOf(c).who.KeyID
	v, err := s.cfg.Alerts.Create(c.Request().Context(), in)
	if err != nil {
		return err
	}
	s.filterWarnings(c, &v)
	return c.JSON(http.StatusCreated, s.alertView(c, v))
}

// filterWarnings adds to the answer of a create or update the filter
// values no article has yet. The alert is saved by then: a failure here
// costs the warnings, not the answer.
func (s *Server) filterWarnings(c echo.Context, v *alerts.View) {
	ws, err := s.cfg.Alerts.FilterWarnings(c.Request().Context(), v.Filters)
	if err != nil {
		s.log.Warn("alerts: cannot check filter values", "alert", v.ID, "err", err)
		return
	}
	v.Warnings = ws
}

func (s *Server) handleListAlerts(c echo.Context) error {
	vs, err := s.cfg.Alerts.Views(c.Request().Context())
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []alerts.View{}
	}
	for i := range vs {
		vs[i] = s.alertView(c, vs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"alerts": vs})
}

func (s *Server) handleGetAlert(c echo.Context) error {
	v, err := s.cfg.Alerts.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.alertView(c, v))
}

// alertView is an alert as the caller may see it: webhook URLs whole
// to a key that may write, who created it to an admin key.
func (s *Server) alertView(c echo.Context, v alerts.View) alerts.View {
	if !s.fullURLs(c) {
		v = v.Redacted()
	}
	if !s.allows(c, keys.ScopeAdmin) {
		v = v.Anonymous()
	}
	return v
}

func (s *Server) handlePatchAlert(c echo.Context) error {
	in, err := s.alertInput(c)
	if err != nil {
		return err
	}
	v, err := s.cfg.Alerts.Update(c.Request().Context(), c.Param("id"), in)
	if err != nil {
		return err
	}
	s.filterWarnings(c, &v)
	return c.JSON(http.StatusOK, s.alertView(c, v))
}

func (s *Server) handleDeleteAlert(c echo.Context) error {
	if err := s.cfg.Alerts.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("id"), "deleted": true})
}

func (s *Server) handlePreviewAlert(c echo.Context) error {
	p, err := s.cfg.Alerts.Preview(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) handleRunAlert(c echo.Context) error {
	r, err := s.cfg.Alerts.RunNow(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) handleTestAlert(c echo.Context) error {
	r, err := s.cfg.Alerts.SendTest(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// handleRotateSecret replaces an alert's signing secret. The optional
// JSON body {"grace":"24h"} says how long the replaced secret keeps
// signing beside the new one (default 24h, "0s" for at once).
func (s *Server) handleRotateSecret(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	grace, err := alerts.DecodeRotation(body)
	if err != nil {
		return err
	}
	v, err := s.cfg.Alerts.RotateSecret(c.Request().Context(), c.Param("id"), grace)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) handleRedeliver(c echo.Context) error {
	d, err := s.cfg.Alerts.Redeliver(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}

// handleRetryDelivery attempts a retrying delivery now instead of at its
// next_attempt_at.
func (s *Server) handleRetryDelivery(c echo.Context) error {
	d, err := s.cfg.Alerts.RetryNow(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}
