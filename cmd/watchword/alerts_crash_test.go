package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// webhookLog records what a receiver got: the webhook-ids carrying each
// article.
type webhookLog struct {
	mu       sync.Mutex
	requests int
	byArt    map[string]map[string]int // article id -> webhook-id -> times
}

func (l *webhookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Data struct {
			Matches []struct {
				ID string `json:"id"`
			} `json:"matches"`
		} `json:"data"`
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &p)
	id := r.Header.Get("webhook-id")
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests++
	for _, m := range p.Data.Matches {
		if l.byArt[m.ID] == nil {
			l.byArt[m.ID] = map[string]int{}
		}
		l.byArt[m.ID][id]++
	}
}

// TestKill9LosesNoAlertDelivery runs a server with an alert on @every 1s
// while articles stream in, kills it with SIGKILL at random moments over
// several rounds, and checks that every acknowledged matching article
// reaches the receiver at least once, a duplicate always with the same
// webhook-id.
func TestKill9LosesNoAlertDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	data := t.TempDir()
	log := &webhookLog{byArt: map[string]map[string]int{}}
	recv := httptest.NewServer(log)
	defer recv.Close()
	flags := []string{"--webhook-allow", "127.0.0.0/8", "--min-alert-interval", "1s", "--webhook-retry", "0s,200ms,500ms,1s,2s"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	var (
		mu    sync.Mutex
		acked []string
		next  int
	)
	const rounds = 4
	for round := 0; round < rounds; round++ {
		s := startServer(t, data, flags...)
		if round == 0 {
			body := fmt.Sprintf(`{"name":"crash","query":"crashword","schedule":"@every 1s","webhook_url":%q,"max_matches_per_delivery":7}`, recv.URL+"/hook")
			req, _ := http.NewRequest("POST", s.base+"/api/alerts", bytes.NewReader([]byte(body)))
			req.Header.Set("Authorization", "Bearer crash-token")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Fatalf("create alert: %d %s", resp.StatusCode, raw)
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					var buf bytes.Buffer
					n := 1 + rng.IntN(15)
					for i := 0; i < n; i++ {
						word := "crashword"
						if next%5 == 4 {
							word = "otherword" // some articles do not match
						}
						fmt.Fprintf(&buf, `{"id":"a%d","title":"alert crash %d","body":"%s story number tok%d."}`+"\n", next, next, word, next)
						next++
					}
					mu.Unlock()
					ids, err := post(s.base, buf.Bytes())
					if err != nil {
						continue
					}
					mu.Lock()
					for _, id := range ids {
						var k int
						fmt.Sscanf(id, "a%d", &k)
						if k%5 != 4 {
							acked = append(acked, id)
						}
					}
					pause := time.Duration(rng.IntN(30)) * time.Millisecond // rng is shared: under mu
					mu.Unlock()
					time.Sleep(pause)
				}
			}()
		}
		mu.Lock()
		kill := time.Duration(700+rng.IntN(1800)) * time.Millisecond
		mu.Unlock()
		time.Sleep(kill)
		s.kill()
		close(stop)
		wg.Wait()
	}
	mu.Lock()
	want := append([]string(nil), acked...)
	mu.Unlock()
	if len(want) == 0 {
		t.Fatal("nothing acknowledged; the test proves nothing")
	}
	s := startServer(t, data, flags...)
	defer s.kill()
	deadline := time.Now().Add(30 * time.Second)
	var missing []string
	for {
		missing = missing[:0]
		log.mu.Lock()
		for _, id := range want {
			if len(log.byArt[id]) == 0 {
				missing = append(missing, id)
			}
		}
		log.mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged matching articles never delivered, e.g. %v", len(missing), len(want), missing[:min(5, len(missing))])
	}
	dups, differing := 0, 0
	for id, hooks := range log.byArt {
		if len(hooks) > 1 {
			differing++
			if differing < 5 {
				t.Errorf("article %s arrived under different webhook-ids %v", id, hooks)
			}
		}
		for _, n := range hooks {
			if n > 1 {
				dups++
			}
		}
		var k int
		fmt.Sscanf(id, "a%d", &k)
		if k%5 == 4 {
			t.Errorf("non-matching article %s delivered", id)
		}
	}
	t.Logf("%d kills, %d acknowledged matching articles, %d webhook requests, %d articles redelivered with the same webhook-id, %d lost",
		rounds, len(want), log.requests, dups, len(missing))
}
