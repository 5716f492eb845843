package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestIngestLanguage: a supplied language must be a BCP 47 tag (else a
// 400 naming the field); without one the language is detected and kept
// with its confidence; the language facet, the language= filter and the
// language: field find it.
func TestIngestLanguage(t *testing.T) {
	ts := newTestServer(t, nil)
	r := call(t, ts, "POST", "/api/articles", "application/json", `{"body":"Peskov spoke.","language":"russian"}`, testToken)
	if r.Status != 400 || errorOf(t, r) != "invalid" || !strings.Contains(r.Raw, "language") {
		t.Fatalf("bad language: %d %s", r.Status, r.Raw)
	}
	ru := "Пресс-секретарь Кремля Дмитрий Песков заявил журналистам, что Москва внимательно следит за переговорами и готова продолжать диалог. По его словам, отношения между странами развиваются, несмотря на трудности, а решение о встрече пока не принято."
	body, _ := json.Marshal([]map[string]any{
		{"id": "ru1", "body": ru},
		{"id": "pt1", "body": "Texto curto.", "language": "pt-BR"},
		{"id": "en1", "body": "The Kremlin said on Tuesday that the talks with the delegation would continue, and that the spokesman was ready to answer questions from the press after the meeting in the capital."},
	})
	r = call(t, ts, "POST", "/api/articles", "application/json", string(body), testToken)
	if r.Status != 200 || r.Body["indexed"].(float64) != 3 {
		t.Fatalf("ingest: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "GET", "/api/articles/ru1", "", "", "")
	if r.Body["language"] != "ru" || r.Body["language_confidence"] == nil || r.Body["language_confidence"].(float64) <= 0.5 {
		t.Errorf("detected language: %s", r.Raw)
	}
	r = call(t, ts, "GET", "/api/articles/pt1", "", "", "")
	if r.Body["language"] != "pt-br" || r.Body["language_confidence"] != nil {
		t.Errorf("supplied language: %s", r.Raw)
	}
	r = call(t, ts, "GET", "/api/search?facet_size=10&language=ru", "", "", "")
	if r.Status != 200 || r.Body["total"].(float64) != 1 || r.Body["hits"].([]any)[0].(map[string]any)["language"] != "ru" {
		t.Fatalf("language=ru: %d %s", r.Status, r.Raw)
	}
	r = call(t, ts, "GET", "/api/search?facet_size=10&q="+url.QueryEscape("language:pt OR language:en"), "", "", "")
	if r.Status != 200 || r.Body["total"].(float64) != 2 {
		t.Fatalf("language:pt OR language:en: %d %s", r.Status, r.Raw)
	}
	facets, _ := json.Marshal(r.Body["facets"].(map[string]any)["languages"])
	if string(facets) != `[{"count":1,"value":"en"},{"count":1,"value":"pt"}]` {
		t.Errorf("language facet = %s", facets)
	}
	r = call(t, ts, "GET", "/api/search?q="+url.QueryEscape("language:xx"), "", "", "")
	if r.Status != 400 || errorOf(t, r) != "query_syntax" {
		t.Errorf("language:xx: %d %s", r.Status, r.Raw)
	}
}
