package dissect

import (
	"encoding/binary"
	"fmt"
)

// maxVLANTags is how many stacked VLAN tags a packet keeps; deeper ones
// are shown as data.
const maxVLANTags = 8

// VLAN is one VLAN tag: IEEE 802.1Q (TPID 0x8100, Wireshark's "vlan"),
// its old QinQ form (0x9100, also "vlan") or an IEEE 802.1ad service tag
// (0x88a8, Wireshark's "ieee8021ad").
type VLAN struct {
	TPID     uint16 // the EtherType that introduced the tag
	Priority uint8  // PCP, 0-7
	DEI      bool   // drop eligible (formerly CFI)
	ID       uint16 // VLAN ID, 0-4095
	Type     uint16 // the EtherType that follows
}

// VLANs returns the packet's VLAN tags, outermost first.
func (p *Packet) VLANs() []VLAN { return p.vlans[:p.nvlan] }

// Protocol ids beyond idMax: they have a name in frame.protocols but keep
// no bytes in Packet.raw.
const (
	idIEEE8021AD byte = 0x80 + iota
	idIPv6HopOpts
	idIPv6Routing
	idIPv6DstOpts
	idExtMax
)

var extProtoNames = [...]string{
	idIEEE8021AD - 0x80:  "ieee8021ad",
	idIPv6HopOpts - 0x80: "ipv6.hopopts",
	idIPv6Routing - 0x80: "ipv6.routing",
	idIPv6DstOpts - 0x80: "ipv6.dstopts",
}

// protoName names a protocol id as frame.protocols does.
func protoName(id byte) string {
	if s := linkProtoName(id); s != "" {
		return s
	}
	if s := llcProtoName(id); s != "" {
		return s
	}
	if s := l2TagProtoName(id); s != "" {
		return s
	}
	if s := wlanLinkProtoName(id); s != "" {
		return s
	}
	if id >= idGRE && id < idTunMax {
		return tunnelProtoNames[id-idGRE]
	}
	if id >= 0x80 {
		if int(id-0x80) < len(extProtoNames) {
			return extProtoNames[id-0x80]
		}
		return ""
	}
	return protoNames[id]
}

// vlan decodes a VLAN tag of the given TPID and what follows it.
func (d *Dissector) vlan(p *Packet, tpid uint16, b []byte) {
	if p.nvlan == maxVLANTags {
		p.setData(b)
		return
	}
	id := idVLAN
	if tpid == 0x88a8 {
		id = idIEEE8021AD
	}
	p.push(ProtoVLAN, id, b)
	if len(b) < 4 {
		p.Malformed = true
		p.truncated = true
		p.vlanShort = true
		if len(b) >= 2 {
			tci := binary.BigEndian.Uint16(b)
			p.vlans[p.nvlan] = VLAN{TPID: tpid, Priority: uint8(tci >> 13), DEI: tci&0x1000 != 0, ID: tci & 0xfff}
			p.nvlan++
		}
		return
	}
	tci := binary.BigEndian.Uint16(b)
	v := VLAN{TPID: tpid, Priority: uint8(tci >> 13), DEI: tci&0x1000 != 0, ID: tci & 0xfff, Type: binary.BigEndian.Uint16(b[2:])}
	p.vlans[p.nvlan] = v
	p.nvlan++
	if v.Type < 0x0600 {
		// An 802.3 length: LLC with SNAP leads to IP or ARP; other LLC
		// is not decoded here (tshark does).
		d.llcSNAP(p, b[4:min(len(b), 4+int(v.Type))])
		return
	}
	p.push(0, idEthertype, nil)
	d.ethertype(p, v.Type, b[4:])
}

// linkType returns the EtherType the link layer hands to the network
// layer: the innermost VLAN tag's, else the Ethernet or cooked header's.
func (p *Packet) linkType() uint16 {
	if p.nvlan > 0 {
		return p.vlans[p.nvlan-1].Type
	}
	if p.Has(ProtoSLL) {
		return p.SLL.Protocol
	}
	return p.Eth.Type
}

// vlanProtocol is the Protocol column of a frame whose VLAN payload has no
// dissector: "VLAN" for a cut-short tag, else the EtherType in hex.
func vlanProtocol(p *Packet) string {
	if p.vlanShort {
		return "VLAN"
	}
	return fmt.Sprintf("0x%04x", p.linkType())
}

// vlanInfo is the Info column the innermost tag leaves when nothing after
// it sets one.
func vlanInfo(p *Packet) string {
	if p.nvlan == 0 {
		return "" // a tag of less than 2 bytes
	}
	v := p.vlans[p.nvlan-1]
	dei := 0
	if v.DEI {
		dei = 1
	}
	if v.TPID == 0x88a8 {
		return fmt.Sprintf("PRI: %d  DROP: %d ID: %d", v.Priority, dei, v.ID)
	}
	return fmt.Sprintf("PRI: %d  DEI: %d  ID: %d", v.Priority, dei, v.ID)
}

var vlanPriorityNames = [8]string{"Best Effort (default)", "Background", "Excellent Effort", "Critical Applications",
	"Video, < 100ms latency and jitter", "Voice, < 10ms latency and jitter", "Internetwork Control", "Network Control"}

// moreEtherTypes names EtherTypes the tree shows beyond IP, ARP and 802.1Q.
var moreEtherTypes = map[uint16]string{
	0x88a8: "802.1ad Provider Bridge (Q-in-Q)",
	0x88e7: "802.1ah Provider Backbone Bridge (mac-in-mac)",
	0x8926: "VN-Tag",
	0x9100: "QinQ: old non-standard 802.1ad",
}

