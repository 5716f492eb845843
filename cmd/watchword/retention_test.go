package main

import (
	"errors"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestRetentionFlags(t *testing.T) {
	parse := func(args ...string) (*retentionFlags, error) {
		var f retentionFlags
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		f.register(fs)
		return &f, fs.Parse(args)
	}
	f, err := parse()
	if err != nil || f.delivery() != 30*24*time.Hour {
		t.Fatalf("defaults: %v %v", f.delivery(), err)
	}
	if r, err := f.article(); err != nil || r.Enabled() {
		t.Fatalf("article retention is on by default: %+v %v", r, err)
	}
	f, err = parse("--delivery-retention", "0", "--retention", "365d", "--retention-source", "reuters=30d, wire=72h")
	if err != nil {
		t.Fatal(err)
	}
	if f.delivery() >= 0 {
		t.Errorf("--delivery-retention 0 is %v, want for ever (negative)", f.delivery())
	}
	r, err := f.article()
	if err != nil || r.MaxAge != 365*24*time.Hour || r.Sources["reuters"] != 30*24*time.Hour || r.Sources["wire"] != 72*time.Hour {
		t.Errorf("article retention %+v %v", r, err)
	}
	for _, bad := range [][]string{{"--retention", "1y"}, {"--delivery-retention", "-1d"}, {"--retention", "1.5d"}} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	for _, bad := range []string{"reuters", "=30d", "reuters=0d", "reuters=soon"} {
		f, _ := parse("--retention-source", bad)
		var ue usageError
		if _, err := f.article(); !errors.As(err, &ue) {
			t.Errorf("--retention-source %q: %v, want a usage error", bad, err)
		}
	}
}
