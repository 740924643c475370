package engine

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// A base URL taken from the event decides where the seller's credentials
// go, so its host is held to what the mapping's allowedHosts name, and
// checked as Go would dial it (net/http dials url.Hostname() at url.Port(),
// or the scheme's port): a DNS name of letters, digits and hyphens, never
// an IP literal (unless the environment sets allowIPHosts and lists the
// address), never a zone, never userinfo, and no port but 443 unless an
// entry names that port.

// hostPattern is one compiled allowedHosts entry: host or *.domain, or with
// allowIPHosts an IP address, each with an optional port.
type hostPattern struct {
	wildcard bool       // *.domain: host is the domain
	host     string     // lower case
	ip       netip.Addr // valid when the entry is an IP address
	port     string     // "" for the scheme's default port only
}

// genericSecondLevel are second-level labels under which, in a two-letter
// country domain, anyone registers names (com.br, co.uk): *.com.br would
// allow any Brazilian company's host.
var genericSecondLevel = map[string]bool{"com": true, "net": true, "org": true, "gov": true, "edu": true, "co": true, "ac": true, "mil": true}

// parseHostPattern reads an allowedHosts entry; the error says what is wrong.
func parseHostPattern(entry string, allowIP bool) (hostPattern, error) {
	host, port := entry, ""
	if h, p, err := net.SplitHostPort(entry); err == nil {
		host, port = h, p
		if !validPort(p) {
			return hostPattern{}, fmt.Errorf("allowed host %q has port %q, which is not a number from 1 to 65535", entry, p)
		}
		if p == "443" {
			port = ""
		}
	} else if strings.HasPrefix(entry, "[") && strings.HasSuffix(entry, "]") {
		host = entry[1 : len(entry)-1]
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		switch {
		case !allowIP:
			return hostPattern{}, fmt.Errorf("allowed host %q is an IP address; list host names, or set allowIPHosts: true in the environment to allow addresses deliberately", entry)
		case ip.Zone() != "":
			return hostPattern{}, fmt.Errorf("allowed host %q has an IPv6 zone, which names a network interface of the sending machine, not a host", entry)
		}
		return hostPattern{ip: ip.Unmap(), host: ip.Unmap().String(), port: port}, nil
	}
	p := hostPattern{port: port}
	p.host, p.wildcard = strings.CutPrefix(strings.ToLower(host), "*.")
	if !validDNSName(p.host) {
		return hostPattern{}, fmt.Errorf("allowed host %q must be a host name or *.domain, optionally with :port (no scheme, path or userinfo)", entry)
	}
	if p.wildcard {
		labels := strings.Split(p.host, ".")
		n := len(labels)
		if n < 2 || n == 2 && len(labels[1]) == 2 && genericSecondLevel[labels[0]] {
			return hostPattern{}, fmt.Errorf("allowed host %q covers a public domain (anyone can register a host under %s): name the marketplace's own domain, e.g. *.kaive.com.br", entry, p.host)
		}
	}
	return p, nil
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || strings.Trim(p, "0123456789") != "" || p[0] == '0' {
		return false
	}
	n := 0
	for _, c := range p {
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// validDNSName accepts a host name of letters, digits and hyphens in
// labels of 1 to 63 characters, 253 at most, without a trailing dot, whose
// last label is not all digits (which resolvers read as an IPv4 address:
// 2130706433, 127.1).
func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != "" && !strings.HasPrefix(strings.ToLower(last), "0x")
}

// admits reports whether the pattern allows host (lower case) at port ("" for
// the default).
func (p hostPattern) admits(host string, ip netip.Addr, port string) bool {
	if p.port != port {
		return false
	}
	if p.ip.IsValid() {
		return ip.IsValid() && ip.Unmap() == p.ip
	}
	if ip.IsValid() {
		return false
	}
	if p.wildcard {
		return len(host) > len(p.host)+1 && strings.HasSuffix(host, "."+p.host)
	}
	return host == p.host
}

// eventURLProblem returns why an event-derived base URL may not be called,
// or "" when one of the patterns admits the host Go would dial.
func eventURLProblem(u *url.URL, patterns []hostPattern) string {
	if u.Scheme != "https" {
		return "does not use https; credentials are never sent in clear text"
	}
	if u.User != nil {
		return "carries userinfo (user:password@); credentials come from the deployment, never from the event"
	}
	if strings.ContainsAny(u.Host, "%") {
		return "names an IPv6 zone or an escaped host; neither is a host name"
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "443" {
		port = ""
	}
	if u.Port() == "" && strings.HasSuffix(u.Host, ":") {
		return "has an empty port"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		ip = netip.Addr{}
		if !validDNSName(host) {
			return "is not a host name of letters, digits and hyphens"
		}
	}
	for _, p := range patterns {
		if p.admits(host, ip, port) {
			return ""
		}
	}
	switch {
	case ip.IsValid():
		return "is an IP address, which allowedHosts does not list"
	case port != "":
		return fmt.Sprintf("uses port %s, which no allowedHosts entry names", port)
	}
	return "is not a host allowedHosts lists"
}

// hasDotSegment reports whether an escaped URL path has a . or .. segment.
func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if isDotSegment([]byte(seg)) {
			return true
		}
	}
	return false
}
