package dissect

import (
	"encoding/hex"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"sync"
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
	if n := int64(p.Number); n >= 0 {
		dst = appendSpaces(dst, 5-decLen(uint64(n)))
		dst = appendDec(dst, uint64(n))
	} else {
		dst = appendPadInt(dst, n, 5)
	}
	dst = append(dst, ' ')
	// The time, its width known beforehand: no copy.
	t := p.TimeRel
	tw := p.Precision
	if tw > 0 {
		tw++ // the point
	}
	if t < 0 {
		tw += 1 + decLen(uint64(-t)/1e9)
	} else {
		tw += decLen(uint64(t) / 1e9)
	}
	dst = appendSpaces(dst, 10-tw)
	dst = appendTime(dst, t, p.Precision)
	dst = append(dst, ' ')
	if fast {
		a, ascii := p.appendAddr(scratch[:0], true)
		if ascii {
			dst = appendPadLeftASCII(dst, a, 12)
		} else {
			dst = appendPadLeft(dst, a, 12)
		}
		dst = append(dst, " → "...)
		a, ascii = p.appendAddr(scratch[:0], false)
		if ascii {
			dst = appendPadRightASCII(dst, a, 12)
		} else {
			dst = appendPadRight(dst, a, 12)
		}
	} else {
		src, dest := p.Addresses()
		dst = appendPadLeft(dst, append(scratch[:0], src...), 12)
		dst = append(dst, " → "...)
		dst = appendPadRight(dst, append(scratch[:0], dest...), 12)
	}
	dst = append(dst, ' ')
	switch {
	case !fast:
		dst = append(dst, p.Protocol()...)
	case p.DNS != nil:
		dst = append(dst, dnsProtocol(p.DNS)...)
	case len(p.HTTP) != 0:
		dst = append(dst, httpProtocol(p)...)
	case p.Has(ProtoTCP):
		dst = append(dst, "TCP"...)
	case p.Has(ProtoUDP):
		dst = append(dst, "UDP"...)
	default:
		dst = append(dst, arpProtocol(p)...)
	}
	dst = append(dst, ' ')
	dst = appendDecInt(dst, int64(p.Len))
	dst = append(dst, ' ')
	switch {
	case !fast:
		return append(dst, p.Info()...)
	case p.DNS != nil:
		return append(dst, p.DNS.Info...)
	case len(p.HTTP) != 0:
		return appendHTTPInfo(dst, p.HTTP[0])
	case p.Has(ProtoTCP):
		return p.appendTCPInfo(dst)
	case p.Has(ProtoUDP):
		u := &p.UDP
		dst = appendDec(dst, uint64(u.SrcPort))
		dst = append(dst, " → "...)
		dst = appendDec(dst, uint64(u.DstPort))
		dst = append(dst, " Len="...)
		return appendDecInt(dst, int64(u.Length)-8)
	}
	return p.appendARPInfo(dst)
}

// fastUpper reports whether sig, the protocol stack (Packet.stack) above
// the link layer packed a byte an id, is one fastSummary accepts: ARP, or
// IPv4 or IPv6 then TCP or UDP, then nothing, data, or the application
// layer p decoded (a DNS message; one HTTP message and its body's media
// layer).
func (p *Packet) fastUpper(sig uint64, n int) bool {
	if sig == uint64(idARP) {
		return true
	}
	if n < 2 || n > 4 {
		return false
	}
	net := byte(sig >> (8 * (n - 1)))
	tr := byte(sig >> (8 * (n - 2)))
	if (net != idIP && net != idIPv6) || (tr != idTCP && tr != idUDP) {
		return false
	}
	rest, nrest := sig&(1<<(8*(n-2))-1), n-2
	switch {
	case p.DNS != nil:
		return nrest == 1 && (rest == uint64(idDNS) || rest == uint64(idMDNS) || rest == uint64(idLLMNR))
	case len(p.HTTP) != 0:
		if len(p.HTTP) != 1 || tr != idTCP || nrest == 0 || byte(rest>>(8*(nrest-1))) != idHTTP {
			return false
		}
		if nrest == 2 {
			switch byte(rest & 0xff) {
			case idXML, idJSON, idTextLines, idMedia:
				return true
			}
			return false
		}
		return nrest == 1
	}
	return nrest == 0 || (nrest == 1 && rest == uint64(idData))
}

