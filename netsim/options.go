package netsim

import (
	"io"
	"time"

	"netsim.dev/netsim/capture"
)

// DefaultStart is where the virtual clock starts unless Options.Start says
// otherwise: 2000-01-01 00:00:00 UTC, the instant at which Go's
// testing/synctest bubbles start too.
var DefaultStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Defaults for Options fields left zero.
const (
	// DefaultLoopbackDelay is the one-way delay of a host's loopback
	// interface. It is small, like a real loopback, but not zero: with every
	// frame at the same instant, gVisor's RACK loss detection declares
	// segments lost that are not, and every timestamp in the capture would
	// read the same.
	DefaultLoopbackDelay = 10 * time.Microsecond
	// DefaultCallTime is the virtual time a socket call takes. It is longer
	// than the loopback delay, so on loopback a segment is acknowledged
	// before the sender's next call, as Linux's loopback does (it delivers
	// inside the sending system call): the book's exchange keeps its order.
	DefaultCallTime = 20 * time.Microsecond
	// DefaultLinger is how long Run keeps the network going after the last
	// task returns, so that connections finish closing (TIME_WAIT lasts 60
	// seconds in gVisor) before the stacks are torn down. It costs no wall
	// time.
	DefaultLinger = 2 * time.Minute
	// DefaultLinkDelay is the one-way delay of an Ethernet link whose
	// LinkConfig.Delay is 0: a short cable and a switch.
	DefaultLinkDelay = 10 * time.Microsecond
	// DefaultMTU is the MTU of an Ethernet link when LinkConfig.MTU is 0.
	DefaultMTU = 1500
)

// Options configures a Network. The zero value is usable: seed 0, no
// capture, the clock at DefaultStart.
type Options struct {
	// Seed seeds every random choice of the run: TCP initial sequence
	// numbers, ephemeral ports, timestamp offsets, what the links lose. The
	// same seed and the same program give the same capture, byte for byte.
	Seed int64

	// Capture, if not nil, receives the run's frames, stamped with the
	// virtual clock. Network.Close flushes it.
	Capture io.Writer

	// CaptureFormat is the capture's file format: capture.PCAP (the
	// default; link type Ethernet, microsecond timestamps, one interface)
	// or capture.PCAPNG (one named interface per link, a comment on every
	// frame a link lost, duplicated, corrupted or reordered).
	CaptureFormat capture.Format

	// CaptureInterfaces names the links to capture (a link's name; a host's
	// loopback is "HOST:lo"). Empty means every link in pcapng and, in pcap,
	// the first link that carries a frame. Run fails if a name matches no
	// link.
	CaptureInterfaces []string

	// SnapLen is the capture's snapshot length; 0 means 262144, as tcpdump.
	SnapLen int

	// Start is the virtual clock's starting instant; zero means DefaultStart.
	Start time.Time

	// LoopbackDelay is the one-way delay of every host's loopback interface;
	// zero means DefaultLoopbackDelay. Host.Loopback gives the link, for
	// other impairments.
	LoopbackDelay time.Duration

	// CallTime is how much virtual time a socket call takes: the calling
	// task resumes that long after the call completes, as a program resumes
	// some microseconds after a system call on a real machine. Zero means
	// DefaultCallTime, negative means none.
	CallTime time.Duration

	// IPv6DAD makes hosts run IPv6 duplicate address detection on their
	// Ethernet addresses (one probe, one second of virtual time), as Linux
	// does; an address cannot be used until it succeeds. Off by default.
	IPv6DAD bool

	// ListenBacklog is the length of a TCP listener's accept queue (Linux's
	// somaxconn); zero means 4096, Linux's default. A burst of connections
	// larger than that, all completing their handshake at one instant, is
	// reset beyond it.
	ListenBacklog int

	// Linger is how long Run goes on after the last task returns; zero
	// means DefaultLinger, negative means not at all.
	Linger time.Duration
}

func (o Options) withDefaults() Options {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.LoopbackDelay <= 0 {
		o.LoopbackDelay = DefaultLoopbackDelay
	}
	switch {
	case o.CallTime == 0:
		o.CallTime = DefaultCallTime
	case o.CallTime < 0:
		o.CallTime = 0
	}
	if o.ListenBacklog <= 0 {
		o.ListenBacklog = defaultListenBacklog
	}
	switch {
	case o.Linger == 0:
		o.Linger = DefaultLinger
	case o.Linger < 0:
		o.Linger = 0
	}
	return o
}
