package dissect

import (
	"encoding/binary"
	"strconv"
	"sync"
)

// ipv6ExtHdr is one IPv6 extension header the dissector followed.
type ipv6ExtHdr struct {
	id byte   // idIPv6HopOpts, idIPv6Routing or idIPv6DstOpts
	b  []byte // the header, (Hdr Ext Len + 1) * 8 bytes (fewer if cut short)
}

// ipv6Exts are the hop-by-hop, routing and destination options headers of
// an IPv6 packet, in order, and what they imply.
type ipv6Exts struct {
	h     [8]ipv6ExtHdr
	n     int
	dst   []byte // the final destination a routing header names, or nil
	jumbo uint32 // the hop-by-hop Jumbo Payload length, 0 when absent
	bad   byte   // the id of a header cut short or malformed, or 0
}

// ExtHeaders returns the IPv6 extension headers (hop-by-hop options,
// routing, destination options) the packet carries before its fragment
// header or upper layer, each as its protocol number (0, 43, 60) and
// bytes.
func (p *Packet) ExtHeaders() (protos []uint8, hdrs [][]byte) {
	for _, h := range p.ext6.h[:p.ext6.n] {
		protos = append(protos, extProto(h.id))
		hdrs = append(hdrs, h.b)
	}
	return protos, hdrs
}

func extProto(id byte) uint8 {
	switch id {
	case idIPv6HopOpts:
		return 0
	case idIPv6Routing:
		return 43
	}
	return 60
}

// jumboLen returns the Jumbo Payload length of an IPv6 packet b whose
// Payload Length is 0 and whose first extension header is hop-by-hop
// options, as Wireshark takes it (RFC 2675).
func jumboLen(b []byte) (int, bool) {
	if len(b) < 48 || binary.BigEndian.Uint16(b[4:]) != 0 || b[6] != 0 {
		return 0, false
	}
	h := b[40:]
	n := (int(h[1]) + 1) * 8
	if n > len(h) {
		return 0, false
	}
	for o := h[2:n]; len(o) > 0; {
		if o[0] == 0 { // Pad1
			o = o[1:]
			continue
		}
		if len(o) < 2 || 2+int(o[1]) > len(o) {
			return 0, false
		}
		if o[0] == 0xc2 && o[1] == 4 {
			v := binary.BigEndian.Uint32(o[2:])
			if v <= 0xffff || int64(v) > 1<<31 {
				return 0, false
			}
			return int(v), true
		}
		o = o[2+int(o[1]):]
	}
	return 0, false
}

// ipv6Ext follows the extension headers that start payload (next is the
// IPv6 header's Next Header) and returns what follows them, its length
// on the wire, and its protocol; ok is false when a header is cut short
// (the packet is then malformed).
func (p *Packet) ipv6Ext(next uint8, payload []byte, reported int) (rest []byte, rep int, proto uint8, ok bool) {
	e := &p.ext6
	for next == 0 || next == 43 || next == 60 {
		id := idIPv6DstOpts
		switch next {
		case 0:
			id = idIPv6HopOpts
		case 43:
			id = idIPv6Routing
		}
		if len(payload) < 2 || (int(payload[1])+1)*8 > len(payload) {
			e.bad = id
			p.push(0, id, payload)
			p.Malformed = true
			p.headerCut("IPv6") // a snap length's cut: tshark's marker names it
			p.truncated = true
			return nil, 0, next, false
		}
		n := (int(payload[1]) + 1) * 8
		h := payload[:n]
		p.push(0, id, h)
		if e.n < len(e.h) {
			e.h[e.n] = ipv6ExtHdr{id: id, b: h}
			e.n++
		}
		if id == idIPv6Routing && len(h) >= 8 && h[3] > 0 {
			e.dst = routingDst(h)
		}
		if id == idIPv6HopOpts && p.IPv6.PLen == 0 {
			if j, ok := jumboLen(append(make([]byte, 40, 48), h...)); ok {
				e.jumbo = uint32(j)
			}
		}
		next = h[0]
		payload = payload[n:]
		reported -= n
	}
	return payload, reported, next, true
}

// routingDst returns the final destination of a routing header h with
// segments left: the last address of a type 0 header, the first segment
// of a segment routing header (type 4); nil for other types.
func routingDst(h []byte) []byte {
	switch h[2] {
	case 0:
		if n := (len(h) - 8) / 16; n > 0 {
			return h[8+16*(n-1) : 8+16*n]
		}
	case 4:
		if len(h) >= 24 {
			return h[8:24]
		}
	}
	return nil
}

