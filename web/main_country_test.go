package web

import (
	"encoding/csv"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestMainCountryAPIAndUI: with the real extractor, an article about
// Niger that mentions Iranian bidders is found by country=Iran and
// country:iran but not by main_country=Iran or main_country:iran; the hit
// carries both lists, the main_countries facet counts the main ones, and
// the search page shows Niger's chip before Iran's, Iran's as a mention.
func TestMainCountryAPIAndUI(t *testing.T) {
	ts, _ := newUITestServer(t, nil)
	body := "Niger's military government awarded a uranium licence on Tuesday. Officials in Niamey said the terms were final. " +
		"Prices rose. Analysts expect more bids. Russian and Iranian companies had expressed interest, an analyst said."
	r := call(t, ts, "POST", "/api/articles", "application/json",
		`{"id":"niger-uranium","title":"Uranium licence awarded","body":"`+body+`","date":"2025-03-10"}`, testToken)
	if r.Status != 200 {
		t.Fatalf("ingest: %s", r.Raw)
	}
	ids := func(params string) []string {
		t.Helper()
		r := call(t, ts, "GET", "/api/search?facet_size=20&"+params, "", "", "")
		if r.Status != 200 {
			t.Fatalf("%s: %s", params, r.Raw)
		}
		var out []string
		for _, h := range r.Body["hits"].([]any) {
			out = append(out, h.(map[string]any)["id"].(string))
		}
		return out
	}
	has := func(params string) bool { return slices.Contains(ids(params), "niger-uranium") }
	for params, want := range map[string]bool{
		"q=uranium&country=Iran":                            true,
		"q=" + url.QueryEscape("uranium country:iran"):      true,
		"q=uranium&main_country=Iran":                       false,
		"q=" + url.QueryEscape("uranium main_country:iran"): false,
		"q=uranium&main_country=niger":                      true,
		"q=" + url.QueryEscape("main_country:niger"):        true,
	} {
		if got := has(params); got != want {
			t.Errorf("%s: found %v, want %v", params, got, want)
		}
	}
	r = call(t, ts, "GET", "/api/search?q=uranium+licence+Niamey&facet_size=20", "", "", "")
	var hit map[string]any
	for _, h := range r.Body["hits"].([]any) {
		if m := h.(map[string]any); m["id"] == "niger-uranium" {
			hit = m
		}
	}
	if hit == nil {
		t.Fatalf("no hit: %s", r.Raw)
	}
	if got := strings.Join(anyStrings(hit["main_countries"]), ","); got != "Niger" {
		t.Errorf("main_countries %q, want Niger", got)
	}
	if got := strings.Join(anyStrings(hit["countries"]), ","); got != "Niger,Russia,Iran" {
		t.Errorf("countries %q, want Niger,Russia,Iran", got)
	}
	if c := facetCounts(t, r, "main_countries"); c["Niger"] < 1 || c["Iran"] != 0 {
		t.Errorf("main_countries facet %v", c)
	}
	// Exports carry both lists.
	ex := getPage(t, nil, ts.URL+"/api/search/export?format=ndjson&q=id:niger-uranium")
	if ex.Status != 200 || !strings.Contains(ex.Body, `"countries":["Niger","Russia","Iran"]`) || !strings.Contains(ex.Body, `"main_countries":["Niger"]`) {
		t.Errorf("ndjson export %d: %.400s", ex.Status, ex.Body)
	}
	ex = getPage(t, nil, ts.URL+"/api/search/export?format=csv&q=id:niger-uranium")
	rows, err := csv.NewReader(strings.NewReader(ex.Body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv export: %v %q", err, ex.Body)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	if rows[1][col["countries"]] != "Niger; Russia; Iran" || rows[1][col["main_countries"]] != "Niger" {
		t.Errorf("csv export row %q", rows[1])
	}
	p := getPage(t, nil, ts.URL+"/?q="+url.QueryEscape("uranium licence Niamey"))
	ni, ir := strings.Index(p.Body, `<span class="vh">country: </span>Niger<`), strings.Index(p.Body, `<span class="vh">country (mentioned): </span>Iran<`)
	if p.Status != 200 || ni < 0 || ir < ni || !strings.Contains(p.Body, `class="chip country minor"`) || !strings.Contains(p.Body, `id="facet-main_country"`) {
		t.Errorf("search page: main chip at %d, mentioned chip at %d, status %d", ni, ir, p.Status)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
