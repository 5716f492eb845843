package web

// The saved searches page: a shell filled in by /static/saved.js from
// /api/saved-searches, with the form that saves the search it was
// opened with ("Save this search" on the search page links here).

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/saved"
)

type savedPageView struct {
	// Save is set when the page was opened with a search to save.
	Save   bool
	Name   string // the proposed name
	Fields []hiddenField
	Label  string // the search in words, as the form shows it
}

func (s *Server) handleSavedPage(c echo.Context) error {
	st := stateFrom(c.QueryParams()).with(nil)
	v := savedPageView{Fields: hiddenFields(st)}
	v.Save = len(v.Fields) > 0
	var parts []string
	if q := strings.TrimSpace(st.Q); q != "" {
		parts = append(parts, q)
	}
	for _, k := range facetKinds {
		for _, x := range *st.list(k.param) {
			parts = append(parts, k.param+": "+x)
		}
	}
	if st.From != "" || st.To != "" {
		parts = append(parts, "date: "+dateLabel(st.From, st.To))
	}
	v.Label = strings.Join(parts, ", ")
	if v.Label == "" {
		v.Label = "every article"
	}
	v.Name = truncateUTF8(v.Label, saved.MaxNameChars) // characters ≤ bytes
	return s.render(c, http.StatusOK, "saved", pageData{Title: "Saved searches", Nav: "saved", Body: v})
}
