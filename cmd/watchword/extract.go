package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/watchword/watchword/internal/news"
)

// cmdExtract prints what the extractor finds in each article of the given
// files, for debugging the extractor. It needs no server.
func cmdExtract(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("extract", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("name at least one file or directory")}
	}
	ext, err := newExtractor()
	if err != nil {
		return err
	}
	files, err := collectFiles(fs.Args())
	if err != nil {
		return err
	}
	failed := 0
	for _, f := range files {
		items, err := decodeFile(f)
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			continue
		}
		for i, it := range items {
			name := f
			if len(items) > 1 {
				name = fmt.Sprintf("%s #%d", f, i+1)
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
			fmt.Fprintf(stdout, "%s\n  title:     %s\n  speakers:  %s\n  countries: %s\n  topics:    %s\n",
				name, a.Title, list(x.Speakers), list(x.Countries), list(x.Topics))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d inputs could not be read", failed)
	}
	return nil
}

func list(vs []string) string {
	if len(vs) == 0 {
		return "-"
	}
	return strings.Join(vs, "; ")
}
