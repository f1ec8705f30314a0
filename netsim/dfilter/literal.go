package dfilter

import (
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"netsim.dev/netsim/dissect"
)

// lit is a literal converted to the type of the field it is compared with.
type lit struct {
	n      uint64 // unsigned, bool, IPv4, frame number
	i      int64  // signed, time (ns); also a negative literal for unsigned fields
	neg    bool   // an unsigned field compared with a negative number
	b      []byte // bytes, MAC, IPv6, protocol
	s      string // string
	prefix int    // IPv4/IPv6 CIDR prefix length; -1 for none
}

// literal converts operand o to a value of type typ.
func (ps *parser) literal(typ dissect.FieldType, o *operand) (lit, error) {
	t := o.tok
	w := t.val
	bad := func(format string, args ...any) (lit, error) {
		return lit{}, errAt(ps.expr, t.pos, t.end-t.pos, format, args...)
	}
	if o.field != nil {
		return bad("Only values can be used here, not the field %q.", w)
	}
	v := lit{prefix: -1}
	switch typ {
	case dissect.TypeUint, dissect.TypeFrameNum, dissect.TypeInt:
		if o.str {
			return bad("%s cannot be converted from a string (%q).", intTypeName(typ), w)
		}
		if strings.HasPrefix(w, "-") {
			x, err := strconv.ParseInt(w, 0, 64)
			if err != nil || strings.Contains(w, "_") {
				return bad("%q is not a valid number.", w)
			}
			if typ == dissect.TypeInt {
				v.i = x
				return v, nil
			}
			v.neg, v.i = true, x
			return v, nil
		}
		x, err := strconv.ParseUint(w, 0, 64)
		if err != nil || strings.Contains(w, "_") {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return bad("%q too big for this field, maximum %d.", w, maxUint(64))
			}
			return bad("%q is not a valid number.", w)
		}
		if typ == dissect.TypeInt {
			v.i = int64(x)
			return v, nil
		}
		bits := ps.fieldBits(typ, o)
		if x > maxUint(bits) {
			return bad("%q too big for this field, maximum %d.", w, maxUint(bits))
		}
		v.n = x
	case dissect.TypeBool:
		switch {
		case o.str:
			return bad("%q cannot be found among the possible values for this field.", w)
		case w == "True" || w == "TRUE":
			v.n = 1
		case w == "False" || w == "FALSE":
			v.n = 0
		default:
			x, err := strconv.ParseUint(w, 0, 64)
			if err != nil {
				return bad("%q cannot be found among the possible values for this field.", w)
			}
			if x != 0 {
				v.n = 1
			}
		}
	case dissect.TypeIPv4:
		addr, pfx := w, -1
		if i := strings.IndexByte(w, '/'); i >= 0 {
			addr = w[:i]
			p, err := strconv.Atoi(w[i+1:])
			if err != nil || p < 0 {
				return bad("%q is not a valid CIDR netmask.", w)
			}
			if p > 32 {
				return bad("Netmask bits in a CIDR IPv4 address should be <= 32, not %d", p)
			}
			pfx = p
		}
		a, err := netip.ParseAddr(addr)
		if o.str || err != nil || !a.Is4() {
			return bad("%q is not a valid hostname or IPv4 address.", addr)
		}
		b := a.As4()
		v.n = uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		v.prefix = pfx
	case dissect.TypeIPv6:
		addr, pfx := w, -1
		if i := strings.IndexByte(w, '/'); i >= 0 {
			addr = w[:i]
			p, err := strconv.Atoi(w[i+1:])
			if err != nil || p < 0 || p > 128 {
				return bad("Prefix in a CIDR IPv6 address should be <= 128, not %s", w[i+1:])
			}
			pfx = p
		}
		a, err := netip.ParseAddr(addr)
		if o.str || err != nil || !a.Is6() || a.Zone() != "" {
			return bad("%q is not a valid hostname or IPv6 address.", addr)
		}
		b := a.As16()
		v.b = b[:]
		v.prefix = pfx
	case dissect.TypeEther:
		b, ok := parseBytes(w)
		if o.str || !ok || len(b) != 6 {
			return bad("%q is not a valid Ethernet address.", w)
		}
		v.b = b
	case dissect.TypeBytes, dissect.TypeProtocol:
		if o.str {
			v.b = []byte(w)
			break
		}
		b, ok := parseBytes(w)
		if !ok {
			return bad("%q is not a valid byte string.", w)
		}
		v.b = b
	case dissect.TypeString:
		v.s = w
		v.b = []byte(w)
	case dissect.TypeTime:
		ns, ok := parseSeconds(w)
		if o.str || !ok {
			return bad("%q is not a valid time.", w)
		}
		v.i = ns
	default:
		return bad("%q cannot be compared.", w)
	}
	return v, nil
}

