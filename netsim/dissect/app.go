package dissect

// Application protocols over TCP: which one a conversation carries, and
// the reassembly of their messages across segments as Wireshark's TCP
// desegmentation does it in one pass: a segment that ends inside a message
// is shown as "[TCP segment of a reassembled PDU]", and the message is
// decoded in the frame that completes it.

// Application protocols of a TCP conversation.
const (
	appNone uint8 = iota
	appDNS
	appHTTP
	appTLS
	appSSH     // only its message boundaries (ssh.go)
	appGryphon // only its PDU boundaries (gryphon.go)
)

// httpPorts and tlsPorts are the TCP ports Wireshark 4.0 hands to its http
// and tls dissectors (tshark -G decodes).
var (
	httpPorts = map[uint16]bool{80: true, 631: true, 1900: true, 2710: true, 2869: true, 3128: true, 3132: true,
		3689: true, 5985: true, 8080: true, 8088: true, 11371: true}
	tlsPorts = map[uint16]bool{324: true, 443: true, 465: true, 636: true, 802: true, 853: true, 993: true, 995: true,
		1300: true, 2221: true, 2443: true, 3249: true, 3250: true, 3251: true, 3252: true, 3496: true, 5061: true,
		5671: true, 5684: true, 5868: true, 8883: true, 11207: true, 19999: true, 27017: true}
)

// Segment is one TCP segment's part of a reassembled message.
type Segment struct {
	Frame int // frame number
	Len   int // bytes it contributed
}

// appConv is the application state of one TCP conversation.
type appConv struct {
	proto uint8
	flows [2]appFlow
	tls   tlsConv
	http  httpConv
	ssh   [2]uint8 // per direction: sshUnknown, sshPlain, sshEncrypted
}

// appFlow is one direction's reassembly state.
type appFlow struct {
	buf      []byte    // bytes of an incomplete message
	segs     []Segment // where they came from
	nextSeq  uint32    // relative sequence number after buf
	pending  bool
	untilFIN bool // the message ends when the flow does
}

// tcpPortProto picks the application protocol by port, the lower port
// first as Wireshark tries them.
func tcpPortProto(a, b uint16) uint8 {
	for _, p := range [2]uint16{min(a, b), max(a, b)} {
		switch {
		case p == 53 || p == 5353:
			return appDNS
		case p == 22:
			return appSSH
		case httpPorts[p]:
			return appHTTP
		case tlsPorts[p]:
			return appTLS
		case p == gryphonPort:
			return appGryphon
		}
	}
	return appNone
}

func (d *Dissector) appConvFor(stream uint32) *appConv {
	if d.apps == nil {
		d.apps = make(map[uint32]*appConv)
	}
	c := d.apps[stream]
	if c == nil {
		c = &appConv{}
		d.apps[stream] = c
	}
	return c
}

// tcpPayload hands a TCP segment's payload to the application protocol
// of its conversation, or to the data dissector. fi is the segment's
// direction (0 or 1) in its conversation.
func (d *Dissector) tcpPayload(p *Packet, fi int) {
	t := &p.TCP
	c := d.appConvFor(t.Stream)
	if t.Flags&thFIN != 0 && len(t.Payload) == 0 {
		d.tcpFin(p, c, fi)
		return
	}
	if len(t.Payload) == 0 {
		return
	}
	if t.Flags&thRST != 0 {
		// tshark 4.0 shows a reset's payload as its "reset cause", not
		// as data.
		return
	}
	if c.proto == appNone {
		c.proto = tcpPortProto(t.SrcPort, t.DstPort)
		if c.proto == appNone && !hasPortDissector(tcpDissectorPorts, t.SrcPort, t.DstPort) {
			switch {
			case tlsHeuristic(t.Payload):
				c.proto = appTLS
			case httpHeuristic(t.Payload):
				c.proto = appHTTP
			}
		}
	}
	if c.proto == appNone {
		p.portData(tcpDissectorPorts, t.SrcPort, t.DstPort, t.Payload)
		return
	}
	fl := &c.flows[fi]
	data := t.Payload
	if fl.pending {
		if t.Seq != fl.nextSeq || p.truncated {
			// A gap or a cut-short segment: give the message up.
			fl.reset()
		} else {
			fl.buf = append(fl.buf, data...)
			fl.segs = append(fl.segs, Segment{Frame: p.Number, Len: len(data)})
			data = fl.buf
		}
	}
	if !fl.pending {
		fl.segs = append(fl.segs[:0], Segment{Frame: p.Number, Len: len(data)})
	}
	fin := t.Flags&thFIN != 0
	d.appData(p, c, fi, data, fin)
	if fl.pending {
		fl.nextSeq = t.Seq + uint32(len(t.Payload))
	}
}

// tcpFin ends a message that lasts until the flow closes.
func (d *Dissector) tcpFin(p *Packet, c *appConv, fi int) {
	fl := &c.flows[fi]
	if !fl.pending || !fl.untilFIN || c.proto != appHTTP || p.TCP.Seq != fl.nextSeq {
		return
	}
	data := fl.buf
	d.appData(p, c, fi, data, true)
}

func (fl *appFlow) reset() {
	fl.buf, fl.segs, fl.pending, fl.untilFIN = fl.buf[:0], fl.segs[:0], false, false
}

