package dissect

import "encoding/binary"

// TCP header flag bits.
const (
	thFIN = 0x001
	thSYN = 0x002
	thRST = 0x004
	thPSH = 0x008
	thACK = 0x010
	thURG = 0x020
	thECE = 0x040
	thCWR = 0x080
	thNS  = 0x100
)

// maxUnacked bounds the per-flow list of unacknowledged segments, as
// Wireshark's TCP_MAX_UNACKED_SEGMENTS does.
const maxUnacked = 10000

type tcpTable struct {
	convs map[convKey]*tcpConv
	next  uint32
}

type tcpSeg struct {
	frame        uint32
	seq, nextseq uint32
	ts           int64
}

type tcpFlow struct {
	baseSet  bool
	base     uint32
	winScale int32 // shift; -1 unknown, -2 no scaling
	window   uint32

	nextseq         uint32
	nextseqframe    uint32
	nextseqtime     int64
	lastack         uint32
	lastacktime     int64
	maxseqtobeacked uint32
	dupacknum       uint32
	lastnondupack   uint32
	lastsegflags    uint32
	segs            []tcpSeg
	pushSetLast     bool
	pushBytes       uint32
	// sackDelivered is the sum of the first three SACK blocks of the
	// flow's latest segment that had a SACK option, subtracted from the
	// peer's bytes in flight; haveSack is set once there was one.
	sackDelivered uint32
	haveSack      bool
	// noBif is set after a segment that skipped sequence space (a
	// previous segment not captured) until the peer sends an ACK:
	// Wireshark's valid_bif, cleared.
	noBif bool
}

type tcpConv struct {
	stream   uint32
	flows    [2]tcpFlow
	synTime  int64
	firstRTT int64
	// completeness is tcp.completeness: the TCPComplete* bits seen so far.
	completeness uint8
	// firstTime and prevTime are the times of the stream's first and
	// latest frames (tcp.time_relative, tcp.time_delta).
	firstTime, prevTime int64
	haveTime            bool
	// finFlow is 1 + the index of the flow that sent the first FIN, 0
	// before any.
	finFlow int
	// accECN is set once a SYN asked for Accurate ECN (tcpopts.go).
	accECN bool
}

func newFlow() tcpFlow { return tcpFlow{winScale: -1} }

func (t *tcpTable) newConv(k convKey) *tcpConv {
	c := &tcpConv{stream: t.next, flows: [2]tcpFlow{newFlow(), newFlow()}}
	t.next++
	t.convs[k] = c
	return c
}

// Sequence-space comparisons.
func gtSeq(a, b uint32) bool { return int32(a-b) > 0 }
func ltSeq(a, b uint32) bool { return int32(a-b) < 0 }
func leSeq(a, b uint32) bool { return int32(a-b) <= 0 }

