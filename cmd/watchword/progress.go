package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress display modes of ingest.
const (
	progressBar   = "bar"   // a progress bar redrawn in place (a terminal)
	progressPlain = "plain" // a plain line every plainInterval (a pipe or a log)
	progressOff   = "off"
)

// plainInterval is how often plain progress lines are written.
const plainInterval = 5 * time.Second

// progressMode resolves --progress: auto is a bar when w is a terminal
// that can draw one, else plain lines.
func progressMode(flag string, w io.Writer) (string, error) {
	switch flag {
	case progressBar, progressPlain, progressOff:
		return flag, nil
	case "auto":
		if isTerminal(w) && os.Getenv("TERM") != "dumb" {
			return progressBar, nil
		}
		return progressPlain, nil
	}
	return "", usageError{fmt.Errorf("--progress %q: want auto, bar, plain or off", flag)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ingestStats are the counts ingest reports.
type ingestStats struct {
	files, filesDone, filesFailed int
	read, stored, failed          int // articles
}

// progress shows how far an ingest has come: articles read, stored and
// failed, files, the rate, and the time left, estimated from the bytes of
// the input files (the number of articles is not known in advance). The
// bar counts bytes; a file's bytes are done when its articles are stored
// or failed.
type progress struct {
	w        io.Writer
	mode     string
	bar      *progressbar.ProgressBar // invisible unless mode is bar
	interval time.Duration
	start    time.Time
	last     time.Time // of the last plain line
	total    int64
	done     int64
	stats    ingestStats
}

// newProgress starts the display of an ingest of totalBytes in files;
// the bar is redrawn at most every throttle.
func newProgress(w io.Writer, mode string, files int, totalBytes int64, throttle time.Duration) *progress {
	p := &progress{w: w, mode: mode, interval: plainInterval, start: time.Now(), total: totalBytes}
	p.last = p.start
	p.stats.files = files
	opts := []progressbar.Option{
		progressbar.OptionSetVisibility(mode == progressBar),
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionSetDescription(p.describe()),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionSetRenderBlankState(mode == progressBar),
		progressbar.OptionShowDescriptionAtLineEnd(),
	}
	p.bar = progressbar.NewOptions64(max(totalBytes, 1), opts...)
	return p
}

// fileRead counts a decoded file and the articles read from it.
func (p *progress) fileRead(articles int) {
	p.stats.filesDone++
	p.stats.read += articles
	p.update(0)
}

// fileFailed reports a file that could not be read or decoded; its bytes
// are done.
func (p *progress) fileFailed(msg string, size int64) {
	p.stats.filesDone++
	p.stats.filesFailed++
	p.message(msg)
	p.update(size)
}

// posted counts articles stored or failed, and the bytes they stand for.
func (p *progress) posted(stored, failed int, bytes int64) {
	p.stats.stored += stored
	p.stats.failed += failed
	p.update(bytes)
}

// message writes a line (an error, a warning) above the bar.
func (p *progress) message(msg string) {
	if p.mode == progressBar {
		_ = p.bar.Clear()
	}
	fmt.Fprintln(p.w, msg)
	if p.mode == progressBar {
		_ = p.bar.RenderBlank()
	}
}

func (p *progress) update(bytes int64) {
	p.done = min(p.done+bytes, p.total)
	if p.mode == progressBar {
		p.bar.Describe(p.describe())
	}
	_ = p.bar.Set64(p.done)
	if p.mode == progressPlain {
		if now := time.Now(); now.Sub(p.last) >= p.interval {
			p.last = now
			p.plainLine()
		}
	}
}

// finish removes the bar, or writes a last plain line.
func (p *progress) finish() {
	switch p.mode {
	case progressBar:
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	case progressPlain:
		if time.Since(p.start) >= p.interval { // short runs need only the summary
			p.plainLine()
		}
	}
}

// describe is the text beside the bar.
func (p *progress) describe() string {
	s := p.stats
	return fmt.Sprintf("%d/%d files, %d articles read, %d stored, %d failed, %s",
		s.filesDone, s.files, s.read, s.stored, s.failed, p.rate())
}

func (p *progress) rate() string {
	secs := time.Since(p.start).Seconds()
	if secs <= 0 {
		return "0 articles/s"
	}
	return fmt.Sprintf("%.0f articles/s", float64(p.stats.stored+p.stats.failed)/secs)
}

// plainLine writes the state as one line without escape codes.
func (p *progress) plainLine() {
	elapsed := time.Since(p.start)
	eta := "unknown"
	if p.done >= p.total {
		eta = "0s"
	} else if p.done > 0 {
		eta = (time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))).Round(time.Second).String()
	}
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.done) / float64(p.total)
	}
	fmt.Fprintf(p.w, "ingest: %s; %s of %s (%.0f%%), %s elapsed, about %s left\n",
		p.describe(), mib(p.done), mib(p.total), pct, elapsed.Round(time.Second), eta)
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
