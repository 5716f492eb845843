package web

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// handleBackup streams a consistent copy of the bbolt store, taken in one
// read transaction while writes go on. The index is not included: it is
// rebuilt from the store on the first start after a restore.
func (s *Server) handleBackup(c echo.Context) error {
	n, err := s.eng.Backup(c.Request().Context(), func(size int64) (io.Writer, error) {
		h := c.Response().Header()
		h.Set(echo.HeaderContentType, "application/octet-stream")
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="watchword-%s.db"`, time.Now().UTC().Format("20060102T150405Z")))
		h.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
		c.Response().WriteHeader(http.StatusOK)
		return c.Response(), nil
	})
	if err != nil {
		if !c.Response().Committed {
			return err
		}
		// The status is sent; a short body (Content-Length) tells the client.
		s.Logger(c).Error("backup: stream interrupted", "written", n, "err", err)
		return nil
	}
	s.Logger(c).Info("backup: streamed the store", "bytes", n)
	return nil
}