// vlanTree writes the VLAN tags' subtrees, and the padding and trailer
// after the innermost tag's payload.
func (t *treeWriter) vlanTree(p *Packet) {
	for i, v := range p.VLANs() {
		t.l2TagTree(p, i)
		tci := uint64(v.Priority)<<13 | uint64(v.ID)
		dei := 0
		if v.DEI {
			dei = 1
			tci |= 0x1000
		}
		if v.TPID == 0x88a8 {
			t.f(0, "IEEE 802.1ad, ID: %d", v.ID)
			t.bits(1, 16, 0xe000, tci, "Priority: %d", v.Priority)
			t.bits(1, 16, 0x1000, tci, "DEI: %d", dei)
		} else {
			t.f(0, "802.1Q Virtual LAN, PRI: %d, DEI: %d, ID: %d", v.Priority, dei, v.ID)
			t.bits(1, 16, 0xe000, tci, "Priority: %s (%d)", vlanPriorityNames[v.Priority], v.Priority)
			el := "Ineligible"
			if v.DEI {
				el = "Eligible"
			}
			t.bits(1, 16, 0x1000, tci, "DEI: %s", el)
		}
		t.bits(1, 16, 0x0fff, tci, "ID: %d", v.ID)
		if p.vlanShort && i == p.nvlan-1 {
			return
		}
		if v.Type < 0x0600 {
			continue
		}
		t.f(1, "Type: %s", etherTypeName(v.Type))
		if i != p.nvlan-1 || len(p.l2tags) != 0 {
			continue
		}
		if end := ethPayloadLen(p); end >= 0 && 14+4*p.nvlan+end < len(p.Frame) {
			t.ethTrailer(p, 14+4*p.nvlan+end)
		}
	}
	t.l2TagTree(p, p.nvlan)
}

// ethTrailer writes what follows the Ethernet payload, which ends at end:
// padding of zeros up to the minimum frame of 60 bytes, then a trailer; a
// frame of fewer than 60 bytes was not padded, and bytes that are not all
// zeros are a trailer, with Wireshark's note.
func (t *treeWriter) ethTrailer(p *Packet, end int) {
	pad, trailer := []byte(nil), p.Frame[end:]
	if p.inTunnel {
		// A tunnel's Ethernet frame has no padding: tshark shows a
		// trailer, without a note.
		t.f(1, "Trailer: %s", bytesLabel(trailer))
		return
	}
	if len(p.Frame) >= 60 {
		pad, trailer = p.Frame[end:max(end, 60)], p.Frame[max(end, 60):]
	}
	if !allZero(pad) {
		pad, trailer = nil, p.Frame[end:]
		t.f(1, "Trailer: %s", bytesLabel(trailer))
		t.expert(2, "Note", "Protocol", "Didn't find padding of zeros, and an undecoded trailer exists. There may be padding of non-zeros.")
		return
	}
	if len(pad) > 0 {
		t.f(1, "Padding: %s", bytesLabel(pad))
	}
	if len(trailer) > 0 {
		t.f(1, "Trailer: %s", bytesLabel(trailer))
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func init() { registrars = append(registrars, registerVLAN) }

// registerVLAN registers the vlan and ieee8021ad fields: one value per
// tag of the kind, outermost first.
func registerVLAN() {
	tags := func(name string, ad bool, bits int, hex bool, v func(t *VLAN) (uint64, bool)) {
		reg(name, TypeUint, bits, hex, func(p *Packet, out []Value) []Value {
			for i := range p.VLANs() {
				t := &p.vlans[i]
				if (t.TPID == 0x88a8) != ad {
					continue
				}
				if n, ok := v(t); ok && !(p.vlanShort && i == p.nvlan-1 && name == "vlan.etype") {
					out = append(out, Value{N: n})
				}
			}
			return out
		})
	}
	reg("vlan", TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
		for _, t := range p.VLANs() {
			if t.TPID != 0x88a8 {
				out = append(out, Value{})
			}
		}
		return out
	})
	reg("ieee8021ad", TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
		for _, t := range p.VLANs() {
			if t.TPID == 0x88a8 {
				out = append(out, Value{})
			}
		}
		return out
	})
	dei := func(t *VLAN) (uint64, bool) {
		if t.DEI {
			return 1, true
		}
		return 0, true
	}
	tags("vlan.id", false, 16, false, func(t *VLAN) (uint64, bool) { return uint64(t.ID), true })
	tags("vlan.priority", false, 16, false, func(t *VLAN) (uint64, bool) { return uint64(t.Priority), true })
	reg("vlan.dei", TypeBool, 0, false, func(p *Packet, out []Value) []Value {
		for _, t := range p.VLANs() {
			if t.TPID != 0x88a8 {
				n, _ := dei(&t)
				out = append(out, Value{N: n})
			}
		}
		return out
	})
	tags("vlan.etype", false, 16, true, func(t *VLAN) (uint64, bool) { return uint64(t.Type), t.Type >= 0x0600 })
	tags("vlan.len", false, 16, false, func(t *VLAN) (uint64, bool) { return uint64(t.Type), t.Type < 0x0600 })
	tags("ieee8021ad.id", true, 16, false, func(t *VLAN) (uint64, bool) { return uint64(t.ID), true })
	tags("ieee8021ad.priority", true, 16, false, func(t *VLAN) (uint64, bool) { return uint64(t.Priority), true })
	tags("ieee8021ad.dei", true, 16, false, dei)
}
