package dissect

import (
	"encoding/binary"
	"fmt"

	"netsim.dev/netsim/pcapread"
)

// TunnelKind is the kind of encapsulation a [Tunnel] describes.
type TunnelKind uint8

// Tunnel kinds.
const (
	// TunnelGRE is Generic Routing Encapsulation (IP protocol 47),
	// possibly carrying ERSPAN (Tunnel.ERSPAN).
	TunnelGRE TunnelKind = iota + 1
	// TunnelVXLAN is VXLAN (UDP port 4789).
	TunnelVXLAN
	// TunnelGeneve is Geneve (UDP port 6081).
	TunnelGeneve
	// TunnelIP is IP in IP (IP protocol 4 or 41): no header of its own,
	// the payload is an IPv4 or IPv6 packet.
	TunnelIP
	// TunnelMPLS is an MPLS label stack (EtherType 0x8847/0x8848, GRE,
	// UDP port 6635) and the IPv4 or IPv6 packet after it.
	TunnelMPLS
	// TunnelNSH is a Network Service Header (EtherType 0x894f); after
	// VXLAN-GPE it is Tunnel.NSH of a TunnelVXLAN.
	TunnelNSH
	// TunnelGTP is GTP version 1 (UDP ports 2152 and 2123); a T-PDU
	// carries an IPv4 or IPv6 packet.
	TunnelGTP
	// TunnelCFP is Cisco FabricPath: an outer Ethernet header with
	// EtherType 0x8903 and the customer's Ethernet frame.
	TunnelCFP
)

// Tunnel is the encapsulation header that follows a packet's last decoded
// layer and announces the packet it carries ([Packet.Encap]). Wireshark
// decodes the carried packet as it decodes any other: its layers are
// further occurrences of ip.*, tcp.* and so on, and its innermost layers
// make the summary line.
type Tunnel struct {
	Kind   TunnelKind
	GRE    GRE
	ERSPAN *ERSPAN // the ERSPAN header after GRE, nil when none
	VXLAN  VXLAN
	Geneve Geneve
	GTP    GTP
	// CFPFCS is a FabricPath frame's 4-byte FCS, nil when none.
	CFPFCS []byte
	// CMD is the Cisco MetaData header after GRE (type, version, length,
	// options, SGT), nil when none.
	CMD []byte
	// NSH is the Network Service Header (RFC 8300), nil when none.
	NSH []byte
	// MPLS are the label stack entries (label<<12 | exp<<9 | S<<8 | TTL),
	// outermost first.
	MPLS []uint32
	// Short is set when the header is cut short (by the snap length or
	// because the packet ends).
	Short bool
	raw   []byte // the header and what follows, for the protocol field
}

// GRE flag bits (gre.flags_and_version).
const (
	GREChecksum = 0x8000
	GRERouting  = 0x4000
	GREKey      = 0x2000
	GRESequence = 0x1000
	GREStrict   = 0x0800
	GREAck      = 0x0080
)

// GRE is a GRE header (RFC 2784, 2890; RFC 2637's enhanced GRE).
type GRE struct {
	FlagsVersion     uint16 // gre.flags_and_version
	Proto            uint16 // gre.proto
	Checksum, Offset uint16 // present with GREChecksum or GRERouting
	Key              uint32 // gre.key; for enhanced GRE, payload length<<16 | call ID
	Seq              uint32 // present with GRESequence
	Ack              uint32 // enhanced GRE, present with GREAck
	HdrLen           int    // header bytes
	// Enhanced is set for PPP over enhanced GRE (PPTP), whose key holds
	// a payload length and a call ID and which may carry an ack number.
	Enhanced bool
	// WCCP2 is set when a WCCPv2 redirect header follows.
	WCCP2 bool
	// got has the flag bits of the optional fields read: all of them
	// unless the header is cut short.
	got uint16
}

