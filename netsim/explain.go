package netsim

import (
	"slices"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"netsim.dev/netsim/internal/explain"
	"netsim.dev/netsim/internal/sim"
)

// Lesson mode (Options.Explain): every captured frame gets comments saying
// why it was sent. The cause is not guessed from the capture: the driver
// runs one step at a time (a task's socket call, a stack timer, the
// delivery of the frames that reached a host at one instant), every frame
// a stack sends is sent within the step that made it (gVisor's processor
// goroutines included: the step ends only once the stack is quiescent),
// and the driver reports each step as it begins (sim.Sim.OnStep). The
// record path reads the current step when a frame enters a link.

// capturePoint is where a wire direction's frames are recorded: the
// capture interface of its link and who sends on it.
type capturePoint struct {
	iface int    // the capture handle
	link  string // the link's (interface's) name
	host  *Host  // the sending host, or nil
	sw    *Switch
}

// explainer is a network's lesson-mode state. step is guarded by the
// Network's mu, as is x (the Explainer runs under the capture's lock,
// within record).
type explainer struct {
	x    *explain.Explainer
	step stepState
	// pending is the last frame recorded, written once the next frame is
	// recorded or the step ends (finishPending): gVisor counts some of a
	// segment's counters (SegmentsSent, ResetsSent, FastRetransmit) only
	// once it is written, so they are read after. Frames keep their order.
	pending    pendingFrame
	hasPending bool
	// seen, if set, sees every frame explained (tests).
	seen func(explain.Frame)
}

// stepState is the step the driver is running, as the record path needs it.
type stepState struct {
	kind    explain.Kind
	call    explain.Call
	timer   time.Duration
	host    *Host // the host whose arrived frames are being delivered
	arrived []int
}

// pendingFrame is a frame recorded and not yet written.
type pendingFrame struct {
	pt      *capturePoint
	frame   []byte
	note    string
	ts      time.Time
	elapsed time.Duration
	num     int
	cause   explain.Cause
}

// hostExplain is a host's lesson-mode state.
type hostExplain struct {
	// before and after are the host's TCP counters when it sent its
	// previous frame: before read as the frame was recorded, after once it
	// was written (guarded by the Network's mu).
	before, after explain.TCPCounts

	mu      sync.Mutex // guards senders: the probe runs on gVisor's goroutines
	senders map[tcp.TCPEndpointID]explain.SenderState
}

// newExplainer returns the lesson-mode state for opts, or nil when there
// is nothing to explain (no Explain, or no capture).
func newExplainer(opts Options) *explainer {
	if !opts.Explain || opts.Capture == nil {
		return nil
	}
	lang, _ := explain.ParseLang(opts.Language) // checked by validate
	return &explainer{x: explain.New(lang)}
}

// onStep records the step the driver begins (sim.Sim.OnStep).
func (n *Network) onStep(st sim.Step) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.finishPending()
	s := &n.explain.step
	*s = stepState{arrived: s.arrived[:0]}
	switch st.Kind {
	case sim.StepCall:
		s.kind = explain.KindCall
		s.call = explain.Call{Program: st.Program, Op: st.Call.Op, Bytes: st.Call.Bytes, Local: st.Call.Local, Remote: st.Call.Remote}
	case sim.StepEvent:
		if in, ok := st.Inherited.(*stepState); ok {
			*s = *in // work a step deferred (see inheritStep)
		} else if st.Timer {
			s.kind, s.timer = explain.KindTimer, st.Armed
		}
	}
}

// inheritStep returns a copy of the current step, for a stack timer armed
// for no time: gVisor defers work so (vclock.Clock.SetInherit), and the
// frames it sends then belong to the step that deferred it (the first ARP
// request to the connect() that needed it; the packets that waited for a
// neighbour's address to the arrival of its reply).
func (n *Network) inheritStep() any {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.explain.step
	s.arrived = append([]int(nil), s.arrived...)
	return &s
}

// setArrival makes the current step the delivery of frames to h: those
// numbered nums (0 for a frame that was not captured).
func (n *Network) setArrival(h *Host, nums []int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.finishPending()
	s := &n.explain.step
	*s = stepState{kind: explain.KindArrival, host: h, arrived: s.arrived[:0]}
	for _, num := range nums {
		// A duplicate that arrives with its original is the same frame
		// of the capture: listed once.
		if num > 0 && !slices.Contains(s.arrived, num) {
			s.arrived = append(s.arrived, num)
		}
	}
}

