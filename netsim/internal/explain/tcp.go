package explain

import (
	"net/netip"
	"sort"
	"strconv"
	"time"
)

// connKey names a TCP connection as seen on one link: the endpoints in a
// fixed order. Each link keeps its own view, because a router's links
// each carry the whole conversation (its own frames and the forwarded
// ones) and Wireshark numbers each capture interface's frames alike.
type connKey struct {
	link string
	a, b netip.AddrPort
}

// conn is one TCP connection as the frames show it.
type conn struct {
	client int // the side (0: key.a, 1: key.b) that sent the first SYN; -1 unknown
	side   [2]side
}

// side is one direction of a connection: what one end sent.
type side struct {
	started  bool   // a segment was seen; base is set
	base     uint32 // the ISN (SYN seen), or the first seq seen minus 1
	synSeen  bool
	synFrame int
	wscale   int // the window scale this end announced in its SYN, -1 none
	nxt      uint32
	segs     []segment      // first transmissions of data, in sequence order
	frames   map[int]uint32 // frame number → Seq of the data segments
	finSent  bool
	finSeq   uint32 // the FIN's sequence number (absolute)
	finFrame int

	// The acknowledgments this end sent.
	ackSent      bool
	lastAck      uint32
	lastWin      int
	lastAckFrame int
	dupFrames    []int // duplicate ACKs since the ACK last advanced (delivered ones)
	dupStep      stepKey
	dupStepIdx   int // duplicate ACKs this end sent in dupStep before this one
	// The highest ACK of this end's that reached the peer.
	ackDelivered    bool
	ackDeliveredVal uint32
	ackDeliveredWin int
	ackDeliveredFrm int
}

// stepKey tells the frames one simulator step sent from the next step's.
type stepKey struct {
	at      time.Duration
	first   int
	arrived int
}

// segment is a first transmission of data.
type segment struct {
	seq   uint32
	len   int
	frame int // the first transmission
	// The first transmission that was not lost on this link (a
	// retransmission when the first was lost), 0 while none.
	delivered int
}

// by returns the frame that brought the segment's bytes: the first
// transmission, or the retransmission that got through.
func (s *segment) by() int {
	if s.delivered > 0 {
		return s.delivered
	}
	return s.frame
}

func (s *segment) end() uint32 { return s.seq + uint32(s.len) }

// seqLess compares sequence numbers modulo 2^32.
func seqLess(a, b uint32) bool { return int32(a-b) < 0 }

// findConn returns the connection of p's endpoints on link, or nil.
func (x *Explainer) findConn(link string, p *packet) *conn {
	src := netip.AddrPortFrom(p.src, p.sport)
	dst := netip.AddrPortFrom(p.dst, p.dport)
	if dst.Compare(src) < 0 {
		src, dst = dst, src
	}
	return x.conns[connKey{link: link, a: src, b: dst}]
}

// sideOf returns the side that sends p.
func (c *conn) sideOf(p *packet) int {
	src := netip.AddrPortFrom(p.src, p.sport)
	dst := netip.AddrPortFrom(p.dst, p.dport)
	if dst.Compare(src) < 0 {
		return 1
	}
	return 0
}

func (x *Explainer) lookupConn(link string, p *packet) (*conn, int) {
	src := netip.AddrPortFrom(p.src, p.sport)
	dst := netip.AddrPortFrom(p.dst, p.dport)
	k := connKey{link: link, a: src, b: dst}
	i := 0
	if dst.Compare(src) < 0 {
		k.a, k.b = dst, src
		i = 1
	}
	c := x.conns[k]
	if c == nil {
		c = &conn{client: -1}
		c.side[0].wscale, c.side[1].wscale = -1, -1
		x.conns[k] = c
	}
	return c, i
}

// role returns "client", "server" or "" for side i.
func (c *conn) role(i int) string {
	switch c.client {
	case -1:
		return ""
	case i:
		return "client"
	}
	return "server"
}

