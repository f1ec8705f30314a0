package dissect

import (
	"fmt"
	"io"
	"strings"
)

// Tree writes the packet's protocol tree in the layout of tshark -V: one
// heading line per protocol and its fields indented beneath, with TCP
// flags spelled out, followed by a blank line. It covers the fields this
// package decodes, not every line Wireshark prints.
func Tree(w io.Writer, p *Packet) error {
	var sb strings.Builder
	line := func(depth int, format string, args ...any) {
		sb.WriteString(strings.Repeat("    ", depth))
		fmt.Fprintf(&sb, format, args...)
		sb.WriteByte('\n')
	}
	capLen := len(p.Frame)
	line(0, "Frame %d: %d bytes on wire (%d bits), %d bytes captured (%d bits)", p.Number, p.Len, p.Len*8, capLen, capLen*8)
	if p.IfName != "" {
		line(1, "Interface id: %d (%s)", p.Interface, p.IfName)
	}
	line(1, "Epoch Time: %s seconds", timeString(p.Time, 9))
	line(1, "[Time delta from previous captured frame: %s seconds]", timeString(p.TimeDelta, 9))
	line(1, "[Time since reference or first frame: %s seconds]", timeString(p.TimeRel, 9))
	line(1, "Frame Number: %d", p.Number)
	line(1, "Frame Length: %d bytes (%d bits)", p.Len, p.Len*8)
	line(1, "Capture Length: %d bytes (%d bits)", capLen, capLen*8)
	for _, c := range p.Comments {
		line(1, "Comment: %s", c)
	}
	line(1, "[Protocols in frame: %s]", p.Protocols())
	if p.Has(ProtoEth) {
		e := &p.Eth
		line(0, "Ethernet II, Src: %s (%s), Dst: %s (%s)", resolveMAC(e.Src[:]), macString(e.Src[:]), resolveMAC(e.Dst[:]), macString(e.Dst[:]))
		line(1, "Destination: %s", macString(e.Dst[:]))
		line(1, "Source: %s", macString(e.Src[:]))
		line(1, "Type: 0x%04x", e.Type)
	}
	if p.Has(ProtoSLL) {
		line(0, "Linux cooked capture")
		line(1, "Packet type: %d", p.SLL.PktType)
		line(1, "Protocol: 0x%04x", p.SLL.Protocol)
	}
	if p.Has(ProtoNull) {
		line(0, "Null/Loopback")
		line(1, "Family: %d", p.Null.Family)
	}
	layersTree(line, p)
	if p.Has(ProtoData) {
		line(0, "Data (%d bytes)", len(p.Data))
		line(1, "Data: %s", FormatValue(Lookup("data.data"), Value{B: p.Data}))
		line(1, "[Length: %d]", len(p.Data))
	}
	sb.WriteByte('\n')
	_, err := io.WriteString(w, sb.String())
	return err
}