// ERSPAN is an ERSPAN header: type I has none (Version 0), type II
// (Version 1) 8 bytes, type III (Version 2) 12, plus an optional 8-byte
// platform subheader.
type ERSPAN struct {
	Version   uint8 // 0 for type I, else the header's version field
	Word0     uint16
	Word1     uint16
	Index     uint32 // type II: reserved(12) and index(20)
	Timestamp uint32 // type III
	SGT       uint16 // type III
	Word3     uint16 // type III: P, FT, HW ID, direction, granularity, O
	PlatID    uint32 // type III with a subheader: its first word
	HdrLen    int    // header bytes, 0 when cut short
	avail     int    // bytes after GRE, for the fields of a cut header
}

// VXLAN is a VXLAN header (RFC 7348, with the group policy extension),
// or a VXLAN-GPE header (UDP port 4790), whose flags are 8 bits and which
// names the next protocol.
type VXLAN struct {
	Flags     uint16
	GBP       uint16
	VNI       uint32
	Reserved  uint8
	GPE       bool
	NextProto uint8 // GPE: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS
}

// Geneve is a Geneve header (RFC 8926).
type Geneve struct {
	Version  uint8
	OptLen   int // option bytes
	Flags    uint8
	Proto    uint16
	VNI      uint32
	Reserved uint8
	Options  []byte
}

// Protocol ids of the tunnel headers in Packet.stack (frame.protocols);
// see protoName.
const (
	idGRE byte = 0xa0 + iota
	idERSPAN
	idVXLAN
	idGeneve
	idCMD
	idMPLS
	idNSH
	idGTP
	idGTPPrime
	idTunMax
)

var tunnelProtoNames = [...]string{
	idGRE - 0xa0: "gre", idERSPAN - 0xa0: "erspan", idVXLAN - 0xa0: "vxlan", idGeneve - 0xa0: "geneve",
	idCMD - 0xa0: "cmd", idMPLS - 0xa0: "mpls", idNSH - 0xa0: "nsh", idGTP - 0xa0: "gtp", idGTPPrime - 0xa0: "gtpprime",
}

// greTypeNames are Wireshark's names for GRE protocol types (gre.proto).
var greTypeNames = map[uint16]string{
	0x0000: "Possible GRE keepalive packet", 0x880b: "PPP", 0x0800: "IP", 0x0806: "ARP", 0x00fe: "OSI",
	0x883e: "WCCP", 0x2000: "CDP (Cisco)", 0x2001: "NHRP", 0x88be: "ERSPAN", 0x22eb: "ERSPAN III",
	0x6400: "MIKROTIK EoIP", 0xfeae: "AIROHIVE AP AP", 0x8137: "IPX", 0x6558: "Transparent Ethernet bridging",
	0x6559: "Frame Relay", 0x86dd: "IPv6", 0x8847: "MPLS label switched packet", 0x894f: "Network Service Header",
	0x8881: "CDMA2000 A10 Unstructured byte stream", 0x88d2: "CDMA2000 A10 3GPP2 Packet",
	0x8909: "CiscoMetaData", 0xb7ea: "Huawei GRE bonding",
}

func greTypeName(t uint16) (string, bool) {
	if s, ok := greTypeNames[t]; ok {
		return s, true
	}
	if t == 0x9000 || t >= 0x8200 && t <= 0x8370 && t&0xf == 0 {
		return "ARUBA WLAN", true
	}
	return "", false
}

// maxTunnelDepth bounds the tunnels netsim decodes inside one another;
// what a deeper one carries is not decoded.
const maxTunnelDepth = 8