// window returns the window a segment of side i advertises, scaled when
// both ends announced scaling.
func (c *conn) window(i int, p *packet) int {
	w := int(p.win)
	if p.has(flagSYN) {
		return w
	}
	if c.side[0].wscale >= 0 && c.side[1].wscale >= 0 {
		return w << min(c.side[i].wscale, 14)
	}
	return w
}

// tcp explains a TCP segment and updates the connection's state.
func (x *Explainer) tcp(f Frame, p *packet) (string, frameTag) {
	c, i := x.lookupConn(f.Link, p)
	d, o := &c.side[i], &c.side[1-i]
	cause := f.Cause
	role := c.role(i)
	addr := netip.AddrPortFrom(p.src, p.sport).String()
	lost := lostNote(f.Note)
	syn, fin, rst, ack := p.has(flagSYN), p.has(flagFIN), p.has(flagRST), p.has(flagACK)

	// The numbers, relative as Wireshark shows them.
	if !d.started {
		d.started = true
		d.base = p.seq
		if !syn {
			d.base = p.seq - 1
		}
		d.nxt = p.seq
	}
	if syn && !ack && c.client == -1 {
		c.client = i
		role = c.role(i)
	}
	win := c.window(i, p)
	end := p.seq + uint32(p.length)
	if syn {
		end++
	}
	if fin {
		end++
	}
	retrans := !syn && !rst && seqLess(p.seq, d.nxt) && (p.length > 0 || fin)

	var text string
	tag := tagOther
	switch {
	case rst:
		text = x.tcpRST(c, i, f, p)
	case syn && !ack:
		tag = tagSYN
		switch {
		case d.synSeen && cause.Kind == KindTimer:
			text = x.t("syn.again.timer", x.timerDur("dur", cause), d.synFrame)
		case d.synSeen:
			text = x.t("syn.again", d.synFrame)
		case cause.Kind == KindCall:
			text = x.t("syn.connect", x.who(role, cause, addr), p.dport, p.seq)
		case cause.Kind == KindArrival && x.arrivedWith(cause, tagNeighbor) > 0:
			// connect() sent nothing yet: the SYN waited for the
			// neighbour's MAC address (explain says no more of it).
			text = x.t("syn.waited", x.roleGen(role), x.arrivedWith(cause, tagNeighbor), p.dport, p.seq)
			tag = tagSYNWaited
		default:
			text = x.t("syn", p.dport, p.seq)
		}
	case syn && ack:
		tag = tagSYN
		peerGen := x.roleGenitive(c.role(1 - i))
		switch {
		case d.synSeen && cause.Kind == KindTimer:
			text = x.t("synack.again.timer", x.timerDur("dur", cause))
		case d.synSeen && x.arrivedWith(cause, tagSYN) > 0:
			text = x.t("synack.again.syn", x.stack(role, cause, addr), x.arrivedWith(cause, tagSYN))
		case d.synSeen:
			text = x.t("synack.again", d.synFrame)
		case cause.Kind == KindArrival && x.arrivedWith(cause, tagSYN) > 0:
			text = x.t("synack.answer", x.stack(role, cause, addr), x.arrivedWith(cause, tagSYN), p.seq, peerGen)
		case cause.Kind == KindUnknown && o.synSeen:
			text = x.t("synack.answer", x.t(role), o.synFrame, p.seq, peerGen)
		default:
			text = x.t("synack", p.seq, peerGen)
		}
	case retrans:
		text, tag = x.tcpRetrans(c, i, f, p)
	case p.length > 0 || fin:
		text, tag = x.tcpData(c, i, f, p)
	default:
		text, tag = x.tcpAck(c, i, f, p)
	}
	if ack && win == 0 && !rst {
		text += " " + x.t("zerowin")
	}
	if tag == tagOther && ack && !syn && !fin && !rst && p.length == 0 {
		tag = tagAck
	}

	// Update the state with this segment.
	if syn {
		if !d.synSeen {
			d.synSeen, d.synFrame, d.base = true, f.Number, p.seq
			d.wscale = p.wscale
		}
	}
	if p.length > 0 && !retrans && tag != tagKeepalive && tag != tagZWP {
		seq := p.seq
		if syn {
			seq++
		}
		sg := segment{seq: seq, len: p.length, frame: f.Number}
		if !lost {
			sg.delivered = f.Number
		}
		d.segs = append(d.segs, sg)
	}
	if retrans && p.length > 0 && tag != tagZWP {
		sg := d.findSeg(p.seq)
		switch {
		case sg == nil:
			// Bytes this link never carried before (a router's
			// link, whose first copies were dropped before it):
			// this is their first transmission here.
			j := sort.Search(len(d.segs), func(j int) bool { return seqLess(p.seq, d.segs[j].seq) })
			ns := segment{seq: p.seq, len: p.length, frame: f.Number}
			if !lost {
				ns.delivered = f.Number
			}
			d.segs = append(d.segs, segment{})
			copy(d.segs[j+1:], d.segs[j:])
			d.segs[j] = ns
		case !lost && sg.delivered == 0 && sg.seq == p.seq:
			sg.delivered = f.Number
		}
	}
	if fin && !d.finSent {
		d.finSent, d.finSeq, d.finFrame = true, p.seq+uint32(p.length), f.Number
	}
	if seqLess(d.nxt, end) {
		d.nxt = end
	}
	if ack && !rst {
		advanced := !d.ackSent || seqLess(d.lastAck, p.ack)
		dup := tag == tagDupAck
		switch {
		case advanced:
			d.dupFrames = d.dupFrames[:0]
		case dup && !lost:
			d.dupFrames = append(d.dupFrames, f.Number)
		}
		if advanced || p.ack == d.lastAck {
			d.lastAck, d.lastWin, d.lastAckFrame, d.ackSent = p.ack, win, f.Number, true
		}
		if !lost && (!d.ackDelivered || !seqLess(p.ack, d.ackDeliveredVal)) {
			d.ackDelivered, d.ackDeliveredVal, d.ackDeliveredWin, d.ackDeliveredFrm = true, p.ack, win, f.Number
		}
	}
	if p.length > 0 {
		if d.frames == nil {
			d.frames = map[int]uint32{}
		}
		d.frames[f.Number] = p.seq
	}
	return text, tag
}

