package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// newHealthcheckCmd asks a server's readiness probe and exits 0 on 200, 1
// otherwise. It is the container HEALTHCHECK: the image has no curl.
func newHealthcheckCmd(stdout io.Writer) *cobra.Command {
	var (
		u       string
		timeout time.Duration
	)
	c := &cobra.Command{
		Use:   "healthcheck [flags]",
		Short: "Exit 0 when the server's readiness probe answers 200, else 1",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return usageError{fmt.Errorf("--url: %w", err)}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("unhealthy: %s answered %d: %s", u, resp.StatusCode, body)
			}
			fmt.Fprintln(stdout, "ok")
			return nil
		},
	}
	c.Flags().StringVar(&u, "url", "http://127.0.0.1:8080/readyz", "URL that must answer 200")
	c.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	return c
}
