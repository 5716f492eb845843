package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/watchword/watchword/internal/engine"
	"golang.org/x/text/width"
)

// newSearchCmd runs a search against a server and prints hits and facets.
func newSearchCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		server, token, sort, from, to, export string
		size                                  int
		speakers, countries, topics, sources  []string
	)
	c := &cobra.Command{
		Use:   "search QUERY [flags]",
		Short: "Search a running server; prints hits and facet tables",
		Args:  exactArgs(1, "the query as one argument (quote it)"),
		RunE: func(c *cobra.Command, args []string) error {
			q := args[0]
			v := url.Values{}
			v.Set("q", q)
			v.Set("size", strconv.Itoa(size))
			v.Set("sort", sort)
			for k, vals := range map[string][]string{"speaker": speakers, "country": countries, "topic": topics, "source": sources} {
				for _, s := range vals {
					v.Add(k, s)
				}
			}
			if from != "" {
				v.Set("from", from)
			}
			if to != "" {
				v.Set("to", to)
			}
			if export != "" {
				// every hit, streamed: no size, date order
				v.Del("size")
				if c.Flags().Changed("sort") {
					v.Set("sort", sort)
				} else {
					v.Del("sort")
				}
				v.Set("format", export)
				_, err := newClient(server, token).stream(c.Context(), "/api/search/export?"+v.Encode(), stdout)
				return caretError(stderr, q, err)
			}
			var res engine.SearchResult
			if err := newClient(server, token).do(c.Context(), "GET", "/api/search?"+v.Encode(), "", nil, &res); err != nil {
				return caretError(stderr, q, err)
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
		},
	}
	fs := c.Flags()
	fs.StringVar(&server, "server", "http://127.0.0.1:8080", "server URL")
	fs.StringVar(&token, "token", "", "API token (needed only with --private servers)")
	fs.IntVar(&size, "size", 10, "hits to show")
	fs.StringVar(&export, "export", "", "write every hit to stdout as csv or ndjson, in date order (newest first; --sort oldest)")
	fs.StringVar(&sort, "sort", "relevance", "relevance, newest or oldest")
	fs.StringVar(&from, "from", "", "earliest date (YYYY-MM-DD)")
	fs.StringVar(&to, "to", "", "latest date (YYYY-MM-DD)")
	fs.StringArrayVar(&speakers, "speaker", nil, "filter by speaker (repeatable)")
	fs.StringArrayVar(&countries, "country", nil, "filter by country (repeatable)")
	fs.StringArrayVar(&topics, "topic", nil, "filter by topic (repeatable)")
	fs.StringArrayVar(&sources, "source", nil, "filter by source (repeatable)")
	return c
}

// caretError points at a query error's position under the query on
// stderr and returns err.
func caretError(stderr io.Writer, q string, err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Position != nil {
		fmt.Fprintf(stderr, "  %s\n  %s^\n", q, strings.Repeat(" ", caretColumn(q, *ae.Position)))
	}
	return err
}

// caretColumn is the terminal column of byte offset pos of q: the API
// reports byte positions, a terminal draws characters, East Asian wide
// ones two columns each.
func caretColumn(q string, pos int) int {
	pos = max(0, min(pos, len(q)))
	col := 0
	for _, r := range q[:pos] {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			col += 2
		default:
			col++
		}
	}
	return col
}

// plainSnippet shows <mark> as *word* in a terminal and unescapes HTML.
func plainSnippet(s string) string {
	r := strings.NewReplacer("<mark>", "*", "</mark>", "*", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", "\"", "&#39;", "'", "\n", " ")
	return r.Replace(s)
}
