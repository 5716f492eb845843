package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// client talks to a running server's API.
type client struct {
	base  string
	token string
	http  *http.Client
}

// serverFlags are the flags of a command that talks to a running server
// with the write token.
type serverFlags struct {
	server, token, data string
}

func (f *serverFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.server, "server", "http://127.0.0.1:8080", "server URL")
	fs.StringVar(&f.token, "token", "", "API token (default: read from <data>/token)")
	fs.StringVar(&f.data, "data", "./watchword-data", "data directory, to find the token when --token is not given")
}

// client connects to --server with --token, else the token kept in
// <data>/token when it is readable (a server without one answers 401).
func (f *serverFlags) client() *client {
	tok := f.token
	if tok == "" {
		if b, err := os.ReadFile(filepath.Join(f.data, "token")); err == nil {
			tok = strings.TrimSpace(string(b))
		}
	}
	return newClient(f.server, tok)
}

func newClient(server, token string) *client {
	return &client{base: strings.TrimRight(server, "/"), token: token, http: &http.Client{Timeout: 5 * time.Minute}}
}

type apiError struct {
	Status   int
	Code     string
	Message  string
	Position *int
}

func (e *apiError) Error() string {
	if e.Position != nil {
		return fmt.Sprintf("%s (HTTP %d, %s at position %d)", e.Message, e.Status, e.Code, *e.Position)
	}
	return fmt.Sprintf("%s (HTTP %d, %s)", e.Message, e.Status, e.Code)
}

// do sends a request and decodes a 2xx JSON answer into out. A non-2xx
// answer is returned as *apiError; body is still decoded into out when
// it is JSON (ingest reports per-item errors alongside a 400).
func (c *client) do(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	resp, err := c.send(ctx, c.http, method, path, contentType, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if out != nil {
		_ = json.Unmarshal(raw, out)
	}
	if resp.StatusCode/100 != 2 {
		return apiErrorOf(resp.StatusCode, raw)
	}
	return nil
}

// stream GETs path and copies a 2xx answer's body to w as it arrives,
// with no overall deadline (ctx ends it); it returns the bytes copied.
// A non-2xx answer is an *apiError.
func (c *client) stream(ctx context.Context, path string, w io.Writer) (int64, error) {
	hc := &http.Client{Transport: c.http.Transport} // no Timeout: an export takes as long as it takes
	resp, err := c.send(ctx, hc, "GET", path, "", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return 0, apiErrorOf(resp.StatusCode, raw)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("GET %s: broken off after %d bytes: %w", path, n, err)
	}
	return n, nil
}

func (c *client) send(ctx context.Context, hc *http.Client, method, path, contentType string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// apiErrorOf reads the API's error shape from a non-2xx answer.
func apiErrorOf(status int, raw []byte) *apiError {
	var eb struct {
		Error struct {
			Code     string `json:"code"`
			Message  string `json:"message"`
			Position *int   `json:"position"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
		return &apiError{Status: status, Code: "http", Message: strings.TrimSpace(string(raw))}
	}
	return &apiError{Status: status, Code: eb.Error.Code, Message: eb.Error.Message, Position: eb.Error.Position}
}
