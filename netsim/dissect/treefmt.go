package dissect

import (
	"encoding/hex"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The -V tree's lines without fmt. A frame's tree is some ninety lines,
// each formatted from a Printf-style format; fmt.Sprintf would parse the
// format through reflection, box every argument on the heap (its
// arguments escape) and allocate the line. appendf formats the verbs the
// tree uses (%d, %s, %x, %f with flag 0, a width and a precision) straight
// into the tree's buffer, with arguments that stay on the caller's stack.
// TestAppendfMatchesSprintf checks it against fmt.Sprintf; go vet still
// checks every call's format against its arguments, because treeWriter.f
// and g keep a call to fmt.Sprintf the compiler drops (vetPrintf).

// vetPrintf is false: the fmt.Sprintf calls it guards are never made. They
// make go vet treat the tree's line writers as Printf wrappers, and being
// dead code they do not make the arguments escape.
const vetPrintf = false

// treeBuf is the buffer a treeWriter writes into.
type treeBuf struct{ b []byte }

// WriteString appends s.
func (t *treeBuf) WriteString(s string) { t.b = append(t.b, s...) }

// WriteByte appends c; it never fails.
func (t *treeBuf) WriteByte(c byte) error {
	t.b = append(t.b, c)
	return nil
}

// String returns the text written so far.
func (t *treeBuf) String() string { return string(t.b) }

// spaces are the indentation of a tree line, four a level.
const spaces = "                                                                                                                                "

// appendIndent appends depth levels of indentation.
func appendIndent(b []byte, depth int) []byte {
	n := 4 * depth
	for n > len(spaces) {
		b = append(b, spaces...)
		n -= len(spaces)
	}
	return append(b, spaces[:n]...)
}

// truncTail shortens the label b[start:] as truncLabel does, in place.
func truncTail(b []byte, start int) []byte {
	label := b[start:]
	if len(label) <= maxLabel {
		return b
	}
	const mark = " [truncated]"
	cut := maxLabel - len(mark) - 1
	for cut > 0 && !utf8.RuneStart(label[cut]) {
		cut--
	}
	copy(label[len(mark):], label[:cut]) // forward overlap: copy is memmove
	copy(label, mark)
	return b[:start+len(mark)+cut]
}

// seconds is a duration in nanoseconds as the tree shows it, "%s" of
// secs: "0.000123000 seconds".
type seconds int64

// String returns the text appendf writes for s.
func (s seconds) String() string { return string(appendSeconds(nil, int64(s))) }

// appendSeconds appends timeString(ns, 9) + " seconds".
func appendSeconds(b []byte, ns int64) []byte {
	if ns == math.MinInt64 {
		return append(b, timeString(ns, 9)+" seconds"...) // beyond appendTime
	}
	return append(appendTime(b, ns, 9), " seconds"...)
}

// macLabel is a MAC address as the tree shows it, "%s" of macName: its
// name, then the address in parentheses. The name is looked up when the
// label is made: a lookup in appendf would let its arguments escape (a
// MACNames locks a mutex).
type macLabel struct {
	name  string // by MACNames.Name, if named
	named bool   // else the name is the address in hex
	b     []byte
}

// String returns the text appendf writes for m.
func (m macLabel) String() string { return string(appendMACLabel(nil, m)) }

// appendMACLabel appends Name(m.b) + " (" + macString(m.b) + ")".
func appendMACLabel(b []byte, m macLabel) []byte {
	if m.named {
		b = append(b, m.name...)
	} else {
		b = appendMAC(b, m.b)
	}
	b = append(b, " ("...)
	return append(appendMAC(b, m.b), ')')
}

// hexLabel is bytes as the tree shows them, "%s" of bytesLabel: hex, cut
// after 36 bytes with an ellipsis.
type hexLabel []byte

// String returns the text appendf writes for h.
func (h hexLabel) String() string { return string(appendHexLabel(nil, h)) }

// appendHexLabel appends h in hex, its first 36 bytes and "…" if longer.
func appendHexLabel(b []byte, h hexLabel) []byte {
	const max = 36
	if len(h) > max {
		return append(hex.AppendEncode(b, h[:max]), "…"...)
	}
	return hex.AppendEncode(b, h)
}

// argKind classifies an argument of appendf.
type argKind uint8

const (
	argOther   argKind = iota // anything else, Stringers and errors among them
	argInt                    // signed integers: i
	argUint                   // unsigned integers: u
	argString                 // strings: s
	argBytes                  // byte slices: bs
	argFloat                  // floats: f, bits 32 or 64
	argSeconds                // seconds: i
	argMAC                    // macLabel: mac
	argHex                    // hexLabel: bs
)

// argVal is an argument of appendf, taken apart.
type argVal struct {
	kind argKind
	bits int // of a float
	i    int64
	u    uint64
	f    float64
	s    string
	bs   []byte
	mac  macLabel
}

// stringerType and errorType are the interfaces fmt calls for %s, %x
// and %v instead of formatting the value itself.
var (
	stringerType = reflect.TypeFor[fmt.Stringer]()
	errorType    = reflect.TypeFor[error]()
)

// argOf takes a apart (the bytes of a byte array into arr): the common types by a type switch, named types
// (a uint8 protocol number, a string name) through reflect, which, unlike
// an interface method call, lets a stay on the stack. A type with a
// String or Error method is argOther: fmt would call the method.
func argOf(a any, arr *[64]byte) argVal {
	switch v := a.(type) {
	case int:
		return argVal{kind: argInt, i: int64(v)}
	case int64:
		return argVal{kind: argInt, i: v}
	case int32:
		return argVal{kind: argInt, i: int64(v)}
	case int16:
		return argVal{kind: argInt, i: int64(v)}
	case int8:
		return argVal{kind: argInt, i: int64(v)}
	case uint8:
		return argVal{kind: argUint, u: uint64(v)}
	case uint16:
		return argVal{kind: argUint, u: uint64(v)}
	case uint32:
		return argVal{kind: argUint, u: uint64(v)}
	case uint64:
		return argVal{kind: argUint, u: v}
	case uint:
		return argVal{kind: argUint, u: uint64(v)}
	case string:
		return argVal{kind: argString, s: v}
	case []byte:
		return argVal{kind: argBytes, bs: v}
	case float64:
		return argVal{kind: argFloat, f: v, bits: 64}
	case seconds:
		return argVal{kind: argSeconds, i: int64(v)}
	case macLabel:
		return argVal{kind: argMAC, mac: v}
	case hexLabel:
		return argVal{kind: argHex, bs: v}
	}
	t := reflect.TypeOf(a)
	if t == nil || t.Implements(stringerType) || t.Implements(errorType) {
		return argVal{}
	}
	v := reflect.ValueOf(a)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return argVal{kind: argInt, i: v.Int()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return argVal{kind: argUint, u: v.Uint()}
	case reflect.String:
		return argVal{kind: argString, s: v.String()}
	case reflect.Float32:
		return argVal{kind: argFloat, f: v.Float(), bits: 32}
	case reflect.Float64:
		return argVal{kind: argFloat, f: v.Float(), bits: 64}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return argVal{kind: argBytes, bs: v.Bytes()}
		}
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && v.Len() <= len(arr) {
			// An array in an interface is not addressable: its bytes
			// are copied out (an MD5 sum, %x).
			for i := range v.Len() {
				arr[i] = byte(v.Index(i).Uint())
			}
			return argVal{kind: argBytes, bs: arr[:v.Len()]}
		}
	}
	return argVal{}
}

