package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is a watchword child process; its log lines are kept.
type server struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}

	mu    sync.Mutex
	lines []string
}

// count is the number of log lines so far that contain substr.
func (s *server) count(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.lines {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

var addrRe = regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)

// startServer runs the test binary as `watchword serve` on a free port and
// waits until it listens. The read rate limit is off (extra may set it):
// the tests check what was stored by reading every article back.
func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	s, addr := launch(t, data, append([]string{"--read-rate-limit", "0"}, extra...))
	select {
	case a := <-addr:
		s.base = "http://" + a
	case <-s.done:
		t.Fatal("server exited before listening")
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		t.Fatal("server did not start within 60s")
	}
	return s
}

func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func post(base string, body []byte) ([]string, error) {
	return postBody(base, bytes.NewReader(body))
}

// postBody sends an NDJSON ingest and returns the acknowledged ids; any
// error (including an answer cut off mid-way) means nothing was
// acknowledged.
func postBody(base string, body io.Reader) ([]string, error) {
	req, _ := http.NewRequest("POST", base+"/api/articles", body)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer crash-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err // cut off mid-answer: not acknowledged
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d: %.200s", resp.StatusCode, raw)
	}
	var r struct {
		IDs []string `json:"ids"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return r.IDs, nil
}

// TestKill9LosesNoAcknowledgedArticle streams articles into a server,
// kills it with SIGKILL at a random moment, restarts it on the same data
// and checks that every acknowledged article is there and searchable.
func TestKill9LosesNoAcknowledgedArticle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	data := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var acked []string
	var mu sync.Mutex
	next := 0
	for round := 0; round < 5; round++ {
		s := startServer(t, data)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 3; w++ {
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
					n := 1 + rng.IntN(40)
					for i := 0; i < n; i++ {
						fmt.Fprintf(&buf, `{"id":"c%d","title":"crash test %d","body":"crashword story number tok%d about Ukraine."}`+"\n", next, next, next)
						next++
					}
					mu.Unlock()
					ids, err := post(s.base, buf.Bytes())
					if err != nil {
						continue
					}
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			}()
		}
		mu.Lock() // rng is shared with the writers
		kill := time.Duration(50+rng.IntN(600)) * time.Millisecond
		mu.Unlock()
		time.Sleep(kill)
		s.kill()
		close(stop)
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("no article was acknowledged; the test proves nothing")
	}
	s := startServer(t, data)
	defer s.kill()
	missing := 0
	for _, id := range acked {
		resp, err := http.Get(s.base + "/api/articles/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			missing++
			if missing < 10 {
				t.Errorf("acknowledged article %s: GET status %d", id, resp.StatusCode)
			}
		}
		var res struct {
			Total int `json:"total"`
		}
		if err := getJSON(s.base+"/api/search?size=0&q="+url.QueryEscape("id:"+id), &res); err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 {
			missing++
			if missing < 10 {
				t.Errorf("acknowledged article %s: search total %d", id, res.Total)
			}
		}
	}
	var all struct {
		Total int `json:"total"`
	}
	if err := getJSON(s.base+"/api/search?size=0&q=crashword", &all); err != nil {
		t.Fatal(err)
	}
	if all.Total < len(acked) {
		t.Errorf("search finds %d crashword articles, %d were acknowledged", all.Total, len(acked))
	}
	t.Logf("5 kills, %d acknowledged articles, %d stored in all, %d missing", len(acked), all.Total, missing)
}

func getJSON(u string, out any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
