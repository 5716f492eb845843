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

// ClusterStatus is what /readyz needs of a cluster node.
type ClusterStatus interface {
	// Status reads this node's name, the replicated log's last sequence
	// and which node runs the scheduled work; an error when the node
	// can't reach the cluster.
	Status(ctx context.Context) (ClusterInfo, error)
}

// ClusterInfo is a cluster node's part of the /readyz answer.
type ClusterInfo struct {
	Node      string `json:"node"`
	LogLast   uint64 `json:"log_last"`   // the replicated log's last sequence
	Indexed   uint64 `json:"indexed"`    // what this node has made searchable
	Lag       uint64 `json:"lag"`        // LogLast - Indexed: the fold lag
	Scheduler string `json:"scheduler"`  // the node holding the scheduler lease ("" none)
	LogLeader string `json:"log_leader"` // the node leading the articles stream ("" during an election)
}

// handleReadyz answers 200 when the store and index are open and the index
// has caught up with every change the store had when the probe arrived
// (in a cluster: with the replicated log's last sequence), 503 otherwise
// (and from the moment shutdown begins). A cluster node reports its fold
// lag either way.
func (s *Server) handleReadyz(c echo.Context) error {
	info, err := s.ready(c.Request().Context())
	if err != nil {
		if info != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"error": errorDetail{Code: news.ECodeUnavailable, Message: err.Error()}, "cluster": info})
		}
		return news.Errorf(news.ECodeUnavailable, "%s", err.Error())
	}
	if info != nil {
		return c.JSON(http.StatusOK, map[string]any{"status": "ok", "cluster": info})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) ready(ctx context.Context) (*ClusterInfo, error) {
	if s.closing.Load() {
		return nil, fmt.Errorf("shutting down")
	}
	last, err := s.eng.Health(ctx)
	if err != nil {
		return nil, err
	}
	var info *ClusterInfo
	if s.cfg.Cluster != nil {
		ci, err := s.cfg.Cluster.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		info = &ci
		last = max(last, ci.LogLast)
	}
	deadline := time.Now().Add(readyWait)
	for {
		idx := s.eng.IndexedSeq()
		if info != nil {
			info.Indexed = idx
			info.Lag = info.LogLast - min(idx, info.LogLast)
		}
		if idx >= last {
			return info, nil
		}
		if time.Now().After(deadline) {
			return info, fmt.Errorf("index is catching up: %d changes behind", last-idx)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
