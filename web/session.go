package web

// UI sessions: the login form trades the token for a random session id
// kept in server memory, so signing out (or a restart) revokes it.

import (
	"container/list"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/keys"
)

// Session limits.
const (
	// SessionTTL is how long a UI session lasts after sign-in.
	SessionTTL = 7 * 24 * time.Hour
	// MaxSessions bounds the sessions kept in memory; signing in beyond
	// it ends the oldest session.
	MaxSessions = 1000
	// LoginBodyLimit caps the body of POST /login.
	LoginBodyLimit = 4 << 10
	// loginBurst and loginEvery are the per-client limit on POST /login:
	// ten attempts at once, then one every 6 s (ten a minute).
	loginBurst = 10
	loginEvery = 6 * time.Second
)

// sessionStore holds the live sessions by the SHA-256 of their id (so a
// memory dump or a timing probe of the map learns nothing usable), in
// creation order for eviction. Every session has the same lifetime, so
// the oldest is also the first to expire.
type sessionStore struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu    sync.Mutex
	byKey map[[32]byte]*list.Element // values are *session
	order *list.List                 // oldest first
}

type session struct {
	key     [32]byte
	expires time.Time
	who     keys.Principal // the key that signed in
}

func newSessionStore(max int, ttl time.Duration, now func() time.Time) *sessionStore {
	return &sessionStore{ttl: ttl, max: max, now: now, byKey: map[[32]byte]*list.Element{}, order: list.New()}
}

// create starts a session and returns its id: 256 random bits,
// base64url-encoded.
func (st *sessionStore) create(who keys.Principal) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("web: session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	key := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.expireLocked(now)
	for st.order.Len() >= st.max {
		st.removeLocked(st.order.Front())
	}
	st.byKey[key] = st.order.PushBack(&session{key: key, expires: now.Add(st.ttl), who: who})
	return id, nil
}

// valid reports whether id is a live session.
func (st *sessionStore) valid(id string) bool {
	_, ok := st.get(id)
	return ok
}

// get returns who signed in to the live session id.
func (st *sessionStore) get(id string) (keys.Principal, bool) {
	if id == "" {
		return keys.Principal{}, false
	}
	key := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	el, ok := st.byKey[key]
	if !ok {
		return keys.Principal{}, false
	}
	if !st.now().Before(el.Value.(*session).expires) {
		st.removeLocked(el)
		return keys.Principal{}, false
	}
	return el.Value.(*session).who, true
}

// revoke ends a session; unknown ids are ignored.
func (st *sessionStore) revoke(id string) {
	key := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	if el, ok := st.byKey[key]; ok {
		st.removeLocked(el)
	}
}

func (st *sessionStore) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.order.Len()
}

// expireLocked drops expired sessions from the front.
func (st *sessionStore) expireLocked(now time.Time) {
	for el := st.order.Front(); el != nil && !now.Before(el.Value.(*session).expires); el = st.order.Front() {
		st.removeLocked(el)
	}
}

func (st *sessionStore) removeLocked(el *list.Element) {
	delete(st.byKey, el.Value.(*session).key)
	st.order.Remove(el)
}

// secureRequest reports whether the client reached us over HTTPS: TLS on
// this connection, or, behind a trusted proxy (--trust-proxy), an
// X-Forwarded-Proto of https. Cookies set then are Secure.
func (s *Server) secureRequest(c echo.Context) bool {
	req := c.Request()
	if req.TLS != nil {
		return true
	}
	if !s.cfg.TrustProxy {
		return false
	}
	proto, _, _ := strings.Cut(req.Header.Get(echo.HeaderXForwardedProto), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// localPath keeps redirects on this site: p must be a path on this
// server, one leading slash and no scheme or host, with no "//" and no
// backslash in its path and no control character anywhere, also once
// %-decoded (for a proxy or browser that decodes again). Anything else,
// and anything longer than maxNextBytes, is "/".
func localPath(p string) string {
	if !localPathOK(p) {
		return "/"
	}
	return p
}

// maxNextBytes bounds a next= target, so the login form that carries it
// stays under LoginBodyLimit.
const maxNextBytes = 2048

func localPathOK(p string) bool {
	if len(p) > maxNextBytes || !strings.HasPrefix(p, "/") || hasControl(p) {
		return false
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	path, _, _ := strings.Cut(p, "?")
	path, _, _ = strings.Cut(path, "#")
	// Decode until nothing changes: /%252F%252Fevil is //evil to a chain
	// that decodes twice.
	for range 4 {
		if strings.Contains(path, "//") || hasControl(path) {
			return false
		}
		d, err := url.PathUnescape(path)
		if err != nil {
			return false
		}
		if d == path {
			return true
		}
		path = d
	}
	return false // still encoded after four rounds: not a link we made
}

// hasControl reports control characters and backslashes: browsers drop
// tab, CR and LF from URLs ("/\t/evil" is "//evil") and read a backslash
// as a slash.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f || b == '\\' {
			return true
		}
	}
	return false
}
