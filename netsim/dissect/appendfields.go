package dissect

import (
	"encoding/hex"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"unicode/utf8"
)

// AppendField appends the values of field f in p, comma-separated, as
// [FieldString] renders them (tshark -T fields -e), to dst and returns the
// extended buffer. Unlike FieldString it takes the field already looked up
// and allocates nothing for most fields.
func AppendField(dst []byte, p *Packet, f *Field) []byte {
	// A buffer from a pool: one on the stack would escape through the
	// field's getter, an allocation a call.
	sc := valuesPool.Get().(*[]Value)
	vals := f.Values(p, (*sc)[:0])
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendValue(dst, f, v)
	}
	clear(vals) // drop references into the packet
	*sc = vals[:0]
	valuesPool.Put(sc)
	return dst
}

// valuesPool holds value buffers for AppendField.
var valuesPool = sync.Pool{New: func() any { s := make([]Value, 0, 8); return &s }}

// appendValue appends FormatValue(f, v).
func appendValue(b []byte, f *Field, v Value) []byte {
	switch f.Type {
	case TypeUint:
		if f.Hex {
			b = append(b, "0x"...)
			return appendZeroPadHex(b, v.N, f.Bits/4)
		}
		return strconv.AppendUint(b, v.N, 10)
	case TypeInt:
		return strconv.AppendInt(b, int64(v.N), 10)
	case TypeBool:
		if v.N != 0 {
			return append(b, '1')
		}
		return append(b, '0')
	case TypeFrameNum:
		return strconv.AppendUint(b, v.N, 10)
	case TypeIPv4:
		a := uint32(v.N)
		return appendIPv4(b, [4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
	case TypeIPv6:
		if len(v.B) == 16 {
			return netip.AddrFrom16([16]byte(v.B)).AppendTo(b)
		}
		return b
	case TypeEther:
		return appendMAC(b, v.B)
	case TypeBytes:
		return hex.AppendEncode(b, v.B)
	case TypeString:
		return appendFieldString(b, v.S)
	case TypeTime:
		if int64(v.N) != math.MinInt64 {
			return appendTime(b, int64(v.N), 9)
		}
	}
	return append(b, FormatValue(f, v)...)
}

// appendFieldString appends s as tshark 4.0's -T fields prints a string:
// backspace, tab, newline, form feed and carriage return as \b, \t, \n,
// \f and \r (so that a value never breaks the line of its frame), each
// byte that is not valid UTF-8 as U+FFFD, everything else as it is.
func appendFieldString(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		switch c {
		case '\b':
			b = append(b, `\b`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\f':
			b = append(b, `\f`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			if c < utf8.RuneSelf {
				b = append(b, c)
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return b
}
