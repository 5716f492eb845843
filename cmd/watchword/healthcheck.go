package main

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// cmdHealthcheck asks a server's readiness probe and exits 0 on 200, 1
// otherwise. It is the container HEALTHCHECK: the image has no curl.
func cmdHealthcheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", stderr)
	url := fs.String("url", "http://127.0.0.1:8080/readyz", "URL that must answer 200")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c := &http.Client{Timeout: *timeout}
	resp, err := c.Get(*url)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %d: %s", *url, resp.StatusCode, body)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
