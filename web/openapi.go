package web

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPISpec is the OpenAPI 3.1 description of the API, kept in the
// repository as web/openapi.json. TestOpenAPICoversRoutes keeps it and the
// route table in step.
//
//go:embed openapi.json
var openAPISpec []byte

// OpenAPISpec returns the embedded OpenAPI description.
func OpenAPISpec() []byte { return openAPISpec }

// handleOpenAPI serves the API description; it needs no token.
func (s *Server) handleOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPISpec)
}
