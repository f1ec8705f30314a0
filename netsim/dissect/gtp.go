package dissect

import (
	"encoding/binary"
	"fmt"
)

// GTP (3GPP TS 29.060, 29.281): version 1 on UDP ports 2152 (GTP-U) and
// 2123 (GTP-C), as tshark 4.0's packet-gtp.c decodes it. A T-PDU (message
// type 0xff) carries a user's IPv4 or IPv6 packet; control messages are
// shown by their type only.

// UDP ports of GTP version 1.
const (
	gtpUPort = 2152
	gtpCPort = 2123
	// gtpPrimePort is GTP' (charging data); tshark 4.0 decodes what it
	// carries as GTPv1 but names the protocol gtpprime.
	gtpPrimePort = 3386
)

// GTP flag bits (gtp.flags).
const (
	GTPExt  = 0x04 // a next extension header type follows
	GTPSeq  = 0x02 // the sequence number is present
	GTPNPDU = 0x01 // the N-PDU number is present
)

// GTP is a GTP version 1 header and its extension headers.
type GTP struct {
	Flags   uint8
	Type    uint8  // gtp.message; 0xff is a T-PDU
	Length  uint16 // bytes after the TEID
	TEID    uint32
	Seq     uint16 // with any of GTPExt, GTPSeq, GTPNPDU
	NPDU    uint8
	Next    uint8 // the first extension header's type
	HdrLen  int   // header bytes with the extension headers
	Ext     []byte
	optDone bool // the optional word was read
	// Prime is set for GTP' (UDP port 3386), which frame.protocols
	// names gtpprime.
	Prime bool
	// V0 is set for GTP version 0 (GSM 09.60), whose 20-byte header has
	// a flow label and a TID in place of the TEID.
	V0        bool
	FlowLabel uint16
	TID       uint64
}

// gtpMessageNames are Wireshark's names for the GTPv1 message types of
// the user plane and the common control messages.
var gtpMessageNames = map[uint8]string{
	1: "Echo request", 2: "Echo response", 3: "Version not supported",
	16: "Create PDP context request", 17: "Create PDP context response",
	18: "Update PDP context request", 19: "Update PDP context response",
	20: "Delete PDP context request", 21: "Delete PDP context response",
	26: "Error indication", 27: "PDU notification request", 28: "PDU notification response",
	31: "Supported extension headers notification", 254: "End marker", 255: "T-PDU",
}

func gtpMessageName(t uint8) string {
	if s, ok := gtpMessageNames[t]; ok {
		return s
	}
	return "Unknown"
}

// gtpExtNames name GTP extension header types (gtp.ext_hdr.next).
var gtpExtNames = map[uint8]string{
	0x00: "No more extension headers", 0x01: "MBMS support indication", 0x02: "MS Info Change Reporting support indication",
	0x20: "Service Class Indicator", 0x40: "UDP Port", 0x81: "RAN Container", 0x82: "Long PDCP PDU Number",
	0x83: "Xw RAN Container", 0x84: "NR RAN Container", 0x85: "PDU Session Container", 0xc0: "PDCP PDU number",
	0xc1: "Suspend Request", 0xc2: "Suspend Response",
}

func gtpExtName(t uint8) string {
	if s, ok := gtpExtNames[t]; ok {
		return s
	}
	return "Unknown"
}

// gtpPort reports whether UDP port port of p is GTPv1's and tshark
// would give it the payload: the lower port is tried first.
func gtpPort(p *Packet, port uint16) bool {
	if port != gtpUPort && port != gtpCPort && port != gtpPrimePort || p.inGTP {
		return false
	}
	lo := min(p.UDP.SrcPort, p.UDP.DstPort)
	return port == lo || lo == 0 || !hasPortDissector(udpDissectorPorts, lo, lo)
}

// gtp decodes a GTPv1 header and a T-PDU's packet. It reports false,
// leaving p as it was, for another version of GTP or a payload shorter
// than the mandatory header.
func (d *Dissector) gtp(p *Packet, port uint16, b []byte) bool {
	if len(b) < 8 || b[0]>>5 > 1 || b[0]>>5 == 0 && len(b) < 20 {
		return false
	}
	t := &Tunnel{Kind: TunnelGTP, raw: b}
	p.Tunnel = t
	g := &t.GTP
	if port == gtpPrimePort {
		g.Prime = true
		p.push(0, idGTPPrime, nil)
	} else {
		p.push(0, idGTP, nil)
	}
	g.Flags = b[0]
	g.Type = b[1]
	g.Length = binary.BigEndian.Uint16(b[2:])
	off := 8
	if g.Flags>>5 == 0 {
		// Version 0: sequence number, flow label, SNDCP N-PDU number,
		// 3 spare bytes and an 8-byte TID.
		g.V0 = true
		g.Seq = binary.BigEndian.Uint16(b[4:])
		g.FlowLabel = binary.BigEndian.Uint16(b[6:])
		g.NPDU = b[8]
		g.TID = binary.BigEndian.Uint64(b[12:])
		off = 20
	} else {
		g.TEID = binary.BigEndian.Uint32(b[4:])
	}
	if !g.V0 && g.Flags&(GTPExt|GTPSeq|GTPNPDU) != 0 {
		if len(b) < 12 {
			p.tunnelShort(t, "GTP")
			return true
		}
		g.Seq = binary.BigEndian.Uint16(b[8:])
		g.NPDU = b[10]
		g.Next = b[11]
		g.optDone = true
		off = 12
		if g.Flags&GTPExt != 0 {
			next := g.Next
			start := off
			for next != 0 {
				if off >= len(b) {
					p.tunnelShort(t, "GTP")
					return true
				}
				n := int(b[off]) * 4
				if n == 0 {
					break
				}
				if off+n > len(b) {
					p.tunnelShort(t, "GTP")
					return true
				}
				next = b[off+n-1]
				off += n
			}
			g.Ext = b[start:off]
		}
	}
	g.HdrLen = off
	rest := b[off:]
	if g.Type != 0xff || len(rest) == 0 || p.depth >= maxTunnelDepth {
		return true
	}
	switch rest[0] >> 4 {
	case 4:
		d.innerIP(p, rest, false)
	case 6:
		d.innerIP(p, rest, true)
	}
	return true
}