// appData splits data (the flow's pending bytes and this segment's) into
// the protocol's messages, decodes the complete ones into p and keeps
// the rest pending.
func (d *Dissector) appData(p *Packet, c *appConv, fi int, data []byte, fin bool) {
	fl := &c.flows[fi]
	wasPending := fl.pending
	off := 0
	first := true
	for off < len(data) {
		rest := data[off:]
		n, ok := 0, false
		if !p.truncated {
			switch c.proto {
			case appDNS:
				n, ok = dnsTCPLen(rest)
			case appTLS:
				n, ok = tlsRecordLen(rest)
			case appHTTP:
				n, ok = d.httpLen(c, fi, rest, fin)
			case appSSH:
				n, ok = sshLen(c.ssh[fi], rest)
			case appGryphon:
				n, ok = gryphonLen(rest)
			}
		} else {
			n, ok = len(rest), true
		}
		if ok && n <= 0 {
			n = len(rest)
		}
		if ok && n > len(rest) {
			ok = false
		}
		if !ok {
			if c.proto == appHTTP && !httpStarts(rest) && !(first && wasPending) {
				// Not the start of a message: a continuation.
				d.appPDU(p, c, fi, rest, nil)
				break
			}
			// Keep the rest for the next segment.
			kept := append([]byte(nil), rest...)
			var segs []Segment
			if first && wasPending {
				segs = append(segs, fl.segs...)
			} else {
				segs = []Segment{{Frame: p.Number, Len: len(rest)}}
			}
			fl.buf, fl.segs, fl.pending = kept, segs, true
			if first && wasPending {
				p.TCP.SegData = append(p.TCP.SegData, len(p.TCP.Payload))
			} else {
				p.TCP.SegData = append(p.TCP.SegData, len(rest))
			}
			if !p.hasApp() {
				p.TCP.SegmentOfPDU = true
				p.TCP.pduNoInfo = c.proto == appSSH && (!wasPending || !first)
				if c.proto == appHTTP && (!wasPending || !first) {
					// Wireshark's HTTP dissector has already written the
					// first line when it asks for more data.
					p.TCP.PDUInfo = httpFirstLineInfo(rest)
				}
			}
			return
		}
		var segs []Segment
		if first && wasPending && len(fl.segs) > 1 {
			segs = append(segs, fl.segs...)
			// The last segment contributed only up to the message end.
			segs[len(segs)-1].Len -= len(data) - n
			p.TCP.SegData = append(p.TCP.SegData, segs[len(segs)-1].Len)
		}
		d.appPDU(p, c, fi, rest[:n], segs)
		off += n
		first = false
	}
	fl.reset()
}

// appPDU decodes one complete message.
func (d *Dissector) appPDU(p *Packet, c *appConv, fi int, b []byte, segs []Segment) {
	if len(segs) > 1 && p.Reassembled == nil {
		p.Reassembled = &Reassembly{Segments: segs, Data: b}
	}
	switch c.proto {
	case appDNS:
		if p.DNS != nil {
			return // Wireshark shows the first message of a segment.
		}
		m := d.dnsMessage(p, b[2:], DNSPlain, true)
		m.TCP, m.Length = true, uint16(len(b)-2)
		p.DNS = m
		p.push(ProtoDNS, idDNS, b)
	case appTLS:
		d.tlsRecord(p, c, fi, b)
	case appHTTP:
		d.httpMessage(p, c, fi, b)
	case appSSH:
		sshMessage(&c.ssh[fi], b)
	}
}

// hasApp reports whether an application message was decoded into p.
func (p *Packet) hasApp() bool { return p.Protos&(ProtoDNS|ProtoHTTP|ProtoTLS) != 0 }

// Reassembly describes a message reassembled from several TCP segments.
type Reassembly struct {
	Segments []Segment
	Data     []byte
}

func dnsTCPLen(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	return 2 + (int(b[0])<<8 | int(b[1])), true
}

// appProtocol is the Protocol column of a frame with an application
// message.
func appProtocol(p *Packet) (string, bool) {
	switch {
	case p.DNS != nil:
		return dnsProtocol(p.DNS), true
	case len(p.HTTP) > 0:
		return httpProtocol(p), true
	case p.TLS != nil:
		return tlsProtocol(p), true
	}
	return "", false
}

// appInfo is the Info column of a frame with an application message, or
// of a segment of one.
func appInfo(p *Packet) (string, bool) {
	switch {
	case p.DNS != nil:
		if p.DNS.Malformed && !p.truncated {
			if p.snapCut() {
				return p.DNS.Info + "[Packet size limited during capture]", true
			}
			return p.DNS.Info + "[Malformed Packet]", true
		}
		return p.DNS.Info, true
	case len(p.HTTP) > 0:
		return httpInfo(p), true
	case p.TLS != nil:
		return tlsInfo(p), true
	case p.Has(ProtoTCP) && p.TCP.SegmentOfPDU && p.TCP.pduNoInfo:
		return "[TCP segment of a reassembled PDU]", true
	case p.Has(ProtoTCP) && p.TCP.SegmentOfPDU:
		s := p.TCP.PDUInfo
		if s == "" {
			s = tcpInfo(p)
		}
		return s + " [TCP segment of a reassembled PDU]", true
	}
	return "", false
}
