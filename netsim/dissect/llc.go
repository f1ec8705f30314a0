package dissect

import "encoding/binary"

// Link layers that carry an EtherType-typed payload after a header of
// their own, as Wireshark decodes them: IEEE 802.2 LLC with a SNAP header
// (802.3 frames, and the 802.11 data frames Aruba access points tunnel in
// GRE) and PPPoE sessions. Only what leads to an EtherType is decoded;
// other LLC, 802.11 and PPP payloads are left as they were.

// Protocol ids of these headers in Packet.stack (frame.protocols); like
// those of vlan.go they keep no bytes in Packet.raw.
const (
	idLLC    byte = 0xe0 + iota // "llc"
	idWLAN                      // "wlan"
	idPPPoES                    // "pppoes"
	idTeredo                    // "teredo"
	idAYIYA                     // "ayiya"
	idLLCEnd
)

var llcProtoNames = [...]string{idLLC - 0xe0: "llc", idWLAN - 0xe0: "wlan", idPPPoES - 0xe0: "pppoes",
	idTeredo - 0xe0: "teredo", idAYIYA - 0xe0: "ayiya"}

// llcProtoName names a protocol id of this file, "" for another id.
func llcProtoName(id byte) string {
	if id >= idLLC && id < idLLCEnd {
		return llcProtoNames[id-idLLC]
	}
	return ""
}

// snapEtherType returns the EtherType of an LLC header with SNAP (DSAP
// and SSAP 0xaa, UI control) whose OUI is 00-00-00 (RFC 1042) or 00-00-f8
// (802.1H), and the payload after it; ok is false for any other LLC
// header.
func snapEtherType(b []byte) (typ uint16, payload []byte, ok bool) {
	if len(b) < 8 || b[0] != 0xaa || b[1] != 0xaa || b[2] != 0x03 || b[3] != 0 || b[4] != 0 || (b[5] != 0 && b[5] != 0xf8) {
		return 0, nil, false
	}
	return binary.BigEndian.Uint16(b[6:]), b[8:], true
}

// llcSNAP decodes the LLC/SNAP header of an 802.3 frame's payload b (its
// length field already applied) and the IPv4, IPv6 or ARP packet after
// it; it reports false, decoding nothing, for other LLC payloads.
func (d *Dissector) llcSNAP(p *Packet, b []byte) bool {
	typ, payload, ok := snapEtherType(b)
	if !ok {
		return false
	}
	switch typ {
	case 0x0800, 0x86dd, 0x0806:
	default:
		return false
	}
	p.push(0, idLLC, nil)
	d.linkEthertype(p, typ, payload, false)
	return true
}

// wlanData decodes an IEEE 802.11 data frame without FCS, as Aruba access
// points tunnel them in GRE, into q: the MAC header (with its fourth
// address, QoS control and HT control when present), then LLC/SNAP and
// the packet it carries. It reports false for management, control,
// null-data and protected frames, which it leaves undecoded.
func (d *Dissector) wlanData(q *Packet, b []byte) bool {
	if len(b) < 24 {
		return false
	}
	fc0, fc1 := b[0], b[1]
	typ, sub := fc0>>2&3, fc0>>4
	if fc0&3 != 0 || typ != 2 || sub&4 != 0 || fc1&0x40 != 0 {
		return false
	}
	n := 24
	if fc1&3 == 3 { // to and from the distribution system
		n += 6
	}
	if sub&8 != 0 { // QoS data
		n += 2
		if fc1&0x80 != 0 { // +HTC/order: an HT control field
			n += 4
		}
	}
	if len(b) < n {
		return false
	}
	amsdu := false
	if sub&8 != 0 {
		qos := 24
		if fc1&3 == 3 {
			qos = 30
		}
		amsdu = b[qos]&0x80 != 0
	}
	if amsdu {
		return d.wlanAMSDU(q, b[n:])
	}
	typ16, payload, ok := snapEtherType(b[n:])
	if !ok {
		return false
	}
	switch typ16 {
	case 0x0800, 0x86dd, 0x0806:
	default:
		return false
	}
	q.push(0, idWLAN, nil)
	q.push(0, idLLC, nil)
	d.linkEthertype(q, typ16, payload, false)
	return true
}