// roleGen returns "client" ("клиента") for "%s's connect()".
func (x *Explainer) roleGen(role string) string {
	g, ok := roleGen[role]
	if !ok {
		g = [2]string{"the sender", "отправителя"}
	}
	if x.ru() {
		return g[1]
	}
	return g[0]
}

func (x *Explainer) roleGenitive(role string) string {
	switch role {
	case "client":
		return x.t("client.gen")
	case "server":
		return x.t("server.gen")
	}
	if x.ru() {
		return "отправителя"
	}
	return "the sender's"
}

// rel returns side d's sequence number s relative to its ISN.
func (d *side) rel(s uint32) int { return int(s - d.base) }

// relAck returns an ACK number of the other side relative to o's ISN.
func (o *side) relOf(a uint32) int {
	if !o.started {
		return int(a)
	}
	return int(a - o.base)
}

func (x *Explainer) tcpRST(c *conn, i int, f Frame, p *packet) string {
	cause := f.Cause
	role := c.role(i)
	addr := netip.AddrPortFrom(p.src, p.sport).String()
	o := &c.side[1-i]
	switch cause.Kind {
	case KindUnknown:
		// By the numbers alone: a RST that acknowledges a SYN nobody
		// answered is TCP's "connection refused".
		if o.synSeen && !c.side[i].synSeen && p.has(flagACK) && p.ack == o.base+1 {
			return x.t("rst.refused", p.sport, o.synFrame)
		}
	case KindArrival:
		if n := x.arrivedWith(cause, tagSYN); n > 0 && !c.side[i].synSeen {
			return x.t("rst.refused", p.sport, n)
		}
		if n := firstArrived(cause); n > 0 {
			return x.t("rst.noconn", n, x.stack(role, cause, addr))
		}
	case KindCall:
		who := x.who(role, cause, addr)
		switch cause.Call.Op {
		case "abort":
			return x.t("rst.abort", who)
		case "close":
			return x.t("rst.close", who)
		case "":
		default:
			return x.t("rst.call", who, cause.Call.Op)
		}
	case KindTimer:
		return x.t("rst.timer", x.stack(role, cause, addr), x.timerDur("dur", cause))
	case KindTeardown:
		return x.t("rst.teardown")
	}
	return x.t("rst")
}

