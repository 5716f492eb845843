package ingest

import (
	"bytes"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/watchword/watchword/internal/news"
)

// FeedUTF8 returns a feed document as UTF-8, whatever it was encoded in,
// with its XML declaration (if any) saying so. The encoding comes from,
// in this order (RFC 7303, section 3):
//
//  1. a byte order mark (UTF-8, UTF-16 or UTF-32), which no label can
//     contradict;
//  2. the charset parameter of contentType (the HTTP Content-Type);
//  3. the XML declaration's encoding, read as XML's appendix F says
//     (UTF-16 and UTF-32 without a mark are recognised by the width of
//     "<?");
//  4. UTF-8; but a document that is not valid UTF-8 and has no
//     multi-byte UTF-8 sequence at all is read as windows-1252.
//
// Labels are looked up as browsers do (the WHATWG Encoding Standard, so
// iso-8859-1 and us-ascii are read as windows-1252, their superset), plus
// UTF-32. An unknown label is ignored, as if there were none. Bytes that are not valid in the encoding
// (UTF-8 included, however labelled) become U+FFFD, and control characters are cleaned as CleanText does.
func FeedUTF8(data []byte, contentType string) ([]byte, error) {
	enc, rest := sniffBOM(data)
	if enc == nil {
		if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
			enc = lookupCharset(params["charset"]) // nil when unknown: ignored
		}
	}
	if enc == nil {
		enc = sniffWidth(data)
	}
	if enc == nil {
		if label := declaredEncoding(data); label != "" {
			enc = lookupCharset(label) // nil when unknown: ignored
		}
	}
	if (enc == nil || enc == unicode.UTF8) && !utf8.Valid(rest) && !hasMultibyte(rest) {
		// High bytes and not one UTF-8 sequence among them: a
		// single-byte encoding mislabelled or not labelled at all. Read
		// it as windows-1252, the usual one, as browsers do.
		enc = charmap.Windows1252
	}
	var out []byte
	if enc == nil || enc == unicode.UTF8 {
		out = []byte(strings.ToValidUTF8(string(rest), "\uFFFD"))
	} else {
		var err error
		if out, err = enc.NewDecoder().Bytes(rest); err != nil {
			return nil, news.Errorf(news.ECodeBadRequest, "feed does not decode: %s", clip(err.Error(), 100))
		}
	}
	for bytes.HasPrefix(out, []byte("\uFEFF")) {
		out = out[3:] // a mark the decoder left, or a second one
	}
	out = declareUTF8(out)
	return []byte(CleanText(string(out))), nil
}

// hasMultibyte reports whether b holds at least one valid UTF-8 sequence
// of more than one byte.
func hasMultibyte(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if n > 1 && r != utf8.RuneError {
			return true
		}
		b = b[n:]
	}
	return false
}

// sniffBOM recognises a byte order mark and returns the encoding and the
// data after the mark.
func sniffBOM(b []byte) (encoding.Encoding, []byte) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8, b[3:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), b[4:]
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), b[4:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), b[2:]
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), b[2:]
	}
	return nil, b
}

// sniffWidth recognises UTF-16 and UTF-32 without a byte order mark by a
// leading "<" (XML 1.0, appendix F).
func sniffWidth(b []byte) encoding.Encoding {
	switch {
	case bytes.HasPrefix(b, []byte{'<', 0, 0, 0}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	case bytes.HasPrefix(b, []byte{0, 0, 0, '<'}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case bytes.HasPrefix(b, []byte{'<', 0}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case bytes.HasPrefix(b, []byte{0, '<'}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	return nil
}

// lookupCharset finds an encoding by its label, nil when unknown.
func lookupCharset(label string) encoding.Encoding {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`)) {
	case "utf-32", "utf32", "ucs-4", "iso-10646-ucs-4", "utf-32be":
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case "utf-32le":
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	}
	enc, name := charset.Lookup(label)
	if name == "utf-8" {
		return unicode.UTF8
	}
	return enc
}

// xmlDecl matches an XML declaration's encoding pseudo-attribute; group 2
// is the label.
var xmlDecl = regexp.MustCompile(`^\s*<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([A-Za-z0-9._:-]*)["']`)

// declaredEncoding is the encoding an XML declaration names, if any.
func declaredEncoding(b []byte) string {
	if m := xmlDecl.FindSubmatch(b[:min(len(b), 512)]); m != nil {
		return string(m[2])
	}
	return ""
}

// declareUTF8 rewrites the XML declaration's encoding to UTF-8, so that
// the XML parser does not decode the document a second time.
func declareUTF8(b []byte) []byte {
	m := xmlDecl.FindSubmatchIndex(b[:min(len(b), 512)])
	if m == nil || strings.EqualFold(string(b[m[4]:m[5]]), "utf-8") {
		return b
	}
	out := make([]byte, 0, len(b)+5)
	out = append(out, b[:m[4]]...)
	out = append(out, "UTF-8"...)
	return append(out, b[m[5]:]...)
}

// CleanText returns s with the C1 control characters (U+0080 to U+009F)
// replaced by the windows-1252 characters they stand for (text in
// windows-1252 decoded as ISO-8859-1 somewhere upstream: U+0092 is ’,
// U+0080 is €) or dropped where windows-1252 has none, and the other
// control characters dropped, except tab, line feed and carriage return.
// Invalid UTF-8 becomes U+FFFD.
func CleanText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				b.WriteRune(utf8.RuneError) // invalid byte
			} else {
				b.WriteRune(r) // a real U+FFFD
			}
		case r >= 0x80 && r <= 0x9F:
			if w := charmap.Windows1252.DecodeByte(byte(r)); w != utf8.RuneError && (w < 0x80 || w > 0x9F) {
				b.WriteRune(w)
			}
		case isControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isControl reports the control characters CleanText changes.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7F && r <= 0x9F)
}
