package dissect

import (
	"fmt"
	"strconv"
	"strings"

	"netsim.dev/netsim/pcapread"
)

// Summary returns the packet's line in tshark 4.0's default output:
// number, relative time, source, destination, protocol, length and Info,
// padded as tshark pads them.
func Summary(p *Packet) string {
	src, dst := p.Addresses()
	return fmt.Sprintf("%5d %10s %12s → %-12s %s %d %s",
		p.Number, timeString(p.TimeRel, p.Precision), src, dst, p.Protocol(), p.Len, p.Info())
}

// Addresses returns the Source and Destination columns.
func (p *Packet) Addresses() (string, string) {
	if q := p.Encap; q != nil {
		// The innermost layer that sets the columns wins, as in tshark.
		if src, dst, ok := q.innerAddresses(p); ok {
			return src, dst
		}
	}
	return p.ownAddresses()
}

// ownAddresses returns the columns p's own layers set.
func (p *Packet) ownAddresses() (string, string) {
	switch {
	case p.IP.hdrCut || p.IPv6.hdrCut:
		return p.cutAddresses()
	case p.Has(ProtoIP):
		return ipv4String(uint32(ip4(p.IP.Src))), ipv4String(uint32(ip4(p.IP.Dst)))
	case p.Has(ProtoIPv6):
		v := &p.IPv6
		return FormatValue(Lookup("ipv6.src"), Value{B: v.Src[:]}), FormatValue(Lookup("ipv6.dst"), Value{B: p.ipv6Dst()})
	case p.Has(ProtoEth):
		return p.names.Name(p.Eth.Src[:]), p.names.Name(p.Eth.Dst[:])
	case p.Has(ProtoSLL) && p.SLL.HaType == 1 && p.SLL.AddrLen == 6:
		// The cooked header's Ethernet source address (no destination).
		return p.names.Name(p.SLL.Addr[:6]), ""
	}
	return "", ""
}

// Protocol returns the Protocol column.
func (p *Packet) Protocol() string {
	if p.Encap != nil {
		if p.Tunnel != nil && p.Tunnel.Kind == TunnelGTP {
			return gtpProtocol(p.Encap)
		}
		return p.Encap.Protocol()
	}
	if s, _, ok := tunnelColumns(p); ok {
		return s
	}
	if p.inStack(idAYIYA) {
		return "AYIYA" // a heartbeat, carrying no packet
	}
	if s, ok := appProtocol(p); ok {
		return s
	}
	switch {
	case p.Has(ProtoTCP):
		return "TCP"
	case p.Has(ProtoUDP):
		return "UDP"
	case p.Has(ProtoICMP):
		return "ICMP"
	case p.Has(ProtoICMPv6):
		return "ICMPv6"
	case p.Has(ProtoARP):
		return arpProtocol(p)
	case p.Has(ProtoIPv6):
		return "IPv6"
	case p.Has(ProtoIP):
		return "IPv4"
	case p.Link == pcapread.LinkEthernet && !p.Has(ProtoEth):
		return "Ethernet"
	case p.badNet == 4:
		return "IPv4"
	case p.badNet == 6:
		return "IPv6"
	case p.Has(ProtoVLAN):
		return vlanProtocol(p)
	case p.Has(ProtoSLL):
		return "SLL"
	case p.Has(ProtoEth):
		return fmt.Sprintf("0x%04x", p.Eth.Type)
	}
	return "Data"
}

var ipProtoNames = map[uint8]string{1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 41: "IPv6", 50: "ESP", 58: "IPv6-ICMP", 132: "SCTP"}

// Info returns the Info column.
func (p *Packet) Info() string {
	s := p.info()
	if p.truncated {
		if len(p.Frame) < p.Len {
			s += "[Packet size limited during capture]"
		} else {
			s += "[Malformed Packet]"
		}
	}
	return s
}

