package dissect

import (
	"encoding/binary"
	"fmt"
)

// Link-layer tags between an Ethernet header and its payload, as tshark
// 4.0 decodes them: IEEE 802.1ah Provider Backbone Bridging
// (packet-ieee8021ah.c: an I-tag, the customer's addresses and an
// EtherType, 18 bytes after EtherType 0x88e7) and Cisco's VN-Tag
// (packet-vntag.c: a 4-byte tag and an EtherType after 0x8926). Each is a
// further layer of the frame, like a VLAN tag; what follows is the
// payload of its EtherType.

// L2Tag is an 802.1ah I-tag or a VN-Tag.
type L2Tag struct {
	// TPID is the EtherType that introduced the tag: 0x88e7 (802.1ah) or
	// 0x8926 (VN-Tag).
	TPID uint16
	// Tag is the I-tag's TCI (priority, drop, NCA, reserved, I-SID) or
	// the VN-Tag's 32 bits.
	Tag        uint32
	CDst, CSrc [6]byte // 802.1ah: the customer's addresses
	Type       uint16  // the EtherType, or an 802.3 length, that follows
	short      bool    // cut short: Tag and the rest only as far as captured
	vlans      int     // the VLAN tags before this one
	n          int     // bytes captured of the tag
}

// Protocol ids of the tags in Packet.stack (frame.protocols).
const (
	idPBB byte = 0xb0 + iota
	idVNTag
	idCFP
	idL2TagEnd
)

var l2TagProtoNames = [...]string{idPBB - 0xb0: "ieee8021ah", idVNTag - 0xb0: "vntag", idCFP - 0xb0: "cfp"}

// l2TagProtoName names a protocol id of this file, "" for another id.
func l2TagProtoName(id byte) string {
	if id >= idPBB && id < idL2TagEnd {
		return l2TagProtoNames[id-idPBB]
	}
	return ""
}

// maxL2Tags bounds the tags a frame keeps; what a deeper one carries is
// data.
const maxL2Tags = 128

// L2Tags returns the frame's 802.1ah and VN-Tag tags, outermost first.
func (p *Packet) L2Tags() []L2Tag { return p.l2tags }

// l2Tag decodes an 802.1ah I-tag (tpid 0x88e7) or a VN-Tag (0x8926) and
// what follows it.
func (d *Dissector) l2Tag(p *Packet, tpid uint16, b []byte) {
	if len(p.l2tags) == maxL2Tags {
		p.setData(b)
		return
	}
	id, n := idPBB, 18
	if tpid == 0x8926 {
		id, n = idVNTag, 6
	}
	p.push(0, id, nil)
	t := L2Tag{TPID: tpid, n: min(len(b), n), vlans: p.nvlan}
	var h [18]byte
	copy(h[:], b)
	t.Tag = binary.BigEndian.Uint32(h[:])
	if id == idPBB {
		copy(t.CDst[:], h[4:10])
		copy(t.CSrc[:], h[10:16])
		t.Type = binary.BigEndian.Uint16(h[16:])
	} else {
		t.Type = binary.BigEndian.Uint16(h[4:])
	}
	if len(b) < n {
		t.short = true
		p.l2tags = append(p.l2tags, t)
		p.Malformed = true
		if p.snapCut() {
			p.cutIn(l2TagProtoName(id))
		} else {
			p.truncated = true
		}
		return
	}
	p.l2tags = append(p.l2tags, t)
	if t.Type < 0x0600 {
		d.llcSNAP(p, b[n:min(len(b), n+int(t.Type))])
		return
	}
	p.push(0, idEthertype, nil)
	d.ethertype(p, t.Type, b[n:])
}

// fabricPath decodes a Cisco FabricPath frame (packet-cfp.c): the outer
// Ethernet header (EtherType 0x8903) and a 2-byte FTAG/TTL, the customer's
// Ethernet frame, then a 4-byte FCS. tshark 4.0 shows no fields of the
// outer Ethernet header: the customer frame's are the eth fields.
func (d *Dissector) fabricPath(p *Packet, b []byte) {
	p.push(0, idEth, nil)
	t := &Tunnel{Kind: TunnelCFP, raw: b[:16]}
	p.Tunnel = t
	p.push(0, idCFP, b[:16])
	inner := b[16:]
	if len(inner) >= 4 && p.Len == len(p.Frame) {
		t.CFPFCS = inner[len(inner)-4:]
		inner = inner[:len(inner)-4]
	}
	if p.depth >= maxTunnelDepth {
		p.setData(inner)
		return
	}
	d.innerEth(p, inner)
}

// cfpAddr formats a FabricPath hierarchical MAC address as tshark does:
// switch ID, sub-switch ID and local ID.
func cfpAddr(a []byte) string {
	return fmt.Sprintf("%03x.%02x.%04x", binary.BigEndian.Uint16(a[1:])&0xfff, a[3], binary.BigEndian.Uint16(a[4:]))
}

