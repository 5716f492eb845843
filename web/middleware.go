package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/news"
	"golang.org/x/time/rate"
)

// SmallBodyLimit is the request body limit of write routes other than the
// article ingest (which uses Config.MaxBody): alerts, deletes and so on.
const SmallBodyLimit = 1 << 20

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

// contentSecurityPolicy applies to HTML responses: same-origin scripts,
// styles and images only, no inline script, no framing, no plugins.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// useOps installs the middleware every request goes through, outermost
// first: request id, access log and metrics, secure headers, panic
// recovery.
func (s *Server) useOps(e *echo.Echo) {
	// Clients are identified by the TCP peer address; X-Forwarded-For is
	// trusted only when configured (behind a reverse proxy).
	if s.cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	rec := middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.Logger(c).Error("web: panic", "err", err, "stack", string(stack))
			return err
		},
	})
	e.Use(s.requestID, s.accessLog, secureHeaders, rec, checkQuery)
}

// MaxQueryParams is the most parameters a query string may have; Go's
// url.ParseQuery refuses more (its urlmaxqueryparams default).
const MaxQueryParams = 10000

// checkQuery refuses a query string that does not parse: more than
// MaxQueryParams parameters, a bad %-escape, a semicolon. echo's
// QueryParams drops the whole query silently then, so a search would
// answer every article as if no q or filter had been sent.
func checkQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw := c.Request().URL.RawQuery
		if raw == "" {
			return next(c)
		}
		if n := strings.Count(raw, "&") + 1; n > MaxQueryParams {
			return news.Errorf(news.ECodeBadRequest, "the query string has more than %d parameters", MaxQueryParams)
		}
		if _, err := url.ParseQuery(raw); err != nil {
			return news.Errorf(news.ECodeBadRequest, "the query string does not parse: %v", err)
		}
		return next(c)
	}
}

// LoggerFrom returns the request's logger (it carries request_id), or
// fallback outside a request. The logger travels in the context through
// internal/logctx, so the engine, alerts and feeds log with it too.
func LoggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	return logctx.From(ctx, fallback)
}

// Logger returns the logger for this request; handlers log through it so
// every line carries the request id.
func (s *Server) Logger(c echo.Context) *slog.Logger {
	return LoggerFrom(c.Request().Context(), s.log)
}

// saneRequestID accepts client-supplied ids of 1 to 128 characters from a
// conservative set, so they are safe to log and echo back.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		ok := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			b == '-' || b == '_' || b == '.' || b == ':'
		if !ok {
			return false
		}
	}
	return true
}

// requestID takes a sane X-Request-Id from the client or makes one, sends
// it back, and puts a logger carrying it into the request context.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := req.Header.Get(HeaderRequestID)
		if !saneRequestID(id) {
			id = fmt.Sprintf("%016x", rand.Uint64())
		}
		c.Response().Header().Set(HeaderRequestID, id)
		c.Set("request_id", id)
		l := s.log.With("request_id", id)
		c.SetRequest(req.WithContext(logctx.With(req.Context(), l)))
		return next(c)
	}
}

// quietRoutes are logged at debug level: probes and scrapes.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// accessLog writes one line per request and records the HTTP metrics. It
// hands errors to the error handler itself so the final status is known.
// It logs the route pattern, never the raw path or query string (which
// may carry ids or secrets), and of the query only the length of q.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		dur := time.Since(start)
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observeHTTP(route, req.Method, res.Status, dur)
		level := slog.LevelInfo
		if quietRoutes[route] {
			level = slog.LevelDebug
		}
		method := req.Method
		if len(method) > 32 { // a client may send any token as a method
			method = method[:32] + "…"
		}
		attrs := []slog.Attr{
			slog.String("method", method),
			slog.String("route", route),
			slog.Int("status", res.Status),
			slog.Float64("duration_ms", float64(dur.Microseconds())/1000),
			slog.Int64("bytes_out", res.Size),
			slog.String("remote_ip", c.RealIP()),
		}
		if q := req.URL.Query(); q.Has("q") {
			attrs = append(attrs, slog.Int("q_len", len(q.Get("q"))))
		}
		s.Logger(c).LogAttrs(req.Context(), level, "http request", attrs...)
		return nil
	}
}

// secureHeaders sets headers that cost nothing on API responses and
// matter for the UI: no MIME sniffing, no referrer, no framing, and a
// strict CSP on HTML.
func secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		h := res.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		res.Before(func() {
			if strings.HasPrefix(h.Get(echo.HeaderContentType), "text/html") {
				h.Set("Content-Security-Policy", contentSecurityPolicy)
			}
		})
		return next(c)
	}
}

