package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/watchword/watchword/internal/news"
)

// statusOf maps error codes to HTTP statuses. This is the only place that
// does so.
var statusOf = map[string]int{
	news.ECodeInvalid:      http.StatusBadRequest,
	news.ECodeQuerySyntax:  http.StatusBadRequest,
	news.ECodeQueryBroad:   http.StatusBadRequest,
	news.ECodeBadRequest:   http.StatusBadRequest,
	news.ECodeNotFound:     http.StatusNotFound,
	news.ECodeUnauthorized: http.StatusUnauthorized,
	news.ECodeTooLarge:     http.StatusRequestEntityTooLarge,
	news.ECodeUnsupported:  http.StatusUnsupportedMediaType,
	news.ECodeConflict:     http.StatusConflict,
	news.ECodeRateLimited:  http.StatusTooManyRequests,
	news.ECodeForbidden:    http.StatusForbidden,
	news.ECodeMethod:       http.StatusMethodNotAllowed,
	news.ECodeUnavailable:  http.StatusServiceUnavailable,
	news.ECodeTimeout:      http.StatusServiceUnavailable,
	news.ECodeInternal:     http.StatusInternalServerError,
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Position *int   `json:"position,omitempty"`
}

func toErrorBody(err error) (int, errorBody) {
	var ne *news.Error
	if errors.As(err, &ne) {
		st, ok := statusOf[ne.Code]
		if !ok {
			st = http.StatusBadRequest
		}
		return st, errorBody{errorDetail{Code: ne.Code, Message: ne.Message, Position: ne.Position}}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code := news.ECodeBadRequest
		switch he.Code {
		case http.StatusNotFound:
			code = news.ECodeNotFound
		case http.StatusMethodNotAllowed:
			code = news.ECodeMethod
		case http.StatusRequestEntityTooLarge:
			code = news.ECodeTooLarge
		case http.StatusUnauthorized:
			code = news.ECodeUnauthorized
		case http.StatusUnsupportedMediaType:
			code = news.ECodeUnsupported
		case http.StatusTooManyRequests:
			code = news.ECodeRateLimited
		default:
			if he.Code >= 500 {
				code = news.ECodeInternal
			}
		}
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && m != "" {
			msg = m
		}
		return he.Code, errorBody{errorDetail{Code: code, Message: msg}}
	}
	return http.StatusInternalServerError, errorBody{errorDetail{Code: news.ECodeInternal, Message: "internal error"}}
}

// StatusClientClosed is the status logged (never sent) for a request
// whose client hung up before the answer, as nginx logs it.
const StatusClientClosed = 499

// errorHandler writes every error as JSON; 5xx are logged with the cause.
// A request cancelled because its client went away gets no answer: it is
// logged as StatusClientClosed.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		c.Response().Status = StatusClientClosed
		s.Logger(c).Info("web: client went away; request cancelled", "method", c.Request().Method, "path", c.Path())
		return
	}
	status, body := toErrorBody(err)
	if status >= 500 {
		s.Logger(c).Error("web: request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if werr := c.JSON(status, body); werr != nil {
		s.Logger(c).Debug("web: write error response", "err", werr)
	}
}
