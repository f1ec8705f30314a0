package scenario

import (
	"encoding/binary"

	"netsim.dev/netsim/pcapread"
)

// diffFieldAt names the header field (Wireshark's field name) that byte
// off of frame b falls in, for the layouts netsim writes: Ethernet, BSD
// loopback or raw IP; IPv4 or IPv6 (without extension headers); TCP, UDP,
// ICMP or ICMPv6 on top. It returns "" where it cannot tell. The bytes
// before off decide the layout, and they are the same in both runs.
func diffFieldAt(link pcapread.LinkType, b []byte, off int) string {
	if off < 0 || off >= len(b) {
		return ""
	}
	l3 := 0
	switch link {
	case pcapread.LinkEthernet:
		switch {
		case off < 6:
			return "eth.dst"
		case off < 12:
			return "eth.src"
		case off < 14:
			return "eth.type"
		}
		if binary.BigEndian.Uint16(b[12:]) < 0x0600 || b[12] == 0x81 && b[13] == 0x00 {
			return "" // 802.3 length or VLAN tag: not netsim's layout
		}
		l3 = 14
	case pcapread.LinkNull, pcapread.LinkLoop:
		if off < 4 {
			return "null.family"
		}
		l3 = 4
	case pcapread.LinkRaw, pcapread.LinkRaw12, pcapread.LinkRaw14, pcapread.LinkIPv4, pcapread.LinkIPv6:
	default:
		return ""
	}
	ip := b[l3:]
	off -= l3
	if len(ip) == 0 {
		return ""
	}
	var proto byte
	var l4 int
	switch ip[0] >> 4 {
	case 4:
		hl := int(ip[0]&0xf) * 4
		if off < 20 {
			return diffFieldIn(off, []diffField{
				{1, "ip.hdr_len"}, {2, "ip.dsfield"}, {4, "ip.len"}, {6, "ip.id"},
				{7, "ip.flags"}, {8, "ip.frag_offset"}, {9, "ip.ttl"}, {10, "ip.proto"},
				{12, "ip.checksum"}, {16, "ip.src"}, {20, "ip.dst"},
			})
		}
		if off < hl {
			return "ip.options"
		}
		if len(ip) < 20 || hl < 20 {
			return ""
		}
		if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return "ip fragment data"
		}
		proto, l4 = ip[9], hl
	case 6:
		if off < 40 {
			return diffFieldIn(off, []diffField{
				{4, "ipv6.flow"}, {6, "ipv6.plen"}, {7, "ipv6.nxt"}, {8, "ipv6.hlim"},
				{24, "ipv6.src"}, {40, "ipv6.dst"},
			})
		}
		if len(ip) < 40 {
			return ""
		}
		proto, l4 = ip[6], 40
	default:
		return ""
	}
	off -= l4
	switch proto {
	case 6:
		hl := 20
		if len(ip) > l4+12 {
			hl = int(ip[l4+12]>>4) * 4
		}
		if off < 20 {
			return diffFieldIn(off, []diffField{
				{2, "tcp.srcport"}, {4, "tcp.dstport"}, {8, "tcp.seq"}, {12, "tcp.ack"},
				{13, "tcp.hdr_len"}, {14, "tcp.flags"}, {16, "tcp.window_size_value"},
				{18, "tcp.checksum"}, {20, "tcp.urgent_pointer"},
			})
		}
		if off < hl {
			return "tcp.options"
		}
		return "tcp.payload"
	case 17:
		if off < 8 {
			return diffFieldIn(off, []diffField{
				{2, "udp.srcport"}, {4, "udp.dstport"}, {6, "udp.length"}, {8, "udp.checksum"},
			})
		}
		return "udp.payload"
	case 1, 58:
		name := "icmp"
		if proto == 58 {
			name = "icmpv6"
		}
		switch {
		case off < 1:
			return name + ".type"
		case off < 2:
			return name + ".code"
		case off < 4:
			return name + ".checksum"
		}
		return name + " body"
	}
	return ""
}

// diffField is a header field ending before byte end of its header.
type diffField struct {
	end  int
	name string
}

// diffFieldIn returns the name of the field of fs that holds off.
func diffFieldIn(off int, fs []diffField) string {
	for _, f := range fs {
		if off < f.end {
			return f.name
		}
	}
	return ""
}
