package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpFlags returns the long flag names listed in the Flags section of a
// command's help, as submatches ([1] is the name).
func helpFlags(help string) [][]string {
	_, sec, _ := strings.Cut(help, "\nFlags:\n")
	sec, _, _ = strings.Cut(sec, "\n\n")
	return regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9-]+)`).FindAllStringSubmatch(sec, -1)
}

// helpCommands returns the sub-commands listed in a command's help.
func helpCommands(help string) []string {
	_, sec, ok := strings.Cut(help, "\nAvailable Commands:\n")
	if !ok {
		return nil
	}
	sec, _, _ = strings.Cut(sec, "\n\n")
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^  (\S+)`).FindAllStringSubmatch(sec, -1) {
		out = append(out, m[1])
	}
	return out
}

var serverFlagNames = []string{"server", "token", "data"}

// commandTree is every command with the flags and sub-commands its -h
// must list, no more (help is left out). serve's flags are checked
// against the README's configuration table (TestREADMEConfigTable).
var commandTree = map[string]struct {
	flags []string
	subs  []string
}{
	"":                     {subs: []string{"alerts", "backup", "bench", "extract", "feeds", "healthcheck", "help", "ingest", "keys", "reindex", "restore", "search", "serve", "version"}},
	"serve":                {flags: nil},
	"ingest":               {flags: append([]string{"batch", "map", "keep-empty", "progress"}, serverFlagNames...)},
	"search":               {flags: []string{"server", "token", "size", "sort", "from", "to", "speaker", "country", "main-country", "topic", "source", "export"}},
	"reindex":              {flags: []string{"data", "story-threshold", "story-window"}},
	"keys":                 {subs: []string{"create", "list", "revoke"}},
	"keys create":          {flags: append([]string{"scope"}, serverFlagNames...)},
	"keys list":            {flags: serverFlagNames},
	"keys revoke":          {flags: serverFlagNames},
	"extract":              {},
	"bench":                {subs: []string{"alerts", "cluster", "hostile", "ingest", "search"}},
	"bench ingest":         {flags: []string{"corpus", "scale", "data", "sqlite", "no-extract", "pairs", "cpuprofile", "gc-percent", "batch"}},
	"bench search":         {flags: []string{"corpus", "scale", "data", "sqlite", "no-extract", "reuse", "rounds", "cpuprofile", "gc-percent", "batch"}},
	"bench cluster":        {flags: []string{"corpus", "data", "rate", "lag-for", "down-for", "batch", "skip-load"}},
	"bench hostile":        {flags: []string{"corpus", "scale", "data", "sqlite", "no-extract", "reuse", "cpuprofile", "gc-percent", "batch"}},
	"bench alerts":         {flags: []string{"corpus", "alerts", "new", "new-large", "archive", "data", "reuse", "extract", "seed", "cpuprofile", "gc-percent", "rounds", "deliver", "round-time", "delivery-retention", "retention"}, subs: []string{"latency"}},
	"bench alerts latency": {flags: []string{"corpus", "data", "reuse", "archive", "schedule", "probes", "alerts", "rate", "senders", "seed", "gc-percent", "cpuprofile"}},
	"alerts":               {subs: []string{"create", "delete", "list", "preview", "rotate-secret"}},
	"alerts list":          {flags: serverFlagNames},
	"alerts create":        {flags: append([]string{"name", "query", "webhook", "webhook-format", "email", "schedule", "timezone", "max-matches", "speaker", "country", "topic", "source"}, serverFlagNames...)},
	"alerts delete":        {flags: serverFlagNames},
	"alerts preview":       {flags: serverFlagNames},
	"alerts rotate-secret": {flags: append([]string{"grace"}, serverFlagNames...)},
	"feeds":                {subs: []string{"add", "list", "poll", "remove"}},
	"feeds add":            {flags: append([]string{"schedule", "source", "no-poll"}, serverFlagNames...)},
	"feeds list":           {flags: serverFlagNames},
	"feeds remove":         {flags: serverFlagNames},
	"feeds poll":           {flags: serverFlagNames},
	"backup":               {flags: []string{"data", "server", "token", "out"}},
	"restore":              {flags: []string{"data", "in", "force"}},
	"healthcheck":          {flags: []string{"url", "timeout"}},
	"version":              {},
	"help":                 {},
}

// walk calls fn with every command of the tree and its path below the root.
func walk(c *cobra.Command, fn func(path []string, c *cobra.Command)) {
	var rec func(path []string, c *cobra.Command)
	rec = func(path []string, c *cobra.Command) {
		fn(path, c)
		for _, s := range c.Commands() {
			rec(append(slices.Clone(path), s.Name()), s)
		}
	}
	rec(nil, c)
}

