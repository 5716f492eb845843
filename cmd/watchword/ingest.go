package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/news"
)

// cmdIngest reads files and directories of .txt (seed format), .json,
// .jsonl/.ndjson and RSS/Atom feeds (.rss, .atom, .xml), and posts them to
// a server in NDJSON batches.
func cmdIngest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest", stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "server URL")
	token := fs.String("token", "", "API token (default: read from <data>/token)")
	data := fs.String("data", "./watchword-data", "data directory, to find the token when --token is not given")
	batch := fs.Int("batch", 500, "articles per request")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("name at least one file or directory")}
	}
	if *batch < 1 {
		return usageError{errors.New("--batch must be at least 1")}
	}
	tok := *token
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(*data, "token"))
		if err != nil {
			return fmt.Errorf("no --token given and none readable in %s: %w", *data, err)
		}
		tok = strings.TrimSpace(string(b))
	}
	files, err := collectFiles(fs.Args())
	if err != nil {
		return err
	}
	c := newClient(*server, tok)
	var (
		sent, stored, failed int
		pending              []ingest.Input
		pendingFrom          []string // where each pending input came from
		start                = time.Now()
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for i := range pending {
			if err := enc.Encode(&pending[i]); err != nil {
				return fmt.Errorf("encode %s: %w", pendingFrom[i], err)
			}
		}
		var resp struct {
			Indexed int `json:"indexed"`
			Errors  []struct {
				Index   int    `json:"index"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		err := c.do("POST", "/api/articles", ingest.TypeNDJSON, buf.Bytes(), &resp)
		var ae *apiError
		if err != nil && !(errors.As(err, &ae) && ae.Status == 400 && len(resp.Errors) > 0) {
			return err
		}
		sent += len(pending)
		stored += resp.Indexed
		for _, e := range resp.Errors {
			failed++
			from := "?"
			if e.Index >= 0 && e.Index < len(pendingFrom) {
				from = pendingFrom[e.Index]
			}
			fmt.Fprintf(stderr, "\r\033[K%s: %s\n", from, e.Message)
		}
		pending, pendingFrom = pending[:0], pendingFrom[:0]
		fmt.Fprintf(stderr, "\r\033[K%s %d/%d files read, %d stored, %d failed", bar(sent, sent+1), sent, len(files), stored, failed)
		return nil
	}
	for _, f := range files {
		items, err := decodeFile(f)
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "\r\033[K%s: %v\n", f, err)
			continue
		}
		for i, it := range items {
			from := f
			if len(items) > 1 {
				from = fmt.Sprintf("%s item %d", f, i+1)
			}
			if it.Err != nil {
				failed++
				fmt.Fprintf(stderr, "\r\033[K%s: %s\n", from, news.ErrorMessage(it.Err))
				continue
			}
			pending = append(pending, inputOf(it.Article))
			pendingFrom = append(pendingFrom, from)
			if len(pending) >= *batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "\r\033[K")
	fmt.Fprintf(stdout, "ingested %d articles from %d files in %s: %d stored, %d failed\n",
		stored+failed, len(files), time.Since(start).Round(time.Millisecond), stored, failed)
	if failed > 0 {
		return fmt.Errorf("%d articles failed", failed)
	}
	return nil
}

func bar(done, total int) string {
	const width = 20
	if total <= 0 {
		total = 1
	}
	n := min(width, done*width/total)
	return "[" + strings.Repeat("#", n) + strings.Repeat(" ", width-n) + "]"
}

// collectFiles expands directories into the files Watchword can read.
func collectFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if formatOf(path) != "" || path == p {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
	}
	return out, nil
}

func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt", ".text":
		return ingest.TypeText
	case ".json":
		return ingest.TypeJSON
	case ".jsonl", ".ndjson":
		return ingest.TypeNDJSON
	case ".rss", ".xml":
		return ingest.TypeRSS
	case ".atom":
		return ingest.TypeAtom
	}
	return ""
}

func decodeFile(path string) ([]ingest.Item, error) {
	format := formatOf(path)
	if format == "" {
		return nil, fmt.Errorf("unknown file type (want .txt, .json, .jsonl, .ndjson, .rss, .atom or .xml)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	items, err := ingest.Decode(format, data)
	if err != nil {
		return nil, errors.New(news.ErrorMessage(err))
	}
	return items, nil
}

// inputOf turns a decoded article back into its wire form.
func inputOf(a *news.Article) ingest.Input {
	in := ingest.Input{
		ID: a.ID, Title: a.Title, Body: a.Body, Source: a.Source, URL: a.URL, Language: a.Language,
		Speakers: a.Supplied.Speakers, Countries: a.Supplied.Countries, Topics: a.Supplied.Topics,
	}
	if !a.Date.IsZero() {
		in.Date = a.Date.Format(time.RFC3339Nano)
	}
	return in
}