func (p *Packet) info() string {
	if p.Encap != nil {
		return p.Encap.info()
	}
	if _, s, ok := tunnelColumns(p); ok {
		return s
	}
	if s, ok := appInfo(p); ok {
		return s
	}
	switch {
	case p.IP.hdrCut || p.IPv6.hdrCut || p.icmpHdrCut() || p.cutProto == "IPv6 Fragment":
		return ""
	case p.Has(ProtoTCP):
		return tcpInfo(p)
	case p.Has(ProtoUDP):
		return udpInfo(&p.UDP)
	case p.Has(ProtoICMP):
		return icmpInfo(p)
	case p.Has(ProtoICMPv6):
		return icmpv6Info(p)
	case p.Has(ProtoARP):
		return arpInfo(p)
	case p.Has(ProtoIPv6) && p.IPv6.Fragmented:
		v := &p.IPv6
		more := "n"
		if v.More {
			more = "y"
		}
		return fmt.Sprintf("IPv6 fragment (off=%d more=%s ident=0x%08x nxt=%d)", v.FragOff, more, v.Ident, v.Proto)
	case p.Has(ProtoIP) && p.IP.Fragmented:
		name := ipProtoNames[p.IP.Proto]
		if name == "" {
			name = ipProtocolNames()[p.IP.Proto] // "Unknown" when unnamed
		}
		if name == "" {
			name = "Unknown"
		}
		return fmt.Sprintf("Fragmented IP protocol (proto=%s %d, off=%d, ID=%04x)", name, p.IP.Proto, p.IP.FragOff, p.IP.ID)
	case p.Has(ProtoIP) || p.Has(ProtoIPv6):
		return ipPayloadInfo(p)
	case p.badNet != 0:
		return badIPInfo(p)
	case p.Has(ProtoVLAN):
		return vlanInfo(p)
	case p.Has(ProtoEth) && p.Eth.Type >= 0x0600 && !p.Has(ProtoARP):
		return "Ethernet II"
	}
	return ""
}

var flagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"}

func tcpInfo(p *Packet) string {
	t := &p.TCP
	if t.Short {
		return fmt.Sprintf("%d → %d", t.SrcPort, t.DstPort)
	}
	var sb strings.Builder
	a := t.Analysis
	// Wireshark prepends these in the reverse of this order.
	var pre []string
	if a&TCPReusedPorts != 0 {
		pre = append(pre, "[TCP Port numbers reused] ")
	}
	for _, x := range []struct {
		m uint32
		s string
	}{
		{TCPRetransmission, "[TCP Retransmission] "},
		{TCPFastRetransmission, "[TCP Fast Retransmission] "},
		{TCPSpuriousRetransmission, "[TCP Spurious Retransmission] "},
		{TCPOutOfOrder, "[TCP Out-Of-Order] "},
		{TCPLostPacket, "[TCP Previous segment not captured] "},
		{TCPAckLostPacket, "[TCP ACKed unseen segment] "},
		{TCPWindowUpdate, "[TCP Window Update] "},
		{TCPWindowFull, "[TCP Window Full] "},
		{TCPKeepAlive, "[TCP Keep-Alive] "},
		{TCPKeepAliveAck, "[TCP Keep-Alive ACK] "},
	} {
		if a&x.m != 0 {
			pre = append(pre, x.s)
		}
	}
	if a&TCPDuplicateAck != 0 && t.DupAckNum != 0 {
		pre = append(pre, fmt.Sprintf("[TCP Dup ACK %d#%d] ", t.DupAckFrame, t.DupAckNum))
	}
	if a&TCPZeroWindowProbe != 0 {
		pre = append(pre, "[TCP ZeroWindowProbe] ")
	}
	if a&TCPZeroWindow != 0 {
		pre = append(pre, "[TCP ZeroWindow] ")
	}
	if a&TCPZeroWindowProbeAck != 0 {
		pre = append(pre, "[TCP ZeroWindowProbeAck] ")
	}
	for i := len(pre) - 1; i >= 0; i-- {
		sb.WriteString(pre[i])
	}
	fmt.Fprintf(&sb, "%d → %d [%s] Seq=%d", t.SrcPort, t.DstPort, tcpFlagsInfo(t), t.Seq)
	if t.BadHdr {
		return sb.String()
	}
	if t.Flags&thACK != 0 {
		fmt.Fprintf(&sb, " Ack=%d", t.Ack)
	}
	fmt.Fprintf(&sb, " Win=%d", t.WinSize)
	if t.cut == tcpCutFixed {
		return sb.String()
	}
	if t.Flags&thURG != 0 {
		fmt.Fprintf(&sb, " Urg=%d", t.Urgent)
	}
	fmt.Fprintf(&sb, " Len=%d", t.Len)
	eachOption(t.Options, func(o tcpOption) {
		d := o.data
		switch {
		case o.kind == 2 && len(d) == 2:
			fmt.Fprintf(&sb, " MSS=%d", uint16(d[0])<<8|uint16(d[1]))
		case o.kind == 3 && len(d) == 1:
			fmt.Fprintf(&sb, " WS=%d", 1<<min(d[0], 14))
		case o.kind == 4 && len(d) == 0:
			sb.WriteString(" SACK_PERM")
		case o.kind == 8 && len(d) == 8:
			fmt.Fprintf(&sb, " TSval=%d TSecr=%d", be32(d), be32(d[4:]))
		case o.kind == 5 && len(d)%8 == 0:
			for i := 0; i+8 <= len(d); i += 8 {
				fmt.Fprintf(&sb, " SLE=%d SRE=%d", be32(d[i:])-p.sackBase(), be32(d[i+4:])-p.sackBase())
			}
		default:
			sb.WriteString(tcpOptionInfo(o))
		}
	})
	if t.reassemblyErr {
		sb.WriteString("[Reassembly error, protocol TCP: New fragment overlaps old data (retransmission?)]")
	}
	return sb.String()
}

