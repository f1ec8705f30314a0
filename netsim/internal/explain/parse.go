package explain

import (
	"encoding/binary"
	"net/netip"
)

// packet is what the explanations need of one frame, decoded by hand: the
// Ethernet frame's network and transport headers. Every field is read with
// bounds checks; a short or strange frame leaves the rest zero and proto
// tells how far decoding got.
type packet struct {
	proto   proto
	src     netip.Addr // network source and destination (ARP: sender, target)
	dst     netip.Addr
	ttl     int  // IPv4 TTL or IPv6 hop limit; -1 when there is none
	v6      bool // IPv6
	ipProto int  // the transport protocol number
	frag    bool // a fragment that is not the first (no transport header)
	more    bool // more fragments follow (the first fragment of a datagram)
	udpLen  int  // the UDP header's length field, less the header
	sport   uint16
	dport   uint16
	length  int // transport payload bytes (TCP, UDP)

	// TCP
	seq, ack uint32
	flags    uint8
	win      uint16
	wscale   int // window scale option (SYN), -1 when absent
	sack     bool

	ethUnicast bool // the Ethernet destination is one host, not a broadcast or multicast

	// ARP
	arpOp  uint16
	arpMAC [6]byte

	// ICMP and ICMPv6
	icmpType, icmpCode uint8
	mtu                int     // fragmentation needed / packet too big: the next hop's MTU
	inner              *packet // the packet an ICMP error quotes
}

type proto int

const (
	protoOther proto = iota
	protoARP
	protoIP // IPv4 or IPv6 with a transport this package does not explain
	protoTCP
	protoUDP
	protoICMP
	protoICMPv6
)

// TCP flags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
)

func (p *packet) has(f uint8) bool { return p.flags&f == f }

// parseFrame decodes an Ethernet frame.
func parseFrame(b []byte) packet {
	p := packet{ttl: -1, wscale: -1}
	if len(b) < 14 {
		return p
	}
	p.ethUnicast = b[0]&1 == 0
	et := binary.BigEndian.Uint16(b[12:14])
	b = b[14:]
	if et == 0x8100 && len(b) >= 4 { // one VLAN tag
		et = binary.BigEndian.Uint16(b[2:4])
		b = b[4:]
	}
	switch et {
	case 0x0806:
		parseARP(&p, b)
	case 0x0800:
		parseIPv4(&p, b, false)
	case 0x86dd:
		parseIPv6(&p, b, false)
	}
	return p
}

func parseARP(p *packet, b []byte) {
	// Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
	if len(b) < 28 || b[4] != 6 || b[5] != 4 {
		return
	}
	p.proto = protoARP
	p.arpOp = binary.BigEndian.Uint16(b[6:8])
	copy(p.arpMAC[:], b[8:14])
	p.src = netip.AddrFrom4([4]byte(b[14:18]))
	p.dst = netip.AddrFrom4([4]byte(b[24:28]))
}

func parseIPv4(p *packet, b []byte, quoted bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || len(b) < ihl {
		return
	}
	p.proto = protoIP
	p.ttl = int(b[8])
	p.src = netip.AddrFrom4([4]byte(b[12:16]))
	p.dst = netip.AddrFrom4([4]byte(b[16:20]))
	fragOff := binary.BigEndian.Uint16(b[6:8]) & 0x1fff
	p.more = b[6]&0x20 != 0
	if fragOff != 0 {
		p.frag = true
		return
	}
	end := len(b)
	if !quoted && total >= ihl && total < end {
		end = total // Ethernet padding is not payload
	}
	parseTransport(p, b[9], b[ihl:end], quoted)
}

