package dfilter

import "netsim.dev/netsim/dissect"

// Display-filter functions, as Wireshark 4.0 has them: len(field), the
// length in bytes of each of the field's values, and count(field), how
// many values the field has. A function's result is an unsigned integer
// to compare (len(tcp.payload) > 0); it cannot stand alone as a test.

// funcNames are the functions the grammar knows.
var funcNames = map[string]bool{"len": true, "count": true}

// parseFunc parses name(field) after the function's name t; the
// operand's slice carries the function.
func (ps *parser) parseFunc(t token) (*operand, error) {
	ps.next() // (
	arg := ps.next()
	if arg.kind != tWord || dissect.Lookup(arg.val) == nil || ps.peek().kind == tLBracket {
		return nil, errAt(ps.expr, arg.pos, arg.end-arg.pos, "Only fields can be used as parameter for %s()", t.val)
	}
	f := dissect.Lookup(arg.val)
	c := ps.next()
	if c.kind != tRParen {
		return nil, ps.unexpected(c)
	}
	return &operand{tok: token{kind: tWord, val: t.val + "(" + f.Name + ")", pos: t.pos, end: c.end},
		field: f, slice: &sliceSpec{fn: t.val}}, nil
}

// specType is the type of the values fetch returns for a field of type t
// under s: t itself, bytes for a slice, an unsigned integer for a function.
func specType(t dissect.FieldType, s *sliceSpec) dissect.FieldType {
	switch {
	case s == nil:
		return t
	case s.fn != "":
		return dissect.TypeUint
	}
	return dissect.TypeBytes
}

// fetchFunc returns the function s.fn of the field's values in buf.
func fetchFunc(f *dissect.Field, s *sliceSpec, p *dissect.Packet, buf *[]dissect.Value) []dissect.Value {
	vals := f.Values(p, (*buf)[:0])
	*buf = vals
	if s.fn == "count" {
		if len(vals) == 0 {
			return vals
		}
		return append(vals[:0], dissect.Value{N: uint64(len(vals))})
	}
	for i, v := range vals {
		vals[i] = dissect.Value{N: uint64(valueLen(f, v, p))}
	}
	return vals
}

// valueLen is the length in bytes of one value, as Wireshark's len()
// gives it: the bytes of a byte-like or text value, the size of an
// integer or an IPv4 address, none for a time, a boolean or a label. A
// protocol is as long as its item: the header for the link layer and IP,
// header and payload for the transport.
func valueLen(f *dissect.Field, v dissect.Value, p *dissect.Packet) int {
	switch f.Type {
	case dissect.TypeProtocol:
		switch f.Name {
		case "eth":
			return min(14, len(v.B))
		case "null":
			return min(4, len(v.B))
		case "sll":
			if p.SLL.V2 {
				return min(20, len(v.B))
			}
			return min(16, len(v.B))
		case "ip":
			if len(v.B) > 0 {
				return min(int(v.B[0]&0xf)*4, len(v.B))
			}
		case "ipv6":
			return min(40, len(v.B))
		}
		return len(v.B)
	case dissect.TypeBytes, dissect.TypeEther, dissect.TypeIPv6:
		return len(v.B)
	case dissect.TypeString:
		return len(v.S)
	case dissect.TypeIPv4:
		return 4
	case dissect.TypeUint, dissect.TypeInt, dissect.TypeFrameNum:
		return max(f.Bits, 8) / 8
	}
	return 0
}