// ipv6Dst is the Destination column of an IPv6 packet: a routing
// header's final destination while segments are left, else the header's.
func (p *Packet) ipv6Dst() []byte {
	if p.ext6.dst != nil {
		return p.ext6.dst
	}
	return p.IPv6.Dst[:]
}

var extInfo = map[byte]string{
	idIPv6HopOpts: "IPv6 hop-by-hop options",
	idIPv6Routing: "IPv6 routing",
	idIPv6DstOpts: "IPv6 destination options",
}

// ipPayloadInfo is the Info column of an IP packet whose payload netsim
// does not decode: tshark's line for a protocol it has no dissector for,
// "any private encryption scheme (99)" (IPv4) or "Unknown IP Protocol:
// ..." (IPv6). The protocols netsim decodes, when cut short, have none.
func ipPayloadInfo(p *Packet) string {
	if p.Has(ProtoIPv6) {
		if p.ext6.bad != 0 {
			return extInfo[p.ext6.bad]
		}
		switch n := p.IPv6.Proto; n {
		case 6, 17, 58:
			return ""
		case 59:
			return "IPv6 no next header"
		default:
			return "Unknown IP Protocol: " + ipProtoLabel(n)
		}
	}
	switch n := p.IP.Proto; n {
	case 1, 6, 17:
		return ""
	default:
		return ipProtoLabel(n)
	}
}

// badIP records an IP header (version v expected) that could not be
// decoded: a wrong version or header length, or one cut short.
func (p *Packet) badIP(v uint8, b []byte) {
	if p.inError {
		return
	}
	p.badNet, p.badNetB = v, b
	if v == 4 && len(b) > 0 {
		// The ip dissector ran (and rejected the header).
		p.push(0, idIP, nil)
	}
	if len(b) > 0 && b[0]>>4 == v && (v == 6 || b[0]&0xf >= 5) {
		p.truncated = true
	}
}

// badIPInfo is the Info column of a packet whose IP header is bogus, as
// tshark's ip and ipv6 dissectors put it.
func badIPInfo(p *Packet) string {
	b := p.badNetB
	if len(b) == 0 {
		return ""
	}
	switch ver := b[0] >> 4; {
	case p.badNet == 4 && ver != 4:
		return "Bogus IPv4 version (" + strconv.Itoa(int(ver)) + ", must be 4)"
	case p.badNet == 4 && b[0]&0xf < 5:
		return "Bogus IP header length (" + strconv.Itoa(int(b[0]&0xf)*4) + ", must be at least 20)"
	case p.badNet == 6 && ver != 6:
		return "Bogus IPv6 version (" + strconv.Itoa(int(ver)) + ", must be 6)"
	}
	return bogusIPLenInfo(b)
}

// ipDissected are the IP protocols netsim does not decode but tshark 4.0
// has a dissector for (ESP, AH, OSPF, PIM, SCTP, ...): their payload is
// not "data" there, so it is not here either.
var ipDissected = map[uint8]bool{2: true, 4: true, 9: true, 29: true, 33: true, 36: true, 46: true, 48: true, 50: true, 51: true, 53: true, 54: true,
	62: true, 80: true, 83: true, 88: true, 89: true, 93: true, 97: true, 103: true, 106: true, 108: true, 112: true, 113: true, 115: true, 132: true, 134: true,
	135: true, 136: true, 137: true, 139: true, 140: true, 143: true, 173: true, 224: true}

// ipProtoLabel is "NAME (N)" with Wireshark's name for IP protocol n.
func ipProtoLabel(n uint8) string {
	name, ok := ipProtocolNames()[n]
	if !ok {
		name = "Unknown"
	}
	return name + " (" + strconv.Itoa(int(n)) + ")"
}

