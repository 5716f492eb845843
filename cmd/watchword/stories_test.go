package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// The story flags reach the detector's configuration, and out-of-range
// values are usage errors of serve and reindex (exit 2).
func TestStoryFlags(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	var sf storyFlags
	sf.register(fs)
	if err := fs.Parse([]string{"--story-window", "48h", "--story-threshold", "0.7"}); err != nil {
		t.Fatal(err)
	}
	sc, err := sf.config()
	if err != nil || sc.Window != 48*time.Hour || sc.Threshold != 0.7 {
		t.Fatalf("config %+v, %v", sc, err)
	}
	dir := t.TempDir()
	for _, cmd := range []string{"serve", "reindex"} {
		for _, args := range [][]string{{"--story-window", "0s"}, {"--story-threshold", "0"}, {"--story-threshold", "1.5"}} {
			var out, errb strings.Builder
			if code := run(append([]string{cmd, "--data", dir}, args...), &out, &errb); code != 2 {
				t.Errorf("%s %v: exit %d, want 2 (%s)", cmd, args, code, errb.String())
			}
		}
	}
}
