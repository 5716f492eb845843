package alerts

// Email delivery: the alert's addresses (checked here), the SMTP server
// (SMTPConfig, from --smtp-url) and the stateless mailer that sends one
// message and classifies the server's answer the way webhookClient does
// for a receiver's status. Each address of an alert gets its own
// delivery (see Alert.Targets), so a 550 for one address fails that
// delivery alone and a 451 retries it alone: nobody is mailed twice
// because somebody else's mailbox refused.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/watchword/watchword/internal/news"
)

// Limits of an alert's email addresses.
const (
	MaxEmailRecipients = 10
	maxEmailBytes      = 254 // RFC 5321's longest path
)

// checkEmails normalizes and checks an alert's addresses: each one an
// RFC 5322 address (a display name is dropped; the bare address is
// kept), no duplicates, at most MaxEmailRecipients. allowed says whether
// the server can send mail at all. The result is nil for none.
func checkEmails(in []string, allowed bool) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if !allowed {
		return nil, news.Errorf(news.ECodeInvalid, "email: this server sends no mail (it was started without --smtp-url); use webhook_url")
	}
	if len(in) > MaxEmailRecipients {
		return nil, news.Errorf(news.ECodeInvalid, "email has %d addresses, more than the limit of %d", len(in), MaxEmailRecipients)
	}
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for i, raw := range in {
		addr, err := parseEmail(raw)
		if err != nil {
			return nil, news.Errorf(news.ECodeInvalid, "email[%d] %q: %v", i, news.Clip(raw), err)
		}
		key := strings.ToLower(addr)
		if seen[key] {
			return nil, news.Errorf(news.ECodeInvalid, "email[%d] %q is listed twice", i, news.Clip(raw))
		}
		seen[key] = true
		out = append(out, addr)
	}
	return out, nil
}

// parseEmail returns the bare address of one RFC 5322 address. Control
// characters (a CR or LF would inject a header) are refused before
// net/mail sees them.
func parseEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("is empty")
	}
	if len(s) > maxEmailBytes {
		return "", fmt.Errorf("is longer than %d bytes", maxEmailBytes)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", errors.New("has a control character")
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", errors.New("is not an email address such as analyst@example.com")
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || !strings.Contains(a.Address[at+1:], ".") && a.Address[at+1:] != "localhost" {
		return "", errors.New("has no domain such as example.com")
	}
	return a.Address, nil
}

// redactEmails keeps the first letter of each address's local part and
// its domain: enough to tell them apart, not to mail them.
func redactEmails(es []string) []string {
	out := make([]string, len(es))
	for i, e := range es {
		at := strings.LastIndexByte(e, '@')
		if at <= 0 {
			out[i] = "…"
			continue
		}
		out[i] = e[:1] + "…" + e[at:]
	}
	return out
}

// StartTLS policies of an smtp:// server (smtps:// is TLS from the
// first byte).
const (
	// StartTLSRequired: the server must offer STARTTLS and the upgrade
	// must succeed, or nothing is sent (and the password never goes out
	// in clear). The default.
	StartTLSRequired = "required"
	// StartTLSOptional upgrades when the server offers it and sends in
	// clear otherwise: only for a relay on the same host or network.
	StartTLSOptional = "optional"
)

// SMTPConfig is the server email deliveries go through.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string // never logged, shown or put in an error
	// ImplicitTLS is smtps://: TLS from the first byte (port 465).
	ImplicitTLS bool
	// StartTLS is the policy of smtp:// (StartTLSRequired by default).
	StartTLS string
	// From is the sender address of every message (--smtp-from).
	From string
	// TLSConfig, when set, replaces the TLS settings (tests trust their
	// own certificate with it); ServerName defaults to Host.
	TLSConfig *tls.Config
}

// String describes the server without its password.
func (c *SMTPConfig) String() string {
	if c == nil {
		return "none"
	}
	scheme := "smtp"
	if c.ImplicitTLS {
		scheme = "smtps"
	}
	s := scheme + "://" + net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	if !c.ImplicitTLS {
		s += " (STARTTLS " + c.StartTLS + ")"
	}
	return s
}