func (d *Dissector) tcpDecode(p *Packet, b []byte, reported int, src, dst []byte) {
	t := &p.TCP
	if len(b) < 20 && (len(b) < 16 || p.inError) {
		// A cut-short header: Wireshark still shows the ports it has.
		p.Malformed = true
		p.headerCut("TCP")
		if len(b) < 4 && p.snapCut() {
			p.push(0, idTCP, nil)
		}
		if len(b) >= 4 {
			t.SrcPort = binary.BigEndian.Uint16(b)
			t.DstPort = binary.BigEndian.Uint16(b[2:])
			t.Short, t.BadHdr = true, true
			p.push(ProtoTCP, idTCP, b)
			p.cutIn("TCP")
			if p.inError {
				t.Quoted, t.quotedV4 = true, len(src) == 4
				if len(b) >= 8 {
					t.SeqRaw = binary.BigEndian.Uint32(b[4:])
					t.Seq = t.SeqRaw
				}
			}
		}
		return
	}
	t.SrcPort = binary.BigEndian.Uint16(b)
	t.DstPort = binary.BigEndian.Uint16(b[2:])
	t.SeqRaw = binary.BigEndian.Uint32(b[4:])
	t.AckRaw = binary.BigEndian.Uint32(b[8:])
	t.HdrLen = (b[12] >> 4) * 4
	t.Flags = binary.BigEndian.Uint16(b[12:]) & 0x0fff
	t.Window = binary.BigEndian.Uint16(b[14:])
	if len(b) >= 20 {
		t.Checksum = binary.BigEndian.Uint16(b[16:])
		t.Urgent = binary.BigEndian.Uint16(b[18:])
	}
	t.Seq, t.Ack = t.SeqRaw, t.AckRaw
	t.WinSize = uint32(t.Window)
	p.push(ProtoTCP, idTCP, b)
	if t.HdrLen < 20 || int(t.HdrLen) > reported {
		t.BadHdr = true
		p.Malformed = true
		return
	}
	t.Len = uint32(reported - int(t.HdrLen))
	t.Options, t.Payload = tcpCut(p, b)
	if len(t.Payload) > int(t.Len) {
		t.Payload = t.Payload[:t.Len]
	}

	key, fwd := makeConvKey(src, dst, t.SrcPort, t.DstPort)
	conv := d.tcp.convs[key]
	if conv == nil {
		conv = d.tcp.newConv(key)
	}
	if p.inError {
		d.tcpQuoted(p, conv, fwd, len(src) == 4)
		return
	}
	fi := 0
	if !fwd {
		fi = 1
	}
	fl := &conv.flows[fi]
	// A new SYN with another initial sequence number starts a new
	// conversation on the same ports.
	if t.Flags&(thSYN|thACK) == thSYN && fl.baseSet && t.SeqRaw != fl.base {
		conv = d.tcp.newConv(key)
		fl = &conv.flows[fi]
		t.Analysis |= TCPReusedPorts
	}
	rv := &conv.flows[1-fi]
	t.Stream = conv.stream

	first := !conv.haveTime
	if !conv.haveTime {
		conv.firstTime, conv.prevTime, conv.haveTime = p.Time, p.Time, true
	}
	t.TimeFirst, t.TimePrev = p.Time-conv.firstTime, p.Time-conv.prevTime
	conv.prevTime = p.Time
	t.Completeness = conv.completeness
	switch {
	case t.Flags&(thSYN|thACK) == thSYN:
		conv.completeness |= TCPCompleteSYN
	case t.Flags&(thSYN|thACK) == thSYN|thACK:
		conv.completeness |= TCPCompleteSYNACK
	case t.Flags&thACK != 0 && conv.completeness&TCPCompleteSYNACK != 0:
		conv.completeness |= TCPCompleteACK
	}
	conv.accECNSetup(t)
	// Wireshark 4.0 does not count the data of a conversation's first
	// segment (one that starts mid-stream).
	if t.Len > 0 && !first {
		conv.completeness |= TCPCompleteData
	}
	if t.Flags&thFIN != 0 {
		conv.completeness |= TCPCompleteFIN
		if conv.finFlow == 0 {
			conv.finFlow = fi + 1
		}
		t.FinFirst = conv.finFlow == fi+1
	}
	if t.Flags&thRST != 0 {
		conv.completeness |= TCPCompleteRST
	}
	if t.Analysis&TCPReusedPorts != 0 {
		// The SYN that reuses the ports shows the new conversation's
		// state after it.
		t.Completeness = conv.completeness
	}

	// First RTT: from the SYN to the ACK that completes the handshake.
	if t.Flags&(thSYN|thACK) == thSYN {
		conv.synTime = p.Time
	} else if t.Flags&(thSYN|thACK) == thACK && conv.synTime != 0 && conv.firstRTT == 0 {
		conv.firstRTT = p.Time - conv.synTime
	}

	// Options that matter for state: window scale on SYN segments.
	if t.Flags&thSYN != 0 {
		if shift, ok := wsOption(t.Options); ok && (rv.winScale != -2 || t.cut != 0) {
			fl.winScale = int32(min(shift, 14))
		} else if t.cut == 0 {
			// Without the option on either SYN, neither side scales.
			fl.winScale, rv.winScale = -2, -2
		}
	}

	d.analyze(p, conv, fl, rv, t.SeqRaw, t.AckRaw, t.Len, t.Flags, uint32(t.Window))
	t.FirstRTT = conv.firstRTT
	if t.cut != 0 {
		t.hideAnalysis()
	}
	fl.haveSack = false
	if len(t.Options) != 0 {
		fl.sackOptions(t.Options)
	}

	t.Seq = t.SeqRaw - fl.base
	if t.Flags&thACK != 0 {
		t.Ack = t.AckRaw - rv.base
	}
	next := t.SeqRaw + t.Len
	if t.Flags&(thSYN|thFIN) != 0 {
		next++
	}
	t.NextSeq = next - fl.base

	if t.Flags&thSYN == 0 {
		switch ws := fl.winScale; {
		case ws >= 0:
			t.WinSize = uint32(t.Window) << ws
			t.ScaleFactor = 1 << ws
		default:
			t.ScaleFactor = ws
		}
		// Wireshark records a window scale option wherever it appears
		// (scanners put one on segments without SYN): it scales the
		// direction's later segments.
		if shift, ok := wsOption(t.Options); ok && t.cut == 0 && !t.Quoted {
			fl.winScale = int32(min(shift, 14))
		}
	}
	// Wireshark does not hand retransmitted data to the next dissector,
	// nor out-of-order data unless it belongs to a message being
	// reassembled; a payload cut by the snap length goes to data.
	switch {
	case len(t.Payload) < int(t.Len):
		p.setData(t.Payload)
	case t.Analysis&TCPKeepAlive != 0:
		// A keep-alive's byte goes to data, whatever the conversation.
		p.setData(t.Payload)
	case t.Analysis&(TCPRetransmission|TCPSpuriousRetransmission|TCPOutOfOrder) == 0:
		d.tcpPayload(p, fi)
	case t.Analysis&(TCPRetransmission|TCPSpuriousRetransmission) == 0:
		d.tcpOutOfOrder(p, fi)
	}
}

