package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/news"
)

// ingestOptions are the flags of ingest.
type ingestOptions struct {
	srv       serverFlags
	batch     int
	fieldMap  string
	keepEmpty bool
	progress  string
}

// newIngestCmd reads files and directories of .txt (seed format), .json
// (articles, or a JSON Feed), .jsonl/.ndjson and RSS/Atom feeds (.rss,
// .atom, .xml), and posts them to a server in NDJSON batches.
func newIngestCmd(stdout, stderr io.Writer) *cobra.Command {
	var o ingestOptions
	c := &cobra.Command{
		Use:   "ingest FILE|DIR... [flags]",
		Short: "Post articles from files to a running server (.txt .json .jsonl .ndjson .rss .atom .xml)",
		Long: `Post articles from files to a running server (.txt .json .jsonl .ndjson .rss
.atom .xml; a .json file that is a JSON Feed is read as a feed).

In JSON input, --map reads other fields as article fields, e.g.
--map places=countries,people=speakers; fields that are neither read nor
mapped are named in one warning per file. A facet given as an empty list
("topics": []) means none supplied, and extraction fills it, unless
--keep-empty: then it stays empty.`,
		Args: minArgs(1, "one file or directory"),
		RunE: func(c *cobra.Command, args []string) error { return runIngest(c.Context(), &o, args, stdout, stderr) },
	}
	fs := c.Flags()
	o.srv.register(fs)
	fs.IntVar(&o.batch, "batch", 500, "articles per request")
	fs.StringVar(&o.fieldMap, "map", "", "read JSON fields as article fields: from=to,... e.g. places=countries,people=speakers")
	fs.BoolVar(&o.keepEmpty, "keep-empty", false, `keep a facet given as an empty list ("topics": []) empty instead of extracting it`)
	fs.StringVar(&o.progress, "progress", "auto", "progress display: auto (a bar on a terminal, else a line every few seconds), bar, plain or off")
	return c
}

