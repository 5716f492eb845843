package ingest

import (
	"os"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/news"
)

func TestDecodeText(t *testing.T) {
	it := DecodeText([]byte("  \n date 2025-03-10 The Kremlin said on Monday. Peskov added more."))
	if it.Err != nil {
		t.Fatal(it.Err)
	}
	if got := it.Article.Date.Format("2006-01-02"); got != "2025-03-10" {
		t.Errorf("date = %s", got)
	}
	if !strings.HasPrefix(strings.TrimSpace(it.Article.Body), "The Kremlin said") {
		t.Errorf("body = %q", it.Article.Body)
	}
	bad := DecodeText([]byte("date yesterday Something happened."))
	if news.ErrorCode(bad.Err) != news.ECodeInvalid || !strings.Contains(bad.Err.Error(), "yesterday") {
		t.Errorf("bad date err = %v", bad.Err)
	}
	plain := DecodeText([]byte("No header at all."))
	if plain.Err != nil || !plain.Article.Date.IsZero() {
		t.Errorf("plain text = %+v", plain)
	}
	if it := DecodeText([]byte("date 2025-01-01 ok \xff")); it.Err == nil {
		t.Error("invalid UTF-8 accepted")
	}
	if it := DecodeText([]byte("dated text")); it.Err != nil || !strings.HasPrefix(it.Article.Body, "dated") {
		t.Errorf("'dated' mistaken for the header: %+v", it)
	}
}

func TestDecodeSeed(t *testing.T) {
	data, err := os.ReadFile("../../../shared/seed/000_737f9d1df81a10fb.txt")
	if err != nil {
		t.Skip("seed article not available:", err)
	}
	it := DecodeText(data)
	if it.Err != nil {
		t.Fatal(it.Err)
	}
	a := it.Article
	if err := a.Normalize(a.Date); err != nil {
		t.Fatal(err)
	}
	if a.Date.Format("2006-01-02") != "2025-03-10" || !strings.Contains(a.Body, "Peskov") {
		t.Errorf("seed decoded as date %s body %.40q", a.Date, a.Body)
	}
	if !strings.HasPrefix(a.Title, "The process of restoring relations") {
		t.Errorf("derived title = %q", a.Title)
	}
}

func TestDecodeJSON(t *testing.T) {
	items, err := DecodeJSON([]byte(`{"title":"T","body":"B","date":"2025-03-10","speakers":["Dmitry Peskov"]}`))
	if err != nil || len(items) != 1 || items[0].Err != nil {
		t.Fatalf("object: %v %+v", err, items)
	}
	if a := items[0].Article; a.Title != "T" || a.Supplied.Speakers[0] != "Dmitry Peskov" || a.Supplied.Countries != nil {
		t.Errorf("article = %+v", a)
	}
	items, err = DecodeJSON([]byte(`[{"body":"ok"}, {"body": 5}, {"body":"x","date":"yesterday"}, 7]`))
	if err != nil || len(items) != 4 {
		t.Fatalf("array: %v %+v", err, items)
	}
	if items[0].Err != nil || items[1].Err == nil || items[2].Err == nil || items[3].Err == nil {
		t.Errorf("array item errors: %v / %v / %v / %v", items[0].Err, items[1].Err, items[2].Err, items[3].Err)
	}
	if !strings.Contains(items[1].Err.Error(), `"body"`) {
		t.Errorf("type error does not name the field: %v", items[1].Err)
	}
	for _, bad := range []string{``, `   `, `{"body":`, `nope`, `{"body":"x"} trailing`, `[]`, "{\"body\":\"\xff\"}"} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("DecodeJSON(%q) accepted", bad)
		} else if c := news.ErrorCode(err); c != news.ECodeBadRequest {
			t.Errorf("DecodeJSON(%q) code %s", bad, c)
		}
	}
	_, err = DecodeJSON([]byte(`{"body": "x",}`))
	if e, ok := err.(*news.Error); !ok || e.Position == nil || *e.Position != 14 {
		t.Errorf("syntax error = %#v, want position 14", err)
	}
}

func TestDecodeNDJSON(t *testing.T) {
	in := "{\"body\":\"one\"}\n\n{broken\n{\"body\":\"three\"}\n[1]\n"
	items, err := DecodeNDJSON([]byte(in))
	if err != nil || len(items) != 4 {
		t.Fatalf("%v %+v", err, items)
	}
	if items[0].Err != nil || items[2].Err != nil {
		t.Errorf("good lines failed: %v %v", items[0].Err, items[2].Err)
	}
	if items[1].Err == nil || !strings.Contains(items[1].Err.Error(), "line 3") {
		t.Errorf("broken line error = %v", items[1].Err)
	}
	if items[3].Err == nil {
		t.Error("array line accepted")
	}
	if _, err := DecodeNDJSON([]byte("\n\n")); err == nil {
		t.Error("empty NDJSON accepted")
	}
}

func TestDecodeContentTypes(t *testing.T) {
	if _, err := Decode("application/json; charset=utf-8", []byte(`{"body":"x"}`)); err != nil {
		t.Error(err)
	}
	for _, ct := range []string{"", "application/pdf", "text/html", ";;;"} {
		if _, err := Decode(ct, []byte(`{"body":"x"}`)); news.ErrorCode(err) != news.ECodeUnsupported {
			t.Errorf("Decode(%q) = %v, want unsupported", ct, err)
		}
	}
}
