package explain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cause is what the simulator was doing when a host's stack sent a frame:
// the driver runs one step at a time (a socket call, a stack timer, the
// delivery of frames that arrived), so every frame a stack sends belongs to
// exactly one step, and the simulator knows which.
type Cause struct {
	// Host is the name of the host whose stack sent the frame ("" when
	// unknown).
	Host string
	// Kind says which kind of step was running.
	Kind Kind
	// Call is the socket call that was running (Kind == KindCall).
	Call Call
	// Arrived lists the capture numbers (1-based) of the frames the stack
	// was handling when it sent this one (Kind == KindArrival): the frames
	// that reached Host at this instant and were delivered together. A frame
	// that was not captured (a link left out of the capture) has no number
	// and is not listed.
	Arrived []int
	// Timer is the duration the stack timer that fired had been armed with
	// (Kind == KindTimer): the RTO for TCP's retransmission timer.
	Timer time.Duration
	// Forwarded is set when Host is a router passing on a frame it
	// received, not a frame of its own (Arrived then names the frame).
	Forwarded bool
	// TCP is what Host's TCP stack counted during the step up to this
	// frame and since the previous frame Host sent (deltas of
	// tcpip.TCPStats): a retransmission sent because the RTO fired shows
	// Timeouts 1 and Retransmits 1.
	TCP TCPCounts
	// Sender is the sending TCP endpoint's state as of the last segment it
	// processed (gVisor's TCP probe); nil for a frame that is not TCP or an
	// endpoint that has processed nothing yet.
	Sender *SenderState
}

// Kind is a kind of simulator step.
type Kind int

// The kinds of step.
const (
	KindUnknown Kind = iota
	// KindCall: a task's socket call (connect, write, close...).
	KindCall
	// KindArrival: the stack handling frames that reached the host.
	KindArrival
	// KindTimer: one of the stack's timers fired (TCP retransmission,
	// tail loss probe, keep-alive, zero-window probe, TIME_WAIT...).
	KindTimer
	// KindTeardown: the network closing down.
	KindTeardown
)

// String returns the kind's name ("call", "arrival", "timer", "teardown",
// "unknown").
func (k Kind) String() string {
	switch k {
	case KindCall:
		return "call"
	case KindArrival:
		return "arrival"
	case KindTimer:
		return "timer"
	case KindTeardown:
		return "teardown"
	}
	return "unknown"
}

// Call is a socket call as the application made it.
type Call struct {
	// Program names who made the call: the scenario program or the task's
	// name ("client", "server"); "" when the task has none.
	Program string
	// Op is the call, as the socket API names it: "connect", "listen",
	// "accept", "write", "read", "close", "shutdown", "abort", "sendto",
	// "recvfrom", "setsockopt".
	Op string
	// Bytes is how many bytes the call passed (write, sendto).
	Bytes int
	// Local and Remote are the socket's addresses ("127.0.0.1:24000"),
	// when known.
	Local, Remote string
}

// TCPCounts are increments of gVisor's per-stack TCP counters
// (tcpip.TCPStats fields of the same names).
type TCPCounts struct {
	SegmentsSent         uint64
	Retransmits          uint64
	FastRetransmit       uint64
	FastRecovery         uint64
	SACKRecovery         uint64
	TLPRecovery          uint64
	SlowStartRetransmits uint64
	Timeouts             uint64
	ResetsSent           uint64
	SpuriousRecovery     uint64
}

// SenderState is a TCP sender's state (from gVisor's
// stack.TCPSenderState), in bytes where gVisor counts segments.
type SenderState struct {
	Cwnd        int           // congestion window, bytes (SndCwnd × MSS)
	Ssthresh    int           // slow-start threshold, bytes; ≤0 or huge: none yet
	MSS         int           // the sender's maximum payload per segment
	RTO         time.Duration // retransmission timeout
	SRTT        time.Duration // smoothed round-trip time (0 before the first sample)
	SndWnd      int           // the peer's advertised window, bytes
	Outstanding int           // segments sent and not yet acknowledged
	SndUna      uint32        // oldest unacknowledged sequence number (absolute)
	SndNxt      uint32        // next sequence number to send (absolute)
	DupAcks     int           // duplicate ACKs counted
	InRecovery  bool          // in fast recovery
}

// SenderPrefix starts the machine-readable comment Comment writes.
const SenderPrefix = "tcp sender:"

// Comment returns the state as one line of key=value fields after
// SenderPrefix, the same in every language, for readers of the capture
// (the time-sequence graph draws the congestion window from it):
//
//	tcp sender: cwnd=14480 ssthresh=none mss=1448 rto=200ms srtt=1.2ms wnd=65408 outstanding=2 una=1893000001 nxt=1893000004
func (s SenderState) Comment() string {
	var b strings.Builder
	b.WriteString(SenderPrefix)
	field := func(k, v string) { b.WriteString(" " + k + "=" + v) }
	field("cwnd", strconv.Itoa(s.Cwnd))
	if s.Ssthresh <= 0 || s.Ssthresh >= 1<<30 {
		field("ssthresh", "none")
	} else {
		field("ssthresh", strconv.Itoa(s.Ssthresh))
	}
	field("mss", strconv.Itoa(s.MSS))
	field("rto", s.RTO.String())
	field("srtt", s.SRTT.String())
	field("wnd", strconv.Itoa(s.SndWnd))
	field("outstanding", strconv.Itoa(s.Outstanding))
	field("una", strconv.FormatUint(uint64(s.SndUna), 10))
	field("nxt", strconv.FormatUint(uint64(s.SndNxt), 10))
	if s.InRecovery {
		field("recovery", "1")
	}
	return b.String()
}

// String is for tests and logs.
func (c Cause) String() string {
	return fmt.Sprintf("%s %s %+v arrived=%v timer=%v fwd=%v tcp=%+v", c.Host, c.Kind, c.Call, c.Arrived, c.Timer, c.Forwarded, c.TCP)
}
