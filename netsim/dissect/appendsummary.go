package dissect

import (
	"encoding/hex"
	"math"
	"net/netip"
	"strconv"
	"unicode/utf8"

	"netsim.dev/netsim/pcapread"
)

// The summary line without allocations. [Summary] is the reference: it
// builds the line from strings and covers every frame. [AppendSummary]
// writes the same bytes into a caller's buffer; it formats the common
// frames itself (ARP requests and replies, TCP and UDP over IPv4 or IPv6
// with nothing unusual about them) and hands every other frame to
// [Summary]. Which frames it formats itself is decided by fastSummary
// from the packet's whole protocol stack, so that a frame any dissector
// decodes further (tunnels, application protocols, quoted packets) or
// marks (cut short, malformed, reassembled) takes the reference path.
// TestAppendSummaryMatchesSummary checks the two agree on every capture
// in the repository.

// AppendSummary appends the packet's summary line, [Summary] (without a
// newline), to dst and returns the extended buffer. For the common frames
// it allocates nothing.
func AppendSummary(dst []byte, p *Packet) []byte {
	if p.TimeRel == math.MinInt64 || p.Precision < 0 {
		return append(dst, Summary(p)...)
	}
	fast := p.fastSummary()
	var scratch [64]byte
	dst = appendPadInt(dst, int64(p.Number), 5)
	dst = append(dst, ' ')
	dst = appendPadLeft(dst, appendTime(scratch[:0], p.TimeRel, p.Precision), 10)
	dst = append(dst, ' ')
	if fast {
		dst = appendPadLeft(dst, p.appendAddr(scratch[:0], true), 12)
		dst = append(dst, " → "...)
		dst = appendPadRight(dst, p.appendAddr(scratch[:0], false), 12)
	} else {
		src, dest := p.Addresses()
		dst = appendPadLeft(dst, append(scratch[:0], src...), 12)
		dst = append(dst, " → "...)
		dst = appendPadRight(dst, append(scratch[:0], dest...), 12)
	}
	dst = append(dst, ' ')
	dst = append(dst, p.Protocol()...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(p.Len), 10)
	dst = append(dst, ' ')
	switch {
	case !fast:
		return append(dst, p.Info()...)
	case p.Has(ProtoTCP):
		return p.appendTCPInfo(dst)
	case p.Has(ProtoUDP):
		u := &p.UDP
		dst = strconv.AppendUint(dst, uint64(u.SrcPort), 10)
		dst = append(dst, " → "...)
		dst = strconv.AppendUint(dst, uint64(u.DstPort), 10)
		dst = append(dst, " Len="...)
		return strconv.AppendInt(dst, int64(u.Length)-8, 10)
	}
	return p.appendARPInfo(dst)
}

// fastUpper are the protocol stacks (Packet.stack) above the link layer
// that fastSummary accepts.
var fastUpper = [...][]byte{
	{idARP},
	{idIP, idTCP},
	{idIP, idTCP, idData},
	{idIP, idUDP},
	{idIP, idUDP, idData},
	{idIPv6, idTCP},
	{idIPv6, idTCP, idData},
	{idIPv6, idUDP},
	{idIPv6, idUDP, idData},
}

