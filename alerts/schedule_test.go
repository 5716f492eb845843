package alerts

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/testutil"
)

// TestScheduledRunsDeliverEveryMatchOnce leaves everything to the
// scheduler (no RunNow): matching articles ingested at random moments
// over several periods of an @every 1s alert each reach the receiver
// in exactly one delivery (a retry after a timeout may repeat it, with
// the same webhook-id), also after further scheduled runs, and a
// non-matching one never does. The waits are upper bounds for liveness,
// not timings.
func TestScheduledRunsDeliverEveryMatchOnce(t *testing.T) {
	e := newEnv(t, nil)
	h := newHook(t)
	a := e.create(t, h, "ukraine", func(in *Input) { in.Schedule = strp("@every 1s") })
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	var want []string
	for i := 0; i < 6; i++ {
		time.Sleep(time.Duration(rng.IntN(700)) * time.Millisecond)
		id := fmt.Sprintf("sched%d", i)
		want = append(want, id)
		e.ingest(t, art(id, "Ukraine, scheduled story."), art(fmt.Sprintf("other%d", i), "Weather in Spain."))
	}
	testutil.WaitFor(t, "every article delivered by a scheduled run", 15*time.Second, func() bool {
		got := h.got()
		for _, id := range want {
			if len(got[id]) == 0 {
				return false
			}
		}
		return true
	})
	// Two more scheduled runs must not send anything again.
	runs := 0
	var last time.Time
	testutil.WaitFor(t, "two more scheduled runs", 10*time.Second, func() bool {
		v, err := e.svc.Get(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.LastRunAt != nil && v.LastRunAt.After(last) {
			if !last.IsZero() {
				runs++
			}
			last = *v.LastRunAt
		}
		return runs >= 2
	})
	got := h.got()
	for _, id := range want {
		if n := distinct(got[id]); n != 1 {
			t.Errorf("%s arrived in %d deliveries (webhook-ids %v)", id, n, got[id])
		}
	}
	for id := range got {
		if strings.HasPrefix(id, "other") {
			t.Errorf("non-matching %s delivered", id)
		}
	}
	if v, _ := e.svc.Get(context.Background(), a.ID); v.Watermark != e.eng.IndexedSeq() {
		t.Errorf("watermark %d behind the indexed sequence %d after the runs", v.Watermark, e.eng.IndexedSeq())
	}
}

// TestValidateChecksEveryFiring: alert create and edit go through the
// whole check, in the alert's time zone.
func TestValidateChecksEveryFiring(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Allow = nil; c.MinInterval = 10 * time.Minute })
	in := func(spec, tz string) *Input {
		return &Input{Name: strp("n"), Query: strp("ukraine"), Schedule: strp(spec), Timezone: strp(tz), WebhookURL: strp("https://93.184.215.14/hook")}
	}
	if _, err := e.svc.Create(context.Background(), in("0,10,20,30,40,50,51,52,53,54,55,56,57,58,59 9 * * *", "UTC")); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("burst at the end of the hour: %v", err)
	}
	if _, err := e.svc.Create(context.Background(), in("2,58 1 * * *", "America/New_York")); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("01:58 EDT then 01:02 EST: %v", err)
	}
	v, err := e.svc.Create(context.Background(), in("2,58 1 * * *", "Asia/Tokyo"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Update(context.Background(), v.ID, &Input{Timezone: strp("America/New_York")}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("edit into a zone with a repeated hour: %v", err)
	}
	if _, err := e.svc.Update(context.Background(), v.ID, &Input{Schedule: strp("0,59 0,23 1,31 * *")}); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("edit to fire at 23:59 on the 31st and 00:00 on the 1st: %v", err)
	}
}