// encapsulated returns a new packet for the bytes b a tunnel in p carries:
// the same frame number and times; its Frame is b and its Len what b
// measured on the wire, so that the snap-length checks hold for it.
func (p *Packet) encapsulated(b []byte, link pcapread.LinkType) *Packet {
	return &Packet{
		Number: p.Number, Time: p.Time, TimeRel: p.TimeRel, TimeDelta: p.TimeDelta,
		TimeDeltaDisplayed: p.TimeDeltaDisplayed, Precision: p.Precision,
		Len: len(b) + p.Len - len(p.Frame), Interface: p.Interface, HasIface: p.HasIface,
		Link: link, Frame: b, names: p.names, inTunnel: true, depth: p.depth + 1,
		inError: p.inError, // a tunnel quoted in an ICMP error
		inGTP:   p.inGTP || p.Tunnel != nil && p.Tunnel.Kind == TunnelGTP,
	}
}

// carry records q as the packet p's tunnel carries: its protocols follow
// p's in frame.protocols, and a malformed or cut inner packet marks p.
func (p *Packet) carry(q *Packet) {
	p.Encap = q
	for i := 0; i < q.nstk && p.nstk < len(p.stack); i++ {
		p.stack[p.nstk] = q.stack[i]
		p.nstk++
	}
	p.Malformed = p.Malformed || q.Malformed
	if q.truncated && !p.truncated {
		p.truncated = true
		p.cutProto = q.cutProto
	}
}

// tunnelShort marks a tunnel header cut short, as Wireshark does when its
// dissector reads past the data.
func (p *Packet) tunnelShort(t *Tunnel, name string) {
	t.Short = true
	p.Malformed = true
	if p.snapCut() {
		p.cutIn(name)
	} else {
		p.truncated = true
	}
}

// innerEth decodes an Ethernet frame without FCS that a tunnel carries.
func (d *Dissector) innerEth(p *Packet, b []byte) {
	q := p.encapsulated(b, pcapread.LinkEthernet)
	if len(b) < 14 {
		q.Malformed = true
		q.truncated = true
		p.carry(q)
		return
	}
	q.push(ProtoEth, idEth, b)
	copy(q.Eth.Dst[:], b[0:6])
	copy(q.Eth.Src[:], b[6:12])
	q.Eth.Type = binary.BigEndian.Uint16(b[12:])
	if q.Eth.Type >= 0x0600 {
		q.push(0, idEthertype, nil)
		d.ethertype(q, q.Eth.Type, b[14:])
	}
	p.carry(q)
}

// innerIP decodes an IPv4 (v6 false) or IPv6 packet a tunnel carries.
func (d *Dissector) innerIP(p *Packet, b []byte, v6 bool) {
	if v6 {
		q := p.encapsulated(b, pcapread.LinkIPv6)
		d.ipv6(q, b)
		p.carry(q)
		return
	}
	q := p.encapsulated(b, pcapread.LinkIPv4)
	d.ipv4(q, b)
	p.carry(q)
}

// ipInIP decodes IP protocol 4 (IPv4) or 41 (IPv6) in p's IP payload b.
func (d *Dissector) ipInIP(p *Packet, b []byte, v6 bool) {
	p.Tunnel = &Tunnel{Kind: TunnelIP}
	if len(b) == 0 {
		return
	}
	if v6 && b[0]>>4 != 6 {
		// Wireshark's ipv6 dissector rejects another version: the
		// payload is data.
		p.Tunnel = nil
		p.setData(b)
		return
	}
	d.innerIP(p, b, v6)
}

