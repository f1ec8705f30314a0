package dissect

import (
	"encoding/binary"

	"netsim.dev/netsim/pcapread"
)

// Protocol ids in Packet.stack, for frame.protocols.
const (
	idEth byte = iota + 1
	idEthertype
	idSLL
	idNull
	idIP
	idIPv6
	idTCP
	idUDP
	idARP
	idICMP
	idICMPv6
	idDNS
	idMDNS
	idLLMNR
	idHTTP
	idTLS
	idTextLines
	idXML
	idJSON
	idMedia
	idData
	idRaw
	idVLAN
	idIPv6Frag
	idMax
)

var protoNames = [...]string{
	idEth: "eth", idEthertype: "ethertype", idSLL: "sll", idNull: "null", idIP: "ip",
	idIPv6: "ipv6", idTCP: "tcp", idUDP: "udp", idARP: "arp", idICMP: "icmp",
	idICMPv6: "icmpv6", idData: "data", idRaw: "raw", idVLAN: "vlan",
	idDNS: "dns", idMDNS: "mdns", idLLMNR: "llmnr", idHTTP: "http", idTLS: "tls",
	idTextLines: "data-text-lines", idXML: "xml", idJSON: "json", idMedia: "media",
	idIPv6Frag: "ipv6.fraghdr",
}

// Dissector decodes the frames of one capture, in order, keeping the state
// Wireshark keeps across frames (TCP conversations, UDP streams, IPv4
// reassembly, the time of the first frame).
type Dissector struct {
	ifNames   []string
	ifDescs   []string
	udpTimes  [][2]int64 // per UDP stream: first and latest frame time
	haveFirst bool
	first     int64
	prev      int64
	tcp       tcpTable
	udp       map[convKey]uint32
	frags     fragTable
	echo      map[echoKey][2]int64 // ICMP echo requests: frame number and time
	names     *MACNames            // MAC address names, nil for none
	arp       map[uint32]arpEntry  // ARP duplicate detection: IPv4 → MAC
	apps      map[uint32]*appConv  // application state per TCP stream
	dnsTx     map[dnsTxKey][2]int64
	tlsKeys   tlsKeyLog // TLS secrets (tlskeys.go)
	arena     arena     // decoded messages' memory
}

// echoKey matches an ICMP or ICMPv6 echo reply with its request.
type echoKey struct {
	src, dst   [16]byte
	ident, seq uint16
	v6         bool
}

// New returns a Dissector for a new capture.
func New() *Dissector {
	return &Dissector{
		tcp:   tcpTable{convs: make(map[convKey]*tcpConv)},
		udp:   make(map[convKey]uint32),
		frags: fragTable{m: make(map[fragKey]*fragBuf)},
		echo:  make(map[echoKey][2]int64),
	}
}

// SetInterfaces records the capture's interfaces, for frame.interface_name.
func (d *Dissector) SetInterfaces(ifs []pcapread.Interface) {
	d.ifNames, d.ifDescs = d.ifNames[:0], d.ifDescs[:0]
	for _, i := range ifs {
		d.ifNames = append(d.ifNames, i.Name)
		d.ifDescs = append(d.ifDescs, i.Description)
	}
}

// Dissect decodes frame f into p, overwriting p. Frames must be passed in
// capture order. p keeps references to f.Data.
func (d *Dissector) Dissect(f *pcapread.Frame, p *Packet) {
	// Cleared in place, then set: a composite literal would be built in
	// a temporary and copied (the Packet is 2 KB).
	*p = Packet{}
	p.Number = f.Number
	p.Time = f.Time
	p.Precision = f.Precision
	p.Len = f.OrigLen
	p.Interface = f.Interface
	p.HasIface = f.HasInterface
	p.Link = f.LinkType
	p.Frame = f.Data
	p.Comments = f.Comments
	p.names = d.names
	if f.Interface < len(d.ifNames) {
		p.IfName = d.ifNames[f.Interface]
		p.IfDesc = d.ifDescs[f.Interface]
	}
	if !d.haveFirst {
		d.haveFirst, d.first, d.prev = true, f.Time, f.Time
	}
	p.TimeRel = f.Time - d.first
	p.TimeDelta = f.Time - d.prev
	p.TimeDeltaDisplayed = p.TimeDelta
	d.prev = f.Time
	d.link(p, f.Data)
}