// TestHelpEveryCommand: -h and --help on every command and sub-command
// exit 0 and list exactly that command's flags and sub-commands.
func TestHelpEveryCommand(t *testing.T) {
	seen := map[string]bool{}
	walk(newRootCmd(io.Discard, io.Discard), func(path []string, c *cobra.Command) {
		key := strings.Join(path, " ")
		seen[key] = true
		want, ok := commandTree[key]
		if !ok {
			t.Errorf("command %q is not in the test's command tree", key)
			return
		}
		for _, h := range []string{"-h", "--help"} {
			var out, errb bytes.Buffer
			code := run(append(slices.Clone(path), h), &out, &errb)
			if code != 0 || errb.Len() > 0 {
				t.Errorf("watchword %s %s: exit %d, stderr %q", key, h, code, errb.String())
				continue
			}
			var got []string
			for _, f := range helpFlags(out.String()) {
				if f[1] != "help" {
					got = append(got, f[1])
				}
			}
			if key != "serve" {
				if w := slices.Sorted(slices.Values(want.flags)); !slices.Equal(slices.Sorted(slices.Values(got)), w) {
					t.Errorf("watchword %s %s lists flags %q, want %q", key, h, got, w)
				}
			} else if len(got) < 10 {
				t.Errorf("watchword serve %s lists %d flags", h, len(got))
			}
			if subs := helpCommands(out.String()); !slices.Equal(subs, want.subs) {
				t.Errorf("watchword %s %s lists commands %q, want %q", key, h, subs, want.subs)
			}
		}
	})
	for key := range commandTree {
		if !seen[key] {
			t.Errorf("the test's command tree has %q, the CLI does not", key)
		}
	}
}

// TestExitCodes: 0 ok, 1 failure, 2 usage.
func TestExitCodes(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // nothing listens there any more
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"version"}, 0},
		{[]string{"help", "search"}, 0},
		{nil, 2},
		{[]string{"nosuch"}, 2},
		{[]string{"serach", "x"}, 2},
		{[]string{"search"}, 2},
		{[]string{"search", "a", "b"}, 2},
		{[]string{"search", "x", "--nosuch"}, 2},
		{[]string{"search", "x", "--size", "many"}, 2},
		{[]string{"alerts"}, 2},
		{[]string{"alerts", "nosuch"}, 2},
		{[]string{"alerts", "delete"}, 2},
		{[]string{"bench"}, 2},
		{[]string{"feeds", "add"}, 2},
		{[]string{"backup"}, 2},
		{[]string{"restore", "--data", "x"}, 2},
		{[]string{"ingest", "x", "--batch", "0", "--token", "t"}, 2},
		{[]string{"ingest", "x", "--map", "places", "--token", "t"}, 2},
		{[]string{"ingest", "x", "--progress", "loud", "--token", "t"}, 2},
		{[]string{"version", "extra"}, 2},
		{[]string{"search", "x", "--server", down.URL}, 1},
		{[]string{"healthcheck", "--url", down.URL, "--timeout", "1s"}, 1},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.want {
			t.Errorf("watchword %q: exit %d, want %d (%s%s)", tc.args, code, tc.want, out.String(), errb.String())
		} else if code == 2 && !strings.Contains(errb.String(), "-h' for usage") {
			t.Errorf("watchword %q: usage error without the hint: %q", tc.args, errb.String())
		}
	}
}

// apiRecorder is a stand-in API that records what the CLI sent.
type apiRecorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path, auth string
	query              map[string][]string
	body               string
}

func (a *apiRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.reqs = append(a.reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.URL.Query(), string(body)})
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/api/search":
		io.WriteString(w, `{"total":0,"hits":[],"facets":{}}`)
	case r.URL.Path == "/api/articles":
		n := strings.Count(strings.TrimSpace(string(body)), "\n") + 1
		json.NewEncoder(w).Encode(map[string]any{"indexed": n, "ids": []string{}, "errors": []any{}})
	case r.URL.Path == "/api/feeds":
		io.WriteString(w, `{"id":"fd_1","schedule":"@every 1h"}`)
	default:
		w.WriteHeader(404)
		io.WriteString(w, `{"error":{"code":"not_found","message":"no"}}`)
	}
}

func (a *apiRecorder) take() []recorded {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.reqs
	a.reqs = nil
	return r
}

