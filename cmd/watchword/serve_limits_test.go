package main

import (
	"strings"
	"testing"

	"github.com/watchword/watchword/index/query"
)

// TestServeLimitFlags checks that the query budget flags reach the
// engine's Limits and that nonsense values are usage errors (exit 2)
// before anything is opened.
func TestServeLimitFlags(t *testing.T) {
	fs := newFlags("serve", &strings.Builder{})
	qf := addQueryFlags(fs)
	if err := parseFlags(fs, []string{"--query-max-expansions", "50", "--query-min-prefix", "3", "--query-max-postings", "7"}); err != nil {
		t.Fatal(err)
	}
	lim, err := qf.limits()
	want := query.Limits{MaxClauses: query.DefaultMaxClauses, MaxPhraseWords: query.DefaultMaxPhraseWords, MaxExpansions: 50, MinPrefix: 3, MaxPostings: 7}
	if err != nil || lim != want {
		t.Fatalf("limits %+v, %v; want %+v", lim, err, want)
	}
	t.Setenv("WATCHWORD_QUERY_MAX_PHRASE_WORDS", "5")
	fs = newFlags("serve", &strings.Builder{})
	qf = addQueryFlags(fs)
	if err := parseFlags(fs, nil); err != nil {
		t.Fatal(err)
	}
	if lim, _ := qf.limits(); lim.MaxPhraseWords != 5 {
		t.Errorf("WATCHWORD_QUERY_MAX_PHRASE_WORDS: %+v", lim)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--search-timeout", "0s"},
		{"--query-max-terms", "0"},
		{"--query-min-prefix", "-1"},
	} {
		var out, errb strings.Builder
		if code := run(append([]string{"serve", "--data", dir}, args...), &out, &errb); code != 2 {
			t.Errorf("serve %v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}
