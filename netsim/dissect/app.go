package dissect

import (
	"bytes"
	"hash/maphash"
)

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
	// Only their message boundaries (pdulen.go):
	appNBSS
	appLDAP
	appTPKT
	appKRB
	appDCERPC
	appWS // WebSocket, after an HTTP upgrade
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
	tls0  starttls // the watch for a switch to TLS (starttls.go)
	socks socks    // the watch for a SOCKS tunnel (starttls.go)
}

// appFlow is one direction's reassembly state.
type appFlow struct {
	buf      []byte    // bytes of an incomplete message
	segs     []Segment // where they came from
	nextSeq  uint32    // relative sequence number after buf
	pending  bool
	untilFIN bool // the message ends when the flow does
	// oneMore is set when the protocol could not tell the pending
	// message's length and asked for one more segment (Wireshark's
	// DESEGMENT_ONE_MORE_SEGMENT): TCP then hands it the message so far
	// with each new segment, and it writes its Info again.
	oneMore bool
	// end is the relative sequence number after the pending message when
	// its length is known (not oneMore); holed is set once a segment of
	// it was missed.
	start, end uint32
	holed      bool
	// full holds a message with a hole (its length end-start, when not
	// above maxHoled) and cover the spans of it received so far.
	full  []byte
	cover [][2]int
	// hashes identify the segments of the pending message; done is the
	// sequence range of the last message reassembled from several
	// segments ([0, 0) before any), doneHashes its segments'.
	hashes, doneHashes []segHash
	done               [2]uint32
}

// segHash identifies a segment's bytes in a reassembled message, so that
// an out-of-order copy can be told from different data.
type segHash struct {
	seq uint32
	n   int
	h   uint64
}

var segSeed = maphash.MakeSeed()

func hashSeg(seq uint32, b []byte) segHash {
	return segHash{seq: seq, n: len(b), h: maphash.Bytes(segSeed, b)}
}

// conflicts reports whether b at relative sequence number seq may differ
// from the last reassembled message's bytes there: true unless a segment
// of it had the same bounds and bytes (netsim keeps hashes, not the
// bytes, so other overlaps count as conflicts).
func (fl *appFlow) conflicts(seq uint32, b []byte) bool {
	for _, x := range fl.doneHashes {
		if x.seq == seq && x.n == len(b) {
			return x.h != maphash.Bytes(segSeed, b)
		}
	}
	return true
}

// maxHoled is the longest message with a hole whose bytes are kept so
// that a segment filling the hole can complete it, as Wireshark's
// reassembly does.
const maxHoled = 16 << 20

// tcpOutOfOrder hands an out-of-order segment to the application layer
// when it falls inside a message being reassembled: Wireshark adds it to
// the message (and it may complete it). Other out-of-order data is not
// dissected.
func (d *Dissector) tcpOutOfOrder(p *Packet, fi int) {
	t := &p.TCP
	if len(t.Payload) == 0 || p.truncated || d.apps == nil {
		return
	}
	c := d.apps[t.Stream]
	if c == nil || c.proto == appNone {
		return
	}
	fl := &c.flows[fi]
	switch end := t.Seq + uint32(len(t.Payload)); {
	case fl.pending && fl.inHole(t.Seq):
		d.mspSegment(p, c, fi)
	case fl.done[1] != fl.done[0] && int32(t.Seq-fl.done[0]) >= 0 && int32(end-fl.done[1]) <= 0 && fl.conflicts(t.Seq, t.Payload):
		// Different bytes inside a message already reassembled:
		// Wireshark's reassembly refuses the fragment, and says so.
		t.reassemblyErr = true
		p.expertMalformed = true
	}
}

