package web

// An alert's own Atom feed (what it sent, newest first) and its feed key,
// and the articles each delivery carried for the alert page (#17 item 4).

import (
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/internal/keys"
)

// feedAuth lets a feed request through with the alert's feed key in the
// query string (?key=), or else only with a key of read scope, whether or
// not the server's reads are open: a feed is an alert's own output. The
// key is checked in constant time (alerts.CheckFeedKey); the access log
// never writes query strings.
func (s *Server) feedAuth(next echo.HandlerFunc) echo.HandlerFunc {
	withKey := s.requireScope(keys.ScopeRead, true)(next)
	return func(c echo.Context) error {
		if !c.QueryParams().Has("key") {
			return withKey(c)
		}
		if err := s.cfg.Alerts.CheckFeedKey(c.Request().Context(), c.Param("id"), c.QueryParam("key")); err != nil {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="watchword"`)
			return err
		}
		return next(c)
	}
}

// handleRotateFeedKey makes a new feed key for an alert and answers it
// once, with the feed's URL carrying it; the previous key stops working.
func (s *Server) handleRotateFeedKey(c echo.Context) error {
	id := c.Param("id")
	key, err := s.cfg.Alerts.RotateFeedKey(c.Request().Context(), id)
	if err != nil {
		return err
	}
	u := s.feedURL(c, id) + "?key=" + url.QueryEscape(key)
	return c.JSON(http.StatusOK, map[string]any{"alert_id": id, "feed_key": key, "feed_url": u})
}

// feedURL is the absolute URL of an alert's feed, without a key.
func (s *Server) feedURL(c echo.Context, id string) string {
	return baseURL(c) + "/api/alerts/" + url.PathEscape(id) + "/feed.atom"
}

// baseURL is scheme and host of the request, as the client used them.
func baseURL(c echo.Context) string {
	return c.Scheme() + "://" + c.Request().Host
}

// Atom 1.0 (RFC 4287), the parts the feed uses.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Gen     string      `xml:"generator"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Links      []atomLink     `xml:"link"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published,omitempty"`
	Summary    atomText       `xml:"summary"`
	Categories []atomCategory `xml:"category"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// urnUUID is a name-based UUID (version 5's layout over SHA-256) of
// parts, as a urn:uuid IRI: the same alert, delivery and article give
// the same id on every request and every server.
func urnUUID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// handleAlertFeed answers an alert's Atom feed: the articles its
// deliveries carried, newest delivery first (the newest article first
// within one), at most alerts.MaxFeedEntries.
func (s *Server) handleAlertFeed(c echo.Context) error {
	id := c.Param("id")
	a, sent, err := s.cfg.Alerts.History(c.Request().Context(), id, alerts.MaxFeedEntries, alerts.MaxFeedEntries, true)
	if err != nil {
		return err
	}
	base := baseURL(c)
	page := base + "/alerts/" + url.PathEscape(id)
	f := atomFeed{
		ID:      urnUUID("watchword alert feed", a.ID),
		Title:   "Watchword alert: " + a.Name,
		Updated: atomTime(a.CreatedAt),
		Author:  atomPerson{Name: "Watchword"},
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: s.feedURL(c, id)},
			{Rel: "alternate", Type: "text/html", Href: page},
		},
		Gen:     "Watchword",
		Entries: []atomEntry{},
	}
	for _, d := range sent {
		arts := slices.Clone(d.Articles)
		slices.SortStableFunc(arts, func(x, y alerts.Match) int { return y.Date.Compare(x.Date) })
		for _, m := range arts {
			e := atomEntry{
				ID:      urnUUID("watchword alert feed entry", a.ID, d.Delivery.ID, m.ID),
				Title:   m.Title,
				Updated: atomTime(d.Delivery.CreatedAt),
				Summary: atomText{Type: "html", Body: m.Snippet}, // HTML-escaped, with <mark>
			}
			if e.Title == "" {
				e.Title = m.ID
			}
			if !m.Date.IsZero() {
				e.Published = atomTime(m.Date)
			}
			article := base + "/articles/" + url.PathEscape(m.ID)
			if m.URL != "" {
				e.Links = append(e.Links, atomLink{Rel: "alternate", Href: m.URL}, atomLink{Rel: "related", Type: "text/html", Href: article})
			} else {
				e.Links = append(e.Links, atomLink{Rel: "alternate", Type: "text/html", Href: article})
			}
			for _, t := range m.Topics {
				e.Categories = append(e.Categories, atomCategory{Term: t})
			}
			f.Entries = append(f.Entries, e)
		}
	}
	if len(f.Entries) > 0 {
		f.Updated = f.Entries[0].Updated
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("web: alert feed %s: %w", id, err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, no-cache")
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), out...))
}

// sentArticle is an article a delivery carried, as the alert page lists
// it.
type sentArticle struct {
	ID     string    `json:"id"`
	Title  string    `json:"title"`
	URL    string    `json:"url"`
	Date   time.Time `json:"date"`
	Source string    `json:"source"`
}

// maxListedArticles bounds the articles the deliveries list names, the
// newest deliveries' first; older ones come with article_ids only.
const maxListedArticles = 2000

// deliveryView is a delivery in GET /api/alerts/{id}/deliveries: the
// delivery with the articles it carried that are still stored.
type deliveryView struct {
	*alerts.Delivery
	Articles []sentArticle `json:"articles"`
}

func (s *Server) handleDeliveries(c echo.Context) error {
	_, sent, err := s.cfg.Alerts.History(c.Request().Context(), c.Param("id"), 100, maxListedArticles, false)
	if err != nil {
		return err
	}
	out := make([]deliveryView, 0, len(sent))
	for _, d := range sent {
		v := deliveryView{Delivery: d.Delivery, Articles: make([]sentArticle, 0, len(d.Articles))}
		for _, m := range d.Articles {
			v.Articles = append(v.Articles, sentArticle{ID: m.ID, Title: m.Title, URL: m.URL, Date: m.Date, Source: m.Source})
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": out})
}
