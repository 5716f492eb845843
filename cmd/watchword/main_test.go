package main

import (
	"os"
	"testing"
)

// TestMain lets tests run the real binary as a child process: with
// WATCHWORD_TEST_MAIN=1 the test binary behaves as `watchword`.
func TestMain(m *testing.M) {
	if os.Getenv("WATCHWORD_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