// tcpQuoted finishes a TCP header quoted in an ICMP error as Wireshark
// does: it belongs to its conversation, but is not analysed; sequence
// numbers stay absolute and the window unscaled.
func (d *Dissector) tcpQuoted(p *Packet, conv *tcpConv, fwd bool, v4 bool) {
	t := &p.TCP
	t.Quoted, t.quotedV4 = true, v4
	t.Stream = conv.stream
	t.Completeness = conv.completeness
	if !conv.haveTime {
		conv.firstTime, conv.prevTime, conv.haveTime = p.Time, p.Time, true
	}
	t.TimeFirst, t.TimePrev = p.Time-conv.firstTime, p.Time-conv.prevTime
	conv.prevTime = p.Time
	fl := &conv.flows[0]
	if !fwd {
		fl = &conv.flows[1]
	}
	if ws := fl.winScale; ws >= 0 {
		t.ScaleFactor = 1 << ws
	} else {
		t.ScaleFactor = ws
	}
	p.setData(t.Payload)
}

// wsOption returns the shift count of a window scale option.
func wsOption(opts []byte) (uint8, bool) {
	for i := 0; i < len(opts); {
		k := opts[i]
		if k == 0 {
			break
		}
		if k == 1 {
			i++
			continue
		}
		if i+1 >= len(opts) {
			break
		}
		n := int(opts[i+1])
		if n < 2 || i+n > len(opts) {
			break
		}
		if k == 3 && n == 3 {
			return opts[i+2], true
		}
		i += n
	}
	return 0, false
}