// findSeg returns the first transmission holding sequence number s.
func (d *side) findSeg(s uint32) *segment {
	j := sort.Search(len(d.segs), func(j int) bool { return seqLess(s, d.segs[j].end()) })
	if j < len(d.segs) && !seqLess(s, d.segs[j].seq) {
		return &d.segs[j]
	}
	return nil
}

// outstanding counts the segments side d has sent that the peer's
// delivered ACKs do not yet cover (data segments and the FIN).
func (c *conn) outstanding(i int) int {
	d, o := &c.side[i], &c.side[1-i]
	una := d.base + 1
	if o.ackDelivered {
		una = o.ackDeliveredVal
	}
	j := sort.Search(len(d.segs), func(j int) bool { return seqLess(una, d.segs[j].end()) })
	n := len(d.segs) - j
	if d.finSent && !seqLess(d.finSeq, una) {
		n++
	}
	return n
}

func (x *Explainer) tcpRetrans(c *conn, i int, f Frame, p *packet) (string, frameTag) {
	d, o := &c.side[i], &c.side[1-i]
	cause := f.Cause
	role := c.role(i)
	addr := netip.AddrPortFrom(p.src, p.sport).String()
	stack := x.stack(role, cause, addr)
	tc := cause.TCP

	// A zero window probe: one byte already acknowledged, to a receiver
	// whose window is 0 (gVisor's sendZeroWindowProbe re-sends SndUna-1).
	if p.length == 1 && o.ackDelivered && p.seq+1 == o.ackDeliveredVal && o.ackDeliveredWin == 0 {
		switch cause.Kind {
		case KindTimer:
			return x.t("zwp", o.ackDeliveredFrm, x.timerDur("dur", cause), stack, d.rel(p.seq)), tagZWP
		case KindUnknown:
			return x.t("zwp.plain", o.ackDeliveredFrm, d.rel(p.seq)), tagZWP
		}
	}

	orig := 0
	if s := d.findSeg(p.seq); s != nil {
		orig = s.frame
	}
	finOnly := p.length == 0 && p.has(flagFIN)
	if finOnly {
		orig = d.finFrame
	}
	tag := tagData
	if p.has(flagFIN) {
		tag = tagFIN
	}
	rs, ln := d.rel(p.seq), p.length
	// The first transmission: "frame 14" ("пакета 14"), or, when this
	// link did not carry it, "data sent earlier".
	ref := x.t("earlier")
	refNom := x.t("earlier.nom")
	if finOnly && orig > 0 {
		ref = x.t("fin.of", orig)
	} else if orig > 0 {
		ref = x.t("frame.gen", orig)
		refNom = x.framesWord([]int{orig}, strconv.Itoa(orig))
	}
	switch {
	case tc.Timeouts > 0:
		if finOnly {
			return x.t("rtx.fin.rto", orig, x.timerDur("dur.rto", cause)), tag
		}
		return x.t("rtx.rto", ref, x.timerDur("dur.rto", cause), x.segments(max(c.outstanding(i), 1)), stack, rs, ln), tag
	case tc.FastRetransmit > 0 && cause.Kind == KindTimer:
		return x.t("rtx.rack", ref, x.timerDur("dur.rack", cause), stack, rs, ln), tag
	case tc.FastRetransmit > 0:
		// The duplicate ACKs that had arrived when the stack decided.
		dups := o.dupFrames
		if last := maxArrived(cause); last > 0 {
			j := 0
			for j < len(dups) && dups[j] <= last {
				j++
			}
			dups = dups[:j]
		}
		if len(dups) == 0 {
			return x.t("rtx.fast.sack", ref, rs, stack), tag
		}
		// gVisor enters recovery on the third duplicate ACK
		// (nDupAckThreshold) and resends at once, while it handles that
		// ACK: later ones delivered in the same burst came after.
		if len(dups) > 3 {
			dups = dups[:3]
		}
		return x.t("rtx.fast", ref, x.dupAcks(len(dups)), x.frameList(dups), rs, stack), tag
	case tc.Retransmits > 0 && cause.Kind == KindTimer:
		// A timer resent data without a timeout: the tail loss probe
		// (gVisor's probeTimerExpired resends the last segment sent, and
		// is never armed in loss recovery), or RACK's reorder timer
		// marking an earlier segment lost during recovery.
		last := p.seq+uint32(p.length)+b2u(p.has(flagFIN)) == d.nxt
		inRecovery := cause.Sender != nil && cause.Sender.InRecovery
		switch {
		case last && !inRecovery && finOnly:
			return x.t("rtx.fin.tlp", x.timerDur("dur.pto", cause), stack, orig), tag
		case last && !inRecovery:
			return x.t("rtx.tlp", x.timerDur("dur.pto", cause), stack, refNom, rs, ln), tag
		case finOnly:
			return x.t("rtx.fin.timer", orig, x.timerDur("dur", cause)), tag
		}
		return x.t("rtx.rack.more", ref, x.timerDur("dur.rack", cause), stack, rs, ln), tag
	case cause.Kind == KindArrival && x.arrivedWith(cause, tagTooBig) > 0:
		return x.t("rtx.pmtu", ref, x.arrivedWith(cause, tagTooBig), stack, rs, ln), tag
	case tc.Retransmits > 0 && cause.Kind == KindArrival && firstArrived(cause) > 0 && finOnly:
		return x.t("rtx.fin.arrival", orig, firstArrived(cause), stack), tag
	case tc.Retransmits > 0 && cause.Kind == KindArrival && firstArrived(cause) > 0:
		return x.t("rtx.recovery", ref, firstArrived(cause), rs, stack, ln), tag
	}
	if finOnly {
		return x.t("rtx.fin", orig), tag
	}
	return x.t("rtx", ref, rs, ln), tag
}

