package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/watchword/watchword/internal/news"
)

// The pause link of an email (its List-Unsubscribe): a URL of the UI
// with a token that pauses one alert. The token is an HMAC of the
// alert's id under its signing secret, so it needs no state, works for
// that alert alone, and stops working when the secret is rotated (after
// the replaced secret's grace). GET on the link shows a confirmation
// page; only a POST pauses (RFC 8058 one-click included), so a mail
// scanner that follows links pauses nothing.

// pauseToken is the token of an alert's pause link under one secret.
func pauseToken(secret, id string) string {
	key, err := secretKey(secret)
	if err != nil {
		key = []byte(secret)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("watchword-pause-v1."))
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// AlertURL is the alert's page in the UI under the public URL; "" when
// the server has none.
func (s *Service) AlertURL(id string) string {
	if s.cfg.PublicURL == "" {
		return ""
	}
	return s.cfg.PublicURL + "/alerts/" + url.PathEscape(id)
}

// PauseURL is the alert's pause link; "" when the server has no public
// URL.
func (s *Service) PauseURL(a *Alert) string {
	if s.cfg.PublicURL == "" {
		return ""
	}
	return s.AlertURL(a.ID) + "/pause?token=" + pauseToken(a.Secret, a.ID)
}

// checkPause loads the alert a pause token is for; a token that is not
// the alert's (or an alert that is gone) is not found, the same answer
// either way.
func (s *Service) checkPause(ctx context.Context, id, token string) (*Alert, error) {
	notFound := news.Errorf(news.ECodeNotFound, "this pause link is not valid (the alert was deleted or its secret rotated)")
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, notFound
	}
	a, err := s.store.Get(ctx, id)
	if news.ErrorCode(err) == news.ECodeNotFound {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	secrets, _ := a.signingSecrets(s.cfg.Clock())
	for _, sec := range secrets {
		if hmac.Equal([]byte(token), []byte(pauseToken(sec, a.ID))) {
			return a, nil
		}
	}
	return nil, notFound
}

// PauseInfo is what a pause page shows.
type PauseInfo struct {
	ID      string
	Name    string
	Enabled bool
}

// CheckPause tells what a pause link would pause, without pausing it.
func (s *Service) CheckPause(ctx context.Context, id, token string) (PauseInfo, error) {
	a, err := s.checkPause(ctx, id, token)
	if err != nil {
		return PauseInfo{}, err
	}
	return PauseInfo{ID: a.ID, Name: a.Name, Enabled: a.Enabled}, nil
}

// Pause disables the alert a pause link is for (its scheduled runs stop;
// deliveries already in the outbox still go). Pausing a paused alert
// is not an error.
func (s *Service) Pause(ctx context.Context, id, token string) (PauseInfo, error) {
	if _, err := s.checkPause(ctx, id, token); err != nil {
		return PauseInfo{}, err
	}
	a, err := s.modify(ctx, id, func(a *Alert) error {
		if !a.Enabled {
			return errUnchanged
		}
		a.Enabled = false
		return nil
	})
	switch {
	case err == errUnchanged:
		return PauseInfo{ID: id, Enabled: false, Name: s.nameOf(ctx, id)}, nil
	case err != nil:
		return PauseInfo{}, err
	}
	s.unschedule(id)
	s.log.Info("alerts: paused through its email pause link", "alert", id)
	return PauseInfo{ID: a.ID, Name: a.Name, Enabled: a.Enabled}, nil
}

func (s *Service) nameOf(ctx context.Context, id string) string {
	a, err := s.store.Get(ctx, id)
	if err != nil {
		return ""
	}
	return a.Name
}