// gre decodes a GRE header and what it carries; reported is the length
// of b on the wire.
func (d *Dissector) gre(p *Packet, b []byte, reported int) {
	t := &Tunnel{Kind: TunnelGRE, raw: b}
	p.Tunnel = t
	p.push(0, idGRE, b)
	g := &t.GRE
	if len(b) < 4 {
		p.tunnelShort(t, "GRE")
		return
	}
	g.FlagsVersion = binary.BigEndian.Uint16(b)
	g.Proto = binary.BigEndian.Uint16(b[2:])
	fv := g.FlagsVersion
	switch g.Proto {
	case 0x880b:
		g.Enhanced = fv&7 != 0
	case 0x88d2, 0x8881:
		g.Enhanced = true
	case 0x883e:
		g.WCCP2 = len(b) > 4 && b[4]&0xf0 != 0x40
	}
	off := 4
	need := func(n int) bool {
		if off+n > len(b) {
			p.tunnelShort(t, "GRE")
			return false
		}
		return true
	}
	// The optional 32-bit words, in order: checksum and offset (with
	// either bit), key, sequence number, and enhanced GRE's ack number.
	for _, w := range [...]struct {
		present bool
		bit     uint16
		v       *uint32
	}{
		{fv&(GREChecksum|GRERouting) != 0, GREChecksum | GRERouting, nil},
		{fv&GREKey != 0, GREKey, &g.Key},
		{fv&GRESequence != 0, GRESequence, &g.Seq},
		{g.Enhanced && fv&GREAck != 0, GREAck, &g.Ack},
	} {
		if !w.present {
			continue
		}
		if !need(4) {
			return
		}
		v := binary.BigEndian.Uint32(b[off:])
		if w.v == nil {
			g.Checksum, g.Offset = uint16(v>>16), uint16(v)
		} else {
			*w.v = v
		}
		g.got |= w.bit
		off += 4
	}
	if fv&GRERouting != 0 {
		for {
			if !need(4) {
				return
			}
			af, n := binary.BigEndian.Uint16(b[off:]), int(b[off+3])
			off += 4
			if af == 0 && n == 0 {
				break
			}
			if !need(n) {
				return
			}
			off += n
		}
	}
	if g.WCCP2 {
		if !need(4) {
			return
		}
		off += 4
	}
	g.HdrLen = off
	if fv&GRESequence == 0 && reported-off <= 0 {
		return // no payload
	}
	payload := b[off:]
	switch g.Proto {
	case 0x0800:
		d.innerIP(p, payload, false)
	case 0x86dd:
		d.innerIP(p, payload, true)
	case 0x6558:
		d.innerEth(p, payload)
	case 0x0806:
		q := p.encapsulated(payload, pcapread.LinkIPv4)
		arp(q, payload)
		p.carry(q)
	case 0x88be, 0x22eb:
		d.erspan(p, t, payload)
	case 0x883e:
		// WCCP: an IPv4 packet, after WCCPv2's redirect header.
		d.innerIP(p, payload, false)
	case 0x8909:
		d.ciscoMetaData(p, t, payload)
	case 0x8847, 0x8848:
		q := p.encapsulated(payload, pcapread.LinkIPv4)
		d.mpls(q, payload)
		p.carry(q)
	case 0x880b:
		// PPP (PPTP's enhanced GRE): tshark's ppp dissector, as for a
		// capture of PPP frames.
		q := p.encapsulated(payload, linkPPP)
		d.otherLink(q, payload)
		p.carry(q)
	default:
		name, ok := greTypeName(g.Proto)
		switch {
		case !ok:
			p.setData(payload)
		case name == "ARUBA WLAN":
			// An 802.11 frame; its data frames carry LLC/SNAP.
			q := p.encapsulated(payload, pcapread.LinkIPv4)
			if d.wlanData(q, payload) {
				p.carry(q)
			}
		}
	}
}

