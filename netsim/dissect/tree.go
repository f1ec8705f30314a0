package dissect

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"netsim.dev/netsim/pcapread"
)

// Tree writes the packet's protocol tree as tshark -V (Wireshark 4.0)
// does: one heading per protocol and its fields beneath, indented by four
// spaces a level, with value names (`Protocol: TCP (6)`), bit-field lines
// (`.... ..1. = Syn: Set`), decoded TCP options, checksum status, the
// SEQ/ACK analysis and the expert infos tshark attaches to them, and the
// frame's pcapng comments; a blank line ends the frame. Every line it
// writes is a line tshark writes for the same frame, in tshark's order
// (cmd/netsim's TestReadVerboseMatchesTshark checks this against tshark on
// netsim's captures); it leaves out what it does not decode, such as the
// application protocols and the hex dumps of reassembled data.
func Tree(w io.Writer, p *Packet) error {
	bp := treePool.Get().(*[]byte)
	b := AppendTree((*bp)[:0], p)
	_, err := w.Write(b)
	*bp = b[:0]
	treePool.Put(bp)
	return err
}

// treePool holds Tree's buffers.
var treePool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// AppendTree appends the packet's protocol tree, as [Tree] writes it, to
// dst and returns the extended buffer.
func AppendTree(dst []byte, p *Packet) []byte {
	t := treeWriter{names: p.names}
	t.sb.b = dst
	t.packet(p)
	t.sb.WriteByte('\n')
	return t.sb.b
}

type treeWriter struct {
	sb    treeBuf
	names *MACNames // the packet's MAC names
}

// maxLabel is Wireshark's longest item label in bytes (ITEM_LABEL_LENGTH
// less its terminating NUL); longer labels are cut and marked.
const maxLabel = 239

func truncLabel(s string) string {
	if len(s) <= maxLabel {
		return s
	}
	const mark = " [truncated]"
	cut := maxLabel - len(mark) - 1
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return mark + s[:cut]
}

// f writes a field line at depth: format as fmt.Sprintf formats it
// (appendf), or format itself when there are no args.
func (t *treeWriter) f(depth int, format string, args ...any) {
	if vetPrintf {
		_ = fmt.Sprintf(format, args...)
	}
	b := appendIndent(t.sb.b, depth)
	start := len(b)
	if len(args) == 0 {
		b = append(b, format...)
	} else {
		b = appendf(b, format, args)
	}
	t.sb.b = append(truncTail(b, start), '\n')
}

// g writes a generated field line: Wireshark puts its label in brackets.
func (t *treeWriter) g(depth int, format string, args ...any) {
	if vetPrintf {
		_ = fmt.Sprintf(format, args...)
	}
	b := append(appendIndent(t.sb.b, depth), '[')
	start := len(b)
	if len(args) == 0 {
		b = append(b, format...)
	} else {
		b = appendf(b, format, args)
	}
	t.sb.b = append(truncTail(b, start), "]\n"...)
}

// bits writes a bit-field line: the field's bits within a width-bit
// word, dots elsewhere, then " = " and the label.
func (t *treeWriter) bits(depth, width int, mask, val uint64, format string, args ...any) {
	if vetPrintf {
		_ = fmt.Sprintf(format, args...)
	}
	b := appendIndent(t.sb.b, depth)
	start := len(b)
	b = appendBits(b, width, mask, val)
	b = append(b, " = "...)
	if len(args) == 0 {
		b = append(b, format...)
	} else {
		b = appendf(b, format, args)
	}
	t.sb.b = append(truncTail(b, start), '\n')
}

func bitStr(width int, mask, val uint64) string {
	return string(appendBits(nil, width, mask, val))
}

// appendBits appends the bit-field picture of bitStr.
func appendBits(b []byte, width int, mask, val uint64) []byte {
	for i := width - 1; i >= 0; i-- {
		if i != width-1 && (width-1-i)%4 == 0 {
			b = append(b, ' ')
		}
		switch {
		case mask>>uint(i)&1 == 0:
			b = append(b, '.')
		case val>>uint(i)&1 == 1:
			b = append(b, '1')
		default:
			b = append(b, '0')
		}
	}
	return b
}

// expert writes an expert info beneath the item it belongs to.
func (t *treeWriter) expert(depth int, severity, group, msg string) {
	t.g(depth, "Expert Info (%s/%s): %s", severity, group, msg)
	t.g(depth+1, "%s", msg)
	t.g(depth+1, "Severity level: %s", severity)
	t.g(depth+1, "Group: %s", group)
}

// secs is a duration as the tree shows it ("0.000123000 seconds"), for a
// %s verb.
func secs(ns int64) seconds { return seconds(ns) }

// encapNames are Wireshark's names for the link types, for those checked
// against tshark (the others get no line).
var encapNames = map[pcapread.LinkType]string{
	pcapread.LinkEthernet: "Ethernet (1)",
	pcapread.LinkNull:     "NULL/Loopback (15)",
	pcapread.LinkRaw:      "Raw IP (7)",
	pcapread.LinkRaw12:    "Raw IP (7)",
	pcapread.LinkRaw14:    "Raw IP (7)",
	pcapread.LinkSLL:      "Linux cooked-mode capture v1 (25)",
}