// appendf appends fmt.Sprintf(format, args...) for the verbs %d, %s, %x
// and %f with an optional flag 0, width and precision, and %%. A verb or
// argument it does not format (a Stringer, %v, %q, a flag other than 0)
// writes "%!" and the verb and "(unsupported)", which the tree tests'
// comparisons with tshark would show.
func appendf(b []byte, format string, args []any) []byte {
	argi := 0
	for i := 0; i < len(format); {
		if format[i] != '%' {
			j := strings.IndexByte(format[i:], '%')
			if j < 0 {
				b = append(b, format[i:]...)
				break
			}
			b = append(b, format[i:i+j]...)
			i += j
			continue
		}
		i++
		zero := false
		for i < len(format) && format[i] == '0' {
			zero = true
			i++
		}
		width, prec := -1, -1
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			width = max(width, 0)*10 + int(format[i]-'0')
			i++
		}
		if i < len(format) && format[i] == '.' {
			i++
			prec = 0
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				prec = prec*10 + int(format[i]-'0')
				i++
			}
		}
		if i >= len(format) {
			return append(b, "%!(NOVERB)"...)
		}
		verb := format[i]
		i++
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if argi >= len(args) {
			b = append(b, "%!"...)
			b = append(b, verb)
			b = append(b, "(MISSING)"...)
			continue
		}
		var arr [64]byte
		b = appendArg(b, argOf(args[argi], &arr), verb, zero, width, prec)
		argi++
	}
	if argi < len(args) {
		b = append(b, "%!(EXTRA unsupported)"...)
	}
	return b
}

