package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
)

// readyWait is how long /readyz waits for writes in flight at the time of
// the probe to become searchable before it reports the index behind: every
// ingest commits to the store a moment before its index batch lands.
const readyWait = 2 * time.Second

// opsRoutes registers the probes, the metrics, the API description and
// the online backup.
func (s *Server) opsRoutes() {
	e := s.e
	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/metrics", s.handleMetrics(), s.requireScope(keys.ScopeRead, s.cfg.Private))
	e.GET("/api/openapi.json", s.handleOpenAPI)
	e.GET("/api/backup", s.handleBackup, s.adminRoute(0))
}

// handleHealthz answers 200 while the process serves HTTP at all.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 when the store and index are open and the index
// has caught up with every change the store had when the probe arrived,
// 503 otherwise (and from the moment shutdown begins).
func (s *Server) handleReadyz(c echo.Context) error {
	if err := s.ready(c.Request().Context()); err != nil {
		return news.Errorf(news.ECodeUnavailable, "%s", err.Error())
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) ready(ctx context.Context) error {
	if s.closing.Load() {
		return fmt.Errorf("shutting down")
	}
	last, err := s.eng.Health(ctx)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(readyWait)
	for {
		idx := s.eng.IndexedSeq()
		if idx >= last {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("index is catching up: %d changes behind the store", last-idx)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
