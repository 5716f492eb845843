package web

// The alert pages: shells filled in by /static/alerts.js.

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/alerts"
)

type alertFormView struct {
	ID        string
	Name      string // the name proposed for a new alert
	Q         string
	Filters   []hiddenField
	SearchURL string
}

func (s *Server) handleAlertsPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "alerts", pageData{Title: "Alerts", Nav: "alerts"})
}

func (s *Server) handleAlertNewPage(c echo.Context) error {
	st := stateFrom(c.QueryParams())
	v := alertFormView{Q: st.Q, SearchURL: st.with(nil).url()}
	var names []string
	for _, k := range facetKinds {
		for _, x := range *st.list(k.param) {
			v.Filters = append(v.Filters, hiddenField{k.param, x})
			names = append(names, k.param+": "+x)
		}
	}
	// The proposed name is the query, or for a search by filters only
	// (an alert on everything that passes them) the filters.
	v.Name = strings.TrimSpace(st.Q)
	if v.Name == "" {
		v.Name = strings.Join(names, ", ")
	}
	if len(v.Name) > alerts.MaxNameBytes {
		v.Name = truncateUTF8(v.Name, alerts.MaxNameBytes)
	}
	return s.render(c, http.StatusOK, "alert_new", pageData{Title: "New alert", Nav: "alerts", Body: v})
}

func (s *Server) handleAlertPage(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > 200 || !utf8.ValidString(id) {
		return s.render(c, http.StatusNotFound, "notfound", pageData{Title: "Not found", Nav: "alerts", Body: id})
	}
	return s.render(c, http.StatusOK, "alert", pageData{Title: "Alert", Nav: "alerts", Body: alertFormView{ID: id}})
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