// appendArg appends one argument as its verb formats it.
func appendArg(b []byte, a argVal, verb byte, zero bool, width, prec int) []byte {
	start := len(b)
	switch {
	case verb == 'd' && a.kind == argInt && prec < 0:
		b = strconv.AppendInt(b, a.i, 10)
		return padNumber(b, start, zero, width)
	case verb == 'd' && a.kind == argUint && prec < 0:
		b = strconv.AppendUint(b, a.u, 10)
		return padNumber(b, start, zero, width)
	case verb == 'x' && a.kind == argInt && prec < 0:
		if a.i < 0 {
			b = append(b, '-')
			b = strconv.AppendUint(b, uint64(-a.i), 16)
		} else {
			b = strconv.AppendUint(b, uint64(a.i), 16)
		}
		return padNumber(b, start, zero, width)
	case verb == 'x' && a.kind == argUint && prec < 0:
		b = strconv.AppendUint(b, a.u, 16)
		return padNumber(b, start, zero, width)
	case verb == 'x' && (a.kind == argString || a.kind == argBytes) && width < 0 && prec < 0:
		if a.kind == argString {
			const digits = "0123456789abcdef"
			for i := 0; i < len(a.s); i++ {
				b = append(b, digits[a.s[i]>>4], digits[a.s[i]&0xf])
			}
			return b
		}
		return hex.AppendEncode(b, a.bs)
	case verb == 's' && (a.kind == argString || a.kind == argBytes) && !zero && prec < 0:
		if width > 0 {
			n := utf8.RuneCountInString(a.s)
			if a.kind == argBytes {
				n = utf8.RuneCount(a.bs)
			}
			for ; n < width; n++ {
				b = append(b, ' ')
			}
		}
		if a.kind == argString {
			return append(b, a.s...)
		}
		return append(b, a.bs...)
	case verb == 's' && a.kind >= argSeconds && !zero && width < 0 && prec < 0:
		switch a.kind {
		case argSeconds:
			return appendSeconds(b, a.i)
		case argMAC:
			return appendMACLabel(b, a.mac)
		}
		return appendHexLabel(b, a.bs)
	case verb == 'f' && a.kind == argFloat && !zero:
		if prec < 0 {
			prec = 6
		}
		b = strconv.AppendFloat(b, a.f, 'f', prec, a.bits)
		return padNumber(b, start, false, width)
	}
	b = append(b, "%!"...)
	b = append(b, verb)
	return append(b, "(unsupported)"...)
}

// padNumber right-aligns the number b[start:] in width columns, with
// spaces, or with zeros after its sign when zero is set, as fmt does.
func padNumber(b []byte, start int, zero bool, width int) []byte {
	n := len(b) - start
	if width <= n {
		return b
	}
	pad := width - n
	for range pad {
		b = append(b, 0)
	}
	num := b[start : start+n]
	at := start
	if zero && n > 0 && num[0] == '-' {
		at++ // the sign stays first
	}
	copy(b[at+pad:], b[at:start+n])
	c := byte(' ')
	if zero {
		c = '0'
	}
	for i := at; i < at+pad; i++ {
		b[i] = c
	}
	return b
}

// appendProtocols appends Protocols().
func (p *Packet) appendProtocols(b []byte) []byte {
	for i, id := range p.stack[:p.nstk] {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, protoName(id)...)
	}
	return b
}
