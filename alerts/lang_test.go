package alerts

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/testutil"
)

// Alerts match across languages as search does: `Пескова` fires on a
// Russian article that says only Песков (its language detected), and
// `négociation` on a French one that says négociations, not on an
// English one about negotiations; the snippet marks the matched form.
func TestAlertsMatchAcrossLanguages(t *testing.T) {
	e := newEnv(t, nil)
	hru, hfr := newHook(t), newHook(t) // a hook verifies one alert's secret
	ru := e.create(t, hru, "Пескова", nil)
	fr := e.create(t, hfr, "négociation", nil)
	fra := art("fr1", "Le porte-parole du Kremlin a salué les négociations de Riyad.")
	fra.Language = "fr"
	e.ingest(t,
		art("ru1", "Пресс-секретарь Кремля Дмитрий Песков заявил журналистам, что Москва внимательно следит за переговорами и готова продолжать диалог с партнёрами."),
		fra,
		art("en1", "The Kremlin spokesman welcomed the negotiations in Riyadh on Tuesday."),
	)
	for _, c := range []struct {
		id, want string
		mark     string
		h        *hook
	}{{ru.ID, "ru1", "Песков", hru}, {fr.ID, "fr1", "négociations", hfr}} {
		h := c.h
		n := h.count()
		res, err := e.svc.RunNow(context.Background(), c.id)
		if err != nil || res.Matches != 1 {
			t.Fatalf("alert %s: run %+v %v, want one match (%s)", c.id, res, err, c.want)
		}
		testutil.WaitFor(t, "the delivery", 5*time.Second, func() bool { return h.count() == n+1 })
		h.mu.Lock()
		data, _ := json.Marshal(h.bodies[n].Data)
		h.mu.Unlock()
		if !strings.Contains(string(data), `"id":"`+c.want+`"`) || !strings.Contains(string(data), `\u003cmark\u003e`+c.mark+`\u003c/mark\u003e`) {
			t.Errorf("alert %s delivered %s, want %s with %s marked", c.id, data, c.want, c.mark)
		}
	}
	if got := hfr.got(); len(got["en1"]) != 0 {
		t.Errorf("the English article was delivered: %v", got)
	}
}
