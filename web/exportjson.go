package web

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/watchword/watchword/internal/news"
)

// appendExportJSON appends a's NDJSON export record (exportRecord, as
// encoding/json with SetEscapeHTML(false) writes it, without the newline)
// to b, without reflection: an export writes a million of them. It
// reports false, leaving b as it was, for what it does not handle the
// same way (a date outside years 0–9999, which encoding/json refuses; a
// confidence that is not a finite number); the caller then uses the
// encoder. TestExportJSONAgreesWithEncoder holds it to encoding/json.
func appendExportJSON(b []byte, a *news.Article) ([]byte, bool) {
	if !jsonTimeOK(a.Date) || !jsonTimeOK(a.IngestedAt) || math.IsNaN(a.LanguageConfidence) || math.IsInf(a.LanguageConfidence, 0) {
		return b, false
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, a.ID)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, a.Title)
	b = append(b, `,"body":`...)
	b = appendJSONString(b, a.Body)
	b = append(b, `,"date":"`...)
	b = a.Date.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if a.Source != "" {
		b = append(b, `,"source":`...)
		b = appendJSONString(b, a.Source)
	}
	if a.URL != "" {
		b = append(b, `,"url":`...)
		b = appendJSONString(b, a.URL)
	}
	if a.Language != "" {
		b = append(b, `,"language":`...)
		b = appendJSONString(b, a.Language)
	}
	if a.LanguageConfidence != 0 {
		b = append(b, `,"language_confidence":`...)
		b = appendJSONFloat(b, a.LanguageConfidence)
	}
	b = append(b, `,"speakers":`...)
	b = appendJSONStrings(b, a.Speakers)
	b = append(b, `,"countries":`...)
	b = appendJSONStrings(b, a.Countries)
	b = append(b, `,"main_countries":`...)
	b = appendJSONStrings(b, a.Main())
	b = append(b, `,"topics":`...)
	b = appendJSONStrings(b, a.Topics)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, a.Seq, 10)
	b = append(b, `,"ingested_at":"`...)
	b = a.IngestedAt.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...), true
}

// jsonTimeOK reports whether t.MarshalJSON would succeed (and write
// RFC 3339 with nanoseconds, as AppendFormat does).
func jsonTimeOK(t time.Time) bool {
	if y := t.Year(); y < 0 || y > 9999 {
		return false
	}
	_, off := t.Zone()
	// MarshalJSON refuses offsets of 24 hours or more; AppendFormat would
	// write them.
	return off > -24*3600 && off < 24*3600
}

func appendJSONStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONFloat writes f as encoding/json does a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted as encoding/json does without HTML
// escaping: \" \\ \b \f \n \r \t, other control characters as \u00XX,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