func (d *Dissector) link(p *Packet, b []byte) {
	switch p.Link {
	case pcapread.LinkEthernet:
		if len(b) < 14 {
			p.Malformed = true
			p.truncated = true
			return
		}
		if len(b) >= 16 && binary.BigEndian.Uint16(b[12:]) == 0x8903 {
			d.fabricPath(p, b)
			return
		}
		p.push(ProtoEth, idEth, b)
		copy(p.Eth.Dst[:], b[0:6])
		copy(p.Eth.Src[:], b[6:12])
		p.Eth.Type = binary.BigEndian.Uint16(b[12:])
		if p.Eth.Type < 0x0600 {
			// 802.3 length field: LLC with SNAP leads to IP or ARP;
			// other LLC is not decoded here (nor is it data: tshark
			// decodes it).
			d.llcSNAP(p, b[14:min(len(b), 14+int(p.Eth.Type))])
			return
		}
		p.push(0, idEthertype, nil)
		d.ethertype(p, p.Eth.Type, b[14:])
		p.trailerCut()
	case pcapread.LinkNull, pcapread.LinkLoop:
		if len(b) < 4 {
			p.Malformed = true
			return
		}
		var fam uint32
		if p.Link == pcapread.LinkLoop {
			fam = binary.BigEndian.Uint32(b)
		} else {
			fam = binary.LittleEndian.Uint32(b)
			if fam&0xffff0000 != 0 {
				fam = binary.BigEndian.Uint32(b)
			}
		}
		p.Null.Family = fam
		p.push(ProtoNull, idNull, b)
		switch fam {
		case 2:
			d.ipv4(p, b[4:])
		case 10, 24, 28, 30:
			d.ipv6(p, b[4:])
		default:
			p.setData(b[4:])
		}
	case pcapread.LinkRaw, pcapread.LinkRaw12, pcapread.LinkRaw14:
		p.push(0, idRaw, nil)
		if !d.ipByVersion(p, b) {
			p.setData(b)
		}
	case pcapread.LinkIPv4:
		d.ipv4(p, b)
	case pcapread.LinkIPv6:
		d.ipv6(p, b)
	case pcapread.LinkSLL:
		if len(b) < 16 {
			p.Malformed = true
			return
		}
		s := &p.SLL
		s.PktType = binary.BigEndian.Uint16(b)
		s.HaType = binary.BigEndian.Uint16(b[2:])
		s.AddrLen = binary.BigEndian.Uint16(b[4:])
		copy(s.Addr[:], b[6:14])
		s.Protocol = binary.BigEndian.Uint16(b[14:])
		p.push(ProtoSLL, idSLL, b)
		p.push(0, idEthertype, nil)
		d.ethertype(p, s.Protocol, b[16:])
	case pcapread.LinkSLL2:
		if len(b) < 20 {
			p.Malformed = true
			return
		}
		s := &p.SLL
		s.V2 = true
		s.Protocol = binary.BigEndian.Uint16(b)
		s.HaType = binary.BigEndian.Uint16(b[8:])
		s.PktType = uint16(b[10])
		s.AddrLen = uint16(b[11])
		copy(s.Addr[:], b[12:20])
		p.push(ProtoSLL, idSLL, b)
		p.push(0, idEthertype, nil)
		d.ethertype(p, s.Protocol, b[20:])
	default:
		if !d.otherLink(p, b) {
			p.linkData(b)
		}
	}
}

func (d *Dissector) ethertype(p *Packet, typ uint16, b []byte) {
	switch typ {
	case 0x0800:
		d.ipv4(p, b)
	case 0x86dd:
		d.ipv6(p, b)
	case 0x0806:
		arp(p, b)
		d.arpDuplicates(p)
	case 0x8035:
		arp(p, b) // RARP
	case 0x8100, 0x88a8, 0x9100:
		d.vlan(p, typ, b)
	case 0x88e7, 0x8926:
		d.l2Tag(p, typ, b)
	case 0x8847, 0x8848, 0x894f:
		if p.depth >= maxTunnelDepth {
			p.setData(b)
			return
		}
		if typ == 0x894f {
			p.Tunnel = &Tunnel{Kind: TunnelNSH, raw: b}
			d.nsh(p, p.Tunnel, b)
			return
		}
		d.mpls(p, b)
	case 0x88e5:
		d.macsec(p, b)
	case 0xd28b:
		d.avsp(p, b)
	case 0x8864:
		if !d.pppoeSession(p, b) {
			p.etherData(typ, b)
		}
	default:
		p.etherData(typ, b)
	}
}

