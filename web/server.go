// Package web is Watchword's HTTP face: the JSON API, its auth and limits,
// and (later) the embedded UI. Handlers stay thin: they decode, call the
// engine and encode.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/feeds"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/saved"
	"github.com/watchword/watchword/internal/schedule"
)

// DefaultMaxBody is the default limit on request bodies.
const DefaultMaxBody = 32 << 20

// DefaultSearchTimeout is the default deadline of one search.
const DefaultSearchTimeout = 10 * time.Second

// Config configures the server.
type Config struct {
	Engine *engine.Engine
	Token  string // the first admin key (see Keys)
	// Keys checks the API keys people use (internal/keys); nil: only
	// Token is a key.
	Keys    *keys.Service
	Private bool  // reads need the token too
	MaxBody int64 // request body limit in bytes
	Logger  *slog.Logger
	// Registry holds the metrics GET /metrics serves; nil: a new one.
	// Pass your own to register other layers' collectors (alerts) in it.
	Registry  *prometheus.Registry
	RateLimit float64 // write requests per second per client IP; 0: no limit
	// ReadRateLimit is searches and article reads (API and UI search
	// page) per second per client IP, counted apart from writes; 0: no
	// limit.
	ReadRateLimit float64
	// SearchTimeout is the deadline of one search (API and UI); past it
	// the answer is 503 timeout. 0: DefaultSearchTimeout.
	SearchTimeout time.Duration
	TrustProxy    bool // take the client IP from X-Forwarded-For
	// Cluster is this node's view of its cluster, for /readyz; nil on a
	// single node.
	Cluster ClusterStatus
	// Alerts serves /api/alerts and /api/deliveries; nil: they answer 503.
	Alerts *alerts.Service
	// Feeds serves /api/feeds; nil: it answers 503.
	Feeds *feeds.Service
	// Saved serves /api/saved-searches; nil: it answers 503.
	Saved *saved.Service
	// Hold is the hold of a restored store's schedulers (nil: none); the
	// pages show a banner while it is held.
	Hold *schedule.Hold
	// Resume releases Hold durably, for POST /api/admin/resume.
	Resume func(context.Context) error
}

// Server is the HTTP server.
type Server struct {
	cfg  Config
	e    *echo.Echo
	h    http.Handler // e behind the compression (web/compress.go)
	eng  *engine.Engine
	log  *slog.Logger
	srv  *http.Server
	addr net.Addr

	metrics     *metrics
	limiter     echo.MiddlewareFunc // shared by every write route
	readLimiter echo.MiddlewareFunc // shared by search and article reads
	sessions    *sessionStore       // UI sign-ins (web/session.go)
	exports     chan struct{}       // one slot per running export (web/export.go)
	keys        *keys.Service       // who a request acts as (web/auth.go)
	closing     atomic.Bool         // shutdown has begun: not ready
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("web: engine is required")
	}
	if cfg.Token == "" {
		return nil, errors.New("web: token is required")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.SearchTimeout <= 0 {
		cfg.SearchTimeout = DefaultSearchTimeout
	}
	if cfg.Keys == nil {
		cfg.Keys = keys.New(nil, cfg.Token, nil)
	}
	s := &Server{cfg: cfg, eng: cfg.Engine, log: cfg.Logger, keys: cfg.Keys}
	m, err := newMetrics(cfg.Registry, cfg.Engine)
	if err != nil {
		return nil, fmt.Errorf("web: metrics: %w", err)
	}
	s.metrics = m
	s.limiter = s.rateLimit(cfg.RateLimit, "write")
	s.readLimiter = s.rateLimit(cfg.ReadRateLimit, "read")
	s.exports = make(chan struct{}, MaxExports)
	s.sessions = newSessionStore(MaxSessions, SessionTTL, time.Now)
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.errorHandler
	s.useOps(e)
	s.e = e
	s.routes()
	if s.h, err = compressed(e); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) routes() {
	e := s.e
	read := s.requireScope(keys.ScopeRead, s.cfg.Private)
	limitedRead := chain(s.readLimiter, read) // reads that cost: search, articles
	write := s.writeRoute(SmallBodyLimit)     // rate limit, token, 1 MiB body

	s.uiRoutes() // pages and /static (web/ui.go); their own read check accepts the login cookie
	s.opsRoutes()

	api := e.Group("/api")
	api.POST("/articles", s.handleIngest, s.writeRoute(0)) // --max-body, in the handler
	api.GET("/articles/:id", s.handleGetArticle, limitedRead)
	api.DELETE("/articles/:id", s.handleDeleteArticle, write)
	api.GET("/search", s.handleSearch, limitedRead)
	api.GET("/search/export", s.handleExport, limitedRead)
	s.alertRoutes(api, read, write) // web/alerts.go
	s.feedRoutes(api, read, write)  // web/feeds.go
	api.POST("/admin/resume", s.handleResume, s.adminRoute(SmallBodyLimit))
	s.keyRoutes(api)   // web/keys.go
	s.savedRoutes(api) // web/saved.go
}

// handleResume releases the schedulers and senders of a restored store
// (see Config.Hold) and clears its held mark. It answers whether they
// were held; resuming twice is harmless.
func (s *Server) handleResume(c echo.Context) error {
	held, reason := s.cfg.Hold.Held()
	if held {
		if s.cfg.Resume == nil {
			return news.Errorf(news.ECodeUnavailable, "this server cannot resume its schedulers")
		}
		if err := s.cfg.Resume(c.Request().Context()); err != nil {
			return err
		}
		s.Logger(c).Warn("web: schedulers resumed over the API", "held", reason)
	}
	return c.JSON(http.StatusOK, map[string]any{"resumed": held, "held": false})
}

// Handler returns the HTTP handler (for tests and custom servers).
func (s *Server) Handler() http.Handler { return s.h }

// Start listens on addr and serves until Shutdown. It returns once the
// listener is open; serving errors are logged.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen %s: %w", addr, err)
	}
	s.addr = ln.Addr()
	s.srv = &http.Server{
		Handler:           s.h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("web: serve", "err", err)
		}
	}()
	return nil
}

// Addr is the address the server listens on, after Start.
func (s *Server) Addr() net.Addr { return s.addr }

// Shutdown stops accepting connections and waits for in-flight requests.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true) // /readyz answers 503 from now on
	if s.srv == nil {
		return nil
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}

// readBody reads the request body up to the configured limit.
func (s *Server) readBody(c echo.Context) ([]byte, error) {
	r := http.MaxBytesReader(c.Response(), c.Request().Body, s.cfg.MaxBody)
	data, err := io.ReadAll(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, news.Errorf(news.ECodeTooLarge, "request body is larger than %d bytes", s.cfg.MaxBody)
		}
		return nil, news.Errorf(news.ECodeBadRequest, "reading request body: %v", err)
	}
	return data, nil
}