func (x *Explainer) tcpData(c *conn, i int, f Frame, p *packet) (string, frameTag) {
	d, o := &c.side[i], &c.side[1-i]
	cause := f.Cause
	role := c.role(i)
	addr := netip.AddrPortFrom(p.src, p.sport).String()
	rs, ln := d.rel(p.seq), p.length
	if p.has(flagFIN) {
		finRel := d.rel(p.seq + uint32(p.length))
		switch cause.Kind {
		case KindCall:
			who := x.who(role, cause, addr)
			op := cause.Call.Op
			if op == "" {
				op = "close"
			}
			switch {
			case ln > 0:
				return x.t("fin.close.data", who, op, rs, ln), tagFIN
			case o.finSent && p.has(flagACK) && p.ack == o.finSeq+1:
				return x.t("fin.close.second", who, op, finRel, o.relOf(p.ack)), tagFIN
			}
			return x.t("fin.close", who, op, finRel, finRel+1), tagFIN
		case KindArrival:
			if n := firstArrived(cause); n > 0 {
				return x.t("fin.arrival", x.stack(role, cause, addr), finRel, n), tagFIN
			}
		case KindTeardown:
			return x.t("fin.teardown", finRel), tagFIN
		}
		return x.t("fin", finRel), tagFIN
	}
	next := rs + ln
	switch cause.Kind {
	case KindCall:
		who := x.who(role, cause, addr)
		switch cause.Call.Op {
		case "write", "send", "sendto":
			switch {
			case cause.Call.Bytes == ln || cause.Call.Bytes == 0:
				return x.t("data.write", who, cause.Call.Op, x.bytes(ln), rs, ln, next), tagData
			case cause.Call.Bytes < ln:
				return x.t("data.write.more", who, cause.Call.Op, x.bytes(cause.Call.Bytes), rs, ln, next), tagData
			}
			return x.t("data.write.part", who, cause.Call.Op, x.bytes(cause.Call.Bytes), rs, ln, next), tagData
		case "":
		default:
			return x.t("data.call", who, cause.Call.Op, rs, ln), tagData
		}
	case KindArrival:
		// An ACK (or a window update) frees room in the windows; name it
		// as such when one arrived.
		n := x.arrivedWith(cause, tagAck)
		if n == 0 {
			n = x.arrivedWith(cause, tagDupAck)
		}
		if n > 0 {
			return x.t("data.arrival.ack", x.stack(role, cause, addr), n, rs, ln), tagData
		}
		if n := firstArrived(cause); n > 0 {
			return x.t("data.arrival", x.stack(role, cause, addr), n, rs, ln), tagData
		}
	case KindTimer:
		if cause.TCP.Timeouts == 0 && cause.TCP.Retransmits == 0 && d.firstProbeCandidate() {
			return x.t("tlp.new", x.timerDur("dur.pto", cause), x.stack(role, cause, addr), rs, ln), tagData
		}
		return x.t("data.timer", x.timerDur("dur", cause), rs, ln), tagData
	}
	return x.t("data", rs, ln, next), tagData
}