// analyze runs Wireshark's TCP sequence analysis for one segment and sets
// p.TCP.Analysis and the duplicate-ACK numbers.
func (d *Dissector) analyze(p *Packet, conv *tcpConv, fl, rv *tcpFlow, seq, ack, seglen uint32, flags uint16, window uint32) {
	t := &p.TCP
	now := p.Time
	frame := uint32(p.Number)
	var af uint32

	if !fl.baseSet {
		if flags&thSYN != 0 {
			fl.base = seq
		} else {
			fl.base = seq - 1
		}
		fl.baseSet = true
	}
	if !rv.baseSet && flags&thACK != 0 {
		rv.base = ack - 1
		rv.baseSet = true
	}

	noSFR := flags&(thSYN|thFIN|thRST) == 0
	skipToFinishedFwd := false
	if seglen == 1 && seq == fl.nextseq && rv.window == 0 {
		af |= TCPZeroWindowProbe
		skipToFinishedFwd = true
	}
	if !skipToFinishedFwd {
		if window == 0 && noSFR {
			af |= TCPZeroWindow
		}
		if fl.nextseq != 0 && gtSeq(seq, fl.nextseq) && flags&thRST == 0 {
			af |= TCPLostPacket
			fl.noBif = true
		}
		if (seglen == 0 || seglen == 1) && seq == fl.nextseq-1 && noSFR {
			af |= TCPKeepAlive
		}
		if seglen == 0 && window != 0 && window != fl.window && seq == fl.nextseq && ack == fl.lastack && noSFR {
			af |= TCPWindowUpdate
		}
		if seglen > 0 && rv.winScale != -1 && noSFR {
			shift := rv.winScale
			if shift == -2 {
				shift = 0
			}
			if seq+seglen == rv.lastack+(rv.window<<uint(shift)) {
				af |= TCPWindowFull
			}
		}
		switch {
		case seglen == 0 && window != 0 && window == fl.window && seq == fl.nextseq && ack == fl.lastack && rv.lastsegflags&TCPKeepAlive != 0 && noSFR:
			af |= TCPKeepAliveAck
		case seglen == 0 && window == 0 && window == fl.window && seq == fl.nextseq && ack == fl.lastack && rv.lastsegflags&TCPZeroWindowProbe != 0 && noSFR:
			af |= TCPZeroWindowProbeAck
		case seglen == 0 && window != 0 && window == fl.window && seq == fl.nextseq && ack == fl.lastack && noSFR:
			fl.dupacknum++
			af |= TCPDuplicateAck
			t.DupAckNum = fl.dupacknum
			t.DupAckFrame = fl.lastnondupack
		}
	}
	// finished_fwd:
	if ack != fl.lastack {
		fl.lastnondupack = frame
		fl.dupacknum = 0
	}
	if rv.maxseqtobeacked != 0 && gtSeq(ack, rv.maxseqtobeacked) && flags&thACK != 0 {
		af |= TCPAckLostPacket
		rv.maxseqtobeacked = rv.nextseq
	}
	if (seglen > 0 || flags&(thSYN|thFIN) != 0) && af&TCPKeepAlive == 0 {
		notAdvanced := fl.nextseq != 0 && ltSeq(seq, fl.nextseq)
		// A segment starting one byte early that carries new data may
		// follow a zero window probe: not a retransmission.
		if seglen > 1 && fl.nextseq-1 == seq {
			notAdvanced = false
		}
		// Wireshark computes these time differences unsigned: a frame
		// captured earlier than the one it follows (reordered on another
		// link) is never within the thresholds.
		segEnd := seglen
		if flags&(thSYN|thFIN) != 0 {
			segEnd++
		}
		thres := int64(3000000)
		if conv.firstRTT != 0 {
			thres = conv.firstRTT
		}
		// Wireshark 4.0's order: spurious, fast retransmission,
		// out-of-order (tcp.fastrt_supersedes_ooo is on), then a
		// plain retransmission, timed from the eldest unacknowledged
		// segment.
		switch {
		case seglen > 0 && rv.lastack != 0 && leSeq(seq+seglen, rv.lastack):
			af |= TCPSpuriousRetransmission
		case notAdvanced && rv.dupacknum >= 2 && rv.lastack == seq && uint64(now-rv.lastacktime) < 20000000:
			af |= TCPFastRetransmission
		case notAdvanced && uint64(now-fl.nextseqtime) < uint64(thres) && fl.nextseq != seq+segEnd:
			af |= TCPOutOfOrder
		case notAdvanced:
			af |= TCPRetransmission
			t.RTO = now - fl.nextseqtime
			t.RTOFrame = fl.nextseqframe
			if len(fl.segs) > 0 {
				t.RTO = now - fl.segs[0].ts
				t.RTOFrame = fl.segs[0].frame
			}
		}
	}
	nextseq := seq + seglen
	if (seglen != 0 || flags&(thSYN|thFIN) != 0) && len(fl.segs) < maxUnacked {
		if flags&(thSYN|thFIN) != 0 {
			nextseq++
		}
		fl.segs = append(fl.segs, tcpSeg{frame: frame, seq: seq, nextseq: nextseq, ts: now})
	}
	if gtSeq(nextseq, fl.nextseq) || fl.nextseq == 0 {
		if af&TCPZeroWindowProbe == 0 {
			fl.nextseq = nextseq
			fl.nextseqframe = frame
			fl.nextseqtime = now
		}
	}
	if seq == fl.maxseqtobeacked || fl.maxseqtobeacked == 0 {
		if af&TCPZeroWindowProbe == 0 {
			fl.maxseqtobeacked = fl.nextseq
		}
	}
	fl.window = window
	fl.lastack = ack
	fl.lastacktime = now
	fl.lastsegflags = af

	// Remove the peer's segments this ACK covers, newest first as
	// Wireshark walks them (the oldest acknowledged one is named).
	kept := rv.segs[:0]
	for i := len(rv.segs) - 1; i >= 0; i-- {
		s := &rv.segs[i]
		switch {
		case ack == s.nextseq:
			t.AckedFrame = s.frame
			t.HasAckFrame = true
			t.AckRTT = now - s.ts
			s.frame = 0 // acknowledged: removed below
			s.nextseq, s.seq = 0, 1
		case gtSeq(ack, s.seq) && leSeq(ack, s.nextseq):
			s.seq = ack
		case gtSeq(s.nextseq, ack):
		default:
			s.frame = 0
			s.nextseq, s.seq = 0, 1
		}
	}
	for _, s := range rv.segs {
		if s.frame != 0 || s.seq != 1 || s.nextseq != 0 {
			kept = append(kept, s)
		}
	}
	rv.segs = kept
	t.Analysis = af | t.Analysis

	// Bytes in flight after this segment, and bytes since the last PSH,
	// as Wireshark's tcp_analyze_sequence_number computes them.
	if flags&thACK != 0 {
		rv.noBif = false
	}
	if seglen != 0 && len(fl.segs) > 0 && !fl.noBif {
		first, last := fl.segs[0].seq-fl.base, fl.segs[0].nextseq-fl.base
		for _, s := range fl.segs {
			if s.nextseq-fl.base > last {
				last = s.nextseq - fl.base
			}
			if s.seq-fl.base < first {
				first = s.seq - fl.base
			}
		}
		in := last - first
		if rv.haveSack {
			in -= rv.sackDelivered
		}
		if in > 0 && in < 2000000000 {
			t.InFlight = in
			if flags&(thSYN|thFIN) != 0 {
				t.InFlight--
			}
		}
		switch {
		case flags&thPSH != 0 && !fl.pushSetLast:
			fl.pushBytes += seglen
			fl.pushSetLast = true
		case flags&thPSH != 0:
			fl.pushBytes = seglen
		case fl.pushSetLast:
			fl.pushBytes = seglen
			fl.pushSetLast = false
		default:
			fl.pushBytes += seglen
		}
		t.PushBytes = fl.pushBytes
	}
}

// sackOptions records the data the SACK options among opts report
// (eachOption's walk, without its callback: it runs for every segment).
func (fl *tcpFlow) sackOptions(opts []byte) {
	for i := 0; i < len(opts); {
		k := opts[i]
		if k == 0 {
			return
		}
		if k == 1 {
			i++
			continue
		}
		if i+1 >= len(opts) {
			return
		}
		n := int(opts[i+1])
		if n < 2 || i+n > len(opts) {
			return
		}
		if d := opts[i+2 : i+n]; k == 5 && len(d) >= 8 {
			var sum uint32
			for j := 0; j+8 <= len(d) && j < 24; j += 8 {
				sum += be32(d[j+4:]) - be32(d[j:])
			}
			fl.sackDelivered, fl.haveSack = sum, true
		}
		i += n
	}
}