// layersTree writes the network and transport layers of p.
func layersTree(line func(int, string, ...any), p *Packet) {
	if p.Has(ProtoIP) {
		ip := &p.IP
		src, dst := ipv4String(uint32(ip4(ip.Src))), ipv4String(uint32(ip4(ip.Dst)))
		line(0, "Internet Protocol Version 4, Src: %s, Dst: %s", src, dst)
		line(1, "Version: 4")
		line(1, "Header Length: %d bytes (%d)", ip.HdrLen, ip.HdrLen/4)
		line(1, "Differentiated Services Field: 0x%02x", ip.DSField)
		line(1, "Total Length: %d", ip.Len)
		line(1, "Identification: 0x%04x (%d)", ip.ID, ip.ID)
		line(1, "Flags: 0x%x", ip.Flags)
		line(2, "Reserved bit: %s", setStr(ip.Flags&4 != 0))
		line(2, "Don't fragment: %s", setStr(ip.Flags&2 != 0))
		line(2, "More fragments: %s", setStr(ip.Flags&1 != 0))
		line(1, "Fragment Offset: %d", ip.FragOff)
		line(1, "Time to Live: %d", ip.TTL)
		line(1, "Protocol: %d", ip.Proto)
		line(1, "Header Checksum: 0x%04x", ip.Checksum)
		line(1, "Source Address: %s", src)
		line(1, "Destination Address: %s", dst)
		if ip.Reassembled {
			line(1, "[%d IPv4 Fragments reassembled]", ip.FragCount)
		}
	}
	if p.Has(ProtoIPv6) {
		src, dst := p.Addresses()
		v := &p.IPv6
		line(0, "Internet Protocol Version 6, Src: %s, Dst: %s", src, dst)
		line(1, "Version: 6")
		line(1, "Traffic Class: 0x%02x", v.TClass)
		line(1, "Flow Label: 0x%05x", v.Flow)
		line(1, "Payload Length: %d", v.PLen)
		line(1, "Next Header: %d", v.Next)
		line(1, "Hop Limit: %d", v.HopLimit)
		line(1, "Source Address: %s", src)
		line(1, "Destination Address: %s", dst)
	}
	if p.Has(ProtoARP) {
		a := &p.ARP
		line(0, "Address Resolution Protocol (%s)", map[uint16]string{1: "request", 2: "reply"}[a.Opcode])
		line(1, "Hardware type: %d", a.HwType)
		line(1, "Protocol type: 0x%04x", a.ProtoType)
		line(1, "Opcode: %d", a.Opcode)
		line(1, "Sender MAC address: %s", macString(a.SrcHw))
		line(1, "Sender IP address: %s", macOrIP(a.SrcProto))
		line(1, "Target MAC address: %s", macString(a.DstHw))
		line(1, "Target IP address: %s", macOrIP(a.DstProto))
	}
	if p.Has(ProtoTCP) {
		tcpTree(line, p)
	}
	if p.Has(ProtoUDP) {
		u := &p.UDP
		line(0, "User Datagram Protocol, Src Port: %d, Dst Port: %d", u.SrcPort, u.DstPort)
		line(1, "Source Port: %d", u.SrcPort)
		line(1, "Destination Port: %d", u.DstPort)
		line(1, "Length: %d", u.Length)
		line(1, "Checksum: 0x%04x", u.Checksum)
		line(1, "[Stream index: %d]", u.Stream)
		if len(u.Payload) > 0 {
			line(1, "UDP payload (%d bytes)", len(u.Payload))
		}
	}
	if p.Has(ProtoICMP) {
		c := &p.ICMP
		line(0, "Internet Control Message Protocol")
		line(1, "Type: %d", c.Type)
		line(1, "Code: %d", c.Code)
		line(1, "Checksum: 0x%04x", c.Checksum)
		if c.Echo {
			line(1, "Identifier (BE): %d (0x%04x)", c.Ident, c.Ident)
			line(1, "Sequence Number (BE): %d (0x%04x)", c.Seq, c.Seq)
		}
	}
	if p.Has(ProtoICMPv6) {
		c := &p.ICMPv6
		line(0, "Internet Control Message Protocol v6")
		line(1, "Type: %d", c.Type)
		line(1, "Code: %d", c.Code)
		line(1, "Checksum: 0x%04x", c.Checksum)
		if c.Echo {
			line(1, "Identifier: 0x%04x", c.Ident)
			line(1, "Sequence: %d", c.Seq)
		}
	}
	if p.Inner != nil {
		// The quoted packet, beneath the ICMP message as tshark nests it.
		layersTree(func(depth int, format string, args ...any) { line(depth+1, format, args...) }, p.Inner)
		if q := p.Inner; q.Has(ProtoData) {
			line(1, "Data (%d bytes)", len(q.Data))
		}
	}
}

func setStr(b bool) string {
	if b {
		return "Set"
	}
	return "Not set"
}

func macOrIP(b []byte) string {
	if len(b) == 4 {
		return ipv4String(be32(b))
	}
	return macString(b)
}