// gtpProtocol returns the Protocol column of a packet whose GTP tunnel
// carries q: tshark 4.0 names both.
func gtpProtocol(q *Packet) string {
	return fmt.Sprintf("GTP <%s>", q.Protocol())
}

func init() { registrars = append(registrars, registerGTP) }

// registerGTP registers GTP's fields (packet-gtp.c).
func registerGTP() {
	reg("gtp", TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
		if t := p.Tunnel; t != nil && t.Kind == TunnelGTP {
			return append(out, Value{B: t.raw[:min(len(t.raw), max(t.GTP.HdrLen, 8))]})
		}
		return out
	})
	field := func(name string, typ FieldType, bits int, hex bool, v func(g *GTP) (uint64, bool)) {
		tunnelField(name, typ, bits, hex, func(t *Tunnel) (uint64, bool) {
			if t.Kind != TunnelGTP {
				return 0, false
			}
			return v(&t.GTP)
		})
	}
	always := func(name string, typ FieldType, bits int, hex bool, v func(g *GTP) uint64) {
		field(name, typ, bits, hex, func(g *GTP) (uint64, bool) { return v(g), true })
	}
	always("gtp.flags", TypeUint, 8, true, func(g *GTP) uint64 { return uint64(g.Flags) })
	always("gtp.flags.version", TypeUint, 8, false, func(g *GTP) uint64 { return uint64(g.Flags >> 5) })
	always("gtp.flags.payload", TypeUint, 8, false, func(g *GTP) uint64 { return uint64(g.Flags >> 4 & 1) })
	always("gtp.flags.reserved", TypeUint, 8, false, func(g *GTP) uint64 {
		if g.V0 {
			return uint64(g.Flags >> 1 & 7)
		}
		return uint64(g.Flags >> 3 & 1)
	})
	v1 := func(name string, mask uint8) {
		field(name, TypeBool, 0, false, func(g *GTP) (uint64, bool) { return b2u(g.Flags&mask != 0), !g.V0 })
	}
	v1("gtp.flags.e", GTPExt)
	v1("gtp.flags.s", GTPSeq)
	v1("gtp.flags.pn", GTPNPDU)
	field("gtp.flags.snn", TypeBool, 0, false, func(g *GTP) (uint64, bool) { return b2u(g.Flags&1 != 0), g.V0 })
	always("gtp.message", TypeUint, 8, true, func(g *GTP) uint64 { return uint64(g.Type) })
	always("gtp.length", TypeUint, 16, false, func(g *GTP) uint64 { return uint64(g.Length) })
	field("gtp.teid", TypeUint, 32, true, func(g *GTP) (uint64, bool) { return uint64(g.TEID), !g.V0 })
	field("gtp.seq_number", TypeUint, 16, true, func(g *GTP) (uint64, bool) {
		return uint64(g.Seq), g.V0 || g.optDone && g.Flags&GTPSeq != 0
	})
	field("gtp.flow_label", TypeUint, 16, true, func(g *GTP) (uint64, bool) { return uint64(g.FlowLabel), g.V0 })
	field("gtp.sndcp_number", TypeUint, 8, true, func(g *GTP) (uint64, bool) { return uint64(g.NPDU), g.V0 })
	field("gtp.npdu_number", TypeUint, 8, true, func(g *GTP) (uint64, bool) {
		return uint64(g.NPDU), g.optDone && g.Flags&GTPNPDU != 0
	})
	// gtp.ext_hdr.next: the header's next type, then each extension
	// header's last byte.
	reg("gtp.ext_hdr.next", TypeUint, 8, true, func(p *Packet, out []Value) []Value {
		t := p.Tunnel
		if t == nil || t.Kind != TunnelGTP || !t.GTP.optDone || t.GTP.Flags&GTPExt == 0 {
			return out
		}
		out = append(out, Value{N: uint64(t.GTP.Next)})
		for e := t.GTP.Ext; len(e) > 0 && int(e[0])*4 <= len(e); e = e[int(e[0])*4:] {
			n := int(e[0]) * 4
			out = append(out, Value{N: uint64(e[n-1])})
		}
		return out
	})
	reg("gtp.ext_hdr.length", TypeUint, 8, false, func(p *Packet, out []Value) []Value {
		t := p.Tunnel
		if t == nil || t.Kind != TunnelGTP {
			return out
		}
		for e := t.GTP.Ext; len(e) > 0 && int(e[0])*4 <= len(e); e = e[int(e[0])*4:] {
			out = append(out, Value{N: uint64(e[0])})
		}
		return out
	})
	reg("gtp.ext_hdr.pdcp_sn", TypeUint, 16, false, func(p *Packet, out []Value) []Value {
		t := p.Tunnel
		if t == nil || t.Kind != TunnelGTP {
			return out
		}
		typ := t.GTP.Next
		for e := t.GTP.Ext; len(e) > 0 && int(e[0])*4 <= len(e); e = e[int(e[0])*4:] {
			n := int(e[0]) * 4
			if typ == 0xc0 && n >= 4 {
				out = append(out, Value{N: uint64(binary.BigEndian.Uint16(e[1:]))})
			}
			typ = e[n-1]
		}
		return out
	})
}

