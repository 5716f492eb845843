package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/watchword/watchword/internal/news"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@hooks.example.com/a/b?token=s3cret#frag": "https://hooks.example.com/a/b",
		"http://example.com/hook":                                 "http://example.com/hook",
		"::not a url":                                             "(unparsable URL)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// refusedHosts are URL hosts (literals) the guard refuses without an
// allow list: every IPv6 form that embeds a refused IPv4 address, the
// transition ranges, and the reserved IPv4 ranges.
var refusedHosts = []string{
	// IPv4.
	"127.0.0.1", "10.1.2.3", "169.254.169.254", "172.16.0.1", "192.168.1.1",
	"0.0.0.0", "0.1.2.3", // 0/8
	"100.64.0.1", "100.127.255.254", // carrier-grade NAT
	"192.0.0.1", "192.0.0.170", // IETF protocol assignments
	"198.18.0.1", "198.19.255.254", // benchmarking
	"240.0.0.1", "255.255.255.255", // reserved, broadcast
	"224.0.0.1", "239.255.255.250", // multicast
	"192.0.2.1", "198.51.100.1", "203.0.113.1", // documentation
	// IPv6 native.
	"[::]", "[::1]", "[fe80::1]", "[fe80::1%25eth0]", "[fd00::1]", "[fec0::1]", "[ff02::1]", "[2001:db8::1]", "[100::1]",
	// IPv4-mapped ::ffff:0:0/96.
	"[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:a9fe:a9fe]", "[::ffff:198.18.0.1]", "[::ffff:192.0.0.1]", "[::ffff:0.0.0.0]",
	// IPv4-compatible ::/96.
	"[::127.0.0.1]", "[::7f00:1]", "[::169.254.169.254]", "[::10.0.0.1]",
	// IPv4-translated ::ffff:0:0:0/96.
	"[::ffff:0:7f00:1]", "[::ffff:0:127.0.0.1]", "[::ffff:0:a9fe:a9fe]",
	// NAT64 64:ff9b::/96 and 64:ff9b:1::/48.
	"[64:ff9b::7f00:1]", "[64:ff9b::127.0.0.1]", "[64:ff9b::a9fe:a9fe]", "[64:ff9b:1::7f00:1]", "[64:ff9b:1:ffff::a00:1]",
	// 6to4 2002::/16 (2002:7f00:1:: is 127.0.0.1's 6to4 prefix).
	"[2002:7f00:1::1]", "[2002:a9fe:a9fe::1]", "[2002:a00:1::]",
	// Teredo 2001::/32 (server and obfuscated client addresses inside).
	"[2001::1]", "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
	// A zone must not hide a refused range.
	"[2002:7f00:1::1%25eth0]", "[64:ff9b::7f00:1%25lo]",
}

// allowedHosts are public addresses, in every form the guard lets
// through.
var allowedHosts = []string{
	"93.184.215.14", "8.8.8.8", "100.128.0.1", "198.20.0.1", "192.0.1.1",
	"[::ffff:93.184.215.14]", "[::ffff:808:808]",
	"[2606:4700:4700::1111]", "[2001:4860:4860::8888]", "[2a00:1450:4001::1]",
}

// TestGuardForms: each refused form is refused when a URL is saved
// (CheckURL: a 400 invalid) and when it is dialled (Control: ErrRefused);
// each public form passes both.
func TestGuardForms(t *testing.T) {
	g := &Guard{}
	for _, h := range refusedHosts {
		if err := g.CheckURL("webhook_url", "http://"+h+"/hook"); news.ErrorCode(err) != news.ECodeInvalid {
			t.Errorf("save %s: %v, want invalid", h, err)
		}
		addr := strings.ReplaceAll(h, "%25", "%") + ":443"
		if err := g.Control("tcp", addr, nil); !errors.Is(err, ErrRefused) {
			t.Errorf("dial %s: %v, want refused", addr, err)
		}
	}
	for _, h := range allowedHosts {
		if err := g.CheckURL("webhook_url", "https://"+h+"/hook"); err != nil {
			t.Errorf("save %s: %v", h, err)
		}
		if err := g.Control("tcp", h+":443", nil); err != nil {
			t.Errorf("dial %s: %v", h, err)
		}
	}
}

