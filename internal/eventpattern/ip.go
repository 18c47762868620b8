package eventpattern

import (
	"net/netip"
	"strconv"
	"strings"
)

// looksLikeIP applies Event Ruler's two regular expressions, which decide
// whether a string is taken for an IP address at all: four dot-separated
// runs of digits, or hex digits and colons with at least one colon.
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.IndexByte(s, ':') >= 0 {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c == ':' || isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
				return false
			}
		}
		return true
	}
	groups, run := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			run++
		case c == '.':
			if run == 0 {
				return false
			}
			groups++
			run = 0
		default:
			return false
		}
	}
	return run > 0 && groups == 3
}

// parseIP returns s as an address when Event Ruler would take it for one.
// An IPv4-mapped IPv6 address is its IPv4 address, as Java's InetAddress
// makes it.
func parseIP(s string) (netip.Addr, bool) {
	if !looksLikeIP(s) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// ipRange is an inclusive range of addresses of one family.
type ipRange struct{ lo, hi netip.Addr }

func (r ipRange) contains(a netip.Addr) bool {
	return a.Is4() == r.lo.Is4() && r.lo.Compare(a) <= 0 && a.Compare(r.hi) <= 0
}

// parseCIDR parses a "cidr" operand the way Event Ruler's CIDR.cidr does,
// with its messages. Like Event Ruler it does not mask the address: the range
// runs from the address as written to the top of its block, and a mask of 32
// (IPv4) or 128 (IPv6) is refused.
func parseCIDR(s string) (ipRange, *Error) {
	parts := strings.Split(s, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" { // Java's split drops trailing empty strings
		parts = parts[:len(parts)-1]
	}
	if len(parts) != 2 {
		return ipRange{}, invalid("Malformed CIDR, one '/' required")
	}
	bits, err := strconv.Atoi(parts[1])
	if err != nil {
		return ipRange{}, invalid("Malformed CIDR, mask bits must be an integer")
	}
	if bits < 0 {
		return ipRange{}, invalid("Malformed CIDR, mask bits must not be negative")
	}
	ip := parts[0]
	if !looksLikeIP(ip) {
		return ipRange{}, invalid("Nonstandard IP address: " + ip)
	}
	a, ok := parseIP(ip)
	if !ok {
		return ipRange{}, invalid("Invalid IP address: " + ip)
	}
	size := 128
	if a.Is4() {
		size = 32
		if bits > 31 {
			return ipRange{}, invalid("IPv4 mask bits must be < 32")
		}
	} else if bits > 127 {
		return ipRange{}, invalid("IPv6 mask bits must be < 128")
	}
	b := a.As16()
	off := 16 - size/8
	for i := bits; i < size; i++ {
		b[off+i/8] |= 0x80 >> (i % 8)
	}
	hi := netip.AddrFrom16(b)
	if a.Is4() {
		hi = hi.Unmap()
	}
	return ipRange{lo: a, hi: hi}, nil
}
