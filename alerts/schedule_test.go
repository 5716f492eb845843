package alerts

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
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
	waitFor(t, "every article delivered by a scheduled run", 15*time.Second, func() bool {
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
	waitFor(t, "two more scheduled runs", 10*time.Second, func() bool {
		v, err := e.svc.Get(a.ID)
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
	if v, _ := e.svc.Get(a.ID); v.Watermark != e.eng.IndexedSeq() {
		t.Errorf("watermark %d behind the indexed sequence %d after the runs", v.Watermark, e.eng.IndexedSeq())
	}
}