// mspSegment adds a segment to the pending message of known length it
// falls inside of, after a hole (inHole). The message completes when its
// every byte has arrived; until then each segment shows as part of it.
func (d *Dissector) mspSegment(p *Packet, c *appConv, fi int) {
	t := &p.TCP
	fl := &c.flows[fi]
	data := t.Payload
	n := int(fl.end - fl.start)
	if !fl.holed {
		fl.holed = true
		if n <= maxHoled {
			fl.full = make([]byte, n)
			copy(fl.full, fl.buf)
			fl.cover = append(fl.cover[:0], [2]int{0, len(fl.buf)})
		}
	}
	off := int(t.Seq - fl.start)
	m := min(len(data), n-off)
	if next := t.Seq + uint32(len(data)); int32(next-fl.nextSeq) > 0 {
		fl.nextSeq = next
	}
	fl.segs = append(fl.segs, Segment{Frame: p.Number, Len: m})
	fl.hashes = append(fl.hashes, hashSeg(t.Seq, data[:m]))
	if fl.full != nil {
		copy(fl.full[off:], data[:m])
		fl.cover = addSpan(fl.cover, off, off+m)
		if len(fl.cover) == 1 && fl.cover[0] == [2]int{0, n} {
			msg, segs := fl.full, append([]Segment(nil), fl.segs...)
			fl.done = [2]uint32{fl.start, fl.end}
			fl.doneHashes, fl.hashes = fl.hashes, fl.doneHashes[:0]
			fl.reset()
			p.TCP.SegData = append(p.TCP.SegData, m)
			d.appPDU(p, c, fi, msg, segs)
			if rest := data[m:]; len(rest) > 0 {
				fl.segs = append(fl.segs[:0], Segment{Frame: p.Number, Len: len(rest)})
				d.appData(p, c, fi, rest, t.Flags&thFIN != 0)
				if fl.pending {
					fl.nextSeq = t.Seq + uint32(len(data))
				}
			}
			return
		}
	}
	if !p.hasApp() {
		p.TCP.SegmentOfPDU = true
	}
	p.TCP.SegData = append(p.TCP.SegData, len(data))
	if int32(fl.nextSeq-fl.end) >= 0 {
		// The message's last segment came and it is still not whole:
		// tshark adds nothing more to it.
		fl.reset()
	}
}

// addSpan adds [a, b) to the sorted, disjoint spans s, merging where they
// touch.
func addSpan(s [][2]int, a, b int) [][2]int {
	if a >= b {
		return s
	}
	out := s[:0:0]
	placed := false
	for _, x := range s {
		switch {
		case x[1] < a:
			out = append(out, x)
		case x[0] > b:
			if !placed {
				out = append(out, [2]int{a, b})
				placed = true
			}
			out = append(out, x)
		default:
			a, b = min(a, x[0]), max(b, x[1])
		}
	}
	if !placed {
		out = append(out, [2]int{a, b})
	}
	return out
}

