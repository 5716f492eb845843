// Package smtptest is a real SMTP server for tests, on 127.0.0.1: it
// speaks SMTP with STARTTLS (a certificate of its own, which TLSConfig
// trusts) and AUTH PLAIN, records every message it accepts, and lets a
// test make it refuse a command.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is a running SMTP server.
type Server struct {
	Addr string // host:port
	Host string
	Port int
	// Username and Password are the credentials AUTH PLAIN accepts.
	Username, Password string

	srv *smtp.Server
	ln  net.Listener
	// clientTLS trusts the server's certificate.
	clientTLS *tls.Config

	mu       sync.Mutex
	messages []Message
	// Rcpt, when set, answers each RCPT TO (n counts them from 1); a
	// non-nil error (an *smtp.SMTPError) refuses it.
	rcpt  func(n int, to string) error
	nRcpt int
	// data is the same for DATA, after the message was read.
	data   func(n int) error
	nData  int
	auths  int
	active int // sessions open
}

// Options of a server.
type Options struct {
	// NoTLS: the server does not offer STARTTLS.
	NoTLS bool
	// ImplicitTLS: TLS from the first byte (smtps), no STARTTLS.
	ImplicitTLS bool
}

// Start starts a server; it stops at the end of the test.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{Username: "mailer", Password: "s3cret-Pa55"}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.active++
		s.mu.Unlock()
		return &session{s: s}, nil
	})
	s.srv = smtp.NewServer(be)
	s.srv.Domain = "127.0.0.1"
	// Long: a connection a client leaves open stays open (a test can
	// see it with Active) rather than timing out.
	s.srv.ReadTimeout = 5 * time.Minute
	s.srv.WriteTimeout = 5 * time.Minute
	s.srv.ErrorLog = discard{}
	if !o.NoTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.clientTLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	} else {
		s.srv.AllowInsecureAuth = true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.ImplicitTLS && !o.NoTLS {
		ln = tls.NewListener(ln, s.srv.TLSConfig)
		s.srv.TLSConfig = nil // no STARTTLS inside TLS
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Close stops the server (a test of a server that is down).
func (s *Server) Close() {
	_ = s.srv.Close()
	_ = s.ln.Close() // Serve may not have taken it yet
}

// TLSConfig is a client TLS configuration that trusts the server; nil
// without TLS.
func (s *Server) TLSConfig() *tls.Config { return s.clientTLS }

// OnRcpt sets the answer to each RCPT TO.
func (s *Server) OnRcpt(f func(n int, to string) error) {
	s.mu.Lock()
	s.rcpt = f
	s.mu.Unlock()
}

// OnData sets the answer to each DATA, after the message is read.
func (s *Server) OnData(f func(n int) error) {
	s.mu.Lock()
	s.data = f
	s.mu.Unlock()
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Active counts the connections open now.
func (s *Server) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Auths counts the successful AUTH commands.
func (s *Server) Auths() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

// Reject is a refusal with an SMTP code, such as 451 or 550.
func Reject(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

type session struct {
	s    *Server
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.Username || password != ss.s.Password {
			return errors.New("invalid credentials")
		}
		ss.s.mu.Lock()
		ss.s.auths++
		ss.s.mu.Unlock()
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	ss.s.nRcpt++
	n, f := ss.s.nRcpt, ss.s.rcpt
	ss.s.mu.Unlock()
	if f != nil {
		if err := f(n, to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.nData++
	n, f := ss.s.nData, ss.s.data
	ss.s.mu.Unlock()
	if f != nil {
		if err := f(n); err != nil {
			return err
		}
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, Message{From: ss.from, To: append([]string(nil), ss.to...), Data: b})
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }
func (ss *session) Logout() error {
	ss.s.mu.Lock()
	ss.s.active--
	ss.s.mu.Unlock()
	return nil
}

type discard struct{}

func (discard) Printf(string, ...interface{}) {}
func (discard) Println(...interface{})        {}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}, pool, nil
}