func (t *treeWriter) packet(p *Packet) {
	if len(p.Comments) > 0 {
		t.f(0, "Packet comments")
		for _, c := range p.Comments {
			t.f(1, "%s", c)
			t.expert(2, "Comment", "Comment", c)
		}
	}
	capLen := len(p.Frame)
	switch {
	case !p.HasIface:
		t.f(0, "Frame %d: %d bytes on wire (%d bits), %d bytes captured (%d bits)", p.Number, p.Len, p.Len*8, capLen, capLen*8)
	case p.IfName != "":
		t.f(0, "Frame %d: %d bytes on wire (%d bits), %d bytes captured (%d bits) on interface %s, id %d", p.Number, p.Len, p.Len*8, capLen, capLen*8, p.IfName, p.Interface)
	default:
		t.f(0, "Frame %d: %d bytes on wire (%d bits), %d bytes captured (%d bits) on interface %d", p.Number, p.Len, p.Len*8, capLen, capLen*8, p.Interface)
	}
	if p.HasIface {
		t.f(1, "Section number: 1")
		if p.IfName != "" {
			t.f(1, "Interface id: %d (%s)", p.Interface, p.IfName)
			t.f(2, "Interface name: %s", p.IfName)
		} else {
			t.f(1, "Interface id: %d", p.Interface)
		}
		if p.IfDesc != "" {
			t.f(2, "Interface description: %s", p.IfDesc)
		}
	}
	if name, ok := encapNames[p.Link]; ok {
		t.f(1, "Encapsulation type: %s", name)
	}
	// "Jan  2, 2006 15:04:05.000000000 MST": the day padded with a space,
	// the year in four digits (a Packet's time is within 1678 to 2262).
	var at [64]byte
	t.f(1, "Arrival Time: %s", time.Unix(0, p.Time).In(time.Local).AppendFormat(at[:0], "Jan _2, 2006 15:04:05.000000000 MST"))
	t.g(1, "Time shift for this packet: 0.000000000 seconds")
	t.f(1, "Epoch Time: %s", secs(p.Time))
	t.g(1, "Time delta from previous captured frame: %s", secs(p.TimeDelta))
	t.g(1, "Time delta from previous displayed frame: %s", secs(p.TimeDeltaDisplayed))
	t.g(1, "Time since reference or first frame: %s", secs(p.TimeRel))
	t.f(1, "Frame Number: %d", p.Number)
	t.f(1, "Frame Length: %d bytes (%d bits)", p.Len, p.Len*8)
	t.f(1, "Capture Length: %d bytes (%d bits)", capLen, capLen*8)
	t.g(1, "Frame is marked: False")
	t.g(1, "Frame is ignored: False")
	var pb [128]byte
	t.g(1, "Protocols in frame: %s", p.appendProtocols(pb[:0]))

	switch {
	case p.Has(ProtoEth):
		e := &p.Eth
		t.ethHeading(e)
		if p.Has(ProtoVLAN) {
			// The 802.1Q tree is not checked against tshark: only the
			// Ethernet type is shown.
			t.f(1, "Type: %s", etherTypeName(e.Type))
		} else if e.Type >= 0x0600 {
			t.f(1, "Type: %s", etherTypeName(e.Type))
			// Bytes after the payload of a frame of minimum size are
			// Ethernet padding.
			if n := ethPayloadLen(p); n >= 0 && len(p.Frame) <= 60 && 14+n < len(p.Frame) && p.cutProto != "Ethertype" {
				t.ethTrailer(p, 14+n)
			}
		}
	case p.Has(ProtoSLL) && !p.SLL.V2:
		s := &p.SLL
		t.f(0, "Linux cooked capture v1")
		if n, ok := sllPktTypes[s.PktType]; ok {
			t.f(1, "Packet type: %s (%d)", n, s.PktType)
		}
		if s.HaType == 1 {
			t.f(1, "Link-layer address type: Ethernet (1)")
		}
		t.f(1, "Link-layer address length: %d", s.AddrLen)
		if s.HaType == 1 && s.AddrLen == 6 {
			t.f(1, "Source: %s", t.macName(s.Addr[:6]))
			t.f(1, "Unused: 0000")
		}
		t.f(1, "Protocol: %s", etherTypeName(s.Protocol))
	case p.Has(ProtoNull):
		t.f(0, "Null/Loopback")
		switch f := p.Null.Family; f {
		case 2:
			t.f(1, "Family: IP (2)")
		case 24, 28, 30:
			t.f(1, "Family: IPv6 (%d)", f)
		}
	case p.Link == pcapread.LinkRaw || p.Link == pcapread.LinkRaw12 || p.Link == pcapread.LinkRaw14:
		t.f(0, "Raw packet data")
	}
	t.network(p)
	t.truncatedLine(p)
}

// ethPayloadLen returns the length the Ethernet payload's own header
// declares (IPv4 total length, IPv6 header and payload, an ARP packet's
// size), or -1.
func ethPayloadLen(p *Packet) int {
	switch {
	case p.Has(ProtoIP):
		return int(p.IP.Len)
	case p.Has(ProtoIPv6):
		return 40 + int(p.IPv6.PLen)
	case p.Has(ProtoARP):
		return 8 + 2*int(p.ARP.HwSize) + 2*int(p.ARP.ProtoSize)
	}
	return -1
}

// dataInICMP reports whether p's data belongs to an ICMP message (an echo's
// payload, or what a quoted packet carries), which tshark nests beneath it.
func dataInICMP(p *Packet) bool {
	return (p.Has(ProtoICMP) && p.ICMP.Echo) || (p.Has(ProtoICMPv6) && p.ICMPv6.Echo)
}

func (t *treeWriter) data(depth int, b []byte) {
	if len(b) == 1 {
		t.f(depth, "Data (1 byte)")
	} else {
		t.f(depth, "Data (%d bytes)", len(b))
	}
	t.f(depth+1, "Data: %s", bytesLabel(b))
	t.g(depth+1, "Length: %d", len(b))
}

// bytesLabel renders bytes as Wireshark's labels do: hex, at most 36
// bytes, then an ellipsis.
func bytesLabel(b []byte) hexLabel { return hexLabel(b) }

var sllPktTypes = map[uint16]string{0: "Unicast to us", 1: "Broadcast", 2: "Multicast", 3: "Unicast to another host", 4: "Sent by us"}

func etherTypeName(typ uint16) string {
	switch typ {
	case 0x0800:
		return "IPv4 (0x0800)"
	case 0x0806:
		return "ARP (0x0806)"
	case 0x86dd:
		return "IPv6 (0x86dd)"
	case 0x8100:
		return "802.1Q Virtual LAN (0x8100)"
	}
	if n, ok := moreEtherTypes[typ]; ok {
		return fmt.Sprintf("%s (0x%04x)", n, typ)
	}
	return fmt.Sprintf("Unknown (0x%04x)", typ)
}

