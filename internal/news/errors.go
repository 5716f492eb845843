// Package news holds Watchword's domain types: the Article, its validation
// and the coded error type every layer returns. It imports nothing of ours.
package news

import (
	"errors"
	"fmt"
)

// Error codes. The web layer maps each one to an HTTP status in one place.
const (
	ECodeInvalid      = "invalid"            // a field failed validation
	ECodeQuerySyntax  = "query_syntax"       // the query language could not parse
	ECodeQueryBroad   = "query_too_broad"    // a query over its budget (terms, expansions, phrase words, prefix length)
	ECodeNotFound     = "not_found"          // no such resource
	ECodeUnauthorized = "unauthorized"       // missing or wrong token
	ECodeForbidden    = "forbidden"          // a valid key whose scope does not allow this
	ECodeTooLarge     = "too_large"          // a body or field over its limit
	ECodeUnsupported  = "unsupported_media"  // a content type we do not decode
	ECodeConflict     = "conflict"           // the request clashes with current state
	ECodeRateLimited  = "rate_limited"       // too many requests
	ECodeInternal     = "internal"           // a bug or an I/O failure on our side
	ECodeUnavailable  = "unavailable"        // temporarily not able to serve
	ECodeTimeout      = "timeout"            // a search ran past the server's deadline
	ECodeBadRequest   = "bad_request"        // malformed request (JSON, parameters)
	ECodeMethod       = "method_not_allowed" // wrong HTTP method
)

// Error is the one coded error type of Watchword. Position, when set, is a
// byte offset into the offending input (for example the query string).
type Error struct {
	Code     string
	Message  string
	Position *int
	Err      error // optional cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Position != nil {
		return fmt.Sprintf("%s: %s (at %d)", e.Code, e.Message, *e.Position)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a coded error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorAt returns a coded error that points at a byte offset of the input.
func ErrorAt(code string, pos int, format string, args ...any) *Error {
	p := pos
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Position: &p}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// ECodeInternal for any other non-nil error, or "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ECodeInternal
}

// ErrorMessage returns the client-facing message: the message of a coded
// error, or a generic text for anything else (internal details stay in logs).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Clip shortens a client's value for quoting in an error message: at most
// 40 characters, with "…" when cut, never splitting a character.
func Clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
