package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/watchword/watchword/index/query"
)

// TestServeLimitFlags checks that the query budget flags reach the
// engine's Limits and that nonsense values are usage errors (exit 2)
// before anything is opened.
func TestServeLimitFlags(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	var qf queryFlags
	qf.register(fs)
	if err := fs.Parse([]string{"--query-max-expansions", "50", "--query-min-prefix", "3", "--query-max-postings", "7"}); err != nil {
		t.Fatal(err)
	}
	lim, err := qf.limits()
	want := query.Limits{MaxClauses: query.DefaultMaxClauses, MaxPhraseWords: query.DefaultMaxPhraseWords, MaxExpansions: 50, MinPrefix: 3, MaxPostings: 7}
	if err != nil || lim != want {
		t.Fatalf("limits %+v, %v; want %+v", lim, err, want)
	}
	// The WATCHWORD_QUERY_* variables are covered by the test that every
	// flag of every command reads its environment variable (cli_test.go).
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--search-timeout", "0s"},
		{"--index-write-delay", "-1s"},
		{"--index-write-delay", "2m"},
		{"--query-max-terms", "0"},
		{"--query-min-prefix", "-1"},
	} {
		var out, errb strings.Builder
		if code := run(append([]string{"serve", "--data", dir}, args...), &out, &errb); code != 2 {
			t.Errorf("serve %v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}