// macName renders a MAC address with its resolved name as Wireshark's
// headings do: "Broadcast (ff:ff:ff:ff:ff:ff)".
func (t *treeWriter) macName(b []byte) macLabel {
	if n := t.names; n != nil && !n.raw && len(b) == 6 {
		return macLabel{name: n.Name(b), named: true, b: b}
	}
	return macLabel{b: b}
}

func (t *treeWriter) ethAddr(depth int, name string, b []byte) {
	t.f(depth, "%s: %s", name, t.macName(b))
	t.f(depth+1, "Address: %s", t.macName(b))
	v := uint64(b[0])<<16 | uint64(b[1])<<8 | uint64(b[2])
	if b[0]&2 != 0 {
		t.bits(depth+1, 24, 0x020000, v, "LG bit: Locally administered address (this is NOT the factory default)")
	} else {
		t.bits(depth+1, 24, 0x020000, v, "LG bit: Globally unique address (factory default)")
	}
	if b[0]&1 != 0 {
		t.bits(depth+1, 24, 0x010000, v, "IG bit: Group address (multicast/broadcast)")
	} else {
		t.bits(depth+1, 24, 0x010000, v, "IG bit: Individual address (unicast)")
	}
}

// ipProtoName names an IP protocol number as Wireshark does, or "" for a
// number whose name is not checked against tshark.
func ipProtoName(n uint8) string {
	if s, ok := ipProtocolNames()[n]; ok {
		return fmt.Sprintf("%s (%d)", s, n)
	}
	return ""
}

var dscpNames = map[uint8][2]string{
	0: {"CS0", "Default"}, 8: {"CS1", "Class Selector 1"}, 16: {"CS2", "Class Selector 2"}, 24: {"CS3", "Class Selector 3"},
	32: {"CS4", "Class Selector 4"}, 40: {"CS5", "Class Selector 5"}, 48: {"CS6", "Class Selector 6"}, 56: {"CS7", "Class Selector 7"},
	10: {"AF11", "Assured Forwarding 11"}, 12: {"AF12", "Assured Forwarding 12"}, 14: {"AF13", "Assured Forwarding 13"},
	18: {"AF21", "Assured Forwarding 21"}, 20: {"AF22", "Assured Forwarding 22"}, 22: {"AF23", "Assured Forwarding 23"},
	26: {"AF31", "Assured Forwarding 31"}, 28: {"AF32", "Assured Forwarding 32"}, 30: {"AF33", "Assured Forwarding 33"},
	34: {"AF41", "Assured Forwarding 41"}, 36: {"AF42", "Assured Forwarding 42"}, 38: {"AF43", "Assured Forwarding 43"},
	44: {"VA", "Voice-Admit"}, 46: {"EF", "Expedited Forwarding"},
}

var ecnNames = [4][2]string{
	{"Not-ECT", "Not ECN-Capable Transport"}, {"ECT(1)", "ECN-Capable Transport codepoint '01'"},
	{"ECT(0)", "ECN-Capable Transport codepoint '10'"}, {"CE", "Congestion Experienced"},
}

// dsField writes the DS field (IPv4) or traffic class (IPv6) subtree:
// the codepoint and ECN lines, with their bits in a width-bit word at
// shift.
func (t *treeWriter) dsField(depth, width, shift int, ds uint8, val uint64) bool {
	d, ok := dscpNames[ds>>2]
	if !ok {
		return false
	}
	t.bits(depth, width, 0xfc<<shift, val, "Differentiated Services Codepoint: %s (%d)", d[1], ds>>2)
	t.bits(depth, width, 0x03<<shift, val, "Explicit Congestion Notification: %s (%d)", ecnNames[ds&3][1], ds&3)
	return true
}

func dsSummary(ds uint8) string {
	if d, ok := dscpNames[ds>>2]; ok {
		return fmt.Sprintf("DSCP: %s, ECN: %s", d[0], ecnNames[ds&3][0])
	}
	return ""
}

// layers writes the network and transport layers of p, at depth (1 for
// a packet quoted in an ICMP error).
func (t *treeWriter) layers(depth int, p *Packet) {
	if p.Has(ProtoIP) {
		t.ipv4(depth, p)
	}
	if p.Has(ProtoIPv6) {
		t.ipv6(depth, p)
	}
	if p.Has(ProtoARP) {
		t.arp(depth, p)
	}
	if p.Has(ProtoTCP) {
		t.tcp(depth, p)
	}
	if p.Has(ProtoUDP) {
		t.udp(depth, p)
	}
	if p.Has(ProtoICMP) {
		t.icmp(depth, p)
	}
	if p.Has(ProtoICMPv6) {
		t.icmpv6(depth, p)
	}
}

func (t *treeWriter) ipv4(d int, p *Packet) {
	ip := &p.IP
	if ip.hdrCut {
		t.ipCutTree(d, p)
		return
	}
	b0 := uint64(4<<4 | ip.HdrLen/4)
	var sb, db [15]byte
	src, dst := appendIPv4(sb[:0], ip.Src), appendIPv4(db[:0], ip.Dst)
	t.f(d, "Internet Protocol Version 4, Src: %s, Dst: %s", src, dst)
	t.bits(d+1, 8, 0xf0, b0, "Version: 4")
	t.bits(d+1, 8, 0x0f, b0, "Header Length: %d bytes (%d)", ip.HdrLen, ip.HdrLen/4)
	if s := dsSummary(ip.DSField); s != "" {
		t.f(d+1, "Differentiated Services Field: 0x%02x (%s)", ip.DSField, s)
		t.dsField(d+2, 8, 0, ip.DSField, uint64(ip.DSField))
	}
	t.f(d+1, "Total Length: %d", ip.Len)
	t.f(d+1, "Identification: 0x%04x (%d)", ip.ID, ip.ID)
	fo := uint64(ip.Flags)<<13 | uint64(ip.FragOff/8)
	flags := fmt.Sprintf("Flags: 0x%x", ip.Flags)
	if ip.Flags&4 != 0 {
		flags += ", Reserved bit"
	}
	if ip.Flags&2 != 0 {
		flags += ", Don't fragment"
	}
	if ip.Flags&1 != 0 {
		flags += ", More fragments"
	}
	t.bits(d+1, 8, 0xe0, fo>>8, "%s", flags)
	t.bits(d+2, 8, 0x80, fo>>8, "Reserved bit: %s", setStr(ip.Flags&4 != 0))
	t.bits(d+2, 8, 0x40, fo>>8, "Don't fragment: %s", setStr(ip.Flags&2 != 0))
	t.bits(d+2, 8, 0x20, fo>>8, "More fragments: %s", setStr(ip.Flags&1 != 0))
	t.bits(d+1, 16, 0x1fff, fo, "Fragment Offset: %d", ip.FragOff)
	t.f(d+1, "Time to Live: %d", ip.TTL)
	if ip.TTL < 5 && ip.Dst[0]>>4 != 14 {
		t.expert(d+2, "Note", "Sequence", fmt.Sprintf(`"Time To Live" only %d`, ip.TTL))
	}
	if n := ipProtoName(ip.Proto); n != "" {
		t.f(d+1, "Protocol: %s", n)
	}
	t.f(d+1, "Header Checksum: 0x%04x [validation disabled]", ip.Checksum)
	t.g(d+1, "Header checksum status: Unverified")
	t.f(d+1, "Source Address: %s", src)
	t.f(d+1, "Destination Address: %s", dst)
	if ip.Reassembled {
		t.fragments(d+1, "IPv4", ip.Fragments, ip.ReassembledData)
	}
}