// wlanAMSDU decodes the subframes of an aggregate MSDU, each a
// destination, a source, a length and an LLC/SNAP payload, padded to 4
// bytes: the first into q, each next one as a packet the previous one
// carries, so that frame.protocols and the fields list them in order as
// tshark's does. It reports false, decoding nothing, when the first
// subframe is not LLC/SNAP with IPv4, IPv6 or ARP.
func (d *Dissector) wlanAMSDU(q *Packet, b []byte) bool {
	sub := func(b []byte) (uint16, []byte, []byte, bool) {
		if len(b) < 14 {
			return 0, nil, nil, false
		}
		n := int(binary.BigEndian.Uint16(b[12:]))
		if 14+n > len(b) {
			return 0, nil, nil, false
		}
		typ, payload, ok := snapEtherType(b[14 : 14+n])
		if !ok || typ != 0x0800 && typ != 0x86dd && typ != 0x0806 {
			return 0, nil, nil, false
		}
		rest := b[min(len(b), (14+n+3)&^3):]
		return typ, payload, rest, true
	}
	typ, payload, rest, ok := sub(b)
	if !ok {
		return false
	}
	q.msdu = b[:14]
	q.push(0, idWLAN, nil)
	q.push(0, idLLC, nil)
	d.linkEthertype(q, typ, payload, false)
	prev := q
	var chain []*Packet
	for len(rest) > 0 && len(chain) < maxTunnelDepth {
		var t uint16
		var pl []byte
		hdr := rest
		if t, pl, rest, ok = sub(rest); !ok {
			break
		}
		r := prev.encapsulated(pl, prev.Link)
		r.msdu = hdr[:14]
		r.push(0, idLLC, nil)
		d.linkEthertype(r, t, pl, false)
		chain = append(chain, r)
		prev = r
	}
	// Each subframe's protocols follow the previous one's.
	for i := len(chain) - 1; i > 0; i-- {
		chain[i-1].carry(chain[i])
	}
	if len(chain) > 0 {
		q.carry(chain[0])
	}
	return true
}

// pppoeSession decodes a PPPoE session frame (EtherType 0x8864): the
// 6-byte PPPoE header, the PPP protocol field and an IPv4 or IPv6 packet.
// It reports false, decoding nothing, for other PPP protocols (LCP, IPCP
// and the like).
func (d *Dissector) pppoeSession(p *Packet, b []byte) bool {
	if len(b) < 8 || b[0] != 0x11 || b[1] != 0 {
		return false
	}
	var typ uint16
	switch binary.BigEndian.Uint16(b[6:]) {
	case 0x0021:
		typ = 0x0800
	case 0x0057:
		typ = 0x86dd
	default:
		return false
	}
	payload := b[8:]
	// The PPPoE length covers the PPP frame; bytes past it are padding,
	// which tshark reports as a possibly bad payload length (an expert
	// item of the Malformed group).
	l := int(binary.BigEndian.Uint16(b[4:]))
	if l >= 2 && l-2 <= len(payload) {
		payload = payload[:l-2]
	}
	if l != len(b)-6 {
		p.expertMalformed = true
	}
	p.push(0, idPPPoES, nil)
	p.push(0, idPPP, nil)
	d.linkEthertype(p, typ, payload, false)
	return true
}

// UDP ports of the tunnels udpTunnelMore decodes.
const (
	teredoPort   = 3544 // Teredo: IPv6 in UDP (RFC 4380)
	greUDPPort   = 4754 // GRE in UDP (RFC 8086)
	ayiyaPort    = 5072 // AYIYA: IPv6 or IPv4 in UDP
	teredoAuth   = 0x0001
	teredoOrigin = 0x0000
)

// udpTunnelMore decodes the UDP tunnels of this file when port is
// theirs and the payload b parses as theirs: Teredo, GRE in UDP and
// AYIYA. It reports whether it did.
func (d *Dissector) udpTunnelMore(p *Packet, port uint16, b []byte) bool {
	switch port {
	case greUDPPort:
		if len(b) < 4 {
			return false
		}
		d.gre(p, b, len(b))
		return true
	case teredoPort:
		// An authentication header, an origin indication, each optional,
		// then an IPv6 packet.
		if len(b) >= 13 && binary.BigEndian.Uint16(b) == teredoAuth {
			n := 13 + int(b[2]) + int(b[3])
			if n > len(b) {
				return false
			}
			b = b[n:]
		}
		if len(b) >= 8 && binary.BigEndian.Uint16(b) == teredoOrigin {
			b = b[8:]
		}
		if len(b) < 40 || b[0]>>4 != 6 {
			return false
		}
		p.push(0, idTeredo, nil)
		d.innerIP(p, b, true)
		return true
	case ayiyaPort:
		if len(b) < 8 {
			return false
		}
		n := 8 + 1<<(b[0]>>4) + 4*int(b[1]>>4)
		if b[0]>>4 == 0 {
			n--
		}
		if n > len(b) {
			return false
		}
		if b[2]&0x0f != 1 {
			// Not opcode 1 (forward): a heartbeat or the like, which
			// carries no packet.
			p.push(0, idAYIYA, nil)
			return true
		}
		switch b[3] {
		case 41, 4:
		default:
			return false
		}
		p.push(0, idAYIYA, nil)
		d.innerIP(p, b[n:], b[3] == 41)
		return true
	}
	return false
}