// inHole reports whether a segment at relative sequence number seq falls
// inside the pending message of known length but not right after the
// bytes held (a gap, or a retransmission that fills one), or the message
// already has a hole.
func (fl *appFlow) inHole(seq uint32) bool {
	if fl.oneMore || (seq == fl.nextSeq && !fl.holed) {
		return false
	}
	return int32(seq-fl.start) >= 0 && int32(seq-fl.end) < 0
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
		case pduPorts[p] != 0:
			return pduPorts[p]
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
	if c.tls0.now {
		// The plaintext protocol handed the conversation to TLS.
		c.proto, c.tls0 = appTLS, starttls{checked: true}
	}
	if !c.tls0.checked {
		c.tls0.kind, c.tls0.checked = starttlsKind(t.SrcPort, t.DstPort), true
	}
	if c.proto == appNone || c.proto == appLDAP {
		c.tls0.watch(fi, t.Payload)
	}
	if c.socks.done && c.socks.port != 0 {
		// The SOCKS server granted the CONNECT: what follows is for
		// the port the client asked for.
		c.proto, c.socks.port = tcpPortProto(c.socks.port, c.socks.port), 0
	}
	if c.proto == appNone && (t.SrcPort == 1080 || t.DstPort == 1080) {
		c.socks.watch(t.DstPort == 1080, t.Payload)
	}
	if c.proto == appNone {
		c.proto = tcpPortProto(t.SrcPort, t.DstPort)
		if c.proto == appNone && !p.tcpPortTaken(t.SrcPort, t.DstPort, t.Payload) {
			switch {
			case tlsHeuristic(t.Payload):
				c.proto = appTLS
			case httpHeuristic(t.Payload):
				c.proto = appHTTP
			case dcerpcHeuristic(t.Payload):
				c.proto = appDCERPC
			}
		}
	}
	if c.proto == appNone {
		p.portData(tcpDissectorPorts, t.SrcPort, t.DstPort, t.Payload)
		return
	}
	if c.proto == appHTTP && c.http.websocket {
		c.proto = appWS
	}
	if c.proto == appHTTP && c.http.tunnel {
		// After a CONNECT: TLS when it looks like TLS, else data.
		c.http.tunnel = false
		if tlsHeuristic(t.Payload) {
			c.proto = appTLS
		} else {
			c.http.upgraded = true
		}
	}
	if c.proto == appHTTP && c.http.upgraded {
		// After "101 Switching Protocols" to a protocol tshark does not
		// know, HTTP hands the bytes to data and leaves the columns to TCP.
		p.push(0, idHTTP, t.Payload)
		p.setData(t.Payload)
		return
	}
	fl := &c.flows[fi]
	data := t.Payload
	if fl.pending && !p.truncated && fl.inHole(t.Seq) {
		d.mspSegment(p, c, fi)
		return
	}
	if fl.holed {
		// Past the message with a hole: it never completes.
		fl.reset()
	}
	if fl.pending {
		if t.Seq != fl.nextSeq || p.truncated {
			// A gap or a cut-short segment: give the message up.
			fl.reset()
		} else {
			fl.buf = append(fl.buf, data...)
			fl.segs = append(fl.segs, Segment{Frame: p.Number, Len: len(data)})
			fl.hashes = append(fl.hashes, hashSeg(t.Seq, data))
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
	fl.buf, fl.segs, fl.pending, fl.untilFIN, fl.oneMore, fl.holed = fl.buf[:0], fl.segs[:0], false, false, false, false
	fl.full, fl.cover = nil, fl.cover[:0]
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
			case appNBSS, appLDAP, appTPKT, appKRB, appDCERPC, appWS:
				n, ok = pduLen(c.proto, p.TCP.SrcPort == 445 || p.TCP.DstPort == 445, rest)
			}
		} else {
			n, ok = len(rest), true
		}
		if ok && n <= 0 {
			n = len(rest)
		}
		known := ok && n > len(rest) // the length of an incomplete message
		if ok && n > len(rest) {
			ok = false
		}
		untilFIN := known && c.proto == appHTTP && n == httpUntilFIN
		if !ok {
			if c.proto == appHTTP && !httpStarts(rest) && (rest[0] < 0x20 || rest[0] >= 0x7f || bytes.ContainsAny(rest, "\r\n")) {
				// Not the start of a message: a continuation, once the
				// conversation has carried a request (tshark 4.0's
				// have_seen_http); before that the HTTP dissector leaves
				// the segment to TCP. (Text without a line end yet is
				// kept below: the dissector asks for one more segment.)
				if c.http.nreq > 0 {
					var segs []Segment
					if first && wasPending {
						segs = append(segs, fl.segs...)
					}
					d.appPDU(p, c, fi, rest, segs)
				}
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
			oneMore := fl.oneMore && first && wasPending
			fl.buf, fl.segs, fl.pending = kept, segs, true
			fl.oneMore, fl.untilFIN = !known, untilFIN
			fl.start = p.TCP.Seq + uint32(len(p.TCP.Payload)) - uint32(len(rest))
			fl.end = fl.start + uint32(n)
			if !(first && wasPending) {
				fl.hashes = append(fl.hashes[:0], hashSeg(fl.start, rest))
			}
			if first && wasPending {
				p.TCP.SegData = append(p.TCP.SegData, len(p.TCP.Payload))
			} else {
				p.TCP.SegData = append(p.TCP.SegData, len(rest))
			}
			if !p.hasApp() {
				p.TCP.SegmentOfPDU = true
				p.TCP.pduNoInfo = (c.proto == appSSH || c.proto == appTLS) && (!wasPending || !first)
				if c.proto == appHTTP && (!wasPending || !first || oneMore) {
					// Wireshark's HTTP dissector has already written the
					// first line when it asks for more data.
					p.TCP.PDUInfo = httpFirstLineInfo(rest)
				}
				if c.proto == appTLS && (!wasPending || !first) {
					// The TLS dissector ran (and cleared Info) before
					// asking for the rest of the record.
					p.push(ProtoTLS, idTLS, rest)
				}
				if c.proto >= appNBSS && (!wasPending || !first) {
					p.TCP.PDUInfo, p.TCP.pduNoInfo = pduFirstInfo(c.proto, rest)
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
			fl.done = [2]uint32{fl.start, fl.start + uint32(n)}
			fl.doneHashes, fl.hashes = fl.hashes, fl.doneHashes[:0]
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
	case appWS:
		// tshark's WebSocket dissector runs under http and hands a
		// binary frame's payload to data (text to text lines, control
		// frames to nothing).
		p.push(ProtoHTTP, idHTTP, b)
		if len(b) >= 2 && b[0]&0x0f == 2 && b[1]&0x7f != 0 {
			p.setData(b)
		}
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
