package dissect

import "encoding/binary"

// IEEE 802.11 captures (LINKTYPE_IEEE802_11 and the radiotap header before
// it) and FDDI (LINKTYPE_FDDI): netsim decodes their data frames' LLC/SNAP
// payload, as tshark 4.0 hands it to IP, IPv6 or ARP. Their own headers
// are only named in frame.protocols.

// Link-layer type numbers (LINKTYPE_*).
const (
	linkFDDI     = 10  // FDDI: frame control, destination, source, LLC
	linkWLAN     = 105 // IEEE 802.11 without FCS
	linkRadiotap = 127 // a radiotap header, then an IEEE 802.11 frame
)

// Protocol ids of these headers in Packet.stack.
const (
	idFDDI byte = idL2TagEnd + iota
	idRadiotap
	idWLANRadio
	idWLANLinkEnd
)

var wlanLinkProtoNames = [...]string{0: "fddi", idRadiotap - idFDDI: "radiotap", idWLANRadio - idFDDI: "wlan_radio"}

// wlanLinkProtoName names a protocol id of this file, "" for another id.
func wlanLinkProtoName(id byte) string {
	if id >= idFDDI && id < idWLANLinkEnd {
		return wlanLinkProtoNames[id-idFDDI]
	}
	return ""
}

// wlanLink decodes a frame of these link types; it reports false for
// another link type.
func (d *Dissector) wlanLink(p *Packet, b []byte) bool {
	switch p.Link {
	case linkFDDI:
		p.push(0, idFDDI, nil)
		if len(b) >= 13 && b[0]&0x30 == 0x10 { // an LLC frame
			d.llcSNAP(p, b[13:])
		}
	case linkWLAN:
		d.wlanFrame(p, b)
	case linkRadiotap:
		p.push(0, idRadiotap, nil)
		if len(b) < 8 {
			return true
		}
		n := int(binary.LittleEndian.Uint16(b[2:]))
		if n < 8 || n > len(b) {
			return true
		}
		p.push(0, idWLANRadio, nil)
		if radiotapFCS(b[:n]) && len(b)-n >= 4 {
			b = b[:len(b)-4]
		}
		d.wlanFrame(p, b[n:])
	default:
		return false
	}
	return true
}

// wlanFrame decodes an IEEE 802.11 frame without FCS: the wlan layer, and
// for a data frame its LLC/SNAP payload.
func (d *Dissector) wlanFrame(p *Packet, b []byte) {
	if !d.wlanData(p, b) {
		p.push(0, idWLAN, nil)
	}
}

// radiotapFCS reports whether a radiotap header h says the 802.11 frame
// after it ends with an FCS (the Flags field's 0x10 bit).
func radiotapFCS(h []byte) bool {
	off := 4
	present := binary.LittleEndian.Uint32(h[4:])
	// Skip the extended presence bitmaps.
	for w := present; w&0x80000000 != 0; {
		off += 4
		if off+4 > len(h) {
			return false
		}
		w = binary.LittleEndian.Uint32(h[off:])
	}
	off += 4
	if present&1 != 0 { // TSFT: 8 bytes, 8-aligned
		off = (off + 7) &^ 7
		off += 8
	}
	if present&2 == 0 || off >= len(h) {
		return false
	}
	return h[off]&0x10 != 0
}
