package netsim

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"weak"

	gvlog "gvisor.dev/gvisor/pkg/log"

	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/internal/explain"
	"netsim.dev/netsim/internal/wire"
)

// DefaultStart is where the virtual clock starts unless [Options.Start] says
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
	// [LinkConfig].Delay is 0: a short cable and a switch.
	DefaultLinkDelay = 10 * time.Microsecond
	// DefaultMTU is the MTU of an Ethernet link when [LinkConfig].MTU is 0.
	DefaultMTU = 1500
	// DefaultQueue is how many frames may wait on a rate-limited link when
	// [LinkConfig].Queue is 0, as a Linux txqueuelen.
	DefaultQueue = 1000
	// MaxDuration is the longest duration an Options or LinkConfig field
	// takes (delays, jitter, call time, linger): far beyond any real link
	// or run, and far enough below the virtual clock's range (292 years)
	// that no instant overflows.
	MaxDuration = wire.MaxDelay
)

// MinStart and MaxStart bound [Options.Start]: a pcap record stamps a frame
// in unsigned 32-bit seconds since 1970, which run out in 2106; MaxStart
// leaves a run years to end before then.
var (
	MinStart = time.Unix(0, 0).UTC()
	MaxStart = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Options configures a Network. The zero value is usable: seed 0, no
// capture, the clock at DefaultStart, no log. [New] rejects a value out of
// range with a [*ConfigError] naming the field.
type Options struct {
	// Seed seeds every random choice of the run: TCP initial sequence
	// numbers, ephemeral ports, timestamp offsets, what the links lose. The
	// same seed and the same program give the same capture, byte for byte.
	Seed int64

	// Capture, if not nil, receives the run's frames, stamped with the
	// virtual clock. [Network.Close] flushes it.
	Capture io.Writer

	// CaptureFormat is the capture's file format: [capture.PCAP] (the
	// default; link type Ethernet, microsecond timestamps, one interface)
	// or [capture.PCAPNG] (one named interface per link, a comment on every
	// frame a link lost, duplicated, corrupted or reordered).
	CaptureFormat capture.Format

	// CaptureInterfaces names the links to capture (a link's name; a host's
	// loopback is "HOST:lo"). Empty means every link in pcapng and, in pcap,
	// the first link that carries a frame. Run fails if a name matches no
	// link.
	CaptureInterfaces []string

	// CaptureFlushEach writes every frame through to Capture as it is
	// captured ([capture.Options.FlushEach]): Capture then holds a valid
	// capture after every frame, so a process that panics, calls os.Exit
	// or is killed by go test -timeout still leaves a file that Wireshark
	// opens. netsimtest sets it. It costs a write to Capture per frame.
	CaptureFlushEach bool

	// SnapLen is the capture's snapshot length; 0 means 262144, as tcpdump.
	SnapLen int

	// Start is the virtual clock's starting instant; zero means DefaultStart.
	Start time.Time

	// LoopbackDelay is the one-way delay of every host's loopback interface;
	// zero means DefaultLoopbackDelay. [Host.Loopback] gives the link, for
	// other impairments.
	LoopbackDelay time.Duration

	// CallTime is how much virtual time a socket call takes: the calling
	// task resumes that long after the call completes, as a program resumes
	// some microseconds after a system call on a real machine. Zero means
	// DefaultCallTime, negative means none; at most MaxDuration.
	CallTime time.Duration

	// IPv6DAD makes hosts run IPv6 duplicate address detection on their
	// Ethernet addresses (one probe, one second of virtual time), as Linux
	// does; an address cannot be used until it succeeds. Off by default.
	IPv6DAD bool

	// ListenBacklog is the length of a TCP listener's accept queue (Linux's
	// somaxconn); zero means 4096, Linux's default. A burst of connections
	// larger than that, all completing their handshake at one instant, is
	// reset beyond it. Negative is an error.
	ListenBacklog int

	// Explain writes, as pcapng comments on every captured frame, why the
	// frame was sent and how its numbers follow from earlier frames ("client
	// calls connect(): SYN...", "retransmission: the retransmission timer
	// fired..."), from what the simulator knew when the frame left: the
	// socket call, stack timer or arrived frames that the host's stack was
	// handling, gVisor's TCP counters and the sending endpoint's state (its
	// TCP probe), in [Options.Language]. The wire's note on a frame (lost,
	// duplicated...) stays, and a line of the sender's state follows in a
	// fixed machine-readable form ("tcp sender: cwnd=..."). The frames
	// themselves are the same bytes as without Explain. It needs a pcapng
	// capture: with a [capture.PCAP] Capture, New returns a [*ConfigError]
	// matching [ErrExplainPCAP]; with no Capture it does nothing.
	Explain bool

	// Language is the language of the explanations: "" or "en" for
	// English, "ru" for Russian. Anything else makes New return a
	// [*ConfigError] matching [ErrLanguage].
	Language string

	// Linger is how long Run goes on after the last task returns; zero
	// means DefaultLinger, negative means not at all; at most MaxDuration.
	Linger time.Duration

	// HangTimeout is how long, in wall time, a task may keep control without
	// a netsim call (blocked on a channel, a mutex, time.Sleep, or computing)
	// before Run fails with a [*DeadlockError] naming it, with its stack.
	// Zero means 5 s; negative means never. Close also waits this long for
	// a task to hand control back. Test mode does not use it.
	HangTimeout time.Duration

	// Logf, if not nil, receives the log lines of gVisor's stacks (prefixed
	// "gvisor: ", with their level) and netsim's own (prefixed "netsim: ":
	// links connected and changed), from any goroutine, one call at a time,
	// until [Network.Close]. Nil discards them. [testing.T.Logf] fits; close
	// the network before the test returns (t.Cleanup), as testing panics on
	// a Logf after that and another network's gVisor lines may come.
	//
	// gVisor has one logger for the whole process
	// (gvisor.dev/gvisor/pkg/log). The first New in a process points it at
	// netsim, for good: from then on gVisor's lines never reach standard
	// error, and each goes to the Logf of every open Network that has one.
	// A gVisor line does not say which stack wrote it, so while several
	// such networks are open (parallel tests) each gets the others' gVisor
	// lines too; netsim's own lines go to their network only. A program
	// that calls gVisor's log.SetTarget after New takes gVisor's lines
	// away from every Logf. Logf must not call the Network's methods.
	Logf func(format string, args ...any)
}

// ConfigError reports a field of [Options] or [LinkConfig] whose value is
// out of range: [New], [Network.Connect] and [Link.Set] return one (wrapped
// with context: match it with [errors.As]), and so does
// [LinkConfig.Validate]. Its message reads "LinkConfig.Loss: 1.5 is not
// between 0 and 1".
type ConfigError struct {
	// Field names the field: "Options.SnapLen", "LinkConfig.Loss",
	// "Options.CaptureInterfaces[2]".
	Field string
	// Value is the field's value.
	Value any
	// Reason says what is wrong with it, to follow "VALUE is": "negative",
	// "not between 0 and 1".
	Reason string
	// Err, if not nil, is a sentinel the error also matches with
	// [errors.Is] ([ErrLanguage], [ErrExplainPCAP]).
	Err error
}

// Unwrap returns e.Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// ErrLanguage matches (with [errors.Is]) the [*ConfigError] of an
// [Options.Language] that is neither "", "en" nor "ru".
var ErrLanguage = errors.New("netsim: unsupported language for explanations (want en or ru)")

// ErrExplainPCAP matches (with [errors.Is]) the [*ConfigError] of
// [Options.Explain] with a classic pcap capture, which has no place for
// comments.
var ErrExplainPCAP = errors.New("netsim: explanations need a pcapng capture (pcap has no comments)")

// Error returns "FIELD: VALUE is REASON".
func (e *ConfigError) Error() string {
	v := fmt.Sprint(e.Value)
	if s, ok := e.Value.(string); ok {
		v = fmt.Sprintf("%q", s)
	}
	return e.Field + ": " + v + " is " + e.Reason
}

// validate returns a *ConfigError for the first field out of range, in the
// order Options declares them, with the "netsim: " prefix of New's errors.
func (o Options) validate() error {
	if err := o.check(); err != nil {
		return fmt.Errorf("netsim: %w", err)
	}
	return nil
}

func (o Options) check() *ConfigError {
	bad := func(field string, v any, reason string, args ...any) *ConfigError {
		return &ConfigError{Field: "Options." + field, Value: v, Reason: fmt.Sprintf(reason, args...)}
	}
	if o.CaptureFormat != capture.PCAP && o.CaptureFormat != capture.PCAPNG {
		return bad("CaptureFormat", o.CaptureFormat, "neither capture.PCAP nor capture.PCAPNG")
	}
	seen := make(map[string]bool)
	for i, name := range o.CaptureInterfaces {
		field := fmt.Sprintf("CaptureInterfaces[%d]", i)
		switch {
		case name == "":
			return bad(field, name, "empty")
		case seen[name]:
			return bad(field, name, "named twice")
		}
		seen[name] = true
	}
	switch {
	case o.SnapLen < 0:
		return bad("SnapLen", o.SnapLen, "negative")
	case o.SnapLen > capture.DefaultSnapLen:
		return bad("SnapLen", o.SnapLen, "more than %d, the most tcpdump and Wireshark take", capture.DefaultSnapLen)
	case !o.Start.IsZero() && (o.Start.Before(MinStart) || o.Start.After(MaxStart)):
		return bad("Start", o.Start, "outside what a capture can stamp (%s to %s)", MinStart.Format(time.DateOnly), MaxStart.Format(time.DateOnly))
	}
	for _, d := range []struct {
		field string
		v     time.Duration
		neg   bool // negative means none
	}{{"LoopbackDelay", o.LoopbackDelay, false}, {"CallTime", o.CallTime, true}, {"Linger", o.Linger, true}, {"HangTimeout", o.HangTimeout, true}} {
		switch {
		case d.v < 0 && !d.neg:
			return bad(d.field, d.v, "negative")
		case d.v > MaxDuration:
			return bad(d.field, d.v, "more than %v", MaxDuration)
		}
	}
	if o.ListenBacklog < 0 {
		return bad("ListenBacklog", o.ListenBacklog, "negative")
	}
	if o.Explain && o.Capture != nil && o.CaptureFormat == capture.PCAP {
		e := bad("Explain", o.Explain, "not possible with CaptureFormat capture.PCAP, which has no comments: use capture.PCAPNG")
		e.Err = ErrExplainPCAP
		return e
	}
	if _, err := explain.ParseLang(o.Language); err != nil {
		e := bad("Language", o.Language, "not a language of the explanations (en, ru)")
		e.Err = ErrLanguage
		return e
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.LoopbackDelay == 0 {
		o.LoopbackDelay = DefaultLoopbackDelay
	}
	switch {
	case o.CallTime == 0:
		o.CallTime = DefaultCallTime
	case o.CallTime < 0:
		o.CallTime = 0
	}
	if o.ListenBacklog == 0 {
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

// gVisor's log (gvisor.dev/gvisor/pkg/log) is one logger for the whole
// process. The first New points it at logTarget, which hands each line to
// every open network with a Logf (see Options.Logf).
var (
	logOnce sync.Once
	logMu   sync.Mutex              // guards logNets
	logNets []weak.Pointer[Network] // the networks whose Options.Logf is set
)

// registerLog installs gVisor's log target once per process and, if n has
// a Logf, adds n to the networks that receive gVisor's lines.
func registerLog(n *Network) {
	logOnce.Do(func() { gvlog.SetTarget(logTarget{}) })
	if n.opts.Logf == nil {
		return
	}
	logMu.Lock()
	logNets = append(logNets, weak.Make(n))
	logMu.Unlock()
}

// logTarget is gVisor's log target: a gvlog.Emitter.
type logTarget struct{}

// Emit hands a gVisor line to every open network with a Logf, and forgets
// the networks closed or collected since the last line.
func (logTarget) Emit(_ int, level gvlog.Level, _ time.Time, format string, args ...any) {
	logMu.Lock()
	nets := make([]*Network, 0, len(logNets))
	for _, w := range logNets {
		if n := w.Value(); n != nil {
			nets = append(nets, n)
		}
	}
	logMu.Unlock()
	if len(nets) == 0 {
		return
	}
	line := fmt.Sprintf(format, args...)
	open := make(map[*Network]bool, len(nets))
	for _, n := range nets {
		open[n] = n.logf("gvisor: %s: %s", strings.ToLower(level.String()), line)
	}
	logMu.Lock()
	kept := logNets[:0]
	for _, w := range logNets {
		if n := w.Value(); n != nil && (open[n] || !slices.Contains(nets, n)) {
			kept = append(kept, w)
		}
	}
	clear(logNets[len(kept):])
	logNets = kept
	logMu.Unlock()
}

// logf gives a line to Options.Logf, unless the network is closed; it
// reports whether the network is still open. Lines are given one at a time
// (under n.mu), and none once Close has begun stopping the capture.
func (n *Network) logf(format string, args ...any) bool {
	if n.opts.Logf == nil {
		return true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return false
	}
	n.opts.Logf(format, args...)
	return true
}
