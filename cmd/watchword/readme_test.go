package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEConfigTable keeps the README's configuration table in step
// with the flags of `watchword serve`.
func TestREADMEConfigTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	row := regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)` \\| `(WATCHWORD_[A-Z0-9_]+)` \\|")
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = true
		if want := "WATCHWORD_" + strings.ToUpper(strings.ReplaceAll(m[1], "-", "_")); m[2] != want {
			t.Errorf("README: --%s is documented as %s, the variable is %s", m[1], m[2], want)
		}
	}
	var out, errb strings.Builder
	run([]string{"serve", "-h"}, &out, &errb)
	flags := helpFlags(out.String())
	if len(flags) == 0 {
		t.Fatalf("no flags in serve -h: %s", out.String())
	}
	for _, f := range flags {
		if f[1] == "help" {
			continue
		}
		if !documented[f[1]] {
			t.Errorf("serve --%s is not in the README's configuration table", f[1])
		}
		delete(documented, f[1])
	}
	for f := range documented {
		t.Errorf("the README's configuration table lists --%s, which serve does not have", f)
	}
}