// gtp writes the -V section of a GTPv1 header.
func (t *treeWriter) gtp(tu *Tunnel) {
	g := &tu.GTP
	t.f(0, "GPRS Tunneling Protocol")
	fl := uint64(g.Flags)
	t.f(1, "Flags: 0x%02x", fl)
	if g.V0 {
		t.bits(2, 8, 0xe0, fl, "Version: GTP release 97/98 version (0)")
		t.bits(2, 8, 0x10, fl, "Protocol type: %s (%d)", map[bool]string{true: "GTP", false: "GTP'"}[fl&0x10 != 0], fl>>4&1)
		t.bits(2, 8, 0x0e, fl, "Reserved: %d", fl>>1&7)
		t.bits(2, 8, 0x01, fl, "Is SNDCP N-PDU included?: %s", yesNo(fl&1 != 0))
		t.f(1, "Message Type: %s (0x%02x)", gtpMessageName(g.Type), g.Type)
		t.f(1, "Length: %d", g.Length)
		t.f(1, "Sequence number: 0x%04x (%d)", g.Seq, g.Seq)
		t.f(1, "Flow label: 0x%04x", g.FlowLabel)
		t.f(1, "SNDCP N-PDU LLC Number: 0x%02x", g.NPDU)
		t.f(1, "TID: %s", gtpTID(g.TID))
		return
	}
	t.bits(2, 8, 0xe0, fl, "Version: GTP release 99 version (%d)", fl>>5)
	pt := "GTP'"
	if fl&0x10 != 0 {
		pt = "GTP"
	}
	t.bits(2, 8, 0x10, fl, "Protocol type: %s (%d)", pt, fl>>4&1)
	t.bits(2, 8, 0x08, fl, "Reserved: %d", fl>>3&1)
	t.bits(2, 8, GTPExt, fl, "Is Next Extension Header present?: %s", yesNo(fl&GTPExt != 0))
	t.bits(2, 8, GTPSeq, fl, "Is Sequence Number present?: %s", yesNo(fl&GTPSeq != 0))
	t.bits(2, 8, GTPNPDU, fl, "Is N-PDU number present?: %s", yesNo(fl&GTPNPDU != 0))
	t.f(1, "Message Type: %s (0x%02x)", gtpMessageName(g.Type), g.Type)
	t.f(1, "Length: %d", g.Length)
	t.f(1, "TEID: 0x%08x (%d)", g.TEID, g.TEID)
	if !g.optDone {
		return
	}
	if fl&GTPSeq != 0 {
		t.f(1, "Sequence number: 0x%04x (%d)", g.Seq, g.Seq)
	}
	if fl&GTPNPDU != 0 {
		t.f(1, "N-PDU Number: 0x%02x", g.NPDU)
	}
	if fl&GTPExt == 0 {
		return
	}
	typ := g.Next
	t.f(1, "Next extension header type: %s (0x%02x)", gtpExtName(typ), typ)
	for e := g.Ext; len(e) > 0 && int(e[0])*4 <= len(e); e = e[int(e[0])*4:] {
		n := int(e[0]) * 4
		t.f(1, "Extension header (%s)", gtpExtName(typ))
		t.f(2, "Extension Header Length: %d", e[0])
		if typ == 0xc0 && n >= 4 {
			t.f(2, "PDCP Sequence Number: %d", binary.BigEndian.Uint16(e[1:]))
		}
		typ = e[n-1]
		t.f(2, "Next extension header type: %s (0x%02x)", gtpExtName(typ), typ)
	}
}

// gtpTID formats a GTPv0 TID as Wireshark does: BCD digits, each byte's
// low nibble first.
func gtpTID(tid uint64) string {
	var b [16]byte
	for i := 0; i < 8; i++ {
		v := byte(tid >> (56 - 8*i))
		b[2*i], b[2*i+1] = "0123456789abcdef"[v&0xf], "0123456789abcdef"[v>>4]
	}
	return string(b[:])
}
