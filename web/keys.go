package web

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/news"
)

// keyRoutes wires /api/keys: every call needs an admin key.
func (s *Server) keyRoutes(api *echo.Group) {
	admin := s.adminRoute(SmallBodyLimit)
	api.GET("/keys", s.handleListKeys, admin)
	api.POST("/keys", s.handleCreateKey, admin, requireJSON)
	api.DELETE("/keys/:id", s.handleRevokeKey, admin)
	api.GET("/whoami", s.handleWhoAmI, s.requireScope(keys.ScopeRead, true))
}

// KeyInput is the body of POST /api/keys.
type KeyInput struct {
	Name  string     `json:"name"`
	Scope keys.Scope `json:"scope"`
}

// CreatedKey is the answer to POST /api/keys: the key and, this once,
// its secret.
type CreatedKey struct {
	Key    keys.Key `json:"key"`
	Secret string   `json:"secret"`
}

func (s *Server) handleCreateKey(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var in KeyInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	by := s.callerOf(c).who.KeyID
	k, secret, err := s.keys.Create(c.Request().Context(), in.Name, in.Scope, by)
	if err != nil {
		return err
	}
	s.Logger(c).Info("web: key created", "key", k.ID, "scope", k.Scope, "by", by)
	return c.JSON(http.StatusCreated, CreatedKey{Key: k, Secret: secret})
}

func (s *Server) handleListKeys(c echo.Context) error {
	ks, err := s.keys.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"keys": ks})
}

func (s *Server) handleRevokeKey(c echo.Context) error {
	k, err := s.keys.Revoke(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	s.Logger(c).Info("web: key revoked", "key", k.ID, "by", s.callerOf(c).who.KeyID)
	return c.JSON(http.StatusOK, k)
}

// WhoAmI is the answer to GET /api/whoami.
type WhoAmI struct {
	KeyID string     `json:"key_id"`
	Name  string     `json:"name"`
	Scope keys.Scope `json:"scope"`
}

func (s *Server) handleWhoAmI(c echo.Context) error {
	w := s.callerOf(c).who
	return c.JSON(http.StatusOK, WhoAmI{KeyID: w.KeyID, Name: w.Name, Scope: w.Scope})
}

// decodeStrict decodes a JSON object, refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return news.Errorf(news.ECodeBadRequest, "the body is not the JSON this endpoint takes: %v", err)
	}
	if d.More() {
		return news.Errorf(news.ECodeBadRequest, "trailing data after the JSON object")
	}
	return nil
}