func (p *Packet) setData(b []byte) {
	if len(b) == 0 {
		return
	}
	p.Data = b
	p.push(ProtoData, idData, b)
}

// parseHeader sets ip's fields from the fixed 20 bytes of an IPv4 header.
func (ip *IPv4) parseHeader(h *[20]byte) {
	ip.Version = 4
	ip.HdrLen = (h[0] & 0xf) * 4
	ip.DSField = h[1]
	ip.Len = binary.BigEndian.Uint16(h[2:])
	ip.ID = binary.BigEndian.Uint16(h[4:])
	fo := binary.BigEndian.Uint16(h[6:])
	ip.Flags = uint8(fo >> 13)
	ip.FragOff = (fo & 0x1fff) * 8
	ip.TTL = h[8]
	ip.Proto = h[9]
	ip.Checksum = binary.BigEndian.Uint16(h[10:])
	copy(ip.Src[:], h[12:16])
	copy(ip.Dst[:], h[16:20])
}

func (d *Dissector) ipv4(p *Packet, b []byte) {
	if len(b) > 0 && b[0]>>4 == 6 {
		// Wireshark's ip dissector hands version 6 to ipv6.
		p.push(0, idIP, nil)
		d.ipv6(p, b)
		return
	}
	if len(b) < 20 || b[0]>>4 != 4 || int(b[0]&0xf)*4 < 20 || int(b[0]&0xf)*4 > len(b) {
		if !ipv4Cut(p, b) {
			p.Malformed = true
			p.badIP(4, b)
		}
		return
	}
	ip := &p.IP
	ip.parseHeader((*[20]byte)(b))
	end, ok := p.ipv4Length(b)
	if !ok {
		return
	}
	p.push(ProtoIP, idIP, b[:min(len(b), end)])
	reported := end - int(ip.HdrLen)
	cut := end > len(b)
	if cut {
		end = len(b)
		p.payloadCut()
	}
	payload := b[ip.HdrLen:end]
	if ip.Flags&1 != 0 || ip.FragOff != 0 {
		short := cut || int(ip.Len) > len(b) // tshark reassembles only whole fragments
		if short && !p.inError && ip.FragOff == 0 {
			// A first fragment cut short is not reassembled: its
			// transport header is dissected as it stands.
			d.transport(p, ip.Proto, payload, reported, ip.Src[:], ip.Dst[:])
			return
		}
		if p.inError || short {
			// A quoted fragment is not reassembled.
			ip.Fragmented = true
			p.setData(payload)
			return
		}
		k := fragKey{id: uint32(ip.ID), proto: ip.Proto}
		copy(k.src[:], ip.Src[:])
		copy(k.dst[:], ip.Dst[:])
		whole, count, done := d.frags.add(p.Number, k, int(ip.FragOff), ip.Flags&1 != 0, payload)
		if !done {
			ip.Fragmented = true
			p.setData(payload)
			return
		}
		ip.Reassembled = true
		ip.FragCount = count
		ip.Fragments = d.frags.m[k].pieces
		ip.ReassembledData = whole
		payload = whole
		reported = len(whole)
	}
	d.transport(p, ip.Proto, payload, reported, ip.Src[:], ip.Dst[:])
}