func intTypeName(t dissect.FieldType) string {
	if t == dissect.TypeInt {
		return "Signed integer"
	}
	return "Unsigned integer"
}

// fieldBits returns the width of the field on the other side of the
// relation being parsed (64 when unknown).
func (ps *parser) fieldBits(dissect.FieldType, *operand) int {
	if ps.curField != nil && ps.curField.Bits > 0 && ps.curSlice == nil {
		return ps.curField.Bits
	}
	return 64
}

func maxUint(bits int) uint64 {
	if bits >= 64 {
		return math.MaxUint64
	}
	return 1<<bits - 1
}

// parseBytes parses a byte string: hex bytes separated by ':', '-' or '.',
// or a run of hex digits of even length.
func parseBytes(w string) ([]byte, bool) {
	if w == "" {
		return nil, false
	}
	if strings.ContainsAny(w, ":-.") {
		var out []byte
		for _, part := range strings.FieldsFunc(w, func(r rune) bool { return r == ':' || r == '-' || r == '.' }) {
			if len(part)%2 == 1 && len(part) == 1 {
				part = "0" + part
			}
			b, err := hex.DecodeString(part)
			if err != nil {
				return nil, false
			}
			out = append(out, b...)
		}
		// Separators must separate something: "2c::37" is not a byte string.
		if strings.Contains(w, "::") || strings.HasPrefix(w, ":") || strings.HasSuffix(w, ":") {
			return nil, false
		}
		return out, len(out) > 0
	}
	if len(w)%2 == 1 {
		if len(w) == 1 && isHex(w[0]) {
			return []byte{byte(hexVal(w[0]))}, true
		}
		return nil, false
	}
	b, err := hex.DecodeString(w)
	return b, err == nil
}

// parseSeconds parses "12", "0.5" or "-1.25" as nanoseconds.
func parseSeconds(w string) (int64, bool) {
	neg := strings.HasPrefix(w, "-")
	if neg {
		w = w[1:]
	}
	ip, fp, _ := strings.Cut(w, ".")
	if ip == "" && fp == "" {
		return 0, false
	}
	for _, c := range ip + fp {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	var sec int64
	if ip != "" {
		x, err := strconv.ParseInt(ip, 10, 64)
		if err != nil || x > math.MaxInt64/1000000000 {
			return 0, false
		}
		sec = x
	}
	if len(fp) > 9 {
		fp = fp[:9]
	}
	var frac int64
	if fp != "" {
		x, _ := strconv.ParseInt(fp, 10, 64)
		for i := len(fp); i < 9; i++ {
			x *= 10
		}
		frac = x
	}
	ns := sec*1e9 + frac
	if neg {
		ns = -ns
	}
	return ns, true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// compileRegexp compiles a "matches" pattern. Wireshark uses PCRE2 with
// case-insensitive matching by default ("(?-i)" turns it off); Go's RE2
// syntax covers the common subset.
func compileRegexp(pat string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("(?i)" + pat)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %v", err)
	}
	return re, nil
}
