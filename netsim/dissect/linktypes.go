package dissect

import (
	"encoding/binary"

	"netsim.dev/netsim/pcapread"
)

// Link types beyond Ethernet, cooked, loopback and raw IP that real-world
// captures use to carry IP (tcpdump's test suite has each): netsim decodes
// their header as tshark 4.0 does and hands the packet to the IP, IPv6 or
// ARP dissector, so filters select the same frames. Their own header is
// only named in frame.protocols; it has no fields.

// Link-layer type numbers (LINKTYPE_*).
const (
	linkPPP    = 9   // PPP, with or without the HDLC address and control bytes
	linkCHDLC  = 104 // Cisco HDLC
	linkFrelay = 107 // Frame Relay
	linkARCNET = 129 // ARCNET with the Linux header
	linkUser2  = 149 // PKTAP on macOS (DLT_USER2)
	linkIPNET  = 226 // Solaris ipnet
	linkNFLOG  = 239 // Linux netfilter log
	linkIPoIB  = 242 // IP over InfiniBand
	linkPKTAP  = 258 // Apple PKTAP
	linkJunEth = 178 // Juniper Ethernet
)

// Protocol ids of these headers in Packet.stack (frame.protocols); like
// those of vlan.go they keep no bytes in Packet.raw.
const (
	idPPP         byte = 0xc0 + iota // "ppp"
	idCHDLC                          // "chdlc"
	idARCNET                         // "arcnet"
	idPKTAP                          // "pktap"
	idPcapPktdata                    // "pcap_pktdata"
	idIPNET                          // "ipnet"
	idNFLOG                          // "nflog"
	idIPoIB                          // "ipoib"
	idFR                             // "fr"
	idMACsec                         // "macsec"
	idAVSP                           // "avsp"
	idJuniper                        // "juniper"
	idLinkEnd
	idLinkFirst = idPPP
)

var linkProtoNames = [...]string{
	idPPP - idLinkFirst: "ppp", idCHDLC - idLinkFirst: "chdlc", idARCNET - idLinkFirst: "arcnet",
	idPKTAP - idLinkFirst: "pktap", idPcapPktdata - idLinkFirst: "pcap_pktdata",
	idIPNET - idLinkFirst: "ipnet", idNFLOG - idLinkFirst: "nflog", idIPoIB - idLinkFirst: "ipoib",
	idFR - idLinkFirst: "fr", idMACsec - idLinkFirst: "macsec", idAVSP - idLinkFirst: "avsp", idJuniper - idLinkFirst: "juniper",
}

// linkProtoName names a protocol id of this file, "" for another id.
func linkProtoName(id byte) string {
	if id >= idLinkFirst && id < idLinkEnd {
		return linkProtoNames[id-idLinkFirst]
	}
	return ""
}

