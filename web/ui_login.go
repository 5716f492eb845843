package web

// The login form used under --private, and the check every page makes:
// a session cookie (session.go) or a bearer token.

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
)

// sessionCookie holds, under --private, the id of a session the login
// form started (web/session.go): random, kept in server memory, revoked by
// signing out.
const sessionCookie = "ww_session"

// uiAuthorized reports whether the request may read pages: any page
// of an open server, and under --private a session or bearer key of any
// scope.
func (s *Server) uiAuthorized(c echo.Context) bool {
	c.Set(pageKey, true)
	return !s.cfg.Private || s.allows(c, keys.ScopeRead)
}

// uiAuth is the read middleware of the UI routes.
func (s *Server) uiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.uiAuthorized(c) {
			return next(c)
		}
		return s.renderLogin(c, http.StatusUnauthorized, c.Request().URL.RequestURI(), "")
	}
}

type loginView struct {
	Next    string
	Message string
	Needed  bool
}

func (s *Server) renderLogin(c echo.Context, status int, next, msg string) error {
	return s.render(c, status, "login", pageData{Title: "Sign in", Body: loginView{Next: localPath(next), Message: msg, Needed: s.cfg.Private}})
}

func (s *Server) handleLoginPage(c echo.Context) error {
	return s.renderLogin(c, http.StatusOK, c.QueryParam("next"), "")
}

// handleLogin trades the token for a session. The route caps the body
// (LoginBodyLimit) and rate-limits attempts per client; only the form
// body is read, never the query string.
func (s *Server) handleLogin(c echo.Context) error {
	req := c.Request()
	if err := req.ParseForm(); err != nil {
		return news.Errorf(news.ECodeBadRequest, "reading the sign-in form: %v", err)
	}
	next := localPath(req.PostForm.Get("next"))
	tok := strings.TrimSpace(req.PostForm.Get("token"))
	who, err := s.keys.Authenticate(req.Context(), tok)
	if err != nil {
		if news.ErrorCode(err) != news.ECodeUnauthorized {
			return err
		}
		msg := "That key is not valid. Use an API key (watchword keys create) or the server token printed when the server first started (also in <data>/token)."
		if tok == "" {
			msg = "Enter a key."
		}
		return s.renderLogin(c, http.StatusUnauthorized, next, msg)
	}
	if ck, err := c.Cookie(sessionCookie); err == nil {
		s.sessions.revoke(ck.Value) // signing in again replaces the session
	}
	id, err := s.sessions.create(who)
	if err != nil {
		return err
	}
	c.SetCookie(s.newSessionCookie(c, id, 0))
	return c.Redirect(http.StatusSeeOther, next)
}

// handleLogout revokes the session, so its cookie is worthless even if
// kept or copied, and tells the browser to drop it.
func (s *Server) handleLogout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		s.sessions.revoke(ck.Value)
	}
	c.SetCookie(s.newSessionCookie(c, "", -1))
	return c.Redirect(http.StatusSeeOther, "/login")
}

// newSessionCookie is the session cookie: HttpOnly, SameSite=Strict,
// Secure when the client came over HTTPS (secureRequest), and without
// Max-Age, so the browser drops it when it closes (the server forgets the
// session after SessionTTL anyway).
func (s *Server) newSessionCookie(c echo.Context, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secureRequest(c),
	}
}