// ipProtocolNames are Wireshark 4.0's IP protocol names (its ipproto
// table, as tshark prints them in "Next Header" and "Protocol" lines).
var ipProtocolNames = sync.OnceValue(func() map[uint8]string {
	return map[uint8]string{
		0: "IPv6 Hop-by-Hop Option", 1: "ICMP", 2: "IGMP", 3: "GGP", 4: "IPIP", 5: "Stream", 6: "TCP", 7: "CBT",
		8: "EGP", 9: "IGRP", 10: "BBN RCC", 11: "Network Voice", 12: "PUP", 13: "ARGUS", 14: "EMCON", 15: "XNET",
		16: "CHAOS", 17: "UDP", 18: "Multiplex", 19: "DCN Measurement", 20: "Host Monitoring", 21: "Packet radio",
		22: "IDP", 23: "Trunk-1", 24: "Trunk-2", 25: "Leaf-1", 26: "Leaf-2", 27: "Reliable Data", 28: "IRT",
		29: "ISO TP4", 30: "Bulk Data", 31: "MFE NSP", 32: "Merit Internodal",
		33: "Datagram Congestion Control Protocol", 34: "3rd Party Connect",
		35: "Inter-Domain Policy Routing Protocol", 36: "XTP", 37: "Datagram delivery", 38: "Control Message",
		39: "TP++", 40: "IL", 41: "IPv6", 42: "Source demand routing", 43: "Routing Header for IPv6",
		44: "Fragment Header for IPv6", 45: "Inter-Domain Routing Protocol", 46: "Reservation Protocol",
		47: "Generic Routing Encapsulation", 48: "Dynamic source routing", 49: "BNA", 50: "Encap Security Payload",
		51: "Authentication Header", 52: "INSLP", 53: "SWIPE", 54: "NBMA ARP", 55: "IP Mobility",
		56: "TLSP Kryptonet", 57: "SKIP", 58: "ICMPv6", 59: "No Next Header for IPv6",
		60: "Destination Options for IPv6", 61: "any host internal protocol", 62: "Mobile IPv6 (old)",
		63: "any local network", 64: "SATNET EXPAK", 65: "Kryptolan", 66: "Remote Virtual Disk", 67: "IPPC",
		68: "any distributed file system", 69: "SATNET Monitoring", 70: "VISA", 71: "IPCV", 72: "CPNX", 73: "CPHB",
		74: "Wang Span", 75: "Packet Video", 76: "Backroom SATNET Mon", 77: "Sun ND Protocol", 78: "Wideband Mon",
		79: "Wideband Expak", 80: "ISO Internet Protocol", 81: "VMTP", 82: "Secure VMTP", 83: "VINES", 84: "TTP",
		85: "NSFNET IGP", 86: "Dissimilar Gateway", 87: "TCF", 88: "EIGRP", 89: "OSPF IGP", 90: "Sprite RPC",
		91: "Locus ARP", 92: "Multicast Transport", 93: "AX.25 Frames", 94: "IP in IP", 95: "MICP", 96: "Semaphore",
		97: "Ether in IP", 98: "ENCAP", 99: "any private encryption scheme", 100: "GMTP", 101: "Ipsilon Flow",
		102: "PNNI over IP", 103: "PIM", 104: "ARIS", 105: "SCPS", 106: "QNX", 107: "Active Networks", 108: "IPComp",
		109: "Sitara Networks", 110: "Compaq Peer", 111: "IPX IN IP", 112: "VRRP", 113: "PGM",
		114: "any 0-hop protocol", 115: "Layer 2 Tunneling", 116: "DDX", 117: "IATP", 118: "STP", 119: "SpectraLink",
		120: "UTI", 121: "SMP", 122: "SM", 123: "PTP", 124: "ISIS over IP", 125: "FIRE", 126: "CRTP", 127: "CRUDP",
		128: "SSCOPMCE", 129: "IPLT", 130: "Secure Packet", 131: "PIPE", 132: "SCTP", 133: "Fibre Channel",
		134: "RSVP E2EI", 135: "Mobile IPv6", 136: "UDPLite", 137: "MPLS in IP", 138: "MANET", 139: "HIP",
		140: "Shim6 header", 141: "WESP", 142: "ROHC", 143: "Ethernet", 144: "Unassigned", 145: "Unassigned",
		146: "Unassigned", 147: "Unassigned", 148: "Unassigned", 149: "Unassigned", 150: "Unassigned",
		151: "Unassigned", 152: "Unassigned", 153: "Unassigned", 154: "Unassigned", 155: "Unassigned",
		156: "Unassigned", 157: "Unassigned", 158: "Unassigned", 159: "Unassigned", 160: "Unassigned",
		161: "Unassigned", 162: "Unassigned", 163: "Unassigned", 164: "Unassigned", 165: "Unassigned",
		166: "Unassigned", 167: "Unassigned", 168: "Unassigned", 169: "Unassigned", 170: "Unassigned",
		171: "Unassigned", 172: "Unassigned", 173: "AX/4000 Testframe", 174: "Unassigned", 175: "Unassigned",
		176: "Unassigned", 177: "Unassigned", 178: "Unassigned", 179: "Unassigned", 180: "Unassigned",
		181: "Unassigned", 182: "Unassigned", 183: "Unassigned", 184: "Unassigned", 185: "Unassigned",
		186: "Unassigned", 187: "Unassigned", 188: "Unassigned", 189: "Unassigned", 190: "Unassigned",
		191: "Unassigned", 192: "Unassigned", 193: "Unassigned", 194: "Unassigned", 195: "Unassigned",
		196: "Unassigned", 197: "Unassigned", 198: "Unassigned", 199: "Unassigned", 200: "Unassigned",
		201: "Unassigned", 202: "Unassigned", 203: "Unassigned", 204: "Unassigned", 205: "Unassigned",
		206: "Unassigned", 207: "Unassigned", 208: "Unassigned", 209: "Unassigned", 210: "Unassigned",
		211: "Unassigned", 212: "Unassigned", 213: "Unassigned", 214: "Unassigned", 215: "Unassigned",
		216: "Unassigned", 217: "Unassigned", 218: "Unassigned", 219: "Unassigned", 220: "Unassigned",
		221: "Unassigned", 222: "Unassigned", 223: "Unassigned", 224: "Novell NCS Heartbeat",
	}
})