func init() { registrars = append(registrars, registerL2Tags) }

// registerL2Tags registers the ieee8021ah, vntag and cfp fields: one value
// per tag, outermost first.
func registerL2Tags() {
	tags := func(name string, typ FieldType, bits int, hex bool, tpid uint16, need int, v func(t *L2Tag) uint64) {
		reg(name, typ, bits, hex, func(p *Packet, out []Value) []Value {
			for i := range p.l2tags {
				t := &p.l2tags[i]
				if t.TPID == tpid && t.n >= need {
					out = append(out, Value{N: v(t)})
				}
			}
			return out
		})
	}
	proto := func(name string, tpid uint16) {
		reg(name, TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
			for _, t := range p.l2tags {
				if t.TPID == tpid {
					out = append(out, Value{})
				}
			}
			return out
		})
	}
	const pbb, vn = 0x88e7, 0x8926
	proto("ieee8021ah", pbb)
	tags("ieee8021ah.priority", TypeUint, 32, false, pbb, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 29) })
	tags("ieee8021ah.drop", TypeUint, 32, false, pbb, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 28 & 1) })
	tags("ieee8021ah.nca", TypeUint, 32, false, pbb, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 27 & 1) })
	tags("ieee8021ah.res1", TypeUint, 32, false, pbb, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 26 & 1) })
	tags("ieee8021ah.res2", TypeUint, 32, false, pbb, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 24 & 3) })
	tags("ieee8021ah.isid", TypeUint, 32, false, pbb, 4, func(t *L2Tag) uint64 { return uint64(t.Tag & 0xffffff) })
	tags("ieee8021ah.etype", TypeUint, 16, true, pbb, 18, func(t *L2Tag) uint64 { return uint64(t.Type) })
	mac := func(name string, v func(t *L2Tag) []byte) {
		reg(name, TypeEther, 0, false, func(p *Packet, out []Value) []Value {
			for i := range p.l2tags {
				if t := &p.l2tags[i]; t.TPID == pbb && t.n >= 16 {
					out = append(out, Value{B: v(t)})
				}
			}
			return out
		})
	}
	mac("ieee8021ah.cdst", func(t *L2Tag) []byte { return t.CDst[:] })
	mac("ieee8021ah.csrc", func(t *L2Tag) []byte { return t.CSrc[:] })

	proto("vntag", vn)
	tags("vntag.dir", TypeBool, 0, false, vn, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 31) })
	tags("vntag.ptr", TypeBool, 0, false, vn, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 30 & 1) })
	tags("vntag.dst", TypeUint, 32, false, vn, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 16 & 0x3fff) })
	tags("vntag.looped", TypeBool, 0, false, vn, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 15 & 1) })
	tags("vntag.r", TypeUint, 32, false, vn, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 14 & 1) })
	tags("vntag.version", TypeUint, 32, false, vn, 4, func(t *L2Tag) uint64 { return uint64(t.Tag >> 12 & 3) })
	tags("vntag.src", TypeUint, 32, false, vn, 4, func(t *L2Tag) uint64 { return uint64(t.Tag & 0xfff) })
	tags("vntag.etype", TypeUint, 16, true, vn, 6, func(t *L2Tag) uint64 { return uint64(t.Type) })

	reg("cfp", TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
		if t := p.Tunnel; t != nil && t.Kind == TunnelCFP {
			return append(out, Value{B: t.raw})
		}
		return out
	})
	cfp := func(name string, bits int, hex bool, v func(t *Tunnel) uint64) {
		tunnelField(name, TypeUint, bits, hex, func(t *Tunnel) (uint64, bool) {
			if t.Kind != TunnelCFP {
				return 0, false
			}
			return v(t), true
		})
	}
	cfp("cfp.ftag", 16, false, func(t *Tunnel) uint64 { return uint64(binary.BigEndian.Uint16(t.raw[14:]) >> 6) })
	cfp("cfp.ttl", 16, false, func(t *Tunnel) uint64 { return uint64(binary.BigEndian.Uint16(t.raw[14:]) & 0x3f) })
	tunnelField("cfp.fcs", TypeUint, 32, true, func(t *Tunnel) (uint64, bool) {
		if t.Kind != TunnelCFP || len(t.CFPFCS) != 4 {
			return 0, false
		}
		return uint64(binary.BigEndian.Uint32(t.CFPFCS)), true
	})
}

