package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/watchword/watchword/internal/news"
)

// Guard decides which webhook and feed targets may be called: http and
// https only, and never an address that is loopback, private, link-local
// (cloud metadata included), multicast, unspecified, reserved, or an IPv6
// form embedding an IPv4 address (see forbidden), unless it is in Allow.
// The check runs when an alert is saved and again on the IP actually
// dialled, which defeats DNS rebinding.
type Guard struct {
	Allow    []netip.Prefix
	Resolver *net.Resolver // nil: net.DefaultResolver
}

// ParseAllow parses a comma-separated list of CIDRs (or single addresses).
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("netguard: allow list entry %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("netguard: allow list entry %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// forbidden are the ranges refused besides what the netip predicates in
// CheckAddr cover (loopback, private, link-local, multicast, unspecified).
var forbidden = []netip.Prefix{
	// IPv4 special-purpose ranges (RFC 6890 and the IANA registry).
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("10.0.0.0/8"),      // private
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),     // loopback
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local, cloud metadata
	netip.MustParsePrefix("172.16.0.0/12"),   // private
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("192.168.0.0/16"),  // private
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("224.0.0.0/4"),     // multicast
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	// IPv6.
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("100::/64"),      // discard-only
	netip.MustParsePrefix("2001:db8::/32"), // documentation
	netip.MustParsePrefix("fc00::/7"),      // unique local
	netip.MustParsePrefix("fe80::/10"),     // link-local
	netip.MustParsePrefix("fec0::/10"),     // site-local (deprecated)
	netip.MustParsePrefix("ff00::/8"),      // multicast
	// IPv6 forms that embed an IPv4 address. They are refused outright,
	// whatever IPv4 address they carry: none is a sensible target for a
	// webhook or a feed, and judging the embedded address would mean
	// trusting a translator or relay we cannot see (NAT64 prefixes can be
	// network-specific, Teredo obfuscates its address). IPv4-mapped
	// addresses (::ffff:0:0/96) are not here: Go dials them as IPv4, so
	// CheckAddr judges the IPv4 address they carry. An operator who needs
	// one of these lists it in the allow list.
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT)
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 well-known prefix
	netip.MustParsePrefix("64:ff9b:1::/48"),  // NAT64 local-use
	netip.MustParsePrefix("2001::/32"),       // Teredo
	netip.MustParsePrefix("2002::/16"),       // 6to4
}

// CheckAddr returns an error when ip may not be called: it is loopback,
// private, link-local, multicast, unspecified, in a reserved or
// documentation range, or an IPv6 form that embeds an IPv4 address
// (IPv4-mapped addresses are judged by the IPv4 address they carry). An
// address in Allow is always allowed.
func (g *Guard) CheckAddr(ip netip.Addr) error {
	// A zone (fe80::1%eth0) would make every Prefix.Contains false.
	ip = ip.WithZone("").Unmap()
	if g != nil {
		for _, p := range g.Allow {
			if p.Contains(ip) {
				return nil
			}
		}
	}
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("address %s is loopback, private, link-local, multicast or unspecified", ip)
	}
	for _, p := range forbidden {
		if p.Contains(ip) {
			return fmt.Errorf("address %s is in the reserved range %s", ip, p)
		}
	}
	return nil
}

// CheckURL is CheckURLContext without a caller's context (the lookup
// still gives up after 5 s). It stays for the alerts and feeds packages
// until they pass their request's context.
func (g *Guard) CheckURL(field, raw string) error {
	return g.CheckURLContext(context.Background(), field, raw)
}

// CheckURLContext validates a URL Watchword will call (a webhook, a feed)
// and the addresses its host resolves to; field names it in the messages.
// The DNS lookup runs under ctx (and at most 5 s): once ctx is done the
// error is ctx's, wrapped, not an invalid URL.
func (g *Guard) CheckURLContext(ctx context.Context, field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return news.Errorf(news.ECodeInvalid, "%s is not a URL", field)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return news.Errorf(news.ECodeInvalid, "%s must be http or https, not %q", field, u.Scheme)
	}
	if u.User != nil {
		return news.Errorf(news.ECodeInvalid, "%s must not carry credentials", field)
	}
	host := u.Hostname()
	if host == "" {
		return news.Errorf(news.ECodeInvalid, "%s has no host", field)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := g.CheckAddr(ip); err != nil {
			return news.Errorf(news.ECodeInvalid, "%s is not allowed: %v", field, err)
		}
		return nil
	}
	res := net.DefaultResolver
	if g != nil && g.Resolver != nil {
		res = g.Resolver
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := res.LookupNetIP(lctx, "ip", host)
	if ctx.Err() != nil {
		return fmt.Errorf("netguard: resolve %s host %q: %w", field, host, context.Cause(ctx))
	}
	if err != nil || len(addrs) == 0 {
		return news.Errorf(news.ECodeInvalid, "%s host %q does not resolve", field, host)
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			return news.Errorf(news.ECodeInvalid, "%s host %q is not allowed: %v", field, host, err)
		}
	}
	return nil
}

// ErrRefused marks a connection the guard refused.
var ErrRefused = errors.New("address not allowed")

// Control is a net.Dialer Control func: it checks the IP actually dialled,
// which defeats DNS rebinding and redirects to internal hosts.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	if err := g.CheckAddr(ap.Addr()); err != nil {
		return fmt.Errorf("%w: %v", ErrRefused, err)
	}
	return nil
}

// RedactURL returns u fit for a log line: scheme, host and path only. The
// query string and user info of webhook and feed URLs often carry secrets.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	p.User, p.RawQuery, p.ForceQuery, p.Fragment, p.RawFragment = nil, "", false, "", ""
	return p.String()
}
