package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

// Config.ExtractLang gets each article's language, supplied or detected,
// and wins over Extract; its facets are stored like Extract's.
func TestExtractLangGetsLanguage(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	e, err := Open(Config{DataDir: t.TempDir(), Logger: quiet,
		Extract: func(title, body string) Extracted {
			t.Error("Extract called although ExtractLang is set")
			return Extracted{}
		},
		ExtractLang: func(language, title, body string) Extracted {
			mu.Lock()
			got[body[:8]] = language
			mu.Unlock()
			return Extracted{Speakers: []string{"Dmitry Peskov"}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	fr := &news.Article{ID: "fr1", Source: "wire", Language: "fr", Body: "Le porte-parole du Kremlin a salué les négociations."}
	ru := &news.Article{ID: "ru1", Source: "wire", Body: "Пресс-секретарь президента России Дмитрий Песков заявил журналистам, что Москва внимательно следит за переговорами и готова продолжать диалог с партнёрами."}
	if _, rej, err := e.Ingest(context.Background(), []*news.Article{fr, ru}); err != nil || len(rej) > 0 {
		t.Fatalf("ingest: %v %v", err, rej)
	}
	if got[fr.Body[:8]] != "fr" || got[ru.Body[:8]] != "ru" {
		t.Errorf("languages passed: %q, want fr and ru", got)
	}
	a, err := e.Article(context.Background(), "ru1")
	if err != nil || len(a.Speakers) != 1 {
		t.Fatalf("ru1: %+v %v, want the extracted speaker", a, err)
	}
}
