package alerts

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// mailData is what both parts of an email show.
type mailData struct {
	Name     string
	Count    string // "3 new articles"
	AlertURL string
	PauseURL string
	Matches  []mailMatch
}

type mailMatch struct {
	Title    string
	URL      string // http(s) only; "" otherwise
	Meta     string // source · date
	Snippet  []snippetPart
	Plain    string // the snippet as plain text
	Entities string // speakers and countries
}

// snippetPart is a run of a snippet's text, highlighted or not: the
// HTML part marks the matches itself, from plain text, so that every
// byte of the article goes through html/template's escaping.
type snippetPart struct {
	Text string
	Hit  bool
}

// splitSnippet cuts a snippet (escaped text with <mark> around the
// matches) into plain-text runs.
func splitSnippet(s string) []snippetPart {
	var out []snippetPart
	for s != "" {
		i := strings.Index(s, "<mark>")
		if i < 0 {
			out = append(out, snippetPart{Text: plainSnippet(s)})
			break
		}
		if i > 0 {
			out = append(out, snippetPart{Text: plainSnippet(s[:i])})
		}
		s = s[i+len("<mark>"):]
		j := strings.Index(s, "</mark>")
		if j < 0 {
			j = len(s)
		}
		out = append(out, snippetPart{Text: plainSnippet(s[:j]), Hit: true})
		s = strings.TrimPrefix(s[j:], "</mark>")
	}
	return out
}

var mailText = texttemplate.Must(texttemplate.New("text").Parse(`Watchword alert "{{.Name}}": {{.Count}}
{{range .Matches}}
* {{.Title}}
{{- if .URL}}
  {{.URL}}{{end}}
{{- if .Meta}}
  {{.Meta}}{{end}}
{{- if .Plain}}
  {{.Plain}}{{end}}
{{- if .Entities}}
  {{.Entities}}{{end}}
{{end}}
{{- if .AlertURL}}
The alert: {{.AlertURL}}{{end}}
{{- if .PauseURL}}
Pause this alert (no more emails): {{.PauseURL}}{{end}}
`))

var mailHTML = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Name}}</title></head>
<body style="font-family:sans-serif;max-width:40em">
<p>Watchword alert <strong>{{if .AlertURL}}<a href="{{.AlertURL}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</strong>: {{.Count}}</p>
<ul style="padding-left:1em">
{{- range .Matches}}
<li style="margin-bottom:1em">
<div><strong>{{if .URL}}<a href="{{.URL}}">{{.Title}}</a>{{else}}{{.Title}}{{end}}</strong></div>
{{- if .Meta}}
<div style="color:#555">{{.Meta}}</div>{{end}}
{{- if .Snippet}}
<div>{{range .Snippet}}{{if .Hit}}<mark>{{.Text}}</mark>{{else}}{{.Text}}{{end}}{{end}}</div>{{end}}
{{- if .Entities}}
<div style="color:#555"><em>{{.Entities}}</em></div>{{end}}
</li>
{{- end}}
</ul>
{{- if .PauseURL}}
<p style="color:#555;font-size:small">You get this because your address is on this alert. <a href="{{.PauseURL}}">Pause this alert</a>.</p>{{end}}
</body></html>
`))

// httpURL returns u when it is an absolute http(s) URL, "" otherwise.
func httpURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

// oneLine replaces control characters (a CR or LF in a header would
// start another header) with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// mailMessage builds the email of a delivery from the store, for its
// recipient; nil when every article was deleted. Its Message-ID is the
// delivery's id, the same on every attempt, so that a message sent
// twice (an answer lost after the server took it) is seen as one.
func (s *Service) mailMessage(ctx context.Context, d *Delivery, a *Alert) (*gomail.Msg, error) {
	matches, err := s.matches(ctx, d.Alert.Query, d.ArticleIDs, true)
	if err != nil {
		return nil, fmt.Errorf("read the matches: %w", err)
	}
	if len(matches) == 0 {
		return nil, nil
	}
	data := mailData{
		Name: d.Alert.Name, Count: countNew(len(matches), d.TotalNew),
		AlertURL: s.AlertURL(d.AlertID), PauseURL: s.PauseURL(a),
	}
	for i := range matches {
		m := &matches[i]
		title := m.Title
		if title == "" {
			title = m.ID
		}
		data.Matches = append(data.Matches, mailMatch{
			Title: title, URL: httpURL(m.URL), Meta: matchMeta(m),
			Snippet: splitSnippet(m.Snippet), Plain: plainSnippet(m.Snippet), Entities: entities(m),
		})
	}
	var text, html bytes.Buffer
	if err := mailText.Execute(&text, data); err != nil {
		return nil, fmt.Errorf("render the text part: %w", err)
	}
	if err := mailHTML.Execute(&html, data); err != nil {
		return nil, fmt.Errorf("render the HTML part: %w", err)
	}
	msg := gomail.NewMsg()
	if err := msg.FromFormat("Watchword", s.cfg.SMTP.From); err != nil {
		return nil, fmt.Errorf("from %q: %w", s.cfg.SMTP.From, err)
	}
	if err := msg.To(d.Recipient); err != nil {
		return nil, fmt.Errorf("to %q: %w", d.Recipient, err)
	}
	msg.Subject(oneLine(fmt.Sprintf("[Watchword] %s: %s", d.Alert.Name, data.Count)))
	msg.SetMessageIDWithValue(d.ID + "@" + s.mailDomain())
	msg.SetDateWithValue(time.Now())
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if data.PauseURL != "" {
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, "<"+data.PauseURL+">")
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, text.String())
	msg.AddAlternativeString(gomail.TypeTextHTML, html.String())
	return msg, nil
}

// mailDomain is the right side of a Message-ID: the public URL's host,
// else the sender's domain.
func (s *Service) mailDomain() string {
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	if at := strings.LastIndexByte(s.cfg.SMTP.From, '@'); at >= 0 {
		return s.cfg.SMTP.From[at+1:]
	}
	return "watchword"
}