// otherLink decodes a frame of a link type Dissector.link has no case
// for; it reports false when netsim does not know the link type either.
func (d *Dissector) otherLink(p *Packet, b []byte) bool {
	if d.wlanLink(p, b) {
		return true
	}
	switch p.Link {
	case linkPPP:
		p.push(0, idPPP, nil)
		if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
			b = b[2:]
		}
		if len(b) == 0 {
			return true
		}
		var proto uint16
		if b[0]&1 != 0 { // a compressed, one-byte protocol field
			proto, b = uint16(b[0]), b[1:]
		} else if len(b) >= 2 {
			proto, b = binary.BigEndian.Uint16(b), b[2:]
		} else {
			return true
		}
		// IPv4, IPv6 and MPLS, by the EtherTypes of the same protocols.
		if typ, ok := map[uint16]uint16{0x0021: 0x0800, 0x0057: 0x86dd, 0x0281: 0x8847, 0x0283: 0x8848}[proto]; ok {
			d.linkEthertype(p, typ, b, false)
		}
	case linkCHDLC:
		p.push(0, idCHDLC, nil)
		if len(b) >= 4 {
			d.linkEthertype(p, binary.BigEndian.Uint16(b[2:]), b[4:], false)
		}
	case linkFrelay:
		// The Q.922 address (2 to 4 bytes, the last with its EA bit
		// set), then RFC 2427's control 0x03 and an NLPID (0xcc IPv4,
		// 0x8e IPv6), or Cisco's encapsulation: an EtherType.
		p.push(0, idFR, nil)
		n := 0
		for n < len(b) && n < 4 && b[n]&1 == 0 {
			n++
		}
		n++
		if n+2 > len(b) {
			return true
		}
		if b[n] != 0x03 {
			d.linkEthertype(p, binary.BigEndian.Uint16(b[n:]), b[n+2:], false)
			return true
		}
		switch b[n+1] {
		case 0xcc:
			d.ipv4(p, b[n+2:])
		case 0x8e:
			d.ipv6(p, b[n+2:])
		}
	case linkARCNET:
		// Linux's header: source, destination, 2 offset bytes, the
		// protocol id; RFC 1201 protocols add a split flag and a 2-byte
		// sequence number.
		p.push(0, idARCNET, nil)
		if len(b) < 5 {
			return true
		}
		proto, b := b[4], b[5:]
		switch proto {
		case 0xf0, 0xf1: // RFC 1051
		case 0xd4, 0xd5, 0xd6:
			if len(b) < 3 {
				return true
			}
			b = b[3:]
		default:
			return true
		}
		switch proto {
		case 0xf0, 0xd4:
			d.ipv4(p, b)
		default:
			arp(p, b)
		}
	case linkPKTAP, linkUser2:
		// The PKTAP header says its length and the link type of the
		// frame that follows it (little-endian).
		if len(b) < 8 {
			return false
		}
		hl, next := int(binary.LittleEndian.Uint32(b)), binary.LittleEndian.Uint32(b[4:])
		if hl < 8 || hl > len(b) {
			return false
		}
		p.push(0, idPKTAP, nil)
		p.push(0, idPcapPktdata, nil)
		p.Link = pcapread.LinkType(next)
		d.link(p, b[hl:])
	case linkIPNET:
		// 24-byte header; the address family in its second byte.
		p.push(0, idIPNET, nil)
		if len(b) < 24 {
			return true
		}
		switch b[1] {
		case 2:
			d.ipv4(p, b[24:])
		case 26:
			d.ipv6(p, b[24:])
		}
	case linkNFLOG:
		p.push(0, idNFLOG, nil)
		d.nflog(p, b)
	case linkIPoIB:
		// libpcap's header: two 20-byte hardware addresses, then
		// RFC 4391's type and reserved field.
		p.push(0, idIPoIB, nil)
		if len(b) < 44 {
			return true
		}
		d.linkEthertype(p, binary.BigEndian.Uint16(b[40:]), b[44:], true)
	case linkJunEth:
		// "MGC", flags, then (flag 0x80) a 2-byte length of extensions;
		// then the Ethernet frame, or (flag 0x02, no layer 2) IP.
		if len(b) < 4 || string(b[:3]) != "MGC" {
			return false
		}
		p.push(0, idJuniper, nil)
		flags, hl := b[3], 4
		if b[3]&0x80 != 0 && len(b) >= 6 {
			hl = 6
			if n := 6 + int(binary.BigEndian.Uint16(b[4:])); n <= len(b) {
				hl = n
			}
		}
		b = b[hl:]
		if flags&0x02 != 0 {
			d.ipByVersion(p, b)
			return true
		}
		p.Link = pcapread.LinkEthernet
		d.link(p, b)
	default:
		return false
	}
	return true
}

// linkEthertype hands b to the IPv4, IPv6, MPLS or ARP dissector by
// EtherType (and RARP's 0x8035 when rarp is set; Cisco HDLC uses it for
// SLARP); other types get tshark's own dissectors, so no data.
func (d *Dissector) linkEthertype(p *Packet, typ uint16, b []byte, rarp bool) {
	switch typ {
	case 0x0800:
		d.ipv4(p, b)
	case 0x86dd:
		d.ipv6(p, b)
	case 0x8847, 0x8848:
		d.mpls(p, b)
	case 0x0806:
		arp(p, b)
	case 0x8035:
		if rarp {
			arp(p, b)
		}
	}
}

