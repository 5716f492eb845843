package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/watchword/watchword/internal/ingest"
	"github.com/watchword/watchword/internal/news"
)

// newExtractCmd prints what the extractor finds in each article of the
// given files, for debugging the extractor. It needs no server.
func newExtractCmd(stdout, stderr io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "extract FILE|DIR... [flags]",
		Short: "Print the speakers, countries and topics the extractor finds (no server needed)",
		Args:  minArgs(1, "one file or directory"),
		RunE: func(c *cobra.Command, args []string) error {
			ext, err := newExtractor()
			if err != nil {
				return err
			}
			files := collectFiles(args)
			failed := 0
			for _, f := range files {
				items, err := decodeFile(f, ingest.Options{})
				if err != nil {
					failed++
					fmt.Fprintf(stderr, "%s: %v\n", f.path, err)
					continue
				}
				for i, it := range items {
					name := f.path
					if len(items) > 1 {
						name = fmt.Sprintf("%s #%d", f.path, i+1)
					}
					if it.Err != nil {
						failed++
						fmt.Fprintf(stderr, "%s: %s\n", name, news.ErrorMessage(it.Err))
						continue
					}
					a := it.Article
					if a.Title == "" {
						a.Title = news.FirstSentence(a.Body)
					}
					x := ext(a.Title, a.Body)
					fmt.Fprintf(stdout, "%s\n  title:     %s\n  speakers:  %s\n  countries: %s\n  main:      %s\n  topics:    %s\n",
						name, a.Title, list(x.Speakers), list(x.Countries), list(x.MainCountries), list(x.Topics))
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d inputs could not be read", failed)
			}
			return nil
		},
	}
	return c
}

func list(vs []string) string {
	if len(vs) == 0 {
		return "-"
	}
	return strings.Join(vs, "; ")
}