// LimitBody caps the request body at n bytes; reading past it fails and
// the request is answered 413 with the usual error shape. Handlers that
// decode with c.Bind or json.NewDecoder get this for free.
func LimitBody(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > n {
				return news.Errorf(news.ECodeTooLarge, "request body is larger than %d bytes", n)
			}
			lb := &limitedBody{ReadCloser: http.MaxBytesReader(c.Response(), req.Body, n)}
			req.Body = lb
			err := next(c)
			var mbe *http.MaxBytesError
			if err != nil && (lb.hit || errors.As(err, &mbe)) {
				// Whatever the handler made of it (a decode error, its own
				// larger limit), the answer names this limit.
				return news.Errorf(news.ECodeTooLarge, "request body is larger than %d bytes", n)
			}
			return err
		}
	}
}

// limitedBody notes whether reading hit the limit.
type limitedBody struct {
	io.ReadCloser
	hit bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if err != nil && errors.As(err, &mbe) {
		b.hit = true
	}
	return n, err
}

// rateLimit limits the requests of the routes it guards to perSecond per
// client IP (bursts of up to one second's worth); 0 turns it off. Each
// call has its own counts: writes (Config.RateLimit) and reads
// (Config.ReadRateLimit) are limited apart. kind names them in the
// refusal, a 429 with Retry-After and the usual error shape.
func (s *Server) rateLimit(perSecond float64, kind string) echo.MiddlewareFunc {
	if perSecond <= 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return s.perClientLimit(rate.Limit(perSecond), max(1, int(math.Ceil(perSecond))), kind+" requests")
}

// perClientLimit limits requests per client IP to r per second with
// bursts of burst; refusals are 429 with Retry-After (the time one more
// request takes to be allowed) and say what was limited.
func (s *Server) perClientLimit(r rate.Limit, burst int, what string) echo.MiddlewareFunc {
	retryAfter := strconv.Itoa(max(1, int(math.Ceil(1/float64(r)))))
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: r, Burst: burst, ExpiresIn: 3 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		ErrorHandler: func(c echo.Context, err error) error {
			return news.Errorf(news.ECodeInternal, "rate limiter: %v", err)
		},
		DenyHandler: func(c echo.Context, id string, err error) error {
			s.metrics.rateLimited.Inc()
			c.Response().Header().Set("Retry-After", retryAfter)
			return news.Errorf(news.ECodeRateLimited, "too many %s from %s; retry after %s s", what, id, retryAfter)
		},
	})
}

// writeRoute is the middleware of a write route: rate limit (before the
// token check, so it also slows token guessing), token, and a body limit
// (0: none here, the handler limits the body itself).
func (s *Server) writeRoute(bodyLimit int64) echo.MiddlewareFunc {
	return s.scopedRoute(keys.ScopeWrite, bodyLimit)
}

// adminRoute is writeRoute for what needs an admin key: keys, backup,
// server settings.
func (s *Server) adminRoute(bodyLimit int64) echo.MiddlewareFunc {
	return s.scopedRoute(keys.ScopeAdmin, bodyLimit)
}

func (s *Server) scopedRoute(need keys.Scope, bodyLimit int64) echo.MiddlewareFunc {
	mws := []echo.MiddlewareFunc{s.limiter, s.requireScope(need, true)}
	if bodyLimit > 0 {
		mws = append(mws, LimitBody(bodyLimit))
	}
	return chain(mws...)
}

// chain composes middleware, first outermost.
func chain(mws ...echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		for i := len(mws) - 1; i >= 0; i-- {
			next = mws[i](next)
		}
		return next
	}
}

// requireJSON is the middleware of every route whose body is a JSON
// object: a request without Content-Type: application/json (parameters
// allowed; a charset other than UTF-8 is refused, since JSON is UTF-8) is
// a 415 unsupported_media before the body is read. Without it a client
// posting text/plain or a form was answered as if it had sent JSON.
func requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ct := c.Request().Header.Get(echo.HeaderContentType)
		if ct == "" {
			return news.Errorf(news.ECodeUnsupported, "Content-Type is required: send the body as application/json")
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return news.Errorf(news.ECodeUnsupported, "Content-Type %q is malformed; send application/json", ct)
		}
		if mt != echo.MIMEApplicationJSON {
			return news.Errorf(news.ECodeUnsupported, "Content-Type %q is not supported: send application/json", mt)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return news.Errorf(news.ECodeUnsupported, "charset %q is not supported: JSON is UTF-8", cs)
		}
		return next(c)
	}
}

// optionalJSON is requireJSON for a route whose JSON body may be left
// out (rotate-secret): a request without a body passes as it is.
func optionalJSON(next echo.HandlerFunc) echo.HandlerFunc {
	strict := requireJSON(next)
	return func(c echo.Context) error {
		if c.Request().ContentLength == 0 {
			return next(c)
		}
		return strict(c)
	}
}