// ipByVersion hands b to the IPv4 or IPv6 dissector by its first
// nibble, and reports whether it did.
func (d *Dissector) ipByVersion(p *Packet, b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch b[0] >> 4 {
	case 4:
		d.ipv4(p, b)
	case 6:
		d.ipv6(p, b)
	default:
		return false
	}
	return true
}

// nflog finds the packet in an NFLOG record: a 4-byte header (address
// family first), then type-length-value attributes in host byte order,
// each padded to 4 bytes; attribute 9 is the packet.
func (d *Dissector) nflog(p *Packet, b []byte) {
	if len(b) < 4 {
		return
	}
	family := b[0]
	for o := 4; o+4 <= len(b); {
		n := int(binary.LittleEndian.Uint16(b[o:]))
		typ := binary.LittleEndian.Uint16(b[o+2:]) & 0x7fff
		if n < 4 || o+n > len(b) {
			return
		}
		if typ == 9 {
			switch family {
			case 2:
				d.ipv4(p, b[o+4:o+n])
			case 10:
				d.ipv6(p, b[o+4:o+n])
			}
			return
		}
		o += (n + 3) &^ 3
	}
}

// macsec decodes an IEEE 802.1AE MACsec SecTAG (EtherType 0x88e5) as
// tshark's macsec dissector does without keys: a frame that only has
// integrity protection (neither the E nor the C bit) carries the
// original EtherType and payload before its 16-byte ICV; an encrypted
// one carries data. The Short Length, when not 0, gives the payload's
// length.
func (d *Dissector) macsec(p *Packet, b []byte) {
	if len(b) == 0 || b[0]&0x80 != 0 {
		p.setData(b) // version 1: not MACsec for tshark
		return
	}
	tci := b[0]
	sectag, icv := 6, 16
	if tci&0x20 != 0 {
		sectag = 14 // an SCI follows the packet number
	}
	if len(b) <= sectag+icv {
		p.setData(b)
		return
	}
	p.push(0, idMACsec, nil)
	if e := tci & 0x0c; e == 0x08 || e == 0x04 {
		icv = 0
	}
	n := int(b[1] & 0x3f)
	if n == 0 {
		n = len(b) + max(0, p.Len-len(p.Frame)) - sectag - icv
	}
	end := min(sectag+max(n, 0), len(b))
	if tci&0x0c != 0 {
		p.setData(b[sectag:end])
		return
	}
	if end < sectag+2 {
		return
	}
	d.ethertype(p, binary.BigEndian.Uint16(b[sectag:]), b[sectag+2:end])
}

// inStack reports whether one of the protocol ids is in p's stack.
func (p *Packet) inStack(ids ...byte) bool {
	for _, id := range p.stack[:p.nstk] {
		for _, x := range ids {
			if id == x {
				return true
			}
		}
	}
	return false
}

// avsp decodes Arista's vendor-specific EtherType 0xd28b as tshark 4.0
// does: a subtype; for timestamps (subtype 1) a version and a 64-bit
// (versions 0x10, 0x110) or 48-bit (0x20, 0x120) timestamp; then the
// EtherType of what follows.
func (d *Dissector) avsp(p *Packet, b []byte) {
	p.push(0, idAVSP, nil)
	if len(b) < 2 {
		return
	}
	o := 2
	if binary.BigEndian.Uint16(b) == 1 {
		if len(b) < 4 {
			return
		}
		switch binary.BigEndian.Uint16(b[2:]) {
		case 0x10, 0x110:
			o = 12
		case 0x20, 0x120:
			o = 10
		default:
			return
		}
	}
	if len(b) < o+2 {
		return
	}
	d.ethertype(p, binary.BigEndian.Uint16(b[o:]), b[o+2:])
}
