package web

// Who a request acts as, and what it may do: a bearer key (or the
// server's --token) on API calls, the session cookie on pages. Every
// route names the scope it needs here, in one place (routes in
// server.go, alerts.go, feeds.go, health.go, keys.go).

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
)

const (
	principalKey = "watchword.principal"
	pageKey      = "watchword.page" // set on UI routes: the session cookie counts there
)

// caller is the outcome of reading a request's credentials.
type caller struct {
	who       keys.Principal
	presented bool // a bearer key or a session cookie was sent
	ok        bool // ... and it is valid
}

// callerOf reads the request's bearer key, else, on a page (uiAuth set
// pageKey), its UI session, once per request. The API never takes the
// cookie: a page of another site could make the browser send it (CSRF),
// while it cannot add an Authorization header.
func (s *Server) callerOf(c echo.Context) caller {
	if v, ok := c.Get(principalKey).(caller); ok {
		return v
	}
	var out caller
	ctx := c.Request().Context()
	if tok, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer "); ok {
		out.presented = true
		p, err := s.keys.Authenticate(ctx, tok)
		if err == nil {
			out.who, out.ok = p, true
		} else if news.ErrorCode(err) != news.ECodeUnauthorized {
			s.Logger(c).Error("web: checking a key", "err", err)
		}
	} else if ck, err := c.Cookie(sessionCookie); err == nil && c.Get(pageKey) == true {
		if p, ok := s.sessions.get(ck.Value); ok {
			out.presented = true
			// A session lasts no longer than its key.
			if cur, err := s.keys.Current(ctx, p); err == nil && cur {
				out.who, out.ok = p, true
			} else {
				s.sessions.revoke(ck.Value)
			}
		}
	}
	c.Set(principalKey, out)
	return out
}

// allows reports whether the request carries a valid key of at least
// scope need.
func (s *Server) allows(c echo.Context, need keys.Scope) bool {
	cl := s.callerOf(c)
	return cl.ok && cl.who.Scope.Allows(need)
}

// requireScope returns middleware that lets a request through only with
// a valid key of at least scope need. With enforce false (an open read)
// every request passes: one without a key, or with a key that is not
// valid, reads as anonymous (the UI keeps a key per tab and reads with
// it whatever it is), and one with a weaker key is not refused either.
func (s *Server) requireScope(need keys.Scope, enforce bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			cl := s.callerOf(c)
			switch {
			case !enforce || (cl.ok && cl.who.Scope.Allows(need)):
				return next(c)
			case cl.ok:
				return news.Errorf(news.ECodeForbidden, "this needs a %s key; %q is a %s key", need, cl.who.Name, cl.who.Scope)
			}
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="watchword"`)
			if !cl.presented {
				return news.Errorf(news.ECodeUnauthorized, "this endpoint needs Authorization: Bearer <key> (a %s key)", need)
			}
			return news.Errorf(news.ECodeUnauthorized, "the key is not valid")
		}
	}
}

// fullURLs reports whether a read may show webhook and feed URLs whole:
// only to a key that may write. Anyone else (an open read, a read key)
// gets them as scheme, host and path, because their query strings and
// user info are often credentials of the receiver or the publisher
// (?secret=, ?apikey=).
func (s *Server) fullURLs(c echo.Context) bool {
	return s.allows(c, keys.ScopeWrite)
}
