// Package logctx carries a *slog.Logger in a context.Context, so the
// core (engine, alerts, feeds) logs with the attributes of the request or
// job that called it (for example the HTTP request_id) without importing
// web. It imports nothing of the project's.
package logctx

import (
	"context"
	"log/slog"
)

type key struct{}

// With returns a copy of ctx carrying l.
func With(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, key{}, l)
}

// From returns the logger ctx carries, or fallback when it carries none.
func From(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if ctx != nil {
		if l, ok := ctx.Value(key{}).(*slog.Logger); ok && l != nil {
			return l
		}
	}
	return fallback
}