// fastSummary reports whether AppendSummary formats p itself: a whole,
// well-formed frame whose protocol stack is one of the common ones, with
// no application layer, no tunnel, nothing cut short or reassembled.
func (p *Packet) fastSummary() bool {
	if p.truncated || p.Malformed || p.cutProto != "" || p.Inner != nil || p.inError ||
		p.DNS != nil || len(p.HTTP) != 0 || p.TLS != nil || p.Reassembled != nil ||
		p.badNet != 0 || p.nvlan != 0 || p.ext6.n != 0 || p.ext6.dst != nil || p.ext6.bad != 0 ||
		len(p.Frame) != p.Len {
		return false
	}
	var link []byte
	switch p.Link {
	case pcapread.LinkEthernet:
		link = []byte{idEth, idEthertype}
	case pcapread.LinkSLL, pcapread.LinkSLL2:
		link = []byte{idSLL, idEthertype}
	case pcapread.LinkNull, pcapread.LinkLoop:
		link = []byte{idNull}
	case pcapread.LinkRaw, pcapread.LinkRaw12, pcapread.LinkRaw14:
		link = []byte{idRaw}
	case pcapread.LinkIPv4, pcapread.LinkIPv6:
	default:
		return false
	}
	stk := p.stack[:p.nstk]
	if len(stk) < len(link) || string(stk[:len(link)]) != string(link) {
		return false
	}
	rest := stk[len(link):]
	known := false
	for _, u := range fastUpper {
		if string(rest) == string(u) {
			known = true
			break
		}
	}
	if !known {
		return false
	}
	var ipPayload int
	switch {
	case p.Has(ProtoIP):
		ip := &p.IP
		if ip.hdrCut || ip.Fragmented || ip.Reassembled || ip.Flags&1 != 0 || ip.FragOff != 0 || ip.Len < uint16(ip.HdrLen) {
			return false
		}
		if len(p.raw[idIP]) != int(ip.Len) {
			return false
		}
		ipPayload = int(ip.Len) - int(ip.HdrLen)
	case p.Has(ProtoIPv6):
		v := &p.IPv6
		if v.hdrCut || v.HasFrag || v.Fragmented || v.Reassembled || v.Next != v.Proto {
			return false
		}
		if len(p.raw[idIPv6]) != 40+int(v.PLen) {
			return false
		}
		ipPayload = int(v.PLen)
	}
	switch {
	case p.Has(ProtoTCP):
		t := &p.TCP
		if t.Short || t.BadHdr || t.cut != 0 || t.Quoted || t.SegmentOfPDU || int(t.HdrLen)+int(t.Len) != ipPayload {
			return false
		}
	case p.Has(ProtoUDP):
		u := &p.UDP
		if int(u.Length) != ipPayload || int(u.Length) != 8+len(u.Payload) {
			return false
		}
	case p.Has(ProtoARP):
		if p.arpShort || (p.arpDup != nil && len(p.arpDup) != 4) {
			return false
		}
	default:
		return false
	}
	return true
}

// appendAddr appends the Source (src set) or Destination column of a
// packet fastSummary accepts.
func (p *Packet) appendAddr(b []byte, src bool) []byte {
	switch {
	case p.Has(ProtoIP):
		a := p.IP.Dst
		if src {
			a = p.IP.Src
		}
		return appendIPv4(b, a)
	case p.Has(ProtoIPv6):
		a := p.IPv6.Dst
		if src {
			a = p.IPv6.Src
		}
		return netip.AddrFrom16(a).AppendTo(b)
	case p.Has(ProtoEth):
		a := p.Eth.Dst[:]
		if src {
			a = p.Eth.Src[:]
		}
		if n := p.names; n != nil && !n.raw {
			return append(b, n.Name(a)...)
		}
		return appendMAC(b, a)
	}
	return b
}

// appendIPv4 appends a dotted IPv4 address.
func appendIPv4(b []byte, a [4]byte) []byte {
	for i, c := range a {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, uint64(c), 10)
	}
	return b
}

// appendTime appends ns as seconds with prec decimal digits, as
// timeString does (ns is not math.MinInt64).
func appendTime(b []byte, ns int64, prec int) []byte {
	if ns < 0 {
		b = append(b, '-')
		ns = -ns
	}
	sec, frac := ns/1e9, ns%1e9
	b = strconv.AppendInt(b, sec, 10)
	if prec == 0 {
		return b
	}
	for i := prec; i < 9; i++ {
		frac /= 10
	}
	b = append(b, '.')
	return appendZeroPad(b, uint64(frac), prec)
}