func runIngest(ctx context.Context, o *ingestOptions, paths []string, stdout, stderr io.Writer) error {
	if o.batch < 1 {
		return usageError{errors.New("--batch must be at least 1")}
	}
	fieldMap, err := ingest.ParseFieldMap(o.fieldMap)
	if err != nil {
		return usageError{fmt.Errorf("--map: %w", err)}
	}
	mode, err := progressMode(o.progress, stderr)
	if err != nil {
		return err
	}
	tok := o.srv.token
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(o.srv.data, "token"))
		if err != nil {
			return fmt.Errorf("no --token given and none readable in %s: %w", o.srv.data, err)
		}
		tok = strings.TrimSpace(string(b))
	}
	path := "/api/articles"
	if o.keepEmpty {
		path += "?keep_empty=true"
	}
	files := collectFiles(paths)
	var total int64
	for _, f := range files {
		total += f.size
	}
	p := newProgress(stderr, mode, len(files), total, 100*time.Millisecond)
	c := newClient(o.srv.server, tok)
	var (
		pending []ingest.Input
		from    []string // where each pending input came from
		share   []int64  // the bytes of its file each pending input stands for
		start   = time.Now()
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for i := range pending {
			if err := enc.Encode(&pending[i]); err != nil {
				return fmt.Errorf("encode %s: %w", from[i], err)
			}
		}
		var resp struct {
			Indexed int `json:"indexed"`
			Errors  []struct {
				Index   int    `json:"index"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		err := c.do(ctx, "POST", path, ingest.TypeNDJSON, buf.Bytes(), &resp)
		var ae *apiError
		if err != nil && !(errors.As(err, &ae) && ae.Status == 400 && len(resp.Errors) > 0) {
			return err
		}
		for _, e := range resp.Errors {
			where := "?"
			if e.Index >= 0 && e.Index < len(from) {
				where = from[e.Index]
			}
			p.message(fmt.Sprintf("%s: %s", where, e.Message))
		}
		var bytes int64
		for _, n := range share {
			bytes += n
		}
		p.posted(resp.Indexed, len(resp.Errors), bytes)
		pending, from, share = pending[:0], from[:0], share[:0]
		return nil
	}
	opts := ingest.Options{Map: fieldMap, KeepEmpty: o.keepEmpty}
	for _, f := range files {
		var unknown []string
		opts.Unknown = func(field string) { unknown = append(unknown, field) }
		items, err := decodeFile(f, opts)
		if len(unknown) > 0 {
			slices.Sort(unknown)
			p.message(fmt.Sprintf("%s: not read: %s (read a field as an article field with --map, e.g. --map places=countries)", f.path, strings.Join(unknown, ", ")))
		}
		if err != nil {
			p.fileFailed(fmt.Sprintf("%s: %v", f.path, err), f.size)
			continue
		}
		p.fileRead(len(items))
		for i, it := range items {
			where := f.path
			if len(items) > 1 {
				where = fmt.Sprintf("%s item %d", f.path, i+1)
			}
			// Each item stands for an equal share of its file's bytes;
			// the last one takes the remainder.
			n := f.size / int64(len(items))
			if i == len(items)-1 {
				n = f.size - n*int64(len(items)-1)
			}
			if it.Err != nil {
				p.message(fmt.Sprintf("%s: %s", where, news.ErrorMessage(it.Err)))
				p.posted(0, 1, n)
				continue
			}
			pending = append(pending, inputOf(it.Article))
			from = append(from, where)
			share = append(share, n)
			if len(pending) >= o.batch {
				if err := flush(); err != nil {
					p.finish()
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		p.finish()
		return err
	}
	p.finish()
	s := p.stats
	fmt.Fprintf(stdout, "ingested %d %s from %d %s in %s: %d stored, %d failed",
		s.read, plural(s.read, "article", "articles"), len(files), plural(len(files), "file", "files"),
		time.Since(start).Round(time.Millisecond), s.stored, s.failed)
	unreadable := ""
	if s.filesFailed > 0 {
		unreadable = fmt.Sprintf("%d %s could not be read", s.filesFailed, plural(s.filesFailed, "file", "files"))
		fmt.Fprintf(stdout, "; %s", unreadable)
	}
	fmt.Fprintln(stdout)
	switch {
	case s.failed > 0 && s.filesFailed > 0:
		return fmt.Errorf("%d %s failed and %s", s.failed, plural(s.failed, "article", "articles"), unreadable)
	case s.failed > 0:
		return fmt.Errorf("%d %s failed", s.failed, plural(s.failed, "article", "articles"))
	case s.filesFailed > 0:
		return errors.New(unreadable)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// inputFile is a file named on the command line or found in a directory
// named there; err is set when it could not be listed.
type inputFile struct {
	path string
	size int64
	err  error
}

// collectFiles expands directories into the files Watchword can read. A
// path that cannot be read is kept with its error, to be counted as a
// failed file.
func collectFiles(paths []string) []inputFile {
	var out []inputFile
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				out = append(out, inputFile{path: path, err: err})
				return nil
			}
			if d.IsDir() || (formatOf(path) == "" && path != p) {
				return nil
			}
			f := inputFile{path: path}
			if info, err := d.Info(); err != nil {
				f.err = err
			} else {
				f.size = info.Size()
			}
			out = append(out, f)
			return nil
		})
		if err != nil {
			out = append(out, inputFile{path: p, err: err})
		}
	}
	return out
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

// decodeFile reads one file. A .json file that is a JSON Feed is read as
// a feed; o applies to JSON and NDJSON articles.
func decodeFile(f inputFile, o ingest.Options) ([]ingest.Item, error) {
	if f.err != nil {
		return nil, f.err
	}
	format := formatOf(f.path)
	if format == "" {
		return nil, fmt.Errorf("unknown file type (want .txt, .json, .jsonl, .ndjson, .rss, .atom or .xml)")
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, err
	}
	if format == ingest.TypeJSON && ingest.IsJSONFeed(data) {
		format = ingest.TypeJSONFeed
	}
	items, err := ingest.DecodeWith(format, data, o)
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