// cause says why the frame entering the link at pt was sent (n.mu held).
// origin is what the sender's port or switch said of a forwarded frame:
// 1 + the number of the frame it arrived in.
func (n *Network) cause(pt *capturePoint, frame []byte, origin int) explain.Cause {
	var c explain.Cause
	if pt.sw != nil {
		c.Host = pt.sw.name
	}
	if h := pt.host; h != nil {
		c.Host = h.name
		c.TCP = h.tcpDelta(false)
		c.Sender = h.senderOf(frame)
	}
	if origin > 0 {
		c.Kind, c.Forwarded = explain.KindArrival, true
		if origin > 1 {
			c.Arrived = []int{origin - 1}
		}
		return c
	}
	s := &n.explain.step
	c.Kind, c.Call, c.Timer = s.kind, s.call, s.timer
	if s.kind == explain.KindArrival {
		c.Arrived = append([]int(nil), s.arrived...)
	}
	return c
}

// tcpCounts reads the host's TCP counters.
func (h *Host) tcpCounts() explain.TCPCounts {
	st := h.stack.Stats().TCP
	return explain.TCPCounts{
		SegmentsSent:         st.SegmentsSent.Value(),
		Retransmits:          st.Retransmits.Value(),
		FastRetransmit:       st.FastRetransmit.Value(),
		FastRecovery:         st.FastRecovery.Value(),
		SACKRecovery:         st.SACKRecovery.Value(),
		TLPRecovery:          st.TLPRecovery.Value(),
		SlowStartRetransmits: st.SlowStartRetransmits.Value(),
		Timeouts:             st.Timeouts.Value(),
		ResetsSent:           st.ResetsSent.Value(),
		SpuriousRecovery:     st.SpuriousRecovery.Value(),
	}
}

// tcpDelta returns increments of the host's TCP counters since its
// previous frame (n.mu held). gVisor increments SegmentsSent, ResetsSent
// and FastRetransmit once a segment is written, the others before: when
// written is false (the frame is being recorded) the others are given,
// since the previous frame was recorded; when true (it has been written),
// those three, since the previous frame was written.
func (h *Host) tcpDelta(written bool) explain.TCPCounts {
	now := h.tcpCounts()
	if written {
		l := h.explain.after
		h.explain.after = now
		return explain.TCPCounts{
			SegmentsSent:   now.SegmentsSent - l.SegmentsSent,
			FastRetransmit: now.FastRetransmit - l.FastRetransmit,
			ResetsSent:     now.ResetsSent - l.ResetsSent,
		}
	}
	l := h.explain.before
	h.explain.before = now
	return explain.TCPCounts{
		Retransmits:          now.Retransmits - l.Retransmits,
		FastRecovery:         now.FastRecovery - l.FastRecovery,
		SACKRecovery:         now.SACKRecovery - l.SACKRecovery,
		TLPRecovery:          now.TLPRecovery - l.TLPRecovery,
		SlowStartRetransmits: now.SlowStartRetransmits - l.SlowStartRetransmits,
		Timeouts:             now.Timeouts - l.Timeouts,
		SpuriousRecovery:     now.SpuriousRecovery - l.SpuriousRecovery,
	}
}

// probe is the host's TCP probe (tcp.NewProtocolProbe): gVisor calls it
// after each segment an endpoint processes, with the endpoint's state.
// completeStateLocked reads the stack's monotonic clock for the probe
// (SegTime) just before: the reading is taken back, so that the readings
// the stack itself takes (ISNs, RACK's send times) are the ones it would
// have had without the probe, and the frames stay the same bytes.
func (h *Host) probe(s *tcp.TCPEndpointState) {
	h.net.clock.TakeBack(s.SegTime)
	snd := &s.Sender
	mss := snd.MaxPayloadSize
	st := explain.SenderState{
		Cwnd:        snd.SndCwnd * mss,
		Ssthresh:    snd.Ssthresh * mss,
		MSS:         mss,
		RTO:         snd.RTO,
		SRTT:        snd.RTTState.SRTT,
		SndWnd:      int(snd.SndWnd),
		Outstanding: snd.Outstanding,
		SndUna:      uint32(snd.SndUna),
		SndNxt:      uint32(snd.SndNxt),
		DupAcks:     snd.DupAckCount,
		InRecovery:  snd.FastRecovery.Active,
	}
	if snd.Ssthresh >= 1<<30/max(mss, 1) {
		st.Ssthresh = 1 << 30 // none yet: gVisor starts it at MaxInt32 segments
	}
	h.explain.mu.Lock()
	if h.explain.senders == nil {
		h.explain.senders = make(map[tcp.TCPEndpointID]explain.SenderState)
	}
	h.explain.senders[s.ID] = st
	h.explain.mu.Unlock()
}

