package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/watchword/watchword/internal/engine"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// cmdSearch runs a search against a server and prints hits and facets.
func cmdSearch(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("search", stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "server URL")
	token := fs.String("token", "", "API token (needed only with --private servers)")
	size := fs.Int("size", 10, "hits to show")
	sort := fs.String("sort", "relevance", "relevance, newest or oldest")
	from := fs.String("from", "", "earliest date (YYYY-MM-DD)")
	to := fs.String("to", "", "latest date (YYYY-MM-DD)")
	var speakers, countries, topics, sources multiFlag
	fs.Var(&speakers, "speaker", "filter by speaker (repeatable)")
	fs.Var(&countries, "country", "filter by country (repeatable)")
	fs.Var(&topics, "topic", "filter by topic (repeatable)")
	fs.Var(&sources, "source", "filter by source (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{errors.New("quote the query as one argument")}
	}
	v := url.Values{}
	v.Set("q", fs.Arg(0))
	v.Set("size", strconv.Itoa(*size))
	v.Set("sort", *sort)
	for k, vals := range map[string][]string{"speaker": speakers, "country": countries, "topic": topics, "source": sources} {
		for _, s := range vals {
			v.Add(k, s)
		}
	}
	if *from != "" {
		v.Set("from", *from)
	}
	if *to != "" {
		v.Set("to", *to)
	}
	var res engine.SearchResult
	if err := newClient(*server, *token).do("GET", "/api/search?"+v.Encode(), "", nil, &res); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Position != nil {
			fmt.Fprintf(stderr, "  %s\n  %s^\n", fs.Arg(0), strings.Repeat(" ", *ae.Position))
		}
		return err
	}
	fmt.Fprintf(stdout, "%d hits in %.1f ms\n\n", res.Total, res.TookMS)
	for i, h := range res.Hits {
		fmt.Fprintf(stdout, "%2d. %s  [%s] %s  (id %s)\n", i+1, h.Title, h.Date.Format("2006-01-02"), h.Source, h.ID)
		fmt.Fprintf(stdout, "    %s\n", plainSnippet(h.Snippet))
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, name := range []string{"speakers", "countries", "topics", "sources"} {
		vals := res.Facets[name]
		if len(vals) == 0 {
			continue
		}
		fmt.Fprintf(tw, "\n%s\tcount\n", strings.ToUpper(name))
		for _, fv := range vals {
			fmt.Fprintf(tw, "%s\t%d\n", fv.Value, fv.Count)
		}
	}
	return tw.Flush()
}

// plainSnippet shows <mark> as *word* in a terminal and unescapes HTML.
func plainSnippet(s string) string {
	r := strings.NewReplacer("<mark>", "*", "</mark>", "*", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", "\"", "&#39;", "'", "\n", " ")
	return r.Replace(s)
}
