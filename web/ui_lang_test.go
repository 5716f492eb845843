package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// TestUILanguages: the search page has a language facet and filter,
// shows each hit's language, marks the forms the article's language
// matched, and lets the browser set the direction of right-to-left text
// (dir="auto"); the syntax help tells of cross-language search.
func TestUILanguages(t *testing.T) {
	ts, eng := newUITestServer(t, nil)
	arts := []*news.Article{
		{ID: "ru-1", Title: "Песков о переговорах", Body: "Пресс-секретарь Кремля Дмитрий Песков заявил журналистам, что переговоры в Эр-Рияде продолжатся и что Москва готова к диалогу."},
		{ID: "ar-1", Language: "ar", Title: "بيسكوف والمفاوضات", Body: "قال المتحدث باسم الكرملين دميتري بيسكوف إن المفاوضات في الرياض مستمرة."},
	}
	if _, rejected, err := eng.Ingest(context.Background(), arts); err != nil || len(rejected) > 0 {
		t.Fatalf("ingest: %v %v", err, rejected)
	}
	p := getPage(t, nil, ts.URL+"/?q="+url.QueryEscape("Пескова"))
	for _, want := range []string{
		`id="facet-language"`, `<h2 dir="auto" lang="ru">`, `<p class="snippet" dir="auto" lang="ru">`, `<mark>Песков</mark>`,
		`<span class="lang" title="Language">ru</span>`, `words match in every language`, `language:ru`,
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("search page for Пескова lacks %s", want)
		}
	}
	p = getPage(t, nil, ts.URL+"/?q="+url.QueryEscape("مفاوضات")+"&language=ar")
	for _, want := range []string{`<h2 dir="auto" lang="ar">`, `<mark>المفاوضات</mark>`, `aria-label="Remove filter language: ar"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("search page for مفاوضات, language=ar lacks %s", want)
		}
	}
	p = getPage(t, nil, ts.URL+articleURL("ru-1", searchState{Q: "Пескова"}))
	for _, want := range []string{`<h1 dir="auto" lang="ru">`, `<div class="body" lang="ru">`, `<p dir="auto">Пресс-секретарь`, `<mark>Песков</mark>`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("article page lacks %s", want)
		}
	}
}