// appendZeroPad appends v in decimal with leading zeros to width digits.
func appendZeroPad(b []byte, v uint64, width int) []byte {
	var d [20]byte
	s := strconv.AppendUint(d[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendPadInt appends v right-aligned in width columns (fmt's %*d).
func appendPadInt(b []byte, v int64, width int) []byte {
	var d [20]byte
	return appendPadLeft(b, strconv.AppendInt(d[:0], v, 10), width)
}

// appendPadLeft appends s right-aligned in width columns, counted in
// runes as fmt's %*s counts them.
func appendPadLeft(b, s []byte, width int) []byte {
	for n := utf8.RuneCount(s); n < width; n++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

// appendPadRight appends s left-aligned in width columns (fmt's %-*s).
func appendPadRight(b, s []byte, width int) []byte {
	b = append(b, s...)
	for n := utf8.RuneCount(s); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// tcpInfoPrefixes are the analysis flags' Info prefixes, in the order
// tcpInfo writes them: the reverse of Wireshark's order of adding them.
// The duplicate ACK's comes between the zero-window ones and the rest.
var (
	tcpInfoPrefixesFirst = [...]struct {
		m uint32
		s string
	}{
		{TCPZeroWindowProbeAck, "[TCP ZeroWindowProbeAck] "},
		{TCPZeroWindow, "[TCP ZeroWindow] "},
		{TCPZeroWindowProbe, "[TCP ZeroWindowProbe] "},
	}
	tcpInfoPrefixesLast = [...]struct {
		m uint32
		s string
	}{
		{TCPKeepAliveAck, "[TCP Keep-Alive ACK] "},
		{TCPKeepAlive, "[TCP Keep-Alive] "},
		{TCPWindowFull, "[TCP Window Full] "},
		{TCPWindowUpdate, "[TCP Window Update] "},
		{TCPAckLostPacket, "[TCP ACKed unseen segment] "},
		{TCPLostPacket, "[TCP Previous segment not captured] "},
		{TCPOutOfOrder, "[TCP Out-Of-Order] "},
		{TCPSpuriousRetransmission, "[TCP Spurious Retransmission] "},
		{TCPFastRetransmission, "[TCP Fast Retransmission] "},
		{TCPRetransmission, "[TCP Retransmission] "},
		{TCPReusedPorts, "[TCP Port numbers reused] "},
	}
)

// appendTCPInfo appends tcpInfo's text for a header fastSummary accepts
// (whole, not short, not bad).
func (p *Packet) appendTCPInfo(b []byte) []byte {
	t := &p.TCP
	a := t.Analysis
	for _, x := range tcpInfoPrefixesFirst {
		if a&x.m != 0 {
			b = append(b, x.s...)
		}
	}
	if a&TCPDuplicateAck != 0 && t.DupAckNum != 0 {
		b = append(b, "[TCP Dup ACK "...)
		b = strconv.AppendUint(b, uint64(t.DupAckFrame), 10)
		b = append(b, '#')
		b = strconv.AppendUint(b, uint64(t.DupAckNum), 10)
		b = append(b, "] "...)
	}
	for _, x := range tcpInfoPrefixesLast {
		if a&x.m != 0 {
			b = append(b, x.s...)
		}
	}
	b = strconv.AppendUint(b, uint64(t.SrcPort), 10)
	b = append(b, " → "...)
	b = strconv.AppendUint(b, uint64(t.DstPort), 10)
	b = append(b, " ["...)
	b = appendFlagList(b, t.Flags)
	b = append(b, "] Seq="...)
	b = strconv.AppendUint(b, uint64(t.Seq), 10)
	if t.Flags&thACK != 0 {
		b = append(b, " Ack="...)
		b = strconv.AppendUint(b, uint64(t.Ack), 10)
	}
	b = append(b, " Win="...)
	b = strconv.AppendUint(b, uint64(t.WinSize), 10)
	if t.Flags&thURG != 0 {
		b = append(b, " Urg="...)
		b = strconv.AppendUint(b, uint64(t.Urgent), 10)
	}
	b = append(b, " Len="...)
	b = strconv.AppendUint(b, uint64(t.Len), 10)
	eachOption(t.Options, func(o tcpOption) {
		d := o.data
		switch {
		case o.kind == 2 && len(d) == 2:
			b = append(b, " MSS="...)
			b = strconv.AppendUint(b, uint64(uint16(d[0])<<8|uint16(d[1])), 10)
		case o.kind == 3 && len(d) == 1:
			b = append(b, " WS="...)
			b = strconv.AppendInt(b, 1<<min(d[0], 14), 10)
		case o.kind == 4 && len(d) == 0:
			b = append(b, " SACK_PERM"...)
		case o.kind == 8 && len(d) == 8:
			b = append(b, " TSval="...)
			b = strconv.AppendUint(b, uint64(be32(d)), 10)
			b = append(b, " TSecr="...)
			b = strconv.AppendUint(b, uint64(be32(d[4:])), 10)
		case o.kind == 5 && len(d)%8 == 0:
			for i := 0; i+8 <= len(d); i += 8 {
				b = append(b, " SLE="...)
				b = strconv.AppendUint(b, uint64(be32(d[i:])-p.sackBase()), 10)
				b = append(b, " SRE="...)
				b = strconv.AppendUint(b, uint64(be32(d[i+4:])-p.sackBase()), 10)
			}
		}
	})
	return b
}

// appendFlagList appends flagList(f).
func appendFlagList(b []byte, f uint16) []byte {
	start := len(b)
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			if len(b) > start {
				b = append(b, ", "...)
			}
			b = append(b, n...)
		}
	}
	if f&0xe00 != 0 {
		if len(b) > start {
			b = append(b, ", "...)
		}
		b = append(b, "Reserved"...)
	}
	if len(b) == start {
		b = append(b, "<None>"...)
	}
	return b
}

// appendARPInfo appends arpInfo's text for an ARP packet that is not cut
// short (fastSummary's ARP packets).
func (p *Packet) appendARPInfo(b []byte) []byte {
	a := &p.ARP
	zeroHw := len(a.DstHw) > 0 && allZero(a.DstHw)
	same := string(a.SrcProto) == string(a.DstProto)
	switch {
	case a.Opcode == 1 && allZero(a.SrcProto) && zeroHw:
		b = append(b, "Who has "...)
		b = appendARPProto(b, a, a.DstProto)
		b = append(b, "? (ARP Probe)"...)
	case a.Opcode == 1 && same && zeroHw:
		b = append(b, "ARP Announcement for "...)
		b = appendARPProto(b, a, a.SrcProto)
	case (a.Opcode == 1 || a.Opcode == 2) && same:
		b = append(b, "Gratuitous ARP for "...)
		b = appendARPProto(b, a, a.SrcProto)
		if a.Opcode == 1 {
			b = append(b, " (Request)"...)
		} else {
			b = append(b, " (Reply)"...)
		}
	case a.Opcode == 1:
		b = append(b, "Who has "...)
		b = appendARPProto(b, a, a.DstProto)
		b = append(b, "? Tell "...)
		b = appendARPProto(b, a, a.SrcProto)
	case a.Opcode == 2:
		b = appendARPProto(b, a, a.SrcProto)
		b = append(b, " is at "...)
		b = appendARPHw(b, a, a.SrcHw)
	case a.Opcode == 0 || a.Opcode == 65535:
		b = append(b, "Reserved opcode "...)
		b = strconv.AppendUint(b, uint64(a.Opcode), 10)
	case a.Opcode == 3 || a.Opcode == 5 || a.Opcode == 8:
		b = append(b, "Who is "...)
		b = appendARPHw(b, a, a.DstHw)
		b = append(b, "? Tell "...)
		b = appendARPHw(b, a, a.SrcHw)
	case a.Opcode == 4 || a.Opcode == 6:
		b = appendARPHw(b, a, a.DstHw)
		b = append(b, " is at "...)
		b = appendARPProto(b, a, a.DstProto)
	case a.Opcode == 9:
		b = appendARPHw(b, a, a.SrcHw)
		b = append(b, " is at "...)
		b = appendARPProto(b, a, a.SrcProto)
	case a.Opcode == 7:
		b = append(b, "DRARP Error"...)
	case a.Opcode == 10:
		b = append(b, "ARP NAK"...)
	case a.Opcode == 24 || a.Opcode == 25:
		b = append(b, "Experimental "...)
		b = strconv.AppendInt(b, int64(a.Opcode)-23, 10)
		b = append(b, " ( opcode "...)
		b = strconv.AppendUint(b, uint64(a.Opcode), 10)
		b = append(b, " )"...)
	default:
		b = append(b, "Unknown ARP opcode 0x"...)
		b = appendZeroPadHex(b, uint64(a.Opcode), 4)
	}
	if p.arpDup != nil {
		b = append(b, " (duplicate use of "...)
		b = appendIPv4(b, [4]byte(p.arpDup))
		b = append(b, " detected!)"...)
	}
	return b
}

// appendARPProto appends arpProtoAddr(a, addr).
func appendARPProto(b []byte, a *ARP, addr []byte) []byte {
	switch {
	case len(addr) == 4 && (a.ProtoType == 0x0800 || a.ProtoType == 0xcc):
		return appendIPv4(b, [4]byte(addr))
	case len(addr) == 16 && a.ProtoType == 0x86dd:
		return netip.AddrFrom16([16]byte(addr)).AppendTo(b)
	}
	return hex.AppendEncode(b, addr)
}

// appendARPHw appends arpHwAddr(a, addr).
func appendARPHw(b []byte, a *ARP, addr []byte) []byte {
	if len(addr) == 6 && (a.HwType == 1 || a.HwType == 6) {
		return appendMAC(b, addr)
	}
	return hex.AppendEncode(b, addr)
}

// appendZeroPadHex appends v in lower-case hex with leading zeros to
// width digits.
func appendZeroPadHex(b []byte, v uint64, width int) []byte {
	var d [16]byte
	s := strconv.AppendUint(d[:0], v, 16)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendMAC appends macString(m).
func appendMAC(b, m []byte) []byte {
	const digits = "0123456789abcdef"
	for i, c := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return b
}
