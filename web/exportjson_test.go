package web

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// TestExportJSONAgreesWithEncoder holds appendExportJSON to the encoder
// it replaces (exportRecord through json.Encoder without HTML escaping)
// byte for byte, over random articles whose strings mix ASCII, control
// characters, quotes, backslashes, HTML characters, U+2028/U+2029, other
// scripts and invalid UTF-8, with nil, empty and full lists, absent and
// present optional fields, confidences from tiny to huge, dates in other
// zones and with nanoseconds; and checks it declines what encoding/json
// refuses (years past 9999).
func TestExportJSONAgreesWithEncoder(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	pieces := []string{"a", "Peskov ", "\"", "\\", "<b>&amp;</b>", "\n", "\r\t", "\x00", "\x1f", "\b", "\f", "\x7f",
		"\u2028", "\u2029", "Песков", "مرحبا", "日本", "\xff", "\xe2\x80", "é", "😀", "/", "'"}
	str := func() string {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		return sb.String()
	}
	list := func() []string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.IntN(4))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	zones := []*time.Location{time.UTC, time.FixedZone("X", 5*3600+1800), time.FixedZone("Y", -7*3600)}
	date := func() time.Time {
		return time.Unix(r.Int64N(4e10)-1e10, r.Int64N(1e9)*int64(r.IntN(2))).In(zones[r.IntN(len(zones))])
	}
	confs := []float64{0, 1, 0.5, 0.123456789, 1e-7, 3e-12, 1e21, 2.5e22, 1e20, 0.999999, math.SmallestNonzeroFloat64}
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	for i := range 3000 {
		a := &news.Article{ID: str(), Title: str(), Body: str(), Date: date(), Language: str(), LanguageConfidence: confs[r.IntN(len(confs))],
			Speakers: list(), Countries: list(), MainCountries: list(), Topics: list(), Seq: r.Uint64(), IngestedAt: date(),
			Supplied: news.Facets{Speakers: list()}, Extracted: news.Facets{Topics: list()}}
		if r.IntN(2) == 0 {
			a.Source, a.URL = str(), str()
		}
		rec := exportRecord{Article: a}
		if a.MainCountries == nil {
			b := *a
			b.MainCountries = a.Main()
			rec.Article = &b
		}
		enc.Reset()
		if err := e.Encode(rec); err != nil {
			t.Fatal(err)
		}
		got, ok := appendExportJSON(nil, a)
		if !ok {
			t.Fatalf("article %d: declined", i)
		}
		if want := bytes.TrimSuffix(enc.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
			t.Fatalf("article %d:\n got %s\nwant %s", i, got, want)
		}
	}
	far := &news.Article{ID: "x", Date: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := json.NewEncoder(&enc).Encode(exportRecord{Article: far}); err == nil {
		t.Fatal("encoding/json now encodes year 10000: revisit jsonTimeOK")
	}
	if b, ok := appendExportJSON([]byte("keep"), far); ok || string(b) != "keep" {
		t.Fatalf("year 10000: %q, %v; want declined and b untouched", b, ok)
	}
}