func (d *Dissector) ipv6(p *Packet, b []byte) {
	if len(b) < 40 || b[0]>>4 != 6 {
		if !ipv6Cut(p, b) {
			p.Malformed = true
			p.badIP(6, b)
		}
		return
	}
	v := &p.IPv6
	w := binary.BigEndian.Uint32(b)
	v.TClass = uint8(w >> 20)
	v.Flow = w & 0xfffff
	v.PLen = binary.BigEndian.Uint16(b[4:])
	v.Next = b[6]
	v.HopLimit = b[7]
	copy(v.Src[:], b[8:24])
	copy(v.Dst[:], b[24:40])
	p.push(ProtoIPv6, idIPv6, b[:min(len(b), 40+int(v.PLen))])
	end := 40 + int(v.PLen)
	reported := int(v.PLen)
	if n, ok := jumboLen(b); ok {
		end, reported = 40+n, n
	}
	end = min(end, len(b)+max(0, p.Len-len(p.Frame))) // as for IPv4 (ipv4Length)
	reported = min(reported, end-40)
	cut := end > len(b)
	if cut {
		end = len(b)
		p.payloadCut()
	}
	payload := b[40:end]
	// Hop-by-hop, routing and destination options headers.
	payload, reported, next, ok := p.ipv6Ext(v.Next, payload, reported)
	if !ok {
		v.Proto = next
		return
	}
	if next == 44 && len(payload) < 8 && p.snapCut() {
		v.Proto = next
		p.push(0, idIPv6Frag, nil)
		p.cutIn("IPv6 Fragment")
		return
	}
	if next == 44 && len(payload) >= 8 {
		// Fragment header.
		p.push(0, idIPv6Frag, payload)
		v.HasFrag = true
		next = payload[0]
		fo := binary.BigEndian.Uint16(payload[2:])
		v.FragOff = fo &^ 7
		v.More = fo&1 != 0
		v.Ident = binary.BigEndian.Uint32(payload[4:])
		payload = payload[8:]
		reported -= 8
		if v.FragOff != 0 || v.More {
			v.Proto = next
			if p.inError || cut {
				v.Fragmented = true
				p.setData(payload)
				return
			}
			k := fragKey{src: v.Src, dst: v.Dst, id: v.Ident, proto: next, v6: true}
			whole, _, done := d.frags.add(p.Number, k, int(v.FragOff), v.More, payload)
			if !done {
				v.Fragmented = true
				p.setData(payload)
				return
			}
			v.Reassembled = true
			v.Fragments = d.frags.m[k].pieces
			v.ReassembledData = whole
			payload = whole
			reported = len(whole)
		}
	}
	v.Proto = next
	d.transport(p, next, payload, reported, v.Src[:], v.Dst[:])
}

// transport decodes the IP payload b (reported is its length on the wire).
func (d *Dissector) transport(p *Packet, proto uint8, b []byte, reported int, src, dst []byte) {
	switch proto {
	case 6:
		d.tcpDecode(p, b, reported, src, dst)
	case 17:
		d.udpDecode(p, b, reported, src, dst)
	case 1:
		if p.Has(ProtoIP) {
			icmp(p, b)
			if c := &p.ICMP; c.Type == 3 || c.Type == 4 || c.Type == 5 || c.Type == 11 || c.Type == 12 {
				d.quoted(p, b, false)
			}
			d.matchEcho(p, src, dst)
		} else {
			p.setData(b)
		}
	case 58:
		icmpv6(p, b)
		if c := &p.ICMPv6; c.Type >= 1 && c.Type <= 4 {
			d.quoted(p, b, true)
		}
		d.matchEcho(p, src, dst)
	case 4, 41, 47:
		if p.depth >= maxTunnelDepth {
			break
		}
		if proto == 47 {
			d.gre(p, b, reported)
		} else {
			d.ipInIP(p, b, proto == 41)
		}
	default:
		if !ipDissected[proto] {
			p.setData(b)
		}
	}
}

// quoted decodes the packet an ICMP error message b quotes after its
// 8-byte header into p.Inner.
func (d *Dissector) quoted(p *Packet, b []byte, v6 bool) {
	if p.inError || len(b) <= 8 {
		return
	}
	q := &Packet{Number: p.Number, Time: p.Time, Len: p.Len, Link: p.Link, Frame: p.Frame, inError: true}
	if v6 {
		d.ipv6(q, b[8:])
	} else {
		d.ipv4(q, b[8:])
	}
	p.Inner = q
	p.quotedCut(q, v6)
	for i := 0; i < q.nstk && p.nstk < len(p.stack); i++ {
		p.stack[p.nstk] = q.stack[i]
		p.nstk++
	}
}

func (d *Dissector) udpDecode(p *Packet, b []byte, reported int, src, dst []byte) {
	if len(b) < 8 {
		p.Malformed = true
		if p.snapCut() {
			// tshark lists the protocol, but has no udp item.
			p.push(0, idUDP, nil)
			p.cutIn("UDP")
		}
		return
	}
	u := &p.UDP
	u.SrcPort = binary.BigEndian.Uint16(b)
	u.DstPort = binary.BigEndian.Uint16(b[2:])
	u.Length = binary.BigEndian.Uint16(b[4:])
	u.Checksum = binary.BigEndian.Uint16(b[6:])
	p.push(ProtoUDP, idUDP, b[:min(len(b), max(8, int(u.Length)))])
	key, _ := makeConvKey(src, dst, u.SrcPort, u.DstPort)
	id, ok := d.udp[key]
	if !ok {
		id = uint32(len(d.udp))
		d.udp[key] = id
	}
	u.Stream = id
	if !p.inError {
		for int(id) >= len(d.udpTimes) {
			d.udpTimes = append(d.udpTimes, [2]int64{p.Time, p.Time})
		}
		tm := &d.udpTimes[id]
		u.TimeFirst, u.TimePrev = p.Time-tm[0], p.Time-tm[1]
		tm[1] = p.Time
	}
	end, ok := p.udpLength(len(src) == 16, reported, len(b))
	if !ok {
		return
	}
	u.Payload = b[8:min(end, len(b))]
	if len(u.Payload) == 0 {
		return
	}
	if !d.udpTunnel(p, u.Payload) && !d.udpDNS(p, u.Payload) {
		p.portData(udpDissectorPorts, u.SrcPort, u.DstPort, u.Payload)
	}
}

