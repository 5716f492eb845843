package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// streamIngest posts n articles as NDJSON written in small chunks, so the
// request is still being read when the server is told to stop. It returns
// the acknowledged ids, or an error when the request was refused or cut.
func streamIngest(base string, lines [][]byte, streaming *atomic.Int32) ([]string, error) {
	pr, pw := io.Pipe()
	streaming.Add(1)
	go func() {
		defer streaming.Add(-1)
		for i, l := range lines {
			if _, err := pw.Write(l); err != nil {
				return
			}
			if i%10 == 9 {
				time.Sleep(3 * time.Millisecond)
			}
		}
		pw.Close()
	}()
	ids, err := postBody(base, pr)
	if err != nil {
		pr.CloseWithError(err)
	}
	return ids, err
}

// TestSIGTERMFinishesOrRefusesIngests streams ingests into a server, sends
// SIGTERM while requests are mid-stream, and checks that the server exits
// 0 and that after a restart every acknowledged article is stored and
// searchable, no request is half stored, and store and index hold exactly
// the same articles.
func TestSIGTERMFinishesOrRefusesIngests(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	data := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	var (
		mu        sync.Mutex
		batches   [][]string // ids of every request sent
		acked     = map[string]bool{}
		inFlight  atomic.Int32
		streaming atomic.Int32 // requests whose body is still being sent
		maxAtSig  int32
		midStream int32
	)
	const rounds, workers, perRequest = 3, 3, 400
	for round := 0; round < rounds; round++ {
		s := startServer(t, data, "--rate-limit", "0", "--shutdown-timeout", "20s")
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for k := 0; ; k++ {
					select {
					case <-stop:
						return
					default:
					}
					ids := make([]string, perRequest)
					lines := make([][]byte, perRequest)
					for i := range ids {
						ids[i] = fmt.Sprintf("g%d-%d-%d-%d", round, w, k, i)
						lines[i] = fmt.Appendf(nil, `{"id":%q,"title":"graceful %s","body":"gracefulword story %s about the Kremlin and Kyiv."}`+"\n", ids[i], ids[i], ids[i])
					}
					mu.Lock()
					batches = append(batches, ids)
					mu.Unlock()
					inFlight.Add(1)
					got, err := streamIngest(s.base, lines, &streaming)
					inFlight.Add(-1)
					if err != nil {
						time.Sleep(20 * time.Millisecond) // refused: the server is stopping
						continue
					}
					mu.Lock()
					for _, id := range got {
						acked[id] = true
					}
					mu.Unlock()
				}
			}(w)
		}
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		maxAtSig = max(maxAtSig, inFlight.Load())
		midStream += streaming.Load()
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // new requests meet a closed listener
		close(stop)
		select {
		case <-s.done:
		case <-time.After(60 * time.Second):
			t.Fatal("server did not exit within 60 s of SIGTERM")
		}
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("round %d: exit code %d after SIGTERM, want 0", round, code)
		}
		wg.Wait()
	}
	if len(acked) == 0 {
		t.Fatal("no article was acknowledged; the test proves nothing")
	}
	if midStream == 0 {
		t.Error("no request was mid-stream at any SIGTERM; the test proves nothing")
	}

	s := startServer(t, data)
	defer s.kill()
	stored := map[string]bool{}
	half := 0
	for _, ids := range batches {
		n := 0
		for _, id := range ids {
			resp, err := http.Get(s.base + "/api/articles/" + id)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				stored[id] = true
				n++
			}
		}
		if n != 0 && n != len(ids) {
			half++
			t.Errorf("request %s..: %d of %d articles stored", ids[0], n, len(ids))
		}
	}
	for id := range acked {
		if !stored[id] {
			t.Errorf("acknowledged article %s is not stored", id)
		}
	}
	// The index holds exactly the stored articles.
	indexed := map[string]bool{}
	cursor := ""
	total := -1
	for {
		var res struct {
			Total      int    `json:"total"`
			NextCursor string `json:"next_cursor"`
			Hits       []struct {
				ID string `json:"id"`
			} `json:"hits"`
		}
		u := s.base + "/api/search?size=50&facet_size=0&sort=oldest&q=gracefulword&cursor=" + url.QueryEscape(cursor)
		if err := getJSON(u, &res); err != nil {
			t.Fatal(err)
		}
		total = res.Total
		for _, h := range res.Hits {
			indexed[h.ID] = true
		}
		if res.NextCursor == "" || len(res.Hits) == 0 {
			break
		}
		cursor = res.NextCursor
	}
	if total != len(stored) || len(indexed) != len(stored) {
		t.Errorf("search total %d, %d ids paged, %d stored", total, len(indexed), len(stored))
	}
	for id := range indexed {
		if !stored[id] {
			t.Errorf("article %s is in the index but not in the store", id)
		}
	}
	for id := range stored {
		if !indexed[id] {
			t.Errorf("article %s is in the store but not in the index", id)
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%d SIGTERMs, %d requests (%d articles each), %d acknowledged, %d stored, %d indexed, %d half-stored, up to %d requests in flight at a SIGTERM, %d bodies mid-stream at SIGTERMs in all",
		rounds, len(batches), perRequest, len(acked), len(stored), len(indexed), half, maxAtSig, midStream)
	t.Log(buf.String())
}
