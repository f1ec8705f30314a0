package dissect

import "strings"

// Fields tshark 4.0 has that belong to no layer netsim decodes on its own:
// _ws.malformed (the "[Malformed Packet]" pseudo-protocol) and the TCP
// option protocols such as tcp.options.sack_perm.

func init() { registrars = append(registrars, registerWS) }

// registerWS registers them; it runs after fields.go's registrars, whose
// ip and ipv6 it widens.
func registerWS() {
	// _ws.malformed is the item Wireshark adds when a dissector reads
	// past the reported end of its data: exactly the frames whose Info
	// ends in "[Malformed Packet]". It is not repeated for a packet an
	// ICMP error quotes (the quote belongs to the same frame), so it is
	// registered without reg's Inner wrapper.
	registry["_ws.malformed"] = &Field{
		Name: "_ws.malformed", Type: TypeProtocol, Proto: "_ws",
		get: func(p *Packet, out []Value) []Value {
			if !p.MalformedMark() && !p.expertMalformed {
				return out
			}
			return append(out, Value{})
		},
	}
	// The ip and ipv6 protocols are present once their dissector ran,
	// also on a header it then found bogus ("Bogus IP header length",
	// "Bogus IPv6 version"): tshark's filters select those frames.
	widen := func(name string, ran func(p *Packet) bool) {
		f := registry[name] // registered by fields.go's registerIP, which runs first
		get := f.get
		f.get = func(p *Packet, out []Value) []Value {
			n := len(out)
			if out = get(p, out); len(out) > n || !ran(p) {
				return out
			}
			return append(out, Value{B: p.badNetB})
		}
	}
	widen("ip", func(p *Packet) bool { return p.badNet == 4 && p.inStack(idIP) })
	widen("ipv6", func(p *Packet) bool { return p.badNet == 6 && len(p.badNetB) > 0 })
	// tcp.options.sack_perm is Wireshark's "TCP Option - SACK permitted"
	// protocol: present for each option of kind 4 and length 2.
	reg("tcp.options.sack_perm", TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) {
			return out
		}
		eachOption(p.TCP.Options, func(o tcpOption) {
			if o.kind == 4 && len(o.data) == 0 {
				out = append(out, Value{B: []byte{4, 2}})
			}
		})
		return out
	})
}

// MalformedMark reports whether tshark marks the frame "[Malformed
// Packet]" (the _ws.malformed field): a layer declared more bytes than
// the frame has on the wire.
func (p *Packet) MalformedMark() bool {
	if p.truncated && len(p.Frame) >= p.Len {
		return true
	}
	return strings.HasSuffix(p.Info(), "[Malformed Packet]")
}
