package dissect

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// FormatValue renders one value of f as tshark's -T fields does.
func FormatValue(f *Field, v Value) string {
	switch f.Type {
	case TypeUint:
		if f.Hex {
			return fmt.Sprintf("0x%0*x", f.Bits/4, v.N)
		}
		return strconv.FormatUint(v.N, 10)
	case TypeInt:
		return strconv.FormatInt(int64(v.N), 10)
	case TypeBool:
		if v.N != 0 {
			return "1"
		}
		return "0"
	case TypeNone:
		// tshark prints "1" for a present label (FT_NONE), so that
		// -T fields can show that it is there.
		return "1"
	case TypeFrameNum:
		return strconv.FormatUint(v.N, 10)
	case TypeIPv4:
		return ipv4String(uint32(v.N))
	case TypeIPv6:
		if len(v.B) == 16 {
			return netip.AddrFrom16([16]byte(v.B)).String()
		}
	case TypeEther:
		return macString(v.B)
	case TypeBytes:
		return hex.EncodeToString(v.B)
	case TypeString:
		return string(appendFieldString(nil, v.S))
	case TypeTime:
		return timeString(int64(v.N), 9)
	}
	return ""
}

// FieldString renders every value of the named field in p, joined by
// commas, as tshark -T fields -e NAME does; "" when absent or unknown.
func FieldString(p *Packet, name string) string {
	f := Lookup(name)
	if f == nil {
		return ""
	}
	var buf [4]Value
	vals := f.Values(p, buf[:0])
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return FormatValue(f, vals[0])
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = FormatValue(f, v)
	}
	return strings.Join(parts, ",")
}

func ipv4String(a uint32) string {
	var b [15]byte
	s := strconv.AppendUint(b[:0], uint64(a>>24), 10)
	s = append(s, '.')
	s = strconv.AppendUint(s, uint64(a>>16&0xff), 10)
	s = append(s, '.')
	s = strconv.AppendUint(s, uint64(a>>8&0xff), 10)
	s = append(s, '.')
	s = strconv.AppendUint(s, uint64(a&0xff), 10)
	return string(s)
}

func macString(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 3*len(b))
	for i, c := range b {
		if i > 0 {
			s = append(s, ':')
		}
		s = append(s, digits[c>>4], digits[c&0xf])
	}
	return string(s)
}

// timeString formats ns as seconds with prec decimal digits.
func timeString(ns int64, prec int) string {
	neg := ns < 0
	if neg {
		ns = -ns
	}
	sec, frac := ns/1e9, ns%1e9
	for i := prec; i < 9; i++ {
		frac /= 10
	}
	s := fmt.Sprintf("%d.%0*d", sec, prec, frac)
	if prec == 0 {
		s = strconv.FormatInt(sec, 10)
	}
	if neg {
		return "-" + s
	}
	return s
}