// fragments writes the list of a reassembled datagram's fragments.
func (t *treeWriter) fragments(d int, ipv string, frags []Fragment, data []byte) {
	if len(frags) == 0 {
		return
	}
	total := 0
	var list []string
	for _, fr := range frags {
		total = max(total, fr.Offset+fr.Len)
		list = append(list, fmt.Sprintf("#%d(%d)", fr.Frame, fr.Len))
	}
	t.g(d, "%d %s Fragments (%d bytes): %s", len(frags), ipv, total, strings.Join(list, ", "))
	for _, fr := range frags {
		t.g(d+1, "Frame: %d, payload: %d-%d (%d bytes)", fr.Frame, fr.Offset, fr.Offset+fr.Len-1, fr.Len)
	}
	t.g(d+1, "Fragment count: %d", len(frags))
	t.g(d+1, "Reassembled %s length: %d", ipv, total)
	t.g(d+1, "Reassembled %s data: %s", ipv, bytesLabel(data))
}

func (t *treeWriter) ipv6(d int, p *Packet) {
	v := &p.IPv6
	if v.hdrCut {
		t.ipCutTree(d, p)
		return
	}
	b := p.raw[idIPv6]
	src, dst := ipv6String(v.Src[:]), ipv6String(v.Dst[:])
	t.f(d, "Internet Protocol Version 6, Src: %s, Dst: %s", src, dst)
	w := uint64(binary.BigEndian.Uint32(b))
	t.bits(d+1, 8, 0xf0, w>>24, "Version: 6")
	if s := dsSummary(v.TClass); s != "" {
		t.bits(d+1, 32, 0x0ff00000, w, "Traffic Class: 0x%02x (%s)", v.TClass, s)
		t.dsField(d+2, 32, 20, v.TClass, w)
	}
	t.bits(d+1, 24, 0xfffff, w&0xffffff, "Flow Label: 0x%05x", v.Flow)
	t.f(d+1, "Payload Length: %d", v.PLen)
	if n := ipProtoName(v.Next); n != "" {
		t.f(d+1, "Next Header: %s", n)
	}
	t.f(d+1, "Hop Limit: %d", v.HopLimit)
	t.f(d+1, "Source Address: %s", src)
	t.f(d+1, "Destination Address: %s", dst)
	if v.HasFrag && v.Next == 44 && len(b) >= 48 {
		h := b[40:48]
		t.f(d+1, "Fragment Header for IPv6")
		if n := ipProtoName(h[0]); n != "" {
			t.f(d+2, "Next header: %s", n)
		}
		t.f(d+2, "Reserved octet: 0x%02x", h[1])
		fo := uint64(binary.BigEndian.Uint16(h[2:]))
		t.bits(d+2, 16, 0xfff8, fo, "Offset: %d (%d bytes)", fo>>3, fo&^7)
		t.bits(d+2, 16, 0x0006, fo, "Reserved bits: %d", fo>>1&3)
		yes := "No"
		if fo&1 != 0 {
			yes = "Yes"
		}
		t.bits(d+2, 16, 0x0001, fo, "More Fragments: %s", yes)
		t.f(d+2, "Identification: 0x%08x", binary.BigEndian.Uint32(h[4:]))
	}
	if v.Reassembled {
		t.fragments(d+1, "IPv6", v.Fragments, v.ReassembledData)
	}
}

func (t *treeWriter) arp(d int, p *Packet) { t.arpTree(d, p) }

func (t *treeWriter) udp(d int, p *Packet) {
	u := &p.UDP
	t.f(d, "User Datagram Protocol, Src Port: %d, Dst Port: %d", u.SrcPort, u.DstPort)
	t.f(d+1, "Source Port: %d", u.SrcPort)
	t.f(d+1, "Destination Port: %d", u.DstPort)
	t.f(d+1, "Length: %d", u.Length)
	if u.Checksum == 0 && p.Has(ProtoIP) {
		t.f(d+1, "Checksum: 0x0000 [zero-value ignored]")
		t.g(d+2, "Checksum Status: Not present")
	} else {
		t.f(d+1, "Checksum: 0x%04x [unverified]", u.Checksum)
		t.g(d+1, "Checksum Status: Unverified")
	}
	t.g(d+1, "Stream index: %d", u.Stream)
	if !p.inError {
		t.g(d+1, "Timestamps")
		t.g(d+2, "Time since first frame: %s", secs(u.TimeFirst))
		t.g(d+2, "Time since previous frame: %s", secs(u.TimePrev))
	}
	switch n := len(u.Payload); {
	case n == 1:
		t.f(d+1, "UDP payload (1 byte)")
	case n > 0:
		t.f(d+1, "UDP payload (%d bytes)", n)
	}
}