// sackBase is the base the peer's sequence numbers are made relative to:
// the ack raw minus the relative ack.
func (p *Packet) sackBase() uint32 {
	return p.TCP.AckRaw - p.TCP.Ack
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func flagList(f uint16) string {
	var parts []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if f&0xe00 != 0 {
		parts = append(parts, "Reserved")
	}
	if len(parts) == 0 {
		return "<None>"
	}
	return strings.Join(parts, ", ")
}

// ICMPv6 error messages: the Info column's name and code texts.
var icmpv6Errors = map[uint8]struct {
	name    string
	codes   []string
	unknown func(code uint8) string
}{
	1: {"Destination Unreachable", []string{"no route to destination", "Administratively prohibited", "Beyond scope of source address",
		"Address unreachable", "Port unreachable", "Source address failed ingress/egress policy", "Reject route to destination",
		"Error in Source Routing Header"}, func(uint8) string { return "Unknown" }},
	2: {"Packet Too Big", nil, nil},
	3: {"Time Exceeded", []string{"hop limit exceeded in transit", "fragment reassembly time exceeded"},
		func(c uint8) string { return "Unknown (" + strconv.Itoa(int(c)) + ")" }},
	4: {"Parameter Problem", []string{"erroneous header field encountered", "unrecognized Next Header type encountered",
		"unrecognized IPv6 option encountered", "IPv6 First Fragment has incomplete IPv6 Header Chain"},
		func(c uint8) string { return "Unknown (" + strconv.Itoa(int(c)) + ")" }},
}

// ndpOption returns the link-layer address of the first NDP option of the
// given type (1 source, 2 target), or nil.
func ndpOption(b []byte, typ byte) []byte {
	for len(b) >= 8 {
		n := int(b[1]) * 8
		if n == 0 || n > len(b) {
			return nil
		}
		if b[0] == typ && n == 8 {
			return b[2:8]
		}
		b = b[n:]
	}
	return nil
}

func ipv6String(b []byte) string {
	return FormatValue(Lookup("ipv6.src"), Value{B: b})
}
