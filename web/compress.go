package web

// Response compression: gzip, or zstd when the client prefers it, for the
// text the server sends (HTML, CSS, JS, JSON, NDJSON, CSV, SVG) above
// CompressMinSize.
// Images, archives, the store backup (application/octet-stream) and
// anything that already has a Content-Encoding are sent as they are, and
// so are bodies below the threshold. Every answer carries Vary:
// Accept-Encoding. A handler that flushes still streams: each Flush sends
// what has been compressed so far (the search export, web/export.go).

import (
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// CompressMinSize is the smallest body that is compressed; below it the
// framing costs more than it saves.
const CompressMinSize = 1024

// compressTypes are the media types worth compressing.
var compressTypes = []string{
	"text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
	"application/json", "application/x-ndjson", "application/problem+json", "image/svg+xml", "text/csv",
}

// etagSuffixes are what compression appends inside an ETag's quotes, so a
// compressed and a plain body never share one (RFC 9110 8.8.3).
var etagSuffixes = []string{"-gzip", "-zstd"}

// compressed wraps h with the compression.
func compressed(h http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(CompressMinSize),
		gzhttp.ContentTypes(compressTypes),
		gzhttp.CompressionLevel(gzip.DefaultCompression),
		gzhttp.SuffixETag("-gzip"), // "-zstd" for zstd
	)
	if err != nil {
		return nil, fmt.Errorf("web: compression: %w", err)
	}
	return wrap(h), nil
}

// etagMatch reports whether an If-None-Match header names etag, in any of
// its encodings.
func etagMatch(ifNoneMatch, etag string) bool {
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		for _, s := range etagSuffixes {
			t = strings.Replace(t, s+`"`, `"`, 1)
		}
		if t == etag {
			return true
		}
	}
	return false
}
