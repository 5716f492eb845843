package logctx

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestFromWith(t *testing.T) {
	fallback := slog.New(slog.DiscardHandler)
	if got := From(context.Background(), fallback); got != fallback {
		t.Fatal("From without a logger should return the fallback")
	}
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil)).With("request_id", "r1")
	ctx := With(context.Background(), l)
	From(ctx, fallback).Info("hello")
	if !strings.Contains(buf.String(), "request_id=r1") {
		t.Fatalf("log line lacks the context's attributes: %q", buf.String())
	}
}
