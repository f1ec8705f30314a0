package dissect

import (
	"encoding/binary"
	"fmt"
)

// tunnel writes the -V sections of p's tunnel header and of the packet it
// carries, as tshark 4.0 does.
func (t *treeWriter) tunnel(p *Packet) {
	tu := p.Tunnel
	if tu == nil {
		return
	}
	switch tu.Kind {
	case TunnelGRE:
		t.gre(p, tu)
		if tu.ERSPAN != nil {
			t.erspan(tu.ERSPAN)
		}
		if len(tu.CMD) == 8 {
			c := tu.CMD
			t.f(0, "Cisco MetaData")
			t.f(1, "Type: %s", etherTypeName(binary.BigEndian.Uint16(c)))
			t.f(1, "Version: %d", c[2])
			t.f(1, "Length: %d", c[3])
			t.f(1, "Options: 0x%04x", binary.BigEndian.Uint16(c[4:]))
			t.f(1, "SGT: %d", binary.BigEndian.Uint16(c[6:]))
		}
		if dataInGRE(p) {
			t.data(1, p.Data)
		}
	case TunnelVXLAN:
		if tu.VXLAN.GPE {
			t.vxlanGPE(tu)
		} else {
			t.vxlan(tu)
		}
	case TunnelGeneve:
		t.geneve(tu)
	case TunnelMPLS:
		t.mpls(tu)
	case TunnelGTP:
		t.gtp(tu)
	case TunnelCFP:
		t.cfp(tu)
	}
	if len(tu.NSH) >= 8 {
		t.nsh(tu.NSH)
	}
	if q := p.Encap; q != nil {
		t.encapsulated(q)
	}
}

// dataInGRE reports whether p's data is a GRE payload of a type netsim
// does not decode, which tshark nests beneath the GRE header.
func dataInGRE(p *Packet) bool {
	tu := p.Tunnel
	return tu != nil && tu.Kind == TunnelGRE && tu.ERSPAN == nil && tu.CMD == nil && p.Encap == nil && p.Has(ProtoData)
}

// encapsulated writes the layers of a packet a tunnel carries.
func (t *treeWriter) encapsulated(q *Packet) {
	if q.Has(ProtoEth) {
		e := &q.Eth
		t.ethHeading(e)
		if e.Type >= 0x0600 {
			t.f(1, "Type: %s", etherTypeName(e.Type))
			if n := ethPayloadLen(q); n >= 0 && q.nvlan == 0 && 14+n < len(q.Frame) {
				t.ethTrailer(q, 14+n)
			}
		}
	}
	if q.Link == linkPPP {
		t.ppp(q.Frame)
	}
	if q.msdu != nil {
		t.amsdu(q)
		return
	}
	t.network(q)
}

// amsdu writes the -V section of an 802.11 aggregate MSDU whose first
// subframe is q: each subframe's header and its packet's layers.
func (t *treeWriter) amsdu(q *Packet) {
	t.f(0, "IEEE 802.11 Aggregate MSDU")
	for n, s := 1, q; s != nil && s.msdu != nil; n, s = n+1, s.Encap {
		h := s.msdu
		t.f(1, "A-MSDU Subframe #%d", n)
		t.f(2, "Destination address: %s", t.macName(h[0:6]))
		t.f(2, "Source address: %s", t.macName(h[6:12]))
		t.f(2, "A-MSDU Length: %d", binary.BigEndian.Uint16(h[12:]))
		t.f(2, "Logical-Link Control")
		t.layers(2, s)
	}
}

// pppProtoNames name the PPP protocols netsim decodes further.
var pppProtoNames = map[uint16]string{
	0x0021: "Internet Protocol version 4", 0x0057: "Internet Protocol version 6",
	0x0281: "MPLS Unicast", 0x0283: "MPLS Multicast",
}

// ppp writes the -V section of a PPP header (packet-ppp.c): the HDLC
// address and control bytes when present, and the protocol.
func (t *treeWriter) ppp(b []byte) {
	t.f(0, "Point-to-Point Protocol")
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		t.f(1, "Address: 0xff")
		t.f(1, "Control: 0x03")
		b = b[2:]
	}
	var proto uint16
	switch {
	case len(b) >= 1 && b[0]&1 != 0:
		proto = uint16(b[0])
	case len(b) >= 2:
		proto = binary.BigEndian.Uint16(b)
	default:
		return
	}
	name, ok := pppProtoNames[proto]
	if !ok {
		name = "Unknown"
	}
	t.f(1, "Protocol: %s (0x%04x)", name, proto)
}