// TestGuardAllowOverrides: the allow list lets through what it names, in
// the form it names: 127.0.0.0/8 covers 127.0.0.1 and its IPv4-mapped
// form, not NAT64 or 6to4 forms (those need their IPv6 prefix listed).
func TestGuardAllowOverrides(t *testing.T) {
	allow, err := ParseAllow("127.0.0.0/8, 2002:7f00:1::/48, 198.18.0.1")
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{Allow: allow}
	for _, h := range []string{"127.0.0.1", "[::ffff:127.0.0.1]", "[2002:7f00:1::1]", "198.18.0.1"} {
		if err := g.CheckURL("webhook_url", "http://"+h+"/"); err != nil {
			t.Errorf("allowed %s refused: %v", h, err)
		}
	}
	for _, h := range []string{"[64:ff9b::7f00:1]", "[::127.0.0.1]", "[2002:a9fe:a9fe::1]", "198.18.0.2"} {
		if err := g.CheckURL("webhook_url", "http://"+h+"/"); news.ErrorCode(err) != news.ECodeInvalid {
			t.Errorf("%s not in the allow list but passed: %v", h, err)
		}
	}
}

// fakeDNS answers A and AAAA queries from a table on a UDP socket on
// loopback; a Resolver that dials it resolves names to any address.
func fakeDNS(t *testing.T, table map[string]netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var m dnsmessage.Message
			if m.Unpack(buf[:n]) != nil || len(m.Questions) != 1 {
				continue
			}
			q := m.Questions[0]
			m.Header.Response, m.Header.Authoritative = true, true
			a, ok := table[strings.TrimSuffix(q.Name.String(), ".")]
			switch {
			case !ok:
				m.Header.RCode = dnsmessage.RCodeNameError
			case q.Type == dnsmessage.TypeA && a.Is4():
				m.Answers = []dnsmessage.Resource{{Header: dnsmessage.ResourceHeader{Name: q.Name, Type: q.Type, Class: q.Class, TTL: 1}, Body: &dnsmessage.AResource{A: a.As4()}}}
			case q.Type == dnsmessage.TypeAAAA && a.Is6():
				m.Answers = []dnsmessage.Resource{{Header: dnsmessage.ResourceHeader{Name: q.Name, Type: q.Type, Class: q.Class, TTL: 1}, Body: &dnsmessage.AAAAResource{AAAA: a.As16()}}}
			}
			out, err := m.Pack()
			if err != nil {
				continue
			}
			_, _ = pc.WriteTo(out, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// TestGuardResolvedForms: a host name that resolves to a refused form is
// refused at save time, as the literal is.
func TestGuardResolvedForms(t *testing.T) {
	table := map[string]netip.Addr{
		"public.watchword.test":  netip.MustParseAddr("93.184.215.14"),
		"public6.watchword.test": netip.MustParseAddr("2606:4700:4700::1111"),
	}
	var names []string
	for i, h := range refusedHosts {
		a, err := netip.ParseAddr(strings.ReplaceAll(strings.Trim(h, "[]"), "%25", "%"))
		if err != nil {
			t.Fatal(err)
		}
		name := "r" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + ".watchword.test"
		table[name] = a.WithZone("")
		names = append(names, name)
	}
	g := &Guard{Resolver: fakeDNS(t, table)}
	for _, n := range []string{"public.watchword.test", "public6.watchword.test"} {
		if err := g.CheckURL("url", "https://"+n+"/feed"); err != nil {
			t.Fatalf("%s (%s) refused: %v", n, table[n], err)
		}
	}
	for _, n := range names {
		if err := g.CheckURL("url", "https://"+n+"/feed"); news.ErrorCode(err) != news.ECodeInvalid || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("%s (%s): %v, want not allowed", n, table[n], err)
		}
	}
	// The lookup runs under the caller's context: a done one is its
	// error, not a 400 saying the host does not resolve.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.CheckURLContext(ctx, "url", "https://public.watchword.test/feed")
	if !errors.Is(err, context.Canceled) || news.ErrorCode(err) == news.ECodeInvalid {
		t.Errorf("CheckURLContext with a done context = %v, want context.Canceled", err)
	}
}

// TestGuardDialsNoEmbeddedLoopback: a dialer with the guard's Control
// refuses the IPv4-mapped and IPv4-compatible forms of a loopback
// listener's address, while a dialer without it reaches the listener
// through the mapped form: the guard, not the network, stops it.
func TestGuardDialsNoEmbeddedLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	mapped := net.JoinHostPort("::ffff:127.0.0.1", strconv.Itoa(port))
	var plain net.Dialer
	c, err := plain.DialContext(ctx, "tcp", mapped)
	if err != nil {
		t.Fatalf("without the guard %s should reach the listener: %v", mapped, err)
	}
	c.Close()
	guarded := net.Dialer{Control: (&Guard{}).Control}
	for _, h := range []string{"::ffff:127.0.0.1", "::127.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b::127.0.0.1", "2002:7f00:1::1"} {
		if c, err := guarded.DialContext(ctx, "tcp", net.JoinHostPort(h, strconv.Itoa(port))); !errors.Is(err, ErrRefused) {
			if c != nil {
				c.Close()
			}
			t.Errorf("guarded dial of %s: %v, want refused", h, err)
		}
	}
}