func arp(p *Packet, b []byte) {
	if len(b) < 8 {
		p.Malformed = true
		p.headerCut("ARP/RARP")
		return
	}
	a := &p.ARP
	a.HwType = binary.BigEndian.Uint16(b)
	a.ProtoType = binary.BigEndian.Uint16(b[2:])
	a.HwSize = b[4]
	a.ProtoSize = b[5]
	a.Opcode = binary.BigEndian.Uint16(b[6:])
	p.push(ProtoARP, idARP, b)
	hs, ps := int(a.HwSize), int(a.ProtoSize)
	if len(b) < 8+2*hs+2*ps {
		p.Malformed = true
		p.arpShort = true
		p.headerCut("ARP/RARP")
		p.truncated = true
		return
	}
	o := 8
	a.SrcHw = b[o : o+hs]
	o += hs
	a.SrcProto = b[o : o+ps]
	o += ps
	a.DstHw = b[o : o+hs]
	o += hs
	a.DstProto = b[o : o+ps]
}

func icmp(p *Packet, b []byte) {
	if len(b) < 4 {
		p.Malformed = true
		p.icmpCut(ProtoICMP, idICMP, "ICMP", b)
		return
	}
	c := &p.ICMP
	c.Type, c.Code = b[0], b[1]
	c.Checksum = binary.BigEndian.Uint16(b[2:])
	p.push(ProtoICMP, idICMP, b)
	if (c.Type == 0 || c.Type == 8) && len(b) >= 8 {
		c.Echo = true
		c.Ident = binary.BigEndian.Uint16(b[4:])
		c.Seq = binary.BigEndian.Uint16(b[6:])
		p.setData(b[8:])
	}
}

func icmpv6(p *Packet, b []byte) {
	if len(b) < 4 {
		p.Malformed = true
		p.icmpCut(ProtoICMPv6, idICMPv6, "ICMPv6", b)
		return
	}
	c := &p.ICMPv6
	c.Type, c.Code = b[0], b[1]
	c.Checksum = binary.BigEndian.Uint16(b[2:])
	p.push(ProtoICMPv6, idICMPv6, b)
	if (c.Type == 128 || c.Type == 129) && len(b) >= 8 {
		c.Echo = true
		c.Ident = binary.BigEndian.Uint16(b[4:])
		c.Seq = binary.BigEndian.Uint16(b[6:])
		p.setData(b[8:])
	}
}

// matchEcho pairs echo replies with earlier requests (Wireshark's
// "request in N"; in one pass a request cannot name its later reply).
func (d *Dissector) matchEcho(p *Packet, src, dst []byte) {
	if p.inError {
		return
	}
	var typ uint8
	var ident, seq uint16
	var v6 bool
	switch {
	case p.Has(ProtoICMP) && p.ICMP.Echo:
		typ, ident, seq = p.ICMP.Type, p.ICMP.Ident, p.ICMP.Seq
	case p.Has(ProtoICMPv6) && p.ICMPv6.Echo:
		typ, ident, seq, v6 = p.ICMPv6.Type, p.ICMPv6.Ident, p.ICMPv6.Seq, true
	default:
		return
	}
	k := echoKey{ident: ident, seq: seq, v6: v6}
	switch typ {
	case 8, 128:
		copy(k.src[:], src)
		copy(k.dst[:], dst)
		d.echo[k] = [2]int64{int64(p.Number), p.Time}
	case 0, 129:
		copy(k.src[:], dst)
		copy(k.dst[:], src)
		if r, ok := d.echo[k]; ok {
			if v6 {
				p.ICMPv6.RequestIn, p.ICMPv6.RequestTime = int(r[0]), r[1]
			} else {
				p.ICMP.RequestIn, p.ICMP.RequestTime = int(r[0]), r[1]
			}
		}
	}
}
