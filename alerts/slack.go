package alerts

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"strings"
)

// Webhook formats: what the body of a webhook is.
const (
	// FormatStandard is the versioned Payload (the default).
	FormatStandard = "standard"
	// FormatSlack is the {"text", "blocks"} message that Slack,
	// Mattermost and Rocket.Chat incoming webhooks take, still with the
	// Standard Webhooks headers.
	FormatSlack = "slack"
)

// Slack's limits: blocks in one message, characters in one section's
// text. A delivery with more matches shows the first slackMaxMatches
// and says how many more there are.
const (
	slackMaxMatches    = 40
	slackMaxSectionLen = 3000
)

// SlackMessage is the body of a webhook in FormatSlack.
type SlackMessage struct {
	Text   string       `json:"text"` // the notification's fallback
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is a Block Kit block: a section (Text) or a context
// (Elements).
type SlackBlock struct {
	Type     string       `json:"type"`
	Text     *SlackText   `json:"text,omitempty"`
	Elements []*SlackText `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object.
type SlackText struct {
	Type string `json:"type"` // mrkdwn
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack reads as control
// characters in text: &, < and >.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackLink is <url|text> for an http(s) URL, the escaped text alone
// otherwise. In the URL, & is escaped as Slack wants and <, > and |,
// which would end the link, are percent-encoded.
func slackLink(u, text string) string {
	text = slackEscape(text)
	p, err := url.Parse(u)
	if u == "" || err != nil || (p.Scheme != "http" && p.Scheme != "https") {
		return text
	}
	u = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C").Replace(u)
	// Newlines inside a link's text end it; the text is one line.
	text = strings.Join(strings.Fields(text), " ")
	return "<" + u + "|" + text + ">"
}

// plainSnippet turns a snippet (escaped text with <mark> around the
// matches) into plain text.
func plainSnippet(s string) string {
	s = strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
	return html.UnescapeString(s)
}

// slackBody builds a delivery's Slack message from the store; nil when
// every article was deleted.
func (s *Service) slackBody(ctx context.Context, d *Delivery) ([]byte, error) {
	matches, err := s.matches(ctx, d.Alert.Query, d.ArticleIDs, true)
	if err != nil {
		return nil, fmt.Errorf("read the matches: %w", err)
	}
	if len(matches) == 0 {
		return nil, nil
	}
	name := d.Alert.Name
	head := fmt.Sprintf("%s: %s", slackLink(s.AlertURL(d.AlertID), name), countNew(len(matches), d.TotalNew))
	msg := SlackMessage{
		Text:   slackEscape(fmt.Sprintf("Watchword alert %q: %s", name, countNew(len(matches), d.TotalNew))),
		Blocks: []SlackBlock{{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: clipRunes(head, slackMaxSectionLen)}}},
	}
	for i, m := range matches {
		if i == slackMaxMatches {
			more := fmt.Sprintf("…and %d more in this delivery", len(matches)-i)
			if u := s.AlertURL(d.AlertID); u != "" {
				more += " (" + slackLink(u, "see the alert") + ")"
			}
			msg.Blocks = append(msg.Blocks, SlackBlock{Type: "context", Elements: []*SlackText{{Type: "mrkdwn", Text: more}}})
			break
		}
		title := m.Title
		if title == "" {
			title = m.ID
		}
		var b strings.Builder
		b.WriteString("*" + slackLink(m.URL, title) + "*")
		if meta := matchMeta(&m); meta != "" {
			b.WriteString("\n" + slackEscape(meta))
		}
		if sn := plainSnippet(m.Snippet); sn != "" {
			b.WriteString("\n" + slackEscape(sn))
		}
		if who := entities(&m); who != "" {
			b.WriteString("\n_" + slackEscape(who) + "_")
		}
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: clipRunes(b.String(), slackMaxSectionLen)}})
	}
	body, err := encodeJSON(msg)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return body, nil
}

// slackTest is the Slack form of a test event.
func slackTest(a *Alert, alertURL string) ([]byte, error) {
	text := fmt.Sprintf("Test message from the Watchword alert %s: this webhook works.", slackLink(alertURL, a.Name))
	return encodeJSON(SlackMessage{
		Text:   slackEscape(fmt.Sprintf("Test message from the Watchword alert %q", a.Name)),
		Blocks: []SlackBlock{{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: text}}},
	})
}

// countNew says how many new articles a delivery carries, and of how
// many when the run's matches took several deliveries.
func countNew(n, total int) string {
	s := fmt.Sprintf("%d new article", n)
	if n != 1 {
		s += "s"
	}
	if total > n {
		s += fmt.Sprintf(" (of %d in this run)", total)
	}
	return s
}

// matchMeta is a match's source and date on one line.
func matchMeta(m *Match) string {
	var parts []string
	if m.Source != "" {
		parts = append(parts, m.Source)
	}
	if !m.Date.IsZero() {
		parts = append(parts, m.Date.UTC().Format("2 Jan 2006 15:04 MST"))
	}
	return strings.Join(parts, " · ")
}

// entities lists a match's speakers and countries on one line.
func entities(m *Match) string {
	var parts []string
	if len(m.Speakers) > 0 {
		parts = append(parts, "Speakers: "+strings.Join(m.Speakers, ", "))
	}
	if len(m.Countries) > 0 {
		parts = append(parts, "Countries: "+strings.Join(m.Countries, ", "))
	}
	return strings.Join(parts, " · ")
}

// clipRunes cuts s to at most n bytes on a rune boundary, with an
// ellipsis when cut.
func clipRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
