package alerts

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

// Guard decides which webhook targets may be called: http and https only,
// and never an address that is loopback, private, link-local (cloud
// metadata included), multicast or unspecified, unless it is in Allow.
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
				return nil, fmt.Errorf("alerts: webhook allow %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("alerts: webhook allow %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

var forbidden = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// CheckAddr returns an error when ip may not be called.
func (g *Guard) CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap()
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

// CheckURL validates a URL Watchword will call (a webhook, a feed) and the
// addresses its host resolves to; field names it in the messages.
func (g *Guard) CheckURL(field, raw string) error {
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := res.LookupNetIP(ctx, "ip", host)
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