// ParseSMTPURL reads --smtp-url: smtp://user:pass@host:port (STARTTLS,
// required unless ?starttls=optional; port 587 by default) or
// smtps://user:pass@host:port (implicit TLS, port 465 by default); and
// --smtp-from, the sender address. Errors never repeat the URL, whose
// user info holds the password.
func ParseSMTPURL(raw, from string) (*SMTPConfig, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New("--smtp-url is not a URL such as smtp://user:password@mail.example.com:587 (percent-encode special characters of the password)")
	}
	c := &SMTPConfig{Host: u.Hostname(), StartTLS: StartTLSRequired}
	switch u.Scheme {
	case "smtp":
		c.Port = gomail.DefaultPortTLS
	case "smtps":
		c.Port, c.ImplicitTLS = gomail.DefaultPortSSL, true
	default:
		return nil, fmt.Errorf("--smtp-url: the scheme is %q; want smtp (STARTTLS) or smtps (TLS)", u.Scheme)
	}
	if c.Host == "" {
		return nil, errors.New("--smtp-url has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New("--smtp-url: the port is not a number from 1 to 65535")
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return nil, fmt.Errorf("--smtp-url: unknown parameter %q; the only one is starttls=required|optional", k)
		}
	}
	if v := q.Get("starttls"); v != "" {
		if c.ImplicitTLS {
			return nil, errors.New("--smtp-url: starttls applies to smtp://, not smtps://")
		}
		if v != StartTLSRequired && v != StartTLSOptional {
			return nil, fmt.Errorf("--smtp-url: starttls=%q; want required or optional", v)
		}
		c.StartTLS = v
	}
	if strings.TrimSpace(from) == "" {
		return nil, errors.New("--smtp-from is required with --smtp-url: the sender address, such as watchword@example.com")
	}
	addr, err := parseEmail(from)
	if err != nil {
		return nil, fmt.Errorf("--smtp-from %q %v", from, err)
	}
	c.From = addr
	return c, nil
}

// mailer is the stateless part of email delivery: it sends one message
// over a fresh connection and classifies the answer. It keeps nothing.
type mailer struct {
	cfg     *SMTPConfig
	timeout time.Duration
}

// client makes the go-mail client of one attempt.
func (m *mailer) client() (*gomail.Client, error) {
	tc := &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}
	if m.cfg.TLSConfig != nil {
		tc = m.cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = m.cfg.Host
		}
	}
	opts := []gomail.Option{gomail.WithPort(m.cfg.Port), gomail.WithTimeout(m.timeout), gomail.WithTLSConfig(tc)}
	switch {
	case m.cfg.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case m.cfg.StartTLS == StartTLSOptional:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	return gomail.NewClient(m.cfg.Host, opts...)
}

// send makes one attempt: connect (with the timeout and ctx), upgrade
// to TLS as configured, authenticate, send msg. The outcome's status is
// the SMTP reply code when the server gave one. A 5xx to MAIL, RCPT or
// DATA fails the delivery; a 4xx, a connection that fails or drops, and
// a refusal before the message (the greeting, STARTTLS, AUTH: the
// server's or its configuration's trouble, not the message's) are
// retried. Errors never carry the password.
func (m *mailer) send(ctx context.Context, msg *gomail.Msg) outcome {
	c, err := m.client()
	if err != nil {
		return outcome{retry: true, err: m.scrub(fmt.Errorf("smtp client: %w", err))}
	}
	// go-mail leaves the connection open when the session fails after
	// connecting (no STARTTLS, AUTH refused): dial it here to close it.
	// smtps:// keeps go-mail's own TLS dialer, which it needs to know
	// the connection is encrypted before AUTH.
	var conn net.Conn
	if !m.cfg.ImplicitTLS {
		if err := gomail.WithDialContextFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			cn, err := d.DialContext(ctx, network, addr)
			conn = cn
			return cn, err
		})(c); err != nil {
			return outcome{retry: true, err: fmt.Errorf("smtp client: %w", err)}
		}
	}
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		return outcome{retry: true, status: replyCode(err), err: m.scrub(fmt.Errorf("connect to %s: %w", m.cfg, err))}
	}
	err = c.SendWithSMTPClient(sc, msg)
	// The message is sent (or refused) by now: a failing QUIT changes
	// nothing, and must not make a sent message be sent again.
	_ = c.CloseWithSMTPClient(sc)
	if err == nil {
		return outcome{status: 250}
	}
	out := outcome{retry: true, status: replyCode(err), err: m.scrub(fmt.Errorf("smtp %s: %w", m.cfg, err))}
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code != 0 {
			out.status = code
		}
		if !se.IsTemp() && out.status >= 500 {
			out.retry = false
		}
	}
	return out
}

// scrub makes sure no error carries the password, whatever a library
// put in it.
func (m *mailer) scrub(err error) error {
	if m.cfg.Password == "" || !strings.Contains(err.Error(), m.cfg.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), m.cfg.Password, "[redacted]"))
}

// replyCode is the SMTP reply code an error carries, 0 when none.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}