// cfp writes the -V section of a FabricPath header.
func (t *treeWriter) cfp(tu *Tunnel) {
	h := tu.raw
	src := cfpAddr(h[6:12])
	if h[0]&1 != 0 {
		m := t.macName(h[0:6])
		t.f(0, "Cisco FabricPath, Src: %s, Dst: %s", src, m)
		t.f(1, "MC Destination: %s", m)
	} else {
		dst := cfpAddr(h[0:6])
		t.f(0, "Cisco FabricPath, Src: %s, Dst: %s", src, dst)
		t.f(1, "Destination: %s", dst)
		t.cfpHMAC(h[0:6])
	}
	t.f(1, "Source: %s", src)
	t.cfpHMAC(h[6:12])
	t.f(1, "FP Ethertype: Data Center Ethernet (DCE) protocol(Cisco) (0x8903)")
	w := uint64(binary.BigEndian.Uint16(h[14:]))
	t.bits(1, 16, 0xffc0, w, "FTAG: %d", w>>6)
	t.bits(1, 16, 0x003f, w, "TTL: %d", w&0x3f)
	if len(tu.CFPFCS) == 4 {
		t.f(1, "Frame check sequence: 0x%08x [unverified]", binary.BigEndian.Uint32(tu.CFPFCS))
		t.g(1, "FCS status: Unverified")
	}
}

// cfpHMAC writes the bit fields of a FabricPath hierarchical MAC address.
func (t *treeWriter) cfpHMAC(a []byte) {
	w := uint64(a[0])<<16 | uint64(a[1])<<8 | uint64(a[2])
	// Wireshark reads the end node ID from the first two bytes and then
	// masks that value with the 24-bit field's mask, as it does any
	// value it is handed.
	h := uint64(binary.BigEndian.Uint16(a))
	eid := (h&0xc0>>6 + h&0xfc00>>8) & 0xfcc000
	t.bits(2, 24, 0xfcc000, eid, "End Node ID: %d (0x%03x)", eid>>14, eid>>14)
	ul := "Globally unique address (factory default)"
	if w&0x020000 != 0 {
		ul = "Locally administered address (this is NOT the factory default)"
	}
	t.bits(2, 24, 0x020000, w, "U/L bit: %s", ul)
	ig := "Individual address (unicast)"
	if w&0x010000 != 0 {
		ig = "Group address (multicast/broadcast)"
	}
	t.bits(2, 24, 0x010000, w, "I/G bit: %s", ig)
	ooo := "Deliver in order (If DA) or Learn (If SA)"
	if w&0x001000 != 0 {
		ooo = "Out of order delivery (If DA) or Do not learn (If SA)"
	}
	t.bits(2, 24, 0x001000, w, "OOO/DL Bit: %s", ooo)
	t.bits(2, 24, 0x000fff, w, "switch-id: %d (0x%03x)", w&0xfff, w&0xfff)
	t.f(2, "sub-switch-id: %d (0x%02x)", a[3], a[3])
	lid := binary.BigEndian.Uint16(a[4:])
	t.f(2, "Source LID: %d (0x%04x)", lid, lid)
}

// l2TagTree writes the -V sections of the 802.1ah and VN-Tag tags that
// follow the first vlans VLAN tags and precede the next one.
func (t *treeWriter) l2TagTree(p *Packet, vlans int) {
	for i := range p.l2tags {
		g := &p.l2tags[i]
		if g.vlans != vlans || g.short {
			continue
		}
		w := uint64(g.Tag)
		if g.TPID == 0x88e7 {
			isid := w & 0xffffff
			t.f(0, "IEEE 802.1ah, I-SID: %d, C-Src: %s, C-Dst: %s", isid, t.macName(g.CSrc[:]), t.macName(g.CDst[:]))
			t.f(1, "I-Tag, I-SID: %d", isid)
			t.bits(2, 32, 0xe0000000, w, "Priority: %d", w>>29)
			t.bits(2, 32, 0x10000000, w, "DROP: %d", w>>28&1)
			t.bits(2, 32, 0x08000000, w, "NCA: %d", w>>27&1)
			t.bits(2, 32, 0x04000000, w, "RES1: %d", w>>26&1)
			t.bits(2, 32, 0x03000000, w, "RES2: %d", w>>24&3)
			t.bits(2, 32, 0x00ffffff, w, "I-SID: %d", isid)
			t.f(1, "C-Destination: %s", t.macName(g.CDst[:]))
			t.f(1, "C-Source: %s", t.macName(g.CSrc[:]))
		} else {
			t.f(0, "VN-Tag")
			dir := "To Bridge"
			if w>>31 != 0 {
				dir = "From Bridge"
			}
			t.bits(1, 32, 0x80000000, w, "Direction: %s", dir)
			ptr := "vif_id"
			if w>>30&1 != 0 {
				ptr = "vif_list_id"
			}
			t.bits(1, 32, 0x40000000, w, "Pointer: %s", ptr)
			t.bits(1, 32, 0x3fff0000, w, "Destination: %d", w>>16&0x3fff)
			t.bits(1, 32, 0x00008000, w, "Looped: %s", yesNo(w>>15&1 != 0))
			t.bits(1, 32, 0x00004000, w, "Reserved: %d", w>>14&1)
			t.bits(1, 32, 0x00003000, w, "Version: %d", w>>12&3)
			t.bits(1, 32, 0x00000fff, w, "Source: %d", w&0xfff)
		}
		if g.Type >= 0x0600 {
			t.f(1, "Type: %s", etherTypeName(g.Type))
		}
	}
}
