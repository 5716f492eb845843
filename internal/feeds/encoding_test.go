package feeds

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// TestPollDecodesTheServersCharset: a feed served in KOI8-R or
// windows-1255 with the charset only in the HTTP Content-Type, or in
// UTF-16 with a byte order mark, is stored as the text it is, and a
// windows-1252 C1 character in a UTF-8 feed is stored as what it meant.
func TestPollDecodesTheServersCharset(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	doc := func(title, body string) string {
		return strings.Replace(rss("Desk", rssItem{"https://wire.example/" + title, title, "<p>" + body + "</p>", ""}), ` encoding="UTF-8"`, "", 1)
	}
	for _, c := range []struct {
		ctype       string
		enc         encoding.Encoding
		title, body string
		want        string // the stored title when not title
	}{
		{"application/rss+xml; charset=KOI8-R", charmap.KOI8R, "Мост через реку откроют весной", "Работы идут по графику.", ""},
		{"text/xml; charset=windows-1255", charmap.Windows1255, "הרכבת הקלה יוצאת לדרך", "הנסיעה הראשונה בבוקר.", ""},
		{"application/rss+xml", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "Ferry timetable: Ålesund–Hareid", "Dépârts every 20 minutes.", ""},
		{"application/rss+xml; charset=utf-8", unicode.UTF8, "The mayor\u0092s plan", "Costs \u0080 5m.", "The mayor’s plan"},
	} {
		raw, err := c.enc.NewEncoder().String(doc(c.title, c.body))
		if err != nil {
			t.Fatal(err)
		}
		o.serve(c.ctype, raw, "")
		v := e.create(t, o.url("/"+c.ctype), nil)
		r := e.poll(t, v.ID)
		if r.Status != StatusOK || r.Added != 1 {
			t.Fatalf("%s: %+v", c.ctype, r)
		}
		want := c.title
		if c.want != "" {
			want = c.want
		}
		a := e.stored(t)[r.Articles[0].ID]
		if a.Title != want || !strings.Contains(a.Body, strings.ReplaceAll(c.body, "\u0080", "€")) {
			t.Errorf("%s: stored %q / %q", c.ctype, a.Title, a.Body)
		}
	}
}

// TestPollCountsAddUp: with an entry repeated in the document, the poll's
// counts still add up to its entries, on the first poll and the next.
func TestPollCountsAddUp(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := newOrigin(t)
	bad := rssItem{"https://wire.example/empty", "", "", ""}
	again := rssItem{guidA, "Alpha story, again", "<p>A second copy.</p>", ""}
	o.serve("application/rss+xml", rss("Dup Wire", itemA, itemB, again, bad, itemB), "")
	v := e.create(t, o.url("/dup.xml"), nil)
	sum := func(r *PollResult) int {
		return r.Added + r.Updated + r.Unchanged + r.Known + r.Rejected + r.Duplicates
	}
	r := e.poll(t, v.ID)
	if r.Entries != 5 || sum(r) != 5 || r.Added != 2 || r.Duplicates != 2 || r.Rejected != 1 {
		t.Fatalf("first poll: %+v", r)
	}
	r = e.poll(t, v.ID)
	if r.Entries != 5 || sum(r) != 5 || r.Unchanged != 2 || r.Duplicates != 2 || r.Rejected != 1 {
		t.Fatalf("second poll: %+v", r)
	}
	if got := e.stored(t)[idOf(guidA)]; got == nil || got.Title != "Alpha story" {
		t.Errorf("the first copy should be kept: %+v", got)
	}
}