// TestFlagsAfterArguments: flags may follow the positional arguments.
func TestFlagsAfterArguments(t *testing.T) {
	api := &apiRecorder{}
	ts := httptest.NewServer(api)
	defer ts.Close()
	file := filepath.Join(t.TempDir(), "a.jsonl")
	os.WriteFile(file, []byte(`{"id":"x1","body":"One."}`+"\n"), 0o600)

	if code, out := runCmd(t, "search", "oil", "--size", "2", "--server", ts.URL); code != 0 {
		t.Fatalf("search: %d %s", code, out)
	}
	if r := api.take(); len(r) != 1 || r[0].query["q"][0] != "oil" || r[0].query["size"][0] != "2" {
		t.Errorf("search oil --size 2 sent %+v", r)
	}
	if code, out := runCmd(t, "ingest", file, "--token", "T", "--server", ts.URL, "--data", t.TempDir()); code != 0 {
		t.Fatalf("ingest: %d %s", code, out)
	}
	if r := api.take(); len(r) != 1 || r[0].auth != "Bearer T" {
		t.Errorf("ingest FILE --token T sent %+v", r)
	}
	if code, out := runCmd(t, "feeds", "add", "https://example.com/rss", "--source", "X", "--no-poll", "--server", ts.URL); code != 0 {
		t.Fatalf("feeds add: %d %s", code, out)
	}
	if r := api.take(); len(r) != 1 || r[0].body != `{"source":"X","url":"https://example.com/rss"}` {
		t.Errorf("feeds add URL --source X sent %+v", r)
	}
	// The standard library's -name spelling still works; -- ends the flags.
	if code, out := runCmd(t, "search", "-server", ts.URL, "-size", "3", "--", "-oil"); code != 0 {
		t.Fatalf("search -server: %d %s", code, out)
	}
	if r := api.take(); len(r) != 1 || r[0].query["q"][0] != "-oil" || r[0].query["size"][0] != "3" {
		t.Errorf("search -size 3 -- -oil sent %+v", r)
	}
}

// envValue is a value of a flag's type and how the flag shows it.
func envValue(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "bool":
		return "true"
	case "int", "int64", "uint64":
		return "7"
	case "float64":
		return "2.5"
	case "duration":
		return "3s"
	case "age":
		return "3d"
	}
	return "from-env"
}

// TestEnvEveryFlag: every flag of every command takes its value from
// WATCHWORD_<FLAG> when the command line does not give it.
func TestEnvEveryFlag(t *testing.T) {
	n := 0
	walk(newRootCmd(io.Discard, io.Discard), func(path []string, c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				return
			}
			n++
			cmd, _, err := newRootCmd(io.Discard, io.Discard).Find(path)
			if err != nil {
				t.Fatal(err)
			}
			env, v := envName(f.Name), envValue(f)
			t.Setenv(env, v)
			if err := applyEnv(cmd.Flags()); err != nil {
				t.Errorf("%s: %v", env, err)
			}
			os.Unsetenv(env)
			got := cmd.Flags().Lookup(f.Name)
			if !got.Changed || !strings.Contains(got.Value.String(), v) {
				t.Errorf("watchword %s --%s: %s=%s gave %q", strings.Join(path, " "), f.Name, env, v, got.Value.String())
			}
		})
	})
	t.Logf("%d flags checked", n)

	// Through run: the environment fills what the command line leaves out.
	api := &apiRecorder{}
	ts := httptest.NewServer(api)
	defer ts.Close()
	t.Setenv("WATCHWORD_SERVER", ts.URL)
	t.Setenv("WATCHWORD_SIZE", "4")
	t.Setenv("WATCHWORD_TOKEN", "env-token")
	if code, out := runCmd(t, "search", "gas"); code != 0 {
		t.Fatalf("search: %d %s", code, out)
	}
	if code, out := runCmd(t, "search", "gas", "--size", "5"); code != 0 {
		t.Fatalf("search: %d %s", code, out)
	}
	r := api.take()
	if len(r) != 2 || r[0].query["size"][0] != "4" || r[0].auth != "Bearer env-token" || r[1].query["size"][0] != "5" {
		t.Errorf("WATCHWORD_SIZE=4, then --size 5, sent %+v", r)
	}
	t.Setenv("WATCHWORD_SIZE", "lots")
	if code, _ := runCmd(t, "search", "gas"); code != 2 {
		t.Errorf("WATCHWORD_SIZE=lots: exit %d, want 2", code)
	}
}

// TestREADMEEnvVars: every WATCHWORD_ variable the README names is a flag
// of some command (WATCHWORD_<FLAG>).
func TestREADMEEnvVars(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	walk(newRootCmd(io.Discard, io.Discard), func(_ []string, c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { flags[envName(f.Name)] = true })
	})
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		for _, v := range regexp.MustCompile(`WATCHWORD_[A-Z0-9_]*[A-Z0-9]`).FindAllString(sc.Text(), -1) {
			if !flags[v] {
				t.Errorf("README names %s, which is no flag's variable", v)
			}
		}
	}
}

// TestCaretColumn: the API reports byte positions; the caret under the
// query goes at the character's column.
func TestCaretColumn(t *testing.T) {
	for _, tc := range []struct {
		q    string
		pos  int
		want int
	}{
		{"ukraine AND (", 12, 12},
		{"Россия AND (", len("Россия AND "), 11},
		{"東京 AND (", len("東京 AND "), 9},
		{"x", 99, 1},
		{"x", -1, 0},
	} {
		if got := caretColumn(tc.q, tc.pos); got != tc.want {
			t.Errorf("caretColumn(%q, %d) = %d, want %d", tc.q, tc.pos, got, tc.want)
		}
	}
}