func init() { registrars = append(registrars, registerIPv6Ext) }

// registerIPv6Ext registers the extension header fields: one value per
// header of the kind.
func registerIPv6Ext() {
	each := func(p *Packet, id byte, fn func(h []byte)) {
		for _, h := range p.ext6.h[:p.ext6.n] {
			if h.id == id {
				fn(h.b)
			}
		}
	}
	for _, k := range []struct {
		name string
		id   byte
	}{{"ipv6.hopopts", idIPv6HopOpts}, {"ipv6.routing", idIPv6Routing}, {"ipv6.dstopts", idIPv6DstOpts}} {
		reg(k.name, TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
			each(p, k.id, func(h []byte) { out = append(out, Value{B: h}) })
			return out
		})
		reg(k.name+".nxt", TypeUint, 8, false, func(p *Packet, out []Value) []Value {
			each(p, k.id, func(h []byte) { out = append(out, Value{N: uint64(h[0])}) })
			return out
		})
		reg(k.name+".len", TypeUint, 8, false, func(p *Packet, out []Value) []Value {
			each(p, k.id, func(h []byte) { out = append(out, Value{N: uint64(h[1])}) })
			return out
		})
		reg(k.name+".len_oct", TypeUint, 16, false, func(p *Packet, out []Value) []Value {
			each(p, k.id, func(h []byte) { out = append(out, Value{N: uint64(h[1]+1) * 8}) })
			return out
		})
	}
	rt := func(name string, bits int, v func(h []byte) (uint64, bool)) {
		reg(name, TypeUint, bits, false, func(p *Packet, out []Value) []Value {
			each(p, idIPv6Routing, func(h []byte) {
				if n, ok := v(h); ok {
					out = append(out, Value{N: n})
				}
			})
			return out
		})
	}
	rt("ipv6.routing.type", 8, func(h []byte) (uint64, bool) { return uint64(h[2]), true })
	rt("ipv6.routing.segleft", 8, func(h []byte) (uint64, bool) { return uint64(h[3]), true })
	rt("ipv6.routing.srh.last_entry", 8, func(h []byte) (uint64, bool) { return uint64(h[4]), h[2] == 4 })
	rt("ipv6.routing.srh.flags", 8, func(h []byte) (uint64, bool) { return uint64(h[5]), h[2] == 4 })
	rt("ipv6.routing.srh.tag", 16, func(h []byte) (uint64, bool) { return uint64(binary.BigEndian.Uint16(h[6:])), h[2] == 4 })
	addrs := func(name string, typ byte) {
		reg(name, TypeIPv6, 0, false, func(p *Packet, out []Value) []Value {
			each(p, idIPv6Routing, func(h []byte) {
				if h[2] != typ {
					return
				}
				for o := 8; o+16 <= len(h); o += 16 {
					out = append(out, Value{B: h[o : o+16]})
				}
			})
			return out
		})
	}
	addrs("ipv6.routing.src.addr", 0)
	addrs("ipv6.routing.srh.addr", 4)
	reg("ipv6.opt.jumbo", TypeUint, 32, false, func(p *Packet, out []Value) []Value {
		if p.ext6.jumbo == 0 || !p.Has(ProtoIPv6) {
			return out
		}
		return append(out, Value{N: uint64(p.ext6.jumbo)})
	})
}