func tcpTree(line func(int, string, ...any), p *Packet) {
	t := &p.TCP
	if t.Quoted {
		// Quoted by an ICMP error: no analysis, absolute numbers.
		if t.Short {
			line(0, "Transmission Control Protocol, Src Port: %d, Dst Port: %d", t.SrcPort, t.DstPort)
			line(1, "Source Port: %d", t.SrcPort)
			line(1, "Destination Port: %d", t.DstPort)
			if t.quotedV4 && len(p.raw[idTCP]) >= 8 {
				line(1, "Sequence Number: %d", t.Seq)
			}
			return
		}
		line(0, "Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Ack: %d", t.SrcPort, t.DstPort, t.Seq, t.Ack)
		line(1, "Source Port: %d", t.SrcPort)
		line(1, "Destination Port: %d", t.DstPort)
		line(1, "Sequence Number: %d", t.Seq)
		line(1, "[Stream index: %d]", t.Stream)
	} else {
		line(0, "Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Ack: %d, Len: %d", t.SrcPort, t.DstPort, t.Seq, t.Ack, t.Len)
		line(1, "Source Port: %d", t.SrcPort)
		line(1, "Destination Port: %d", t.DstPort)
		line(1, "[Stream index: %d]", t.Stream)
		line(1, "[TCP Segment Len: %d]", t.Len)
		line(1, "Sequence Number: %d    (relative sequence number)", t.Seq)
		line(1, "Sequence Number (raw): %d", t.SeqRaw)
		line(1, "[Next Sequence Number: %d    (relative sequence number)]", t.NextSeq)
	}
	line(1, "Acknowledgment Number: %d    (relative ack number)", t.Ack)
	line(1, "Acknowledgment number (raw): %d", t.AckRaw)
	line(1, "Header Length: %d bytes (%d)", t.HdrLen, t.HdrLen/4)
	line(1, "Flags: 0x%03x (%s)", t.Flags, flagList(t.Flags))
	for _, f := range []struct {
		mask uint16
		name string
	}{
		{0xe00, "Reserved"}, {thNS, "Accurate ECN"}, {thCWR, "Congestion Window Reduced"},
		{thECE, "ECN-Echo"}, {thURG, "Urgent"}, {thACK, "Acknowledgment"}, {thPSH, "Push"},
		{thRST, "Reset"}, {thSYN, "Syn"}, {thFIN, "Fin"},
	} {
		line(2, "%s: %s", f.name, setStr(t.Flags&f.mask != 0))
	}
	line(2, "[TCP Flags: %s]", flagsStr(t.Flags))
	line(1, "Window: %d", t.Window)
	line(1, "[Calculated window size: %d]", t.WinSize)
	if t.Flags&thSYN == 0 {
		line(1, "[Window size scaling factor: %d]", t.ScaleFactor)
	}
	line(1, "Checksum: 0x%04x", t.Checksum)
	line(1, "Urgent Pointer: %d", t.Urgent)
	if len(t.Options) > 0 {
		line(1, "Options: (%d bytes)", len(t.Options))
		eachOption(t.Options, func(o tcpOption) {
			d := o.data
			switch {
			case o.kind == 1:
				line(2, "TCP Option - No-Operation (NOP)")
			case o.kind == 2 && len(d) == 2:
				line(2, "TCP Option - Maximum segment size: %d bytes", uint16(d[0])<<8|uint16(d[1]))
			case o.kind == 3 && len(d) == 1:
				line(2, "TCP Option - Window scale: %d (multiply by %d)", d[0], 1<<min(d[0], 14))
			case o.kind == 4:
				line(2, "TCP Option - SACK permitted")
			case o.kind == 8 && len(d) == 8:
				line(2, "TCP Option - Timestamps: TSval %d, TSecr %d", be32(d), be32(d[4:]))
			default:
				line(2, "TCP Option - kind %d, %d bytes", o.kind, len(d)+2)
			}
		})
	}
	if t.Analysis != 0 {
		line(1, "[SEQ/ACK analysis]")
		line(2, "[TCP Analysis Flags]")
		info := tcpInfo(p)
		for strings.HasPrefix(info, "[") {
			end := strings.Index(info, "] ")
			if end < 0 {
				break
			}
			line(3, "[%s]", info[1:end])
			info = info[end+2:]
		}
	}
	if len(t.Payload) > 0 {
		line(1, "TCP payload (%d bytes)", len(t.Payload))
	}
}
