package dissect

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// arpProtoAddr renders an ARP protocol address as Wireshark does: dotted
// for IPv4 (EtherType 0x0800, or AX.25's 0xcc, with 4 bytes), IPv6 text
// for 16-byte IPv6, else hex digits.
func arpProtoAddr(a *ARP, b []byte) string {
	switch {
	case len(b) == 4 && (a.ProtoType == 0x0800 || a.ProtoType == 0xcc):
		return ipv4String(be32(b))
	case len(b) == 16 && a.ProtoType == 0x86dd:
		return ipv6String(b)
	}
	return hex.EncodeToString(b)
}

// arpHwAddr renders an ARP hardware address: a MAC for 6-byte Ethernet
// (and IEEE 802) addresses, else hex digits.
func arpHwAddr(a *ARP, b []byte) string {
	if len(b) == 6 && (a.HwType == 1 || a.HwType == 6) {
		return macString(b)
	}
	return hex.EncodeToString(b)
}

// arpIsEtherIPv4 reports whether a maps IPv4 to Ethernet addresses.
func arpIsEtherIPv4(a *ARP) bool {
	return (a.HwType == 1 || a.HwType == 6) && a.HwSize == 6 && (a.ProtoType == 0x0800 || a.ProtoType == 0xcc) && a.ProtoSize == 4
}

func arpInfo(p *Packet) string {
	a := &p.ARP
	if p.arpShort {
		return ""
	}
	s := arpInfoText(a)
	if p.arpDup != nil {
		s += " (duplicate use of " + ipv4String(be32(p.arpDup)) + " detected!)"
	}
	return s
}

func arpInfoText(a *ARP) string {
	ip := func(b []byte) string { return arpProtoAddr(a, b) }
	zeroHw := len(a.DstHw) > 0 && allZero(a.DstHw)
	same := string(a.SrcProto) == string(a.DstProto)
	switch a.Opcode {
	case 1:
		if allZero(a.SrcProto) && zeroHw {
			return "Who has " + ip(a.DstProto) + "? (ARP Probe)"
		}
		if same && zeroHw {
			return "ARP Announcement for " + ip(a.SrcProto)
		}
		if same {
			return "Gratuitous ARP for " + ip(a.SrcProto) + " (Request)"
		}
		return "Who has " + ip(a.DstProto) + "? Tell " + ip(a.SrcProto)
	case 2:
		if same {
			return "Gratuitous ARP for " + ip(a.SrcProto) + " (Reply)"
		}
		return ip(a.SrcProto) + " is at " + arpHwAddr(a, a.SrcHw)
	}
	hw := func(b []byte) string { return arpHwAddr(a, b) }
	switch a.Opcode {
	case 0, 65535:
		return "Reserved opcode " + strconv.Itoa(int(a.Opcode))
	case 3, 5, 8: // RARP, DRARP, InARP requests
		return "Who is " + hw(a.DstHw) + "? Tell " + hw(a.SrcHw)
	case 4, 6:
		return hw(a.DstHw) + " is at " + ip(a.DstProto)
	case 9:
		return hw(a.SrcHw) + " is at " + ip(a.SrcProto)
	case 7:
		return "DRARP Error"
	case 10:
		return "ARP NAK"
	case 24, 25:
		return "Experimental " + strconv.Itoa(int(a.Opcode)-23) + " ( opcode " + strconv.Itoa(int(a.Opcode)) + " )"
	}
	return "Unknown ARP opcode 0x" + hex4(a.Opcode)
}

// arpProtocol is the Protocol column of an ARP packet: RARP, DRARP and
// Inverse ARP by their opcodes.
func arpProtocol(p *Packet) string {
	switch p.ARP.Opcode {
	case 3, 4:
		return "RARP"
	case 5, 6, 7:
		return "DRARP"
	case 8, 9:
		return "Inverse ARP"
	}
	return "ARP"
}

func hex4(v uint16) string {
	s := strconv.FormatUint(uint64(v), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// arpEntry is what duplicate detection remembers of an IPv4 address: the
// MAC address it was first seen with.
type arpEntry [6]byte

// arpDuplicates does Wireshark's ARP duplicate address detection: an IPv4
// address seen with a MAC address other than the one it was first seen
// with is a duplicate use of it. The sender is checked first, then (when
// the sender is not a duplicate) a reply's target; all-zero and group
// MAC addresses and the address 0.0.0.0 are left out.
func (d *Dissector) arpDuplicates(p *Packet) {
	a := &p.ARP
	if p.arpShort || p.inError || !arpIsEtherIPv4(a) || (a.Opcode != 1 && a.Opcode != 2) {
		return
	}
	if d.arp == nil {
		d.arp = make(map[uint32]arpEntry)
	}
	check := func(mac, ip []byte) bool {
		if mac[0]&1 != 0 || allZero(mac) || allZero(ip) {
			return false
		}
		k := binary.BigEndian.Uint32(ip)
		if e, ok := d.arp[k]; ok {
			return string(e[:]) != string(mac)
		}
		d.arp[k] = arpEntry(mac)
		return false
	}
	switch {
	case check(a.SrcHw, a.SrcProto):
		p.arpDup = a.SrcProto
	case a.Opcode != 1 && check(a.DstHw, a.DstProto):
		// A request's target addresses mean nothing.
		p.arpDup = a.DstProto
	}
}

// arpTree writes the ARP subtree: the heading names the kind of message
// (request, reply, ARP Probe, ARP Announcement, gratuitous ARP), then the
// header fields and the addresses as Wireshark's arp dissector shows
// them; a packet cut short stops after the opcode.
func (t *treeWriter) arpTree(d int, p *Packet) {
	a := &p.ARP
	var op string
	switch a.Opcode {
	case 1:
		op = "request"
	case 2:
		op = "reply"
	default:
		return
	}
	same := string(a.SrcProto) == string(a.DstProto)
	zeroHw := len(a.DstHw) > 0 && allZero(a.DstHw)
	switch {
	case p.arpShort:
		t.f(d, "Address Resolution Protocol")
	case a.Opcode == 1 && allZero(a.SrcProto) && zeroHw:
		t.f(d, "Address Resolution Protocol (ARP Probe)")
	case a.Opcode == 1 && same && zeroHw:
		t.f(d, "Address Resolution Protocol (ARP Announcement)")
	case same:
		t.f(d, "Address Resolution Protocol (%s/gratuitous ARP)", op)
	default:
		t.f(d, "Address Resolution Protocol (%s)", op)
	}
	if a.HwType == 1 {
		t.f(d+1, "Hardware type: Ethernet (1)")
	}
	t.f(d+1, "Protocol type: %s", etherTypeName(a.ProtoType))
	t.f(d+1, "Hardware size: %d", a.HwSize)
	t.f(d+1, "Protocol size: %d", a.ProtoSize)
	t.f(d+1, "Opcode: %s (%d)", op, a.Opcode)
	if p.arpShort || len(a.SrcHw) != 6 || a.HwType != 1 {
		return
	}
	proto := func(side string, b []byte) {
		if len(b) == 4 && a.ProtoType == 0x0800 {
			t.f(d+1, "%s IP address: %s", side, ipv4String(be32(b)))
		} else {
			t.f(d+1, "%s protocol address: %s", side, hex.EncodeToString(b))
		}
	}
	t.f(d+1, "Sender MAC address: %s", t.macName(a.SrcHw))
	proto("Sender", a.SrcProto)
	t.f(d+1, "Target MAC address: %s", t.macName(a.DstHw))
	proto("Target", a.DstProto)
}