// erspan decodes the ERSPAN header after GRE and the Ethernet frame it
// carries (Wireshark's packet-erspan.c).
func (d *Dissector) erspan(p *Packet, t *Tunnel, b []byte) {
	e := &ERSPAN{}
	t.ERSPAN = e
	p.push(0, idERSPAN, b)
	if t.GRE.FlagsVersion != 0 || t.GRE.Proto == 0x22eb {
		if len(b) < 2 {
			p.tunnelShort(t, "ERSPAN")
			return
		}
		e.Version = b[0] >> 4
		e.Word0 = binary.BigEndian.Uint16(b)
	}
	e.avail = len(b)
	if len(b) >= 4 {
		e.Word1 = binary.BigEndian.Uint16(b[2:])
	}
	switch e.Version {
	case 0:
	case 1:
		if len(b) < 8 {
			p.tunnelShort(t, "ERSPAN")
			return
		}
		e.Index = binary.BigEndian.Uint32(b[4:])
		e.HdrLen = 8
	case 2:
		if len(b) < 12 {
			p.tunnelShort(t, "ERSPAN")
			return
		}
		e.Timestamp = binary.BigEndian.Uint32(b[4:])
		e.SGT = binary.BigEndian.Uint16(b[8:])
		e.Word3 = binary.BigEndian.Uint16(b[10:])
		e.HdrLen = 12
		if e.Word3&1 != 0 {
			if len(b) < 20 {
				p.tunnelShort(t, "ERSPAN")
				return
			}
			e.PlatID = binary.BigEndian.Uint32(b[12:])
			e.HdrLen = 20
		}
		if e.Word3&0x7c00 != 0 {
			// Not an Ethernet frame: tshark 4.0 shows it as data.
			p.setData(b[e.HdrLen:])
			return
		}
	default:
		e.HdrLen = 2
		return
	}
	if len(b) > e.HdrLen {
		d.innerEth(p, b[e.HdrLen:])
	}
}

// ciscoMetaData decodes Cisco's MetaData header (GRE type 0x8909) and the
// packet of the EtherType it names.
func (d *Dissector) ciscoMetaData(p *Packet, t *Tunnel, b []byte) {
	p.push(0, idCMD, b)
	if len(b) < 8 {
		p.tunnelShort(t, "CMD")
		return
	}
	t.CMD = b[:8]
	typ := binary.BigEndian.Uint16(b)
	q := p.encapsulated(b[8:], pcapread.LinkIPv4)
	d.ethertype(q, typ, b[8:])
	p.carry(q)
}

// mpls decodes an MPLS label stack and the IP packet after it
// (packet-mpls.c: IPv4 or IPv6 by the first nibble, else data).
func (d *Dissector) mpls(p *Packet, b []byte) {
	t := &Tunnel{Kind: TunnelMPLS, raw: b}
	p.Tunnel = t
	p.push(0, idMPLS, b)
	for {
		if len(b) < 4 {
			p.tunnelShort(t, "MPLS")
			return
		}
		w := binary.BigEndian.Uint32(b)
		t.MPLS = append(t.MPLS, w)
		b = b[4:]
		if w&0x100 != 0 {
			break
		}
	}
	switch {
	case len(b) == 0:
	case b[0]>>4 == 4:
		d.innerIP(p, b, false)
	case b[0]>>4 == 6:
		d.innerIP(p, b, true)
	default:
		p.setData(b)
	}
}

// vxlanPort, gpePort, genevePort, mplsPort are the UDP ports tshark 4.0
// gives VXLAN, VXLAN-GPE, Geneve and MPLS.
const (
	vxlanPort  = 4789
	gpePort    = 4790
	genevePort = 6081
	mplsPort   = 6635
)

// nextProto decodes what a VXLAN-GPE or NSH header carries: 1 IPv4,
// 2 IPv6, 3 Ethernet, 4 NSH (after GPE), 5 MPLS; anything else is data.
func (d *Dissector) nextProto(p *Packet, t *Tunnel, next uint8, b []byte) {
	if len(b) == 0 {
		return
	}
	switch next {
	case 1:
		d.innerIP(p, b, false)
	case 2:
		d.innerIP(p, b, true)
	case 3:
		d.innerEth(p, b)
	case 4:
		if t.NSH == nil {
			d.nsh(p, t, b)
			return
		}
		p.setData(b)
	case 5:
		q := p.encapsulated(b, pcapread.LinkIPv4)
		d.mpls(q, b)
		p.carry(q)
	default:
		p.setData(b)
	}
}