func parseIPv6(p *packet, b []byte, quoted bool) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return
	}
	p.proto = protoIP
	p.v6 = true
	p.ttl = int(b[7])
	p.src = netip.AddrFrom16([16]byte(b[8:24]))
	p.dst = netip.AddrFrom16([16]byte(b[24:40]))
	next := b[6]
	end := len(b)
	if pl := int(binary.BigEndian.Uint16(b[4:6])); !quoted && 40+pl < end {
		end = 40 + pl
	}
	b = b[40:end]
	for range 8 { // extension headers, a bounded walk
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < 8 {
				return
			}
			n := (int(b[1]) + 1) * 8
			if len(b) < n {
				return
			}
			next, b = b[0], b[n:]
			continue
		case 44: // fragment
			if len(b) < 8 {
				return
			}
			if binary.BigEndian.Uint16(b[2:4])&0xfff8 != 0 {
				p.frag = true
				return
			}
			p.more = b[3]&1 != 0
			next, b = b[0], b[8:]
			continue
		}
		break
	}
	parseTransport(p, next, b, quoted)
}

func parseTransport(p *packet, proto byte, b []byte, quoted bool) {
	p.ipProto = int(proto)
	switch proto {
	case 6:
		if len(b) < 4 {
			return
		}
		p.sport = binary.BigEndian.Uint16(b[0:2])
		p.dport = binary.BigEndian.Uint16(b[2:4])
		if len(b) < 8 {
			return
		}
		p.seq = binary.BigEndian.Uint32(b[4:8])
		if quoted || len(b) < 20 {
			if quoted {
				p.proto = protoTCP
			}
			return
		}
		off := int(b[12]>>4) * 4
		if off < 20 || len(b) < off {
			return
		}
		p.proto = protoTCP
		p.ack = binary.BigEndian.Uint32(b[8:12])
		p.flags = b[13]
		p.win = binary.BigEndian.Uint16(b[14:16])
		p.length = len(b) - off
		parseTCPOptions(p, b[20:off])
	case 17:
		if len(b) < 4 {
			return
		}
		p.proto = protoUDP
		p.sport = binary.BigEndian.Uint16(b[0:2])
		p.dport = binary.BigEndian.Uint16(b[2:4])
		if len(b) >= 8 {
			p.length = len(b) - 8
			p.udpLen = int(binary.BigEndian.Uint16(b[4:6])) - 8
		}
	case 1:
		if len(b) < 4 {
			return
		}
		p.proto = protoICMP
		p.icmpType, p.icmpCode = b[0], b[1]
		if quoted || len(b) < 8 {
			return
		}
		if p.icmpType == 3 && p.icmpCode == 4 {
			p.mtu = int(binary.BigEndian.Uint16(b[6:8]))
		}
		switch p.icmpType {
		case 3, 11, 12: // unreachable, time exceeded, parameter problem
			in := packet{ttl: -1, wscale: -1}
			parseIPv4(&in, b[8:], true)
			if in.proto != protoOther {
				p.inner = &in
			}
		}
	case 58:
		if len(b) < 4 {
			return
		}
		p.proto = protoICMPv6
		p.icmpType, p.icmpCode = b[0], b[1]
		if quoted {
			return
		}
		switch p.icmpType {
		case 1, 2, 3, 4:
			if len(b) < 8 {
				return
			}
			if p.icmpType == 2 {
				p.mtu = int(binary.BigEndian.Uint32(b[4:8]) & 0x7fffffff)
			}
			in := packet{ttl: -1, wscale: -1}
			parseIPv6(&in, b[8:], true)
			if in.proto != protoOther {
				p.inner = &in
			}
		case 135, 136: // neighbor solicitation, advertisement: the target
			if len(b) >= 24 {
				p.inner = &packet{dst: netip.AddrFrom16([16]byte(b[8:24]))}
			}
		}
	}
}

func parseTCPOptions(p *packet, o []byte) {
	for len(o) > 0 {
		switch o[0] {
		case 0:
			return
		case 1:
			o = o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) < 2 || len(o) < int(o[1]) {
			return
		}
		switch o[0] {
		case 3:
			if o[1] == 3 {
				p.wscale = int(o[2])
			}
		case 5:
			p.sack = true
		}
		o = o[o[1]:]
	}
}
