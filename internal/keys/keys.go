// Package keys holds the API keys people use: named, scoped (read,
// write, admin), stored as hashes, shown once when created, revocable.
// The server's --token stays valid as the first admin key.
//
// A key is "ww_" + its id ("key_" + 12 hex digits) + "_" + 32 random
// bytes (base64url). The id
// finds the record; the record holds the SHA-256 of the whole key, and a
// presented key is accepted when its hash matches in constant time. A
// fast hash is right here (unlike for passwords): the secret is 256
// random bits, so there is nothing to guess at any hashing speed.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/news"
)

// Scope is what a key may do. Each scope includes the ones below it.
type Scope string

// The scopes, weakest first.
const (
	ScopeRead  Scope = "read"  // search, articles, alert and feed definitions, its own saved searches
	ScopeWrite Scope = "write" // ingest, alerts, feeds
	ScopeAdmin Scope = "admin" // keys, backup, server settings
)

var rank = map[Scope]int{ScopeRead: 1, ScopeWrite: 2, ScopeAdmin: 3}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return rank[s] > 0 }

// Allows reports whether a key of scope s may do what needs scope need.
func (s Scope) Allows(need Scope) bool { return rank[s] > 0 && rank[s] >= rank[need] }

// Key is a stored key: never the secret, only its hash.
type Key struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scope     Scope      `json:"scope"`
	Hash      []byte     `json:"hash,omitempty"` // SHA-256 of the whole key; never sent to clients
	CreatedBy string     `json:"created_by"`     // the id of the key that created it
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Version   uint64     `json:"version"` // bumped by every write (compare-and-set)
}

// MaxName bounds a key's name.
const MaxName = 100

// Validate checks a key's fields.
func (k *Key) Validate() error {
	name := strings.TrimSpace(k.Name)
	switch {
	case name == "":
		return news.Errorf(news.ECodeInvalid, "name: a key needs a name (whose it is, what it is for)")
	case utf8.RuneCountInString(name) > MaxName || !utf8.ValidString(name):
		return news.Errorf(news.ECodeInvalid, "name: at most %d characters of valid UTF-8", MaxName)
	case !k.Scope.Valid():
		return news.Errorf(news.ECodeInvalid, "scope must be read, write or admin, not %q", news.Clip(string(k.Scope)))
	}
	k.Name = name
	return nil
}

// Public is the key as clients see it: without its hash.
func (k Key) Public() Key {
	k.Hash = nil
	return k
}

// Store keeps the keys. The bbolt implementation is keys/boltstore; a
// replicated one passes the same suite, keystest.TestStore.
type Store interface {
	// Create stores a new key; an existing id is news.ECodeConflict.
	Create(ctx context.Context, k *Key) error
	// Get returns the key with id, or a news.ECodeNotFound error.
	Get(ctx context.Context, id string) (*Key, error)
	// List returns every key, revoked ones included, oldest first.
	List(ctx context.Context) ([]*Key, error)
	// Update replaces a key if its stored Version is version, bumping
	// it; otherwise news.ECodeConflict.
	Update(ctx context.Context, k *Key, version uint64) error
}

// Principal is who a request acts as.
type Principal struct {
	KeyID string
	Name  string
	Scope Scope
}

// TokenKeyID is the id under which the server's --token acts.
const TokenKeyID = "token"

// Service creates, lists, revokes and checks keys.
type Service struct {
	store Store
	token []byte // the server's --token: an admin key
	now   func() time.Time
}

// New returns a service over store; token (the server's --token) is
// accepted as an admin key. With a nil store only the token is a key.
func New(store Store, token string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, token: []byte(token), now: now}
}

const (
	prefix = "ww_"
	idLen  = len("key_") + 12 // "key_" and 6 random bytes in hex
)