// nsh decodes a Network Service Header (packet-nsh.c) into t and what it
// carries.
func (d *Dissector) nsh(p *Packet, t *Tunnel, b []byte) {
	p.push(0, idNSH, b)
	if len(b) < 8 {
		p.tunnelShort(t, "NSH")
		return
	}
	n := max(int(b[1]&0x3f)*4, 8)
	if n > len(b) {
		t.NSH = b[:8]
		p.tunnelShort(t, "NSH")
		return
	}
	t.NSH = b[:n]
	d.nextProto(p, t, b[3], b[n:])
}

// vxlanGPE decodes a VXLAN-GPE header; tshark 4.0 shows it as VXLAN but
// lists no protocol for it in frame.protocols.
func (d *Dissector) vxlanGPE(p *Packet, b []byte) {
	t := &Tunnel{Kind: TunnelVXLAN, raw: b}
	p.Tunnel = t
	v := &t.VXLAN
	v.GPE = true
	if len(b) < 8 {
		p.tunnelShort(t, "VxLAN")
		return
	}
	v.Flags = uint16(b[0])
	v.GBP = binary.BigEndian.Uint16(b[1:])
	v.NextProto = b[3]
	v.VNI = binary.BigEndian.Uint32(b[4:]) >> 8
	v.Reserved = b[7]
	d.nextProto(p, t, v.NextProto, b[8:])
}

// udpTunnel decodes VXLAN or Geneve in p's UDP payload b when tshark
// would: the lower port is tried first, as Wireshark's UDP does. It
// reports whether it did.
func (d *Dissector) udpTunnel(p *Packet, b []byte) bool {
	if p.inError || len(b) == 0 || p.depth >= maxTunnelDepth {
		return false
	}
	u := &p.UDP
	lo, hi := min(u.SrcPort, u.DstPort), max(u.SrcPort, u.DstPort)
	if d.udpTunnelMore(p, lo, b) || d.udpTunnelMore(p, hi, b) {
		return true
	}
	if gtpPort(p, lo) && d.gtp(p, lo, b) || gtpPort(p, hi) && d.gtp(p, hi, b) {
		return true
	}
	port := lo
	if lo != vxlanPort && lo != gpePort && lo != genevePort && lo != mplsPort {
		if lo != 0 && hasPortDissector(udpDissectorPorts, lo, lo) {
			return false // Wireshark never tries port 0
		}
		port = hi
	}
	switch port {
	case vxlanPort:
		d.vxlan(p, b)
	case genevePort:
		d.geneve(p, b)
	case mplsPort:
		d.mpls(p, b)
	case gpePort:
		d.vxlanGPE(p, b)
	default:
		return false
	}
	return true
}

func (d *Dissector) vxlan(p *Packet, b []byte) {
	t := &Tunnel{Kind: TunnelVXLAN, raw: b}
	p.Tunnel = t
	p.push(0, idVXLAN, b)
	v := &t.VXLAN
	var h [8]byte
	copy(h[:], b)
	v.Flags = binary.BigEndian.Uint16(h[:])
	v.GBP = binary.BigEndian.Uint16(h[2:])
	v.VNI = binary.BigEndian.Uint32(h[4:]) >> 8
	v.Reserved = h[7]
	if len(b) < 8 {
		p.tunnelShort(t, "VxLAN")
		return
	}
	if len(b) > 8 {
		d.innerEth(p, b[8:])
	}
}