// firstProbeCandidate reports whether new data sent on a timer can only be
// a tail loss probe: gVisor's probe timer is the one timer that sends new
// data (probeTimerExpired), and it runs only with data outstanding.
func (d *side) firstProbeCandidate() bool { return len(d.segs) > 0 }

func (x *Explainer) tcpAck(c *conn, i int, f Frame, p *packet) (string, frameTag) {
	d, o := &c.side[i], &c.side[1-i]
	cause := f.Cause
	role := c.role(i)
	addr := netip.AddrPortFrom(p.src, p.sport).String()
	win := c.window(i, p)
	ackRel := o.relOf(p.ack)

	// Keep-alive: no data, Seq one below the next (RFC 1122; gVisor's
	// keepaliveTimerExpired sends SndNxt-1).
	if p.seq+1 == d.nxt && d.synSeen {
		switch cause.Kind {
		case KindTimer:
			return x.t("keepalive", x.timerDur("dur", cause), x.stack(role, cause, addr), d.rel(p.seq)), tagKeepalive
		case KindUnknown:
			return x.t("keepalive.plain", d.rel(p.seq)), tagKeepalive
		}
	}
	if !p.has(flagACK) {
		return x.t("ack.plain", ackRel, win), tagOther
	}
	subject := x.stack(role, cause, addr)
	if cause.Kind == KindUnknown && role != "" {
		subject = x.t(role)
	}
	// Answers to probes.
	if n := x.arrivedWith(cause, tagKeepalive); n > 0 {
		return x.t("ack.keepalive.answer", subject, n, ackRel), tagOther
	}
	if n := x.arrivedWith(cause, tagZWP); n > 0 {
		return x.t("ack.zwp.answer", subject, n, ackRel, win), tagOther
	}
	advanced := !d.ackSent || seqLess(d.lastAck, p.ack)
	if advanced {
		// The handshake's last ACK.
		if o.synSeen && p.ack == o.base+1 && !o.finSent {
			return x.t("ack.handshake", subject, o.synFrame, x.roleGenitive(c.role(1-i))), tagOther
		}
		// The FIN.
		if o.finSent && p.ack == o.finSeq+1 {
			finRel := o.rel(o.finSeq)
			switch {
			case d.finSent:
				return x.t("ack.fin.last", subject, o.finFrame, ackRel, finRel), tagOther
			case cause.Kind == KindArrival:
				return x.t("ack.fin.alone", subject, o.finFrame, ackRel, finRel), tagOther
			}
			return x.t("ack.fin", subject, o.finFrame, ackRel, finRel), tagOther
		}
		// Data: the segments this ACK covers for the first time.
		prev := o.base + 1
		if d.ackSent {
			prev = d.lastAck
		}
		lo := sort.Search(len(o.segs), func(j int) bool { return seqLess(prev, o.segs[j].end()) })
		hi := sort.Search(len(o.segs), func(j int) bool { return seqLess(p.ack, o.segs[j].end()) })
		if hi > lo && o.segs[hi-1].end() == p.ack {
			last := o.segs[hi-1]
			if hi-lo == 1 {
				return x.t("ack.data1", subject, x.dataBytes(last.len), last.by(), ackRel, o.rel(last.seq), last.len), tagOther
			}
			var frames []int
			total := 0
			for _, s := range o.segs[lo:hi] {
				frames = append(frames, s.by())
				total += s.len
			}
			sort.Ints(frames)
			return x.t("ack.dataN", subject, numberList(frames), x.bytes(total), ackRel, o.rel(last.seq), last.len, last.by()), tagOther
		}
		return x.t("ack.upto", subject, ackRel), tagOther
	}
	if p.ack == d.lastAck && seqLess(p.ack, o.nxt) {
		// The same Ack again while data is outstanding: a duplicate ACK
		// when a segment arrived past a hole (its window may differ, as
		// gVisor's out-of-order bytes take buffer space), or an old
		// segment arrived again.
		k := len(d.dupFrames) + 1
		// The arrived segment this ACK answers: gVisor acknowledges each
		// segment past the hole at once, so the i-th duplicate ACK of a
		// step answers the i-th such segment of the frames delivered
		// together; else a segment whose bytes were already there.
		var past, old []int
		for _, n := range cause.Arrived {
			if seq, ok := o.seqOfFrame(n); ok {
				if seqLess(seq, p.ack) {
					old = append(old, n)
				} else {
					past = append(past, n)
				}
			}
		}
		step := stepKey{f.Time, firstArrived(cause), len(cause.Arrived)}
		if d.dupStep == step {
			d.dupStepIdx++
		} else {
			d.dupStep, d.dupStepIdx = step, 0
		}
		switch {
		case len(past) > 0:
			n := past[min(d.dupStepIdx, len(past)-1)]
			seq, _ := o.seqOfFrame(n)
			return x.t("ack.dup", subject, ackRel, k, n, o.rel(seq)), tagDupAck
		case len(old) > 0:
			n := old[min(d.dupStepIdx, len(old)-1)]
			seq, _ := o.seqOfFrame(n)
			return x.t("ack.old", subject, n, o.rel(seq), ackRel), tagOther
		}
		if win == d.lastWin && cause.Kind != KindCall {
			return x.t("ack.dup.plain", k, ackRel), tagDupAck
		}
	}
	if p.ack == d.lastAck && win != d.lastWin {
		if cause.Kind == KindCall && cause.Call.Op != "" {
			return x.t("ack.winupdate.read", x.who(role, cause, addr), cause.Call.Op, d.lastWin, win, ackRel), tagOther
		}
		return x.t("ack.winupdate", win, d.lastWin, ackRel), tagOther
	}
	return x.t("ack.plain", ackRel, win), tagOther
}

// seqOfFrame returns the Seq of the data segment side d sent as frame n.
func (d *side) seqOfFrame(n int) (uint32, bool) {
	s, ok := d.frames[n]
	return s, ok
}

func maxArrived(c Cause) int {
	m := 0
	for _, n := range c.Arrived {
		m = max(m, n)
	}
	return m
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// timerDur is the timer's armed duration in the form key gives it (" (RTO
// 200 ms)"), or "" when the cause does not know it.
func (x *Explainer) timerDur(key string, c Cause) string {
	if c.Timer < time.Microsecond {
		// Unknown (0), or the remainder of a lazily re-armed timer:
		// no TCP timer is that short.
		return ""
	}
	return x.t(key, x.dur(c.Timer))
}