// network writes what follows p's link-layer header: VLAN tags, the
// network and transport layers, a tunnel and what it carries, the
// application layers and the data.
func (t *treeWriter) network(p *Packet) {
	if p.nvlan > 0 || len(p.l2tags) > 0 {
		t.vlanTree(p)
	}
	t.layers(0, p)
	t.tunnel(p)
	t.app(p)
	if p.Has(ProtoData) && !dataInICMP(p) && !dataInGRE(p) {
		t.data(0, p.Data)
	}
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func trueFalse(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func (t *treeWriter) gre(p *Packet, tu *Tunnel) {
	g := &tu.GRE
	if len(tu.raw) < 4 {
		t.f(0, "Generic Routing Encapsulation")
		return
	}
	name, known := greTypeName(g.Proto)
	if known {
		t.f(0, "Generic Routing Encapsulation (%s)", name)
	} else {
		t.f(0, "Generic Routing Encapsulation (0x%04x - unknown)", g.Proto)
	}
	fv := uint64(g.FlagsVersion)
	t.f(1, "Flags and Version: 0x%04x", fv)
	t.bits(2, 16, GREChecksum, fv, "Checksum Bit: %s", yesNo(fv&GREChecksum != 0))
	t.bits(2, 16, GRERouting, fv, "Routing Bit: %s", yesNo(fv&GRERouting != 0))
	t.bits(2, 16, GREKey, fv, "Key Bit: %s", yesNo(fv&GREKey != 0))
	t.bits(2, 16, GRESequence, fv, "Sequence Number Bit: %s", yesNo(fv&GRESequence != 0))
	t.bits(2, 16, GREStrict, fv, "Strict Source Route Bit: %s", yesNo(fv&GREStrict != 0))
	t.bits(2, 16, 0x0700, fv, "Recursion control: %d", fv&0x0700>>8)
	if g.Enhanced {
		t.bits(2, 16, GREAck, fv, "Acknowledgment: %s", yesNo(fv&GREAck != 0))
		t.bits(2, 16, 0x0078, fv, "Flags (Reserved): %d", fv&0x0078>>3)
	} else {
		t.bits(2, 16, 0x00f8, fv, "Flags (Reserved): %d", fv&0x00f8>>3)
	}
	switch v := fv & 7; v {
	case 0:
		t.bits(2, 16, 7, fv, "Version: GRE (0)")
	case 1:
		t.bits(2, 16, 7, fv, "Version: Enhanced GRE (1)")
	default:
		t.bits(2, 16, 7, fv, "Version: Unknown (%d)", v)
	}
	if known {
		t.f(1, "Protocol Type: %s (0x%04x)", name, g.Proto)
	} else {
		t.f(1, "Protocol Type: Unknown (0x%04x)", g.Proto)
	}
	b := tu.raw
	off := 4
	if fv&(GREChecksum|GRERouting) != 0 {
		if len(b) < 8 {
			return
		}
		switch {
		case fv&GREChecksum == 0:
			t.f(1, "Checksum: 0x%04x", g.Checksum)
		case len(p.Frame) < p.Len:
			t.f(1, "Checksum: 0x%04x [unverified]", g.Checksum)
			t.g(1, "Checksum Status: Unverified")
		default:
			c := make([]byte, len(b))
			copy(c, b)
			c[4], c[5] = 0, 0
			if want := icmpChecksum(c, nil, nil); want == g.Checksum {
				t.f(1, "Checksum: 0x%04x [correct]", g.Checksum)
				t.g(1, "Checksum Status: Good")
			} else {
				t.f(1, "Checksum: 0x%04x incorrect, should be 0x%04x", g.Checksum, want)
				t.g(1, "Checksum Status: Bad")
			}
		}
		t.f(1, "Offset: %d", g.Offset)
		off += 4
	}
	if fv&GREKey != 0 {
		if len(b) < off+4 {
			return
		}
		if g.Enhanced && g.Proto != 0x8881 {
			t.f(1, "Payload Length: %d", g.Key>>16)
			t.f(1, "Call ID: %d", g.Key&0xffff)
		} else {
			t.f(1, "Key: 0x%08x", g.Key)
		}
		off += 4
	}
	if fv&GRESequence != 0 {
		if len(b) < off+4 {
			return
		}
		t.f(1, "Sequence Number: %d", g.Seq)
		off += 4
	}
	if g.Enhanced && fv&GREAck != 0 {
		if len(b) < off+4 {
			return
		}
		t.f(1, "Acknowledgment Number: %d", g.Ack)
		off += 4
	}
	if fv&GRERouting != 0 {
		for off+4 <= len(b) {
			af, n := binary.BigEndian.Uint16(b[off:]), int(b[off+3])
			// Wireshark 4.0 puts the entry's fields beside the
			// "Routing" item, not beneath it.
			t.f(1, "Routing")
			t.f(1, "Address Family: %d", af)
			t.f(1, "SRE Offset: %d", b[off+2])
			t.f(1, "SRE Length: %d", n)
			off += 4
			if af == 0 && n == 0 || off+n > len(b) {
				break
			}
			off += n
		}
	}
}

var erspanEncapNames = [4]string{"Originally without VLAN tag", "Originally ISL encapsulated", "Originally 802.1Q encapsulated", "VLAN tag preserved in frame"}
var erspanBSONames = [4]string{"Good or unknown integrity", "Short frame", "Oversized frame", "CRC or alignment error"}
var erspanGraNames = [4]string{"100 microseconds", "100 nanoseconds", "IEEE 1588", "Custom granularity"}

func (t *treeWriter) erspan(e *ERSPAN) {
	const head = "Encapsulated Remote Switch Packet ANalysis"
	switch e.Version {
	case 0:
		t.f(0, head+" Type I")
		return
	case 1:
		t.f(0, head+" Type II")
	case 2:
		t.f(0, head+" Type III")
	default:
		t.f(0, head+" Unknown")
		return
	}
	if e.HdrLen == 0 {
		return
	}
	w0, w1 := uint64(e.Word0), uint64(e.Word1)
	truncated := [2]string{"Not truncated", "Truncated"}
	if e.Version == 1 {
		t.bits(1, 16, 0xf000, w0, "Version: Type II (1)")
	} else {
		t.bits(1, 16, 0xf000, w0, "Version: Type III (2)")
	}
	t.bits(1, 16, 0x0fff, w0, "Vlan: %d", w0&0xfff)
	t.bits(1, 16, 0xe000, w1, "COS: %d", w1>>13)
	if e.Version == 1 {
		t.bits(1, 16, 0x1800, w1, "Encap: %s (%d)", erspanEncapNames[w1>>11&3], w1>>11&3)
	} else {
		t.bits(1, 16, 0x1800, w1, "Bad/Short/Oversized: %s (%d)", erspanBSONames[w1>>11&3], w1>>11&3)
	}
	t.bits(1, 16, 0x0400, w1, "Truncated: %s (%d)", truncated[w1>>10&1], w1>>10&1)
	t.bits(1, 16, 0x03ff, w1, "SpanID: %d", w1&0x3ff)
	if e.Version == 1 {
		idx := uint64(e.Index)
		t.bits(1, 32, 0xfff00000, idx, "Reserved: %d", idx>>20)
		t.bits(1, 32, 0x000fffff, idx, "Index: %d", idx&0xfffff)
		return
	}
	t.bits(1, 32, 0xffffffff, uint64(e.Timestamp), "Timestamp: %d", e.Timestamp)
	t.bits(1, 16, 0xffff, uint64(e.SGT), "Security Group Tag: %d", e.SGT)
	w3 := uint64(e.Word3)
	t.bits(1, 16, 0x8000, w3, "Has Ethernet PDU: %d", w3>>15)
	ft := w3 >> 10 & 0x1f
	switch ft {
	case 0:
		t.bits(1, 16, 0x7c00, w3, "Frame Type: Ethernet (0)")
	case 2:
		t.bits(1, 16, 0x7c00, w3, "Frame Type: IP (2)")
	default:
		t.bits(1, 16, 0x7c00, w3, "Frame Type: Unknown (%d)", ft)
	}
	t.bits(1, 16, 0x03f0, w3, "Hardware ID: %d", w3>>4&0x3f)
	if w3&8 != 0 {
		t.bits(1, 16, 0x0008, w3, "Direction: Egress")
	} else {
		t.bits(1, 16, 0x0008, w3, "Direction: Ingress")
	}
	t.bits(1, 16, 0x0006, w3, "Timestamp granularity: %s (%d)", erspanGraNames[w3>>1&3], w3>>1&3)
	t.bits(1, 16, 0x0001, w3, "Optional Sub headers: %d", w3&1)
}

func (t *treeWriter) vxlan(tu *Tunnel) {
	t.f(0, "Virtual eXtensible Local Area Network")
	if len(tu.raw) < 8 {
		return
	}
	v := &tu.VXLAN
	fl := uint64(v.Flags)
	label := fmt.Sprintf("Flags: 0x%04x", fl)
	for _, b := range [...]struct {
		mask uint64
		name string
	}{{0x8000, "GBP Extension"}, {0x0800, "VXLAN Network ID (VNI)"}, {0x0040, "Don't Learn"}, {0x0008, "Policy Applied"}} {
		if fl&b.mask != 0 {
			label += ", " + b.name
		}
	}
	t.f(1, "%s", label)
	g := "Not defined"
	if fl&0x8000 != 0 {
		g = "Defined"
	}
	t.bits(2, 16, 0x8000, fl, "GBP Extension: %s", g)
	t.bits(2, 16, 0x0800, fl, "VXLAN Network ID (VNI): %s", trueFalse(fl&0x0800 != 0))
	t.bits(2, 16, 0x0040, fl, "Don't Learn: %s", trueFalse(fl&0x0040 != 0))
	t.bits(2, 16, 0x0008, fl, "Policy Applied: %s", trueFalse(fl&0x0008 != 0))
	t.bits(2, 16, 0x77b7, fl, "Reserved(R): 0x%04x", fl&0x77b7)
	t.f(1, "Group Policy ID: %d", v.GBP)
	t.f(1, "VXLAN Network Identifier (VNI): %d", v.VNI)
	t.f(1, "Reserved: %d", v.Reserved)
}

// geneveTypeName names a Geneve protocol type (an EtherType).
func geneveTypeName(typ uint16) string {
	if typ == 0x6558 {
		return "Transparent Ethernet bridging (0x6558)"
	}
	return etherTypeName(typ)
}

func (t *treeWriter) geneve(tu *Tunnel) {
	g := &tu.Geneve
	if len(tu.raw) < 8 {
		t.f(0, "Generic Network Virtualization Encapsulation")
		return
	}
	t.f(0, "Generic Network Virtualization Encapsulation, VNI: 0x%06x", g.VNI)
	t.f(1, "Version: %d", g.Version)
	if g.Version != 0 {
		return
	}
	t.f(1, "Length: %d bytes", g.OptLen)
	fl := uint64(g.Flags)
	label := fmt.Sprintf("Flags: 0x%02x", fl)
	if fl&0x80 != 0 {
		label += ", Operations, Administration and Management Frame"
	}
	if fl&0x40 != 0 {
		label += ", Critical Options Present"
	}
	if fl&0x3f != 0 {
		label += ", Reserved"
	}
	t.f(1, "%s", label)
	t.bits(2, 8, 0x80, fl, "Operations, Administration and Management Frame: %s", trueFalse(fl&0x80 != 0))
	t.bits(2, 8, 0x40, fl, "Critical Options Present: %s", trueFalse(fl&0x40 != 0))
	t.bits(2, 8, 0x3f, fl, "Reserved: %s", trueFalse(fl&0x3f != 0))
	t.f(1, "Protocol Type: %s", geneveTypeName(g.Proto))
	t.f(1, "Virtual Network Identifier (VNI): 0x%06x (%d)", g.VNI, g.VNI)
	if g.OptLen == 0 || len(g.Options) != g.OptLen {
		return
	}
	t.f(1, "Options: (%d bytes)", g.OptLen)
	for o := g.Options; len(o) >= 4; {
		class, typ, n := binary.BigEndian.Uint16(o), o[2], 4+int(o[3]&0x1f)*4
		if n > len(o) || class != 0 {
			// Only the standard class's unknown options are written.
			break
		}
		crit := "Non-critical"
		if typ&0x80 != 0 {
			crit = "Critical"
		}
		t.f(2, "Unknown, Class: Standard (0x0000) Type: 0x%02x (%s)", typ, crit)
		t.f(3, "Class: Standard (0x0000)")
		t.f(3, "Type: 0x%02x (%s)", typ, crit)
		t.f(3, "Length: %d bytes", n)
		if n > 4 {
			t.f(3, "Unknown Option Data: %s", bytesLabel(o[4:n]))
		}
		o = o[n:]
	}
}

// ethHeading writes an Ethernet II heading and its addresses.
func (t *treeWriter) ethHeading(e *Ethernet) {
	t.f(0, "Ethernet II, Src: %s, Dst: %s", t.macName(e.Src[:]), t.macName(e.Dst[:]))
	t.ethAddr(1, "Destination", e.Dst[:])
	t.ethAddr(1, "Source", e.Src[:])
}

// mplsSpecial are the names of the reserved labels tshark 4.0 writes.
var mplsSpecial = map[uint32]string{0: "IPv4 Explicit-Null", 1: "Router Alert", 2: "IPv6 Explicit-Null", 3: "Implicit-Null"}

func (t *treeWriter) mpls(tu *Tunnel) {
	for _, w := range tu.MPLS {
		label, exp, s, ttl := w>>12, w>>9&7, w>>8&1, w&0xff
		v := uint64(w)
		if label < 16 {
			// The reserved labels' heading names them; only the
			// checked ones are written.
			name, ok := mplsSpecial[label]
			if !ok {
				continue
			}
			t.f(0, "MultiProtocol Label Switching Header, Label: %d (%s), Exp: %d, S: %d, TTL: %d", label, name, exp, s, ttl)
			t.bits(1, 32, 0xfffff000, v, "MPLS Label: %s (%d)", name, label)
		} else {
			t.f(0, "MultiProtocol Label Switching Header, Label: %d, Exp: %d, S: %d, TTL: %d", label, exp, s, ttl)
			t.bits(1, 32, 0xfffff000, v, "MPLS Label: %d (0x%05x)", label, label)
		}
		t.bits(1, 32, 0xe00, v, "MPLS Experimental Bits: %d", exp)
		t.bits(1, 32, 0x100, v, "MPLS Bottom Of Label Stack: %d", s)
		t.bits(1, 32, 0xff, v, "MPLS TTL: %d", ttl)
	}
}

var gpeNextNames = map[uint8]string{1: "IPv4", 2: "IPv6", 3: "Ethernet", 4: "Network Service Header", 5: "MPLS"}

func (t *treeWriter) vxlanGPE(tu *Tunnel) {
	t.f(0, "Virtual eXtensible Local Area Network")
	if len(tu.raw) < 8 {
		return
	}
	v := &tu.VXLAN
	fl := uint64(v.Flags)
	t.f(1, "Flags: 0x%02x", fl)
	t.bits(2, 8, 0x30, fl, "Version: %d", fl>>4&3)
	t.bits(2, 8, 0x08, fl, "Instance: %d", fl>>3&1)
	t.bits(2, 8, 0x04, fl, "Next Protocol Bit: %d", fl>>2&1)
	t.bits(2, 8, 0x01, fl, "OAM bit: %d", fl&1)
	t.bits(2, 8, 0xc2, fl, "Reserved(R): %d", fl&0xc2)
	t.f(1, "Reserved: %d", v.GBP)
	if name, ok := gpeNextNames[v.NextProto]; ok {
		t.f(1, "Next Protocol: %s (%d)", name, v.NextProto)
	}
	t.f(1, "VXLAN Network Identifier (VNI): %d", v.VNI)
	t.f(1, "Reserved: %d", v.Reserved)
}

var nshNextNames = map[uint8]string{1: "IPv4", 2: "IPv6", 3: "Ethernet", 4: "NSH", 5: "MPLS"}

func (t *treeWriter) nsh(h []byte) {
	t.f(0, "Network Service Header")
	w := uint64(binary.BigEndian.Uint16(h))
	t.bits(1, 16, 0xc000, w, "Version: %d (0x%x)", w>>14, w>>14)
	t.bits(1, 16, 0x2000, w, "O Bit: %d", w>>13&1)
	t.bits(1, 16, 0x1000, w, "C Bit: %d", w>>12&1)
	t.bits(1, 16, 0x0fc0, w, "Time to live: 0x%02x", w>>6&0x3f)
	t.bits(1, 16, 0x003f, w, "Length: %d (0x%02x)", w&0x3f, w&0x3f)
	t.f(1, "MD Type: %d (0x%02x)", h[2], h[2])
	if name, ok := nshNextNames[h[3]]; ok {
		t.f(1, "Next Protocol: %s (%d)", name, h[3])
	}
	spi := binary.BigEndian.Uint32(h[4:]) >> 8
	t.f(1, "SPI: %d (0x%06x)", spi, spi)
	t.f(1, "SI: %d (0x%02x)", h[7], h[7])
	if h[2] == 1 {
		for c := h[8:]; len(c) >= 4; c = c[4:] {
			t.f(1, "Context Header: %x", c[:4])
		}
	}
}