func (d *Dissector) geneve(p *Packet, b []byte) {
	t := &Tunnel{Kind: TunnelGeneve, raw: b}
	p.Tunnel = t
	p.push(0, idGeneve, b)
	g := &t.Geneve
	var h [8]byte
	copy(h[:], b)
	g.Version = h[0] >> 6
	g.OptLen = int(h[0]&0x3f) * 4
	g.Flags = h[1]
	g.Proto = binary.BigEndian.Uint16(h[2:])
	g.VNI = binary.BigEndian.Uint32(h[4:]) >> 8
	g.Reserved = h[7]
	if len(b) < 8 {
		p.tunnelShort(t, "Geneve")
		return
	}
	if g.Version != 0 {
		return
	}
	if 8+g.OptLen > len(b) {
		p.tunnelShort(t, "Geneve")
		return
	}
	g.Options = b[8 : 8+g.OptLen]
	rest := b[8+g.OptLen:]
	if len(rest) == 0 {
		return
	}
	switch g.Proto {
	case 0x6558:
		d.innerEth(p, rest)
	case 0x0800:
		d.innerIP(p, rest, false)
	case 0x86dd:
		d.innerIP(p, rest, true)
	default:
		q := p.encapsulated(rest, pcapread.LinkIPv4)
		d.ethertype(q, g.Proto, rest)
		p.carry(q)
	}
}

// innerAddresses returns the Source and Destination columns of q, a
// packet p's tunnel carries, and whether q sets them. An IP header the snap
// length cut sets the source only once captured: the columns are those of
// the layers before it, in q (its Ethernet header) or in p.
func (q *Packet) innerAddresses(p *Packet) (string, string, bool) {
	if !q.IP.hdrCut && !q.IPv6.hdrCut {
		src, dst := q.Addresses()
		return src, dst, src != "" || dst != ""
	}
	var src, dst string
	if q.Has(ProtoEth) {
		src, dst = q.names.Name(q.Eth.Src[:]), q.names.Name(q.Eth.Dst[:])
	} else {
		src, dst = p.ownAddresses()
	}
	switch {
	case q.IP.hdrCut && q.IP.hdrCap >= 16:
		src = ipv4String(uint32(ip4(q.IP.Src)))
	case q.IPv6.hdrCut && q.IPv6.hdrCap >= 24:
		src = ipv6String(q.IPv6.Src[:])
	}
	return src, dst, true
}

// tunnelColumns returns the Protocol and Info columns of a packet whose
// tunnel carries nothing netsim decodes; ok is false for other packets.
func tunnelColumns(p *Packet) (proto, info string, ok bool) {
	t := p.Tunnel
	if t == nil || p.Encap != nil {
		return "", "", false
	}
	switch t.Kind {
	case TunnelGRE:
		if t.ERSPAN != nil {
			return "ERSPAN", "ERSPAN:", true
		}
		if len(t.raw) < 4 {
			return "GRE", "", true
		}
		name, ok := greTypeName(t.GRE.Proto)
		if !ok {
			name = fmt.Sprintf("0x%04x (unknown)", t.GRE.Proto)
		}
		return "GRE", "Encapsulated " + name, true
	case TunnelGeneve:
		if len(t.raw) < 4 || t.Geneve.Version != 0 {
			return "Geneve", "", true
		}
		return "Geneve", "Encapsulated " + geneveProtoName(t.Geneve.Proto), true
	case TunnelVXLAN:
		return "VxLAN", "", true
	case TunnelMPLS:
		return "MPLS", "MPLS Label Switched Packet", true
	case TunnelNSH:
		return "NSH", "", true
	case TunnelGTP:
		return "GTP", gtpMessageName(t.GTP.Type), true
	}
	return "", "", false
}

// geneveProtoName names a Geneve protocol type (an EtherType) as
// Wireshark's Info column does.
func geneveProtoName(typ uint16) string {
	switch typ {
	case 0x0800:
		return "IPv4"
	case 0x86dd:
		return "IPv6"
	case 0x0806:
		return "ARP"
	case 0x6558:
		return "Transparent Ethernet bridging"
	case 0x8100:
		return "802.1Q Virtual LAN"
	}
	if n, ok := moreEtherTypes[typ]; ok {
		return n
	}
	return fmt.Sprintf("Unknown (0x%04x)", typ)
}

func init() {
	moreEtherTypes[0x8847] = "MPLS label switched packet"
	moreEtherTypes[0x8848] = "MPLS multicast label switched packet"
	moreEtherTypes[0x894f] = "Network Service Header"
}