// Create makes a key and returns it with its secret, which is shown
// this once and never stored.
func (s *Service) Create(ctx context.Context, name string, scope Scope, by string) (Key, string, error) {
	if s.store == nil {
		return Key{}, "", news.Errorf(news.ECodeUnavailable, "this server keeps no keys")
	}
	k := Key{Name: name, Scope: scope, CreatedBy: by, CreatedAt: s.now().UTC()}
	if err := k.Validate(); err != nil {
		return Key{}, "", err
	}
	var idb [6]byte
	var sec [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return Key{}, "", fmt.Errorf("keys: id: %w", err)
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return Key{}, "", fmt.Errorf("keys: secret: %w", err)
	}
	k.ID = "key_" + hex.EncodeToString(idb[:])
	secret := prefix + k.ID + "_" + base64.RawURLEncoding.EncodeToString(sec[:])
	h := sha256.Sum256([]byte(secret))
	k.Hash = h[:]
	if err := s.store.Create(ctx, &k); err != nil {
		return Key{}, "", err
	}
	return k.Public(), secret, nil
}

// List returns every key without hashes.
func (s *Service) List(ctx context.Context) ([]Key, error) {
	if s.store == nil {
		return []Key{}, nil
	}
	ks, err := s.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Key, len(ks))
	for i, k := range ks {
		out[i] = k.Public()
	}
	return out, nil
}

// Revoke ends a key; revoking a revoked key is harmless. The server's
// --token cannot be revoked here (change the flag).
func (s *Service) Revoke(ctx context.Context, id string) (Key, error) {
	if id == TokenKeyID {
		return Key{}, news.Errorf(news.ECodeInvalid, "the server's --token is not revoked here: restart the server with another one")
	}
	if s.store == nil {
		return Key{}, ErrNotFound(id)
	}
	for range 3 {
		k, err := s.store.Get(ctx, id)
		if err != nil {
			return Key{}, err
		}
		if k.RevokedAt != nil {
			return k.Public(), nil
		}
		at := s.now().UTC()
		k.RevokedAt = &at
		err = s.store.Update(ctx, k, k.Version)
		if news.ErrorCode(err) == news.ECodeConflict {
			continue // changed meanwhile: read it again
		}
		if err != nil {
			return Key{}, err
		}
		return k.Public(), nil
	}
	return Key{}, news.Errorf(news.ECodeConflict, "key %s kept changing; try again", id)
}

// ErrInvalid is returned by Authenticate for a key that is unknown,
// wrong or revoked; the message does not say which.
var ErrInvalid = news.Errorf(news.ECodeUnauthorized, "the key is not valid")

// Authenticate returns who presents secret, or ErrInvalid.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return Principal{}, ErrInvalid
	}
	if len(s.token) > 0 && subtle.ConstantTimeCompare([]byte(secret), s.token) == 1 {
		return Principal{KeyID: TokenKeyID, Name: "server token", Scope: ScopeAdmin}, nil
	}
	rest, ok := strings.CutPrefix(secret, prefix)
	if !ok || s.store == nil {
		return Principal{}, ErrInvalid
	}
	if len(rest) <= idLen || rest[idLen] != '_' || len(rest) > 200 {
		return Principal{}, ErrInvalid
	}
	k, err := s.store.Get(ctx, rest[:idLen])
	if news.ErrorCode(err) == news.ECodeNotFound {
		return Principal{}, ErrInvalid
	}
	if err != nil {
		return Principal{}, fmt.Errorf("keys: authenticate: %w", err)
	}
	h := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(h[:], k.Hash) != 1 || k.RevokedAt != nil {
		return Principal{}, ErrInvalid
	}
	return Principal{KeyID: k.ID, Name: k.Name, Scope: k.Scope}, nil
}

// Current reports whether the key behind p is still valid (a UI session
// outlives nothing its key doesn't).
func (s *Service) Current(ctx context.Context, p Principal) (bool, error) {
	if p.KeyID == TokenKeyID {
		return len(s.token) > 0, nil
	}
	if s.store == nil {
		return false, nil
	}
	k, err := s.store.Get(ctx, p.KeyID)
	if news.ErrorCode(err) == news.ECodeNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return k.RevokedAt == nil, nil
}

// ErrNotFound is the Store's answer for an unknown id.
func ErrNotFound(id string) error {
	return news.Errorf(news.ECodeNotFound, "no key %q", news.Clip(id))
}

// ErrConflict is the Store's answer to a stale version or a taken id.
func ErrConflict(id string) error {
	return news.Errorf(news.ECodeConflict, "key %s changed meanwhile or exists", news.Clip(id))
}

// IsConflict reports whether err is a conflict.
func IsConflict(err error) bool { return news.ErrorCode(err) == news.ECodeConflict }