// senderOf returns the state of the TCP endpoint that sends frame, as of
// the last segment it processed, or nil (not TCP, or nothing processed).
func (h *Host) senderOf(frame []byte) *explain.SenderState {
	id, ok := tcpEndpointOf(frame)
	if !ok {
		return nil
	}
	h.explain.mu.Lock()
	defer h.explain.mu.Unlock()
	st, ok := h.explain.senders[id]
	if !ok {
		return nil
	}
	return &st
}

// tcpEndpointOf returns the sending endpoint's id of a TCP segment in an
// Ethernet frame (not a fragment).
func tcpEndpointOf(frame []byte) (tcp.TCPEndpointID, bool) {
	var id tcp.TCPEndpointID
	const eth = header.EthernetMinimumSize
	if len(frame) < eth {
		return id, false
	}
	var seg []byte
	switch header.Ethernet(frame).Type() {
	case header.IPv4ProtocolNumber:
		ip := header.IPv4(frame[eth:])
		if !ip.IsValid(len(ip)) || ip.TransportProtocol() != header.TCPProtocolNumber || ip.More() || ip.FragmentOffset() != 0 {
			return id, false
		}
		id.LocalAddress, id.RemoteAddress = ip.SourceAddress(), ip.DestinationAddress()
		seg = ip.Payload()
	case header.IPv6ProtocolNumber:
		ip := header.IPv6(frame[eth:])
		// gVisor's TCP segments carry no extension header: the next
		// header is TCP's.
		if !ip.IsValid(len(ip)) || ip.NextHeader() != uint8(header.TCPProtocolNumber) {
			return id, false
		}
		id.LocalAddress, id.RemoteAddress = ip.SourceAddress(), ip.DestinationAddress()
		seg = ip.Payload()
	default:
		return id, false
	}
	if len(seg) < header.TCPMinimumSize {
		return id, false
	}
	t := header.TCP(seg)
	id.LocalPort, id.RemotePort = t.SourcePort(), t.DestinationPort()
	return id, true
}

// explainFrame records a frame to be written with its explanation (n.mu
// held) and returns its capture number (0 if not captured). The frame
// before it is written first.
func (n *Network) explainFrame(pt *capturePoint, frame []byte, note string, origin int) int {
	n.finishPending()
	x := n.explain
	x.pending = pendingFrame{pt: pt, frame: frame, note: note, ts: n.clock.Now(), elapsed: n.clock.Elapsed(),
		num: n.pcap.NextNumber(pt.iface), cause: n.cause(pt, frame, origin)}
	x.hasPending = true
	return x.pending.num
}

// finishPending writes the frame recorded last, if not yet written, with
// its explanation (n.mu held).
func (n *Network) finishPending() {
	x := n.explain
	if x == nil || !x.hasPending {
		return
	}
	p := &x.pending
	x.hasPending = false
	if h := p.pt.host; h != nil {
		after := h.tcpDelta(true)
		p.cause.TCP.SegmentsSent, p.cause.TCP.FastRetransmit, p.cause.TCP.ResetsSent = after.SegmentsSent, after.FastRetransmit, after.ResetsSent
	}
	_, err := n.pcap.WriteFrameWith(p.pt.iface, p.ts, p.frame, func(num int) []string {
		f := explain.Frame{Number: num, Time: p.elapsed, Link: p.pt.link, Data: p.frame, Note: p.note, Cause: p.cause}
		if x.seen != nil {
			x.seen(f)
		}
		return x.x.Explain(f)
	})
	*p = pendingFrame{}
	n.captureWritten(err)
}

// tcpProtocol returns the TCP protocol factory of a host's stack: with
// the host's probe when the network explains its frames.
func (h *Host) tcpProtocol() stack.TransportProtocolFactory {
	f := tcp.NewProtocol
	if h.net.explain != nil {
		f = tcp.NewProtocolProbe(h.probe)
	}
	return func(s *stack.Stack) stack.TransportProtocol { return newWatchedTCP(f(s), &h.queued) }
}