// fastSummary reports whether AppendSummary formats p itself: a whole,
// well-formed frame whose protocol stack is one of the common ones, with
// no tunnel, nothing cut short, and, unless it carries a DNS or HTTP
// message (whose Info takes precedence), nothing reassembled.
func (p *Packet) fastSummary() bool {
	if p.truncated || p.Malformed || p.cutProto != "" || p.Inner != nil || p.inError ||
		p.TLS != nil || p.Encap != nil || p.Tunnel != nil || p.TCP.reassemblyErr ||
		p.badNet != 0 || p.nvlan != 0 || len(p.l2tags) != 0 || p.ext6.n != 0 || p.ext6.dst != nil || p.ext6.bad != 0 ||
		len(p.Frame) != p.Len {
		return false
	}
	app := p.DNS != nil || len(p.HTTP) != 0
	if (!app && p.Reassembled != nil) || (p.DNS != nil && (p.DNS.Malformed || len(p.HTTP) != 0)) {
		return false
	}
	var link uint64 // the link layer's ids, packed as for fastUpper
	nlink := 0
	switch p.Link {
	case pcapread.LinkEthernet:
		link, nlink = uint64(idEth)<<8|uint64(idEthertype), 2
	case pcapread.LinkSLL, pcapread.LinkSLL2:
		link, nlink = uint64(idSLL)<<8|uint64(idEthertype), 2
	case pcapread.LinkNull, pcapread.LinkLoop:
		link, nlink = uint64(idNull), 1
	case pcapread.LinkRaw, pcapread.LinkRaw12, pcapread.LinkRaw14:
		link, nlink = uint64(idRaw), 1
	case pcapread.LinkIPv4, pcapread.LinkIPv6:
	default:
		return false
	}
	if p.nstk <= nlink || p.nstk > nlink+4 {
		return false
	}
	var sig uint64
	for i, id := range p.stack[:p.nstk] {
		if i == nlink {
			if sig != link {
				return false
			}
			sig = 0
		}
		sig = sig<<8 | uint64(id)
	}
	if !p.fastUpper(sig, p.nstk-nlink) {
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
		if t.Short || t.BadHdr || t.cut != 0 || t.Quoted || (t.SegmentOfPDU && !app) || int(t.HdrLen)+int(t.Len) != ipPayload {
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
// packet fastSummary accepts, and reports whether it is all ASCII (not a
// MAC name, which might not be).
func (p *Packet) appendAddr(b []byte, src bool) ([]byte, bool) {
	switch {
	case p.Has(ProtoIP):
		a := p.IP.Dst
		if src {
			a = p.IP.Src
		}
		return appendIPv4(b, a), true
	case p.Has(ProtoIPv6):
		a := p.IPv6.Dst
		if src {
			a = p.IPv6.Src
		}
		return netip.AddrFrom16(a).AppendTo(b), true
	case p.Has(ProtoEth):
		a := p.Eth.Dst[:]
		if src {
			a = p.Eth.Src[:]
		}
		if n := p.names; n != nil && !n.raw {
			return append(b, n.Name(a)...), false
		}
		return appendMAC(b, a), true
	case src && p.Has(ProtoSLL) && p.SLL.HaType == 1 && p.SLL.AddrLen == 6:
		// The cooked header's Ethernet source (ownAddresses).
		if n := p.names; n != nil && !n.raw {
			return append(b, n.Name(p.SLL.Addr[:6])...), false
		}
		return appendMAC(b, p.SLL.Addr[:6]), true
	}
	return b, true
}

// appendIPv4 appends a dotted IPv4 address.
func appendIPv4(b []byte, a [4]byte) []byte {
	for i, c := range a {
		if i > 0 {
			b = append(b, '.')
		}
		switch {
		case c >= 100:
			b = append(b, '0'+c/100, '0'+c/10%10, '0'+c%10)
		case c >= 10:
			b = append(b, '0'+c/10, '0'+c%10)
		default:
			b = append(b, '0'+c)
		}
	}
	return b
}

// appendDec appends v in decimal (strconv.AppendUint's text).
func appendDec(b []byte, v uint64) []byte {
	switch {
	case v < 10:
		return append(b, byte('0'+v))
	case v < 100:
		return append(b, digitPairs[v*2], digitPairs[v*2+1])
	case v < 1000:
		q := v / 100
		r := (v - q*100) * 2
		return append(b, byte('0'+q), digitPairs[r], digitPairs[r+1])
	case v < 10000:
		hi, lo := v/100*2, v%100*2
		return append(b, digitPairs[hi], digitPairs[hi+1], digitPairs[lo], digitPairs[lo+1])
	}
	return appendDigits(b, v, decLen(v))
}

// decLen is the number of decimal digits of v.
func decLen(v uint64) int {
	n := 1
	for ; v >= 10000; v /= 10000 {
		n += 4
	}
	switch {
	case v >= 1000:
		return n + 3
	case v >= 100:
		return n + 2
	case v >= 10:
		return n + 1
	}
	return n
}

// appendDigits appends the last n decimal digits of v, with leading
// zeros, written from the last backwards into the buffer's spare room.
func appendDigits(b []byte, v uint64, n int) []byte {
	l := len(b)
	if cap(b)-l < n {
		b = slices.Grow(b, n)
	}
	b = b[:l+n]
	d := b[l:]
	for v >= 1<<32 && len(d) >= 2 {
		r := v % 100 * 2
		v /= 100
		d[len(d)-1], d[len(d)-2] = digitPairs[r+1], digitPairs[r]
		d = d[:len(d)-2]
	}
	if v >= 1<<32 { // len(d) < 2
		if len(d) == 1 {
			d[0] = byte('0' + v%10)
		}
		return b
	}
	w := uint32(v)
	for len(d) >= 4 { // four digits a step: half the divisions' loop
		q := w / 10000
		r := w - q*10000
		w = q
		hi, lo := r/100*2, r%100*2
		d[len(d)-1], d[len(d)-2] = digitPairs[lo+1], digitPairs[lo]
		d[len(d)-3], d[len(d)-4] = digitPairs[hi+1], digitPairs[hi]
		d = d[:len(d)-4]
	}
	if len(d) >= 2 {
		r := w % 100 * 2
		w /= 100
		d[len(d)-1], d[len(d)-2] = digitPairs[r+1], digitPairs[r]
		d = d[:len(d)-2]
	}
	if len(d) == 1 {
		d[0] = byte('0' + w%10)
	}
	return b
}

// digitPairs are the two-digit numbers 00 to 99.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// appendDecInt appends v in decimal.
func appendDecInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendDec(append(b, '-'), uint64(-v)) // -MinInt64 as uint64 is right
	}
	return appendDec(b, uint64(v))
}

// appendTime appends ns as seconds with prec decimal digits, as
// timeString does (ns is not math.MinInt64).
func appendTime(b []byte, ns int64, prec int) []byte {
	if ns < 0 {
		b = append(b, '-')
		ns = -ns
	}
	sec, frac := ns/1e9, ns%1e9
	b = appendDec(b, uint64(sec))
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
	return appendDigits(b, v, max(width, decLen(v)))
}

// appendPadInt appends v right-aligned in width columns (fmt's %*d).
func appendPadInt(b []byte, v int64, width int) []byte {
	var d [20]byte
	return appendPadLeftASCII(b, appendDecInt(d[:0], v), width)
}

// appendPadLeftASCII is appendPadLeft for ASCII s.
func appendPadLeftASCII(b, s []byte, width int) []byte {
	return append(appendSpaces(b, width-len(s)), s...)
}

// appendPadRightASCII is appendPadRight for ASCII s.
func appendPadRightASCII(b, s []byte, width int) []byte {
	return appendSpaces(append(b, s...), width-len(s))
}

// appendSpaces appends n spaces (none for n <= 0).
func appendSpaces(b []byte, n int) []byte {
	const sp = "                "
	for n > len(sp) {
		b = append(b, sp...)
		n -= len(sp)
	}
	if n > 0 {
		b = append(b, sp[:n]...)
	}
	return b
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
	if a := t.Analysis; a != 0 {
		b = appendTCPPrefixes(b, t, a)
	}
	b = appendDec(b, uint64(t.SrcPort))
	b = append(b, " → "...)
	b = appendDec(b, uint64(t.DstPort))
	b = append(b, " ["...)
	if t.ace {
		b = append(b, tcpFlagsInfo(t)...) // AccECN's counter: rare
	} else {
		b = appendFlagList(b, t.Flags)
	}
	b = append(b, "] Seq="...)
	b = appendDec(b, uint64(t.Seq))
	if t.Flags&thACK != 0 {
		b = append(b, " Ack="...)
		b = appendDec(b, uint64(t.Ack))
	}
	b = append(b, " Win="...)
	b = appendDec(b, uint64(t.WinSize))
	if t.Flags&thURG != 0 {
		b = append(b, " Urg="...)
		b = appendDec(b, uint64(t.Urgent))
	}
	b = append(b, " Len="...)
	b = appendDec(b, uint64(t.Len))
	return p.appendTCPOptions(b, t.Options)
}

// appendTCPPrefixes appends the analysis flags' prefixes of tcpInfo for
// the flags a.
func appendTCPPrefixes(b []byte, t *TCP, a uint32) []byte {
	for _, x := range tcpInfoPrefixesFirst {
		if a&x.m != 0 {
			b = append(b, x.s...)
		}
	}
	if a&TCPDuplicateAck != 0 && t.DupAckNum != 0 {
		b = append(b, "[TCP Dup ACK "...)
		b = appendDec(b, uint64(t.DupAckFrame))
		b = append(b, '#')
		b = appendDec(b, uint64(t.DupAckNum))
		b = append(b, "] "...)
	}
	for _, x := range tcpInfoPrefixesLast {
		if a&x.m != 0 {
			b = append(b, x.s...)
		}
	}
	return b
}

// appendTCPOptions appends the options' part of tcpInfo: the options
// eachOption walks, without its callback.
func (p *Packet) appendTCPOptions(b, opts []byte) []byte {
	for i := 0; i < len(opts); {
		k := opts[i]
		switch k {
		case 0:
			return b
		case 1:
			i++
			continue
		}
		if i+1 >= len(opts) {
			return b
		}
		n := int(opts[i+1])
		if n < 2 || i+n > len(opts) {
			return b
		}
		d := opts[i+2 : i+n]
		i += n
		switch {
		case k == 2 && len(d) == 2:
			b = append(b, " MSS="...)
			b = appendDec(b, uint64(uint16(d[0])<<8|uint16(d[1])))
		case k == 3 && len(d) == 1:
			b = append(b, " WS="...)
			b = appendDec(b, 1<<min(d[0], 14))
		case k == 4 && len(d) == 0:
			b = append(b, " SACK_PERM"...)
		case k == 8 && len(d) == 8:
			b = append(b, " TSval="...)
			b = appendDec(b, uint64(be32(d)))
			b = append(b, " TSecr="...)
			b = appendDec(b, uint64(be32(d[4:])))
		case k == 5 && len(d)%8 == 0:
			for j := 0; j+8 <= len(d); j += 8 {
				b = append(b, " SLE="...)
				b = appendDec(b, uint64(be32(d[j:])-p.sackBase()))
				b = append(b, " SRE="...)
				b = appendDec(b, uint64(be32(d[j+4:])-p.sackBase()))
			}
		case k == 34 || k == 254 || k == 172 || k == 174:
			b = append(b, tcpOptionInfo(tcpOption{kind: k, data: d})...) // TFO, AccECN
		}
	}
	return b
}

// appendHTTPInfo appends httpInfo's text for the message m.
func appendHTTPInfo(b []byte, m *HTTP) []byte {
	if !m.Request && !m.Response {
		return append(b, "Continuation"...)
	}
	b = appendFormatText(b, m.FirstLine)
	b = append(b, ' ')
	return append(b, m.bodyColumns().info...)
}

// appendFormatText appends formatText(s).
func appendFormatText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return append(b, formatText(s)...) // escapes: rare
		}
	}
	return append(b, s...)
}

// flagLists are the lists of flagNames of the nine flag bits' 512
// combinations ("" for none), built on first use.
var flagLists = sync.OnceValue(func() *[512]string {
	var t [512]string
	for f := range t {
		var b []byte
		for i, n := range flagNames {
			if f&(1<<i) != 0 {
				if len(b) > 0 {
					b = append(b, ", "...)
				}
				b = append(b, n...)
			}
		}
		t[f] = string(b)
	}
	return &t
})

// appendFlagList appends flagList(f).
func appendFlagList(b []byte, f uint16) []byte {
	start := len(b)
	b = append(b, flagLists()[f&0x1ff]...)
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
		b = appendDec(b, uint64(a.Opcode))
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
		b = appendDecInt(b, int64(a.Opcode)-23)
		b = append(b, " ( opcode "...)
		b = appendDec(b, uint64(a.Opcode))
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
