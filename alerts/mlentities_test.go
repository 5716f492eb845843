package alerts

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/testutil"
)

// An alert on extracted entities fires on an article in another language
// and script (#16 item 5): `speaker:Peskov AND country:"Saudi Arabia"`
// matches the Russian article, whose speaker is Дмитрий Песков and whose
// country is named only in the genitive (Саудовской Аравии); the speaker
// is the Latin form an English article taught the extractor. A Russian
// article about Russia alone does not match.
func TestAlertMatchesRussianEntities(t *testing.T) {
	e := newEnvWithExtractor(t)
	h := newHook(t)
	a := e.create(t, h, `speaker:Peskov AND country:"Saudi Arabia"`, nil)
	// The archive knows the Latin form first.
	e.ingest(t, art("en1", "Kremlin spokesman Dmitry Peskov said on Monday that talks would continue. \"We are ready,\" Peskov told reporters in Moscow."))
	e.ingest(t,
		art("ru1", "Пресс-секретарь президента России Дмитрий Песков заявил в понедельник, что Москва высоко ценит посредничество Саудовской Аравии. «Мы благодарны партнёрам за конструктивную позицию», — сказал Песков журналистам."),
		art("ru2", "Пресс-секретарь президента России Дмитрий Песков заявил в понедельник, что Москва пока не получила новых предложений. «Работа продолжается», — сказал Песков журналистам в Кремле."),
	)
	ru1, err := e.eng.Article(context.Background(), "ru1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ru1.Speakers, "Dmitry Peskov") || !slices.Contains(ru1.Countries, "Saudi Arabia") {
		t.Fatalf("ru1 speakers %q countries %q, want Dmitry Peskov and Saudi Arabia", ru1.Speakers, ru1.Countries)
	}
	n := h.count()
	res, err := e.svc.RunNow(context.Background(), a.ID)
	if err != nil || res.Matches != 1 {
		t.Fatalf("run %+v %v, want one match (ru1)", res, err)
	}
	testutil.WaitFor(t, "the delivery", 5*time.Second, func() bool { return h.count() == n+1 })
	got := h.got()
	if len(got["ru1"]) == 0 || len(got["ru2"]) != 0 || len(got["en1"]) != 0 {
		t.Errorf("delivered %v, want ru1 only", got)
	}
}