// icmpChecksum computes the Internet checksum of b, with an IPv6
// pseudo-header when src is 16 bytes.
func icmpChecksum(b []byte, src, dst []byte) uint16 {
	var sum uint32
	add := func(x []byte) {
		for i := 0; i+1 < len(x); i += 2 {
			sum += uint32(x[i])<<8 | uint32(x[i+1])
		}
		if len(x)%2 == 1 {
			sum += uint32(x[len(x)-1]) << 8
		}
	}
	if len(src) == 16 {
		add(src)
		add(dst)
		var ph [8]byte
		binary.BigEndian.PutUint32(ph[:], uint32(len(b)))
		ph[7] = 58
		add(ph[:])
	}
	add(b)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func (t *treeWriter) icmpChecksumLines(d int, p *Packet, b []byte, sum uint16, v6 bool) {
	if p.inError {
		t.f(d, "Checksum: 0x%04x [unverified] [in ICMP error packet]", sum)
		t.g(d, "Checksum Status: Unverified")
		return
	}
	full := len(b)
	var src, dst []byte
	if v6 {
		src, dst = p.IPv6.Src[:], p.IPv6.Dst[:]
		if full != int(p.IPv6.PLen) && !p.IPv6.HasFrag {
			return
		}
	} else if full != int(p.IP.Len)-int(p.IP.HdrLen) {
		return
	}
	c := make([]byte, len(b))
	copy(c, b)
	c[2], c[3] = 0, 0
	want := icmpChecksum(c, src, dst)
	if want == sum {
		t.f(d, "Checksum: 0x%04x [correct]", sum)
		t.g(d, "Checksum Status: Good")
	} else {
		t.f(d, "Checksum: 0x%04x incorrect, should be 0x%04x", sum, want)
		t.g(d, "Checksum Status: Bad")
	}
}

func (t *treeWriter) icmp(d int, p *Packet) {
	c := &p.ICMP
	b := p.raw[idICMP]
	t.f(d, "Internet Control Message Protocol")
	if p.icmpHdrCut() {
		return
	}
	name := icmpTypeName(c.Type)
	if name != "" {
		t.f(d+1, "Type: %d (%s)", c.Type, name)
	}
	if codes, ok := icmpCodes[c.Type]; ok && int(c.Code) < len(codes) {
		t.f(d+1, "Code: %d (%s)", c.Code, codes[c.Code])
	} else if !ok {
		t.f(d+1, "Code: %d", c.Code)
	}
	t.icmpChecksumLines(d+1, p, b, c.Checksum, false)
	switch {
	case c.Echo:
		t.f(d+1, "Identifier (BE): %d (0x%04x)", c.Ident, c.Ident)
		le := c.Ident>>8 | c.Ident<<8
		t.f(d+1, "Identifier (LE): %d (0x%04x)", le, le)
		t.f(d+1, "Sequence Number (BE): %d (0x%04x)", c.Seq, c.Seq)
		le = c.Seq>>8 | c.Seq<<8
		t.f(d+1, "Sequence Number (LE): %d (0x%04x)", le, le)
		if c.RequestIn != 0 {
			t.g(d+1, "Request frame: %d", c.RequestIn)
			t.g(d+1, "Response time: %.3f ms", float64(p.Time-c.RequestTime)/1e6)
		}
		if p.Has(ProtoData) {
			t.data(d+1, p.Data)
		}
	case c.Type == 3 && c.Code == 4 && len(b) >= 8:
		t.f(d+1, "Unused: %04x", binary.BigEndian.Uint16(b[4:]))
		t.f(d+1, "MTU of next hop: %d", binary.BigEndian.Uint16(b[6:]))
	case c.Type == 12 && len(b) >= 8:
		t.f(d+1, "Pointer: %d", b[4])
		t.f(d+1, "Unused: %06x", uint32(b[5])<<16|uint32(b[6])<<8|uint32(b[7]))
	case (c.Type == 3 || c.Type == 11) && len(b) >= 8:
		t.f(d+1, "Unused: %08x", binary.BigEndian.Uint32(b[4:]))
	}
	t.inner(d, p)
}

func icmpTypeName(typ uint8) string {
	switch typ {
	case 0:
		return "Echo (ping) reply"
	case 8:
		return "Echo (ping) request"
	}
	return icmpNames[typ]
}

func (t *treeWriter) inner(d int, p *Packet) {
	q := p.Inner
	if q == nil {
		return
	}
	t.layers(d+1, q)
	if q.Has(ProtoData) {
		if q.Has(ProtoUDP) {
			t.data(d, q.Data)
		} else {
			t.data(d+1, q.Data)
		}
	}
}

func (t *treeWriter) icmpv6(d int, p *Packet) {
	c := &p.ICMPv6
	b := p.raw[idICMPv6]
	t.f(d, "Internet Control Message Protocol v6")
	if p.icmpHdrCut() {
		return
	}
	if n, ok := icmpv6Names[c.Type]; ok {
		t.f(d+1, "Type: %s (%d)", n, c.Type)
	}
	if e, ok := icmpv6Errors[c.Type]; ok && e.codes != nil && int(c.Code) < len(e.codes) {
		t.f(d+1, "Code: %d (%s)", c.Code, e.codes[c.Code])
	} else if c.Code == 0 {
		t.f(d+1, "Code: 0")
	}
	t.icmpChecksumLines(d+1, p, b, c.Checksum, true)
	switch {
	case c.Echo:
		t.f(d+1, "Identifier: 0x%04x", c.Ident)
		t.f(d+1, "Sequence: %d", c.Seq)
		if p.Has(ProtoData) {
			t.data(d+1, p.Data)
		}
	case c.Type == 2 && len(b) >= 8:
		t.f(d+1, "MTU: %d", binary.BigEndian.Uint32(b[4:]))
	case c.Type == 4 && len(b) >= 8:
		t.f(d+1, "Pointer: %d", binary.BigEndian.Uint32(b[4:]))
	case (c.Type == 1 || c.Type == 3) && len(b) >= 8:
		t.f(d+1, "Reserved: %08x", binary.BigEndian.Uint32(b[4:]))
	case c.Type == 135 && len(b) >= 24:
		t.f(d+1, "Reserved: %08x", binary.BigEndian.Uint32(b[4:]))
		t.f(d+1, "Target Address: %s", ipv6String(b[8:24]))
		t.ndpOptions(d+1, b[24:])
	case c.Type == 136 && len(b) >= 24:
		fl := uint64(binary.BigEndian.Uint32(b[4:]))
		var names []string
		for i, n := range []string{"Router", "Solicited", "Override"} {
			if fl&(1<<(31-i)) != 0 {
				names = append(names, n)
			}
		}
		s := fmt.Sprintf("Flags: 0x%08x", fl)
		if len(names) > 0 {
			s += ", " + strings.Join(names, ", ")
		}
		t.f(d+1, "%s", s)
		for i, n := range []string{"Router", "Solicited", "Override"} {
			t.bits(d+2, 32, 1<<(31-i), fl, "%s: %s", n, setStr(fl&(1<<(31-i)) != 0))
		}
		t.bits(d+2, 32, 0x1fffffff, fl, "Reserved: %d", fl&0x1fffffff)
		t.f(d+1, "Target Address: %s", ipv6String(b[8:24]))
		t.ndpOptions(d+1, b[24:])
	}
	t.inner(d, p)
}

func (t *treeWriter) ndpOptions(d int, b []byte) {
	for len(b) >= 8 {
		n := int(b[1]) * 8
		if n == 0 || n > len(b) {
			return
		}
		if (b[0] == 1 || b[0] == 2) && n == 8 {
			name := "Source link-layer address"
			if b[0] == 2 {
				name = "Target link-layer address"
			}
			t.f(d, "ICMPv6 Option (%s : %s)", name, macString(b[2:8]))
			t.f(d+1, "Type: %s (%d)", name, b[0])
			t.f(d+1, "Length: %d (%d bytes)", b[1], n)
			t.f(d+1, "Link-layer address: %s", t.macName(b[2:8]))
		}
		b = b[n:]
	}
}

func (t *treeWriter) tcp(d int, p *Packet) {
	tc := &p.TCP
	if tc.Quoted {
		t.tcpQuoted(d, p)
		return
	}
	if tc.Short {
		return
	}
	if tc.Flags&thACK != 0 {
		t.f(d, "Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Ack: %d, Len: %d", tc.SrcPort, tc.DstPort, tc.Seq, tc.Ack, tc.Len)
	} else {
		t.f(d, "Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Len: %d", tc.SrcPort, tc.DstPort, tc.Seq, tc.Len)
	}
	t.f(d+1, "Source Port: %d", tc.SrcPort)
	t.f(d+1, "Destination Port: %d", tc.DstPort)
	t.g(d+1, "Stream index: %d", tc.Stream)
	t.g(d+1, "Conversation completeness: %s", completenessString(tc.Completeness))
	t.g(d+1, "TCP Segment Len: %d", tc.Len)
	t.f(d+1, "Sequence Number: %d    (relative sequence number)", tc.Seq)
	t.f(d+1, "Sequence Number (raw): %d", tc.SeqRaw)
	t.g(d+1, "Next Sequence Number: %d    (relative sequence number)", tc.NextSeq)
	if tc.Flags&thACK != 0 {
		t.f(d+1, "Acknowledgment Number: %d    (relative ack number)", tc.Ack)
	} else {
		t.f(d+1, "Acknowledgment Number: %d", tc.AckRaw)
		if tc.AckRaw != 0 {
			t.expert(d+2, "Note", "Protocol", "The acknowledgment number field is nonzero while the ACK flag is not set")
		}
	}
	t.f(d+1, "Acknowledgment number (raw): %d", tc.AckRaw)
	t.tcpRest(d, p)
}

// tcpRest writes a TCP header's tree from the header length on.
func (t *treeWriter) tcpRest(d int, p *Packet) {
	tc := &p.TCP
	b := p.raw[idTCP]
	t.bits(d+1, 8, 0xf0, uint64(b[12]), "Header Length: %d bytes (%d)", tc.HdrLen, tc.HdrLen/4)
	t.tcpFlags(d+1, p)
	t.f(d+1, "Window: %d", tc.Window)
	t.g(d+1, "Calculated window size: %d", tc.WinSize)
	switch {
	case tc.Flags&thSYN != 0:
	case tc.ScaleFactor == -1:
		t.g(d+1, "Window size scaling factor: -1 (unknown)")
	case tc.ScaleFactor == -2:
		t.g(d+1, "Window size scaling factor: -2 (no window scaling used)")
	default:
		t.g(d+1, "Window size scaling factor: %d", tc.ScaleFactor)
	}
	if tc.cut == tcpCutFixed {
		return
	}
	t.f(d+1, "Checksum: 0x%04x [unverified]", tc.Checksum)
	t.g(d+1, "Checksum Status: Unverified")
	t.f(d+1, "Urgent Pointer: %d", tc.Urgent)
	if len(tc.Options) > 0 {
		t.tcpOptions(d+1, p)
	}
	t.g(d+1, "Timestamps")
	t.g(d+2, "Time since first frame in this TCP stream: %s", secs(tc.TimeFirst))
	t.g(d+2, "Time since previous frame in this TCP stream: %s", secs(tc.TimePrev))
	if !tc.Quoted && tc.cut == 0 {
		t.seqAnalysis(d+1, p)
	}
	if n := len(tc.Payload); n > 0 {
		if n == 1 {
			t.f(d+1, "TCP payload (1 byte)")
		} else {
			t.f(d+1, "TCP payload (%d bytes)", n)
		}
		if tc.Analysis&TCPRetransmission != 0 {
			if n == 1 {
				t.f(d+1, "Retransmitted TCP segment data (1 byte)")
			} else {
				t.f(d+1, "Retransmitted TCP segment data (%d bytes)", n)
			}
		}
		t.tcpSegmentData(d+1, p)
	}
}

func (t *treeWriter) tcpQuoted(d int, p *Packet) {
	tc := &p.TCP
	if tc.Short {
		t.f(d, "Transmission Control Protocol, Src Port: %d, Dst Port: %d", tc.SrcPort, tc.DstPort)
		t.f(d+1, "Source Port: %d", tc.SrcPort)
		t.f(d+1, "Destination Port: %d", tc.DstPort)
		if tc.quotedV4 && len(p.raw[idTCP]) >= 8 {
			t.f(d+1, "Sequence Number: %d", tc.Seq)
		}
		return
	}
	t.f(d, "Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Ack: %d", tc.SrcPort, tc.DstPort, tc.Seq, tc.Ack)
	t.f(d+1, "Source Port: %d", tc.SrcPort)
	t.f(d+1, "Destination Port: %d", tc.DstPort)
	if tc.quotedV4 {
		// Wireshark 4.0 shows an IPv4-quoted header's sequence number
		// before the stream and as plain, an IPv6-quoted one after it
		// and as relative (it is not: quoted numbers stay absolute).
		t.f(d+1, "Sequence Number: %d", tc.Seq)
	}
	t.g(d+1, "Stream index: %d", tc.Stream)
	t.g(d+1, "Conversation completeness: %s", completenessString(tc.Completeness))
	if !tc.quotedV4 {
		t.f(d+1, "Sequence Number: %d    (relative sequence number)", tc.Seq)
		t.f(d+1, "Sequence Number (raw): %d", tc.SeqRaw)
	}
	t.f(d+1, "Acknowledgment Number: %d    (relative ack number)", tc.AckRaw)
	t.f(d+1, "Acknowledgment number (raw): %d", tc.AckRaw)
	t.tcpRest(d, p)
}

func completenessString(c uint8) string {
	const syn, synack, ack, data, fin, rst = TCPCompleteSYN, TCPCompleteSYNACK, TCPCompleteACK, TCPCompleteData, TCPCompleteFIN, TCPCompleteRST
	name := "Incomplete"
	switch c {
	case syn:
		name = "Incomplete, SYN_SENT"
	case syn | synack:
		name = "Incomplete, CLIENT_ESTABLISHED"
	case syn | synack | ack:
		name = "Incomplete, ESTABLISHED"
	case syn | synack | ack | data:
		name = "Incomplete, DATA"
	case syn | synack | ack | data | fin, syn | synack | ack | data | rst, syn | synack | ack | data | fin | rst:
		name = "Complete, WITH_DATA"
	case syn | synack | ack | fin, syn | synack | ack | rst, syn | synack | ack | fin | rst:
		name = "Complete, NO_DATA"
	}
	return name + " (" + strconv.Itoa(int(c)) + ")"
}

func (t *treeWriter) tcpFlags(d int, p *Packet) {
	tc := &p.TCP
	fl := uint64(tc.Flags)
	t.f(d, "Flags: 0x%03x (%s)", tc.Flags, flagList(tc.Flags))
	t.bits(d+1, 12, 0xe00, fl, "Reserved: %s", setStr(fl&0xe00 != 0))
	t.bits(d+1, 12, thNS, fl, "Accurate ECN: %s", setStr(fl&thNS != 0))
	t.bits(d+1, 12, thCWR, fl, "Congestion Window Reduced: %s", setStr(fl&thCWR != 0))
	t.bits(d+1, 12, thECE, fl, "ECN-Echo: %s", setStr(fl&thECE != 0))
	t.bits(d+1, 12, thURG, fl, "Urgent: %s", setStr(fl&thURG != 0))
	t.bits(d+1, 12, thACK, fl, "Acknowledgment: %s", setStr(fl&thACK != 0))
	t.bits(d+1, 12, thPSH, fl, "Push: %s", setStr(fl&thPSH != 0))
	t.bits(d+1, 12, thRST, fl, "Reset: %s", setStr(fl&thRST != 0))
	if fl&thRST != 0 {
		t.expert(d+2, "Warning", "Sequence", "Connection reset (RST)")
	}
	t.bits(d+1, 12, thSYN, fl, "Syn: %s", setStr(fl&thSYN != 0))
	if fl&thSYN != 0 {
		if fl&thACK != 0 {
			t.expert(d+2, "Chat", "Sequence", fmt.Sprintf("Connection establish acknowledge (SYN+ACK): server port %d", tc.SrcPort))
		} else {
			t.expert(d+2, "Chat", "Sequence", fmt.Sprintf("Connection establish request (SYN): server port %d", tc.DstPort))
		}
	}
	t.bits(d+1, 12, thFIN, fl, "Fin: %s", setStr(fl&thFIN != 0))
	if fl&thFIN != 0 {
		t.expert(d+2, "Chat", "Sequence", "Connection finish (FIN)")
	}
	t.g(d+1, "TCP Flags: %s", flagsStr(tc.Flags))
	if fl&thFIN != 0 {
		if tc.FinFirst {
			t.expert(d+2, "Note", "Sequence", "This frame initiates the connection closing")
		} else {
			t.expert(d+2, "Note", "Sequence", "This frame undergoes the connection closing")
		}
	}
}

// tcpOptionNames names the TCP options the tree decodes; a header with
// any other (or an end-of-list option) gets no Options subtree.
var tcpOptionNames = map[byte]string{1: "No-Operation (NOP)", 2: "Maximum segment size", 3: "Window scale",
	4: "SACK permitted", 5: "SACK", 8: "Timestamps"}

func (t *treeWriter) tcpOptions(d int, p *Packet) {
	tc := &p.TCP
	if tc.cut == tcpCutOptions {
		t.tcpCutOptions(d, p)
		return
	}
	var names []string
	ok := true
	used := 0
	eachOption(tc.Options, func(o tcpOption) {
		n, known := tcpOptionNames[o.kind]
		if !known {
			ok = false
		}
		names = append(names, n)
		if o.kind == 1 {
			used++
		} else {
			used += 2 + len(o.data)
		}
	})
	if !ok || used != len(tc.Options) {
		// An end-of-list option, padding after it or a malformed
		// option: not decoded here.
		return
	}
	t.f(d, "Options: (%d bytes), %s", len(tc.Options), strings.Join(names, ", "))
	eachOption(tc.Options, func(o tcpOption) {
		b := o.data
		switch {
		case o.kind == 1:
			t.f(d+1, "TCP Option - No-Operation (NOP)")
			t.f(d+2, "Kind: No-Operation (1)")
		case o.kind == 2 && len(b) == 2:
			mss := binary.BigEndian.Uint16(b)
			t.f(d+1, "TCP Option - Maximum segment size: %d bytes", mss)
			t.f(d+2, "Kind: Maximum Segment Size (2)")
			t.f(d+2, "Length: 4")
			t.f(d+2, "MSS Value: %d", mss)
		case o.kind == 3 && len(b) == 1:
			t.f(d+1, "TCP Option - Window scale: %d (multiply by %d)", b[0], 1<<min(b[0], 14))
			t.f(d+2, "Kind: Window Scale (3)")
			t.f(d+2, "Length: 3")
			t.f(d+2, "Shift count: %d", b[0])
			t.g(d+2, "Multiplier: %d", 1<<min(b[0], 14))
		case o.kind == 4 && len(b) == 0:
			t.f(d+1, "TCP Option - SACK permitted")
			t.f(d+2, "Kind: SACK Permitted (4)")
			t.f(d+2, "Length: 2")
		case o.kind == 8 && len(b) == 8:
			t.f(d+1, "TCP Option - Timestamps: TSval %d, TSecr %d", be32(b), be32(b[4:]))
			t.f(d+2, "Kind: Time Stamp Option (8)")
			t.f(d+2, "Length: 10")
			t.f(d+2, "Timestamp value: %d", be32(b))
			t.f(d+2, "Timestamp echo reply: %d", be32(b[4:]))
		case o.kind == 5 && len(b)%8 == 0 && len(b) > 0:
			base := p.sackBase()
			var edges []string
			for i := 0; i+8 <= len(b); i += 8 {
				edges = append(edges, fmt.Sprintf("%d-%d", be32(b[i:])-base, be32(b[i+4:])-base))
			}
			t.f(d+1, "TCP Option - SACK %s", strings.Join(edges, " "))
			t.f(d+2, "Kind: SACK (5)")
			t.f(d+2, "Length: %d", len(b)+2)
			for i := 0; i+8 <= len(b); i += 8 {
				t.f(d+2, "left edge = %d (relative)", be32(b[i:])-base)
				t.f(d+2, "right edge = %d (relative)", be32(b[i+4:])-base)
			}
			t.g(d+2, "TCP SACK Count: %d", len(b)/8)
		}
	})
}

// seqAnalysis writes the [SEQ/ACK analysis] subtree, when Wireshark has
// one for the segment: it acknowledges a segment, carries data, or has
// analysis flags.
func (t *treeWriter) seqAnalysis(d int, p *Packet) {
	tc := &p.TCP
	a := tc.Analysis
	if !tc.HasAckFrame && tc.InFlight == 0 && a == 0 {
		return
	}
	t.g(d, "SEQ/ACK analysis")
	if tc.HasAckFrame {
		t.g(d+1, "This is an ACK to the segment in frame: %d", tc.AckedFrame)
		if tc.AckRTT != 0 {
			t.g(d+1, "The RTT to ACK the segment was: %s", secs(tc.AckRTT))
		}
	}
	if tc.FirstRTT != 0 {
		t.g(d+1, "iRTT: %s", secs(tc.FirstRTT))
	}
	if tc.InFlight != 0 {
		t.g(d+1, "Bytes in flight: %d", tc.InFlight)
	}
	if tc.PushBytes != 0 {
		t.g(d+1, "Bytes sent since last PSH flag: %d", tc.PushBytes)
	}
	if a == 0 {
		return
	}
	t.g(d+1, "TCP Analysis Flags")
	e := func(sev, msg string) { t.expert(d+2, sev, "Sequence", msg) }
	if a&TCPReusedPorts != 0 {
		e("Note", "A new tcp session is started with the same ports as an earlier session in this trace")
	}
	if a&TCPRetransmission != 0 {
		e("Note", "This frame is a (suspected) retransmission")
		if tc.RTO != 0 {
			t.g(d+2, "The RTO for this segment was: %s", secs(tc.RTO))
			t.g(d+2, "RTO based on delta from frame: %d", tc.RTOFrame)
		}
	}
	if a&TCPFastRetransmission != 0 {
		e("Note", "This frame is a (suspected) fast retransmission")
		e("Note", "This frame is a (suspected) retransmission")
	}
	if a&TCPSpuriousRetransmission != 0 {
		e("Note", "This frame is a (suspected) spurious retransmission")
		e("Note", "This frame is a (suspected) retransmission")
	}
	if a&TCPOutOfOrder != 0 {
		e("Warning", "This frame is a (suspected) out-of-order segment")
	}
	if a&TCPLostPacket != 0 {
		e("Warning", "Previous segment(s) not captured (common at capture start)")
	}
	if a&TCPAckLostPacket != 0 {
		e("Warning", "ACKed segment that wasn't captured (common at capture start)")
	}
	if a&TCPWindowUpdate != 0 {
		e("Chat", "TCP window update")
	}
	if a&TCPWindowFull != 0 {
		e("Warning", "TCP window specified by the receiver is now completely full")
	}
	if a&TCPKeepAlive != 0 {
		e("Note", "TCP keep-alive segment")
	}
	if a&TCPKeepAliveAck != 0 {
		e("Note", "ACK to a TCP keep-alive segment")
	}
	if a&TCPDuplicateAck != 0 && tc.DupAckNum != 0 {
		t.g(d+2, "This is a TCP duplicate ack")
		t.g(d+1, "Duplicate ACK #: %d", tc.DupAckNum)
		t.g(d+1, "Duplicate to the ACK in frame: %d", tc.DupAckFrame)
		t.expert(d+2, "Note", "Sequence", fmt.Sprintf("Duplicate ACK (#%d)", tc.DupAckNum))
	}
	if a&TCPZeroWindowProbe != 0 {
		e("Note", "TCP Zero Window Probe")
	}
	if a&TCPZeroWindow != 0 {
		e("Warning", "TCP Zero Window segment")
	}
	if a&TCPZeroWindowProbeAck != 0 {
		e("Note", "ACK to a TCP Zero Window Probe")
	}
}

func setStr(b bool) string {
	if b {
		return "Set"
	}
	return "Not set"
}
