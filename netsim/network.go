// Package netsim runs TCP and UDP conversations over a virtual network inside
// one process, on gVisor's TCP/IP stack, and writes every frame to a pcap
// file stamped with a virtual clock.
//
// Nothing touches the host's network, nothing needs privileges, and nothing
// waits on the wall clock: a simulated two-second timeout takes
// microseconds. Runs are deterministic: the same Options and the same
// program give the same capture, byte for byte, on any machine.
//
// A Network holds hosts; each host has its own TCP/IP stack and a loopback
// interface (127.0.0.1, ::1). Programs run as tasks started with Go; a task
// uses the host's Listen, Dial and ListenPacket, which return the net
// package's interfaces, and netsim's own Sleep and Now for time. Run drives
// the simulation until every task has returned.
//
// # Rules for deterministic tasks
//
// Tasks run one at a time. A task gives the turn back at every netsim call
// (every socket call, Sleep, Now), and the simulator decides who runs next,
// in an order fixed by the run itself. So a task must block only in netsim
// calls: not on channels, mutexes or time.Sleep shared with other tasks, and
// it must not start goroutines that call netsim (start them with Go). Within
// those rules any code is deterministic. A task that breaks them and keeps
// control for a few seconds of wall time without a netsim call makes Run
// fail with a [*DeadlockError] naming it, what it is blocked in and its
// stack.
//
// # Lesson mode
//
// With [Options.Explain], every frame of a pcapng capture carries comments
// that say why it was sent and how its numbers follow from earlier frames
// ("client calls connect(): SYN ...", "retransmission of frame 6: the
// retransmission timer fired (RTO 200 ms) ..."), in English or Russian
// ([Options.Language]). The simulator knows the cause, it does not guess
// it: each frame a host's stack sends belongs to exactly one step of the
// driver (a task's socket call, a stack timer, the delivery of frames that
// arrived), and netsim adds gVisor's TCP counters and the sender's state
// from gVisor's TCP probe. Name tasks with [Network.GoNamed] so that the
// explanations say who called. The frames themselves do not change.
//
// # Errors
//
// Socket calls fail as package net's do (a *net.OpError wrapping an errno,
// [net.ErrClosed], [os.ErrDeadlineExceeded]), and with [ErrNotRunning] for
// a blocking call made outside a run. Run fails with a [*DeadlockError]
// ([ErrDeadlock]), or an error matching [ErrInterrupted] (see
// [Network.RunContext]). After [Network.Close], every call fails with
// net.ErrClosed and Run with [ErrNetworkClosed].
package netsim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/internal/sim"
	"netsim.dev/netsim/internal/vclock"
	"netsim.dev/netsim/internal/wire"
)

// Network is a simulated network: its hosts, its clock, its capture.
type Network struct {
	opts  Options
	clock *vclock.Clock
	sim   *sim.Sim
	pcap  *capture.Writer
	// explain is the lesson-mode state (Options.Explain), nil when off.
	explain *explainer

	mu        sync.Mutex // guards the capture state below
	stopped   bool       // Close has stopped the capture
	frames    int
	lastFrame time.Duration
	keysSeen  map[string]bool // key log lines already in the capture (keylog.go)
	// captureFailed, set while RunContext runs, stops the run when a
	// capture write fails: a full disk or a closed pipe ends the run at
	// once instead of after simulating the rest of it for nothing.
	captureFailed context.CancelCauseFunc

	hosts     []*Host
	byName    map[string]*Host
	switches  map[string]*Switch
	links     map[string]*Link
	linkOrder []*Link
	closed    bool
	// flushFailed: a capture write error was already returned to the
	// caller (the capture writer's error is sticky: reporting it again
	// from Close would say the same thing twice).
	flushFailed bool
}

// New returns an empty network. If opts.Capture is set, the pcap file header
// is written at once.
func New(opts Options) (*Network, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	clock := vclock.New(opts.Start)
	n := &Network{
		opts:     opts,
		clock:    clock,
		sim:      sim.New(clock),
		byName:   make(map[string]*Host),
		switches: make(map[string]*Switch),
		links:    make(map[string]*Link),
	}
	n.sim.CallTime = opts.CallTime
	n.sim.AfterEvent = n.afterEvent
	if n.explain = newExplainer(opts); n.explain != nil {
		n.sim.OnStep = n.onStep
		clock.SetInherit(n.inheritStep)
	}
	n.setHangTimeout(opts.HangTimeout)
	if opts.Capture != nil {
		w, err := capture.New(opts.Capture, capture.Options{
			Format:     opts.CaptureFormat,
			SnapLen:    opts.SnapLen,
			Interfaces: opts.CaptureInterfaces,
			FlushEach:  opts.CaptureFlushEach,
		})
		if err != nil {
			return nil, err
		}
		n.pcap = w
	}
	registerLog(n)
	return n, nil
}

// Go starts fn as a task. Tasks start in the order Go is called, when Run
// runs them; Go may be called before Run or from a task. In test mode (see
// Start) it is a plain go statement. After Close, Go does nothing.
func (n *Network) Go(fn func()) { n.GoNamed("", fn) }

// GoNamed is [Network.Go] for a task with a name ("client", "server"):
// with [Options.Explain], the frames its socket calls send say so
// ("client calls connect()"), and a deadlock report names the task by it
// instead of by its function. In test mode the name is not used.
func (n *Network) GoNamed(name string, fn func()) {
	if n.sim.TestMode() {
		go fn()
		return
	}
	n.sim.Go(name, fn)
}

// Run drives the simulation until every task has returned and the network
// has settled (see Options.Linger). It is [Network.RunContext] with a
// context that is never done.
func (n *Network) Run() error {
	return n.RunContext(context.Background())
}

// RunContext drives the simulation until every task has returned and the
// network has settled (see [Options.Linger]). It returns an error if:
//   - the tasks deadlock, or a task keeps control for a few seconds of wall
//     time without a netsim call (blocked on a channel, a mutex,
//     time.Sleep): a [*DeadlockError], matching [ErrDeadlock];
//   - ctx is done: the run stops between two steps of the simulation (no
//     frame is half written) and the error matches both [ErrInterrupted]
//     and [context.Cause](ctx); it is noticed within microseconds of wall
//     time, even in the middle of a bulk transfer;
//   - a task panics;
//   - the capture cannot be written: the run stops at the first write that
//     fails (a full disk, a closed pipe), and the error is the capture's.
//
// After an error, [Network.Close] writes out every frame captured so far as
// a valid capture, fails the calls still blocked with [net.ErrClosed] and
// ends every task.
func (n *Network) RunContext(ctx context.Context) error {
	if n.closed {
		return ErrNetworkClosed
	}
	if err := n.checkCapture(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	n.mu.Lock()
	n.captureFailed = cancel
	n.mu.Unlock()
	err := n.sim.RunContext(ctx, n.opts.Linger)
	n.mu.Lock()
	n.captureFailed = nil
	n.mu.Unlock()
	if err != nil {
		if errors.Is(context.Cause(ctx), errCaptureFailed) {
			// The writer's own error, which says what failed and where.
			if ferr := n.flushCapture(); ferr != nil {
				return ferr
			}
		}
		return publicErr(err)
	}
	return n.flushCapture()
}

// errCaptureFailed is the cause with which RunContext's run is stopped when
// a capture write fails; RunContext returns the writer's error instead.
var errCaptureFailed = errors.New("netsim: the capture could not be written")

// captureWritten stops the run when a capture write failed (err not nil);
// the caller holds n.mu.
func (n *Network) captureWritten(err error) {
	if err != nil && n.captureFailed != nil {
		n.captureFailed(errCaptureFailed)
	}
}

// Start runs the network in test mode: it must be called inside a
// testing/synctest bubble (synctest.Test), on a network built outside it
// (gVisor's goroutines must not belong to the bubble). Any code, the
// standard library's and third parties' included, may then use the hosts'
// sockets from any goroutine, and time is the bubble's fake time. stop
// ends the run: the network settles for [Options.Linger] of virtual time,
// calls still blocked fail with net.ErrClosed, and the capture is flushed.
// Package netsimtest wraps all of this in one call. Outside a bubble,
// Start returns [ErrNoBubble].
//
// A deadlock (every goroutine of the bubble blocked for good, some in
// netsim calls, with nothing pending: no frame in flight, no stack timer)
// fails every blocked call and every later one with net.ErrClosed, so that
// the test runs to its end, and stop returns a [*DeadlockError] listing
// the parked calls and the bubble's goroutines with their stacks; the
// capture ends at the deadlock. The driver tells a deadlock from a
// goroutine sleeping on the bubble's clock by sleeping itself until a
// horizon a virtual century away: the bubble's clock reaches it only if
// nothing else can ever wake.
func (n *Network) Start() (stop func() error, err error) {
	if n.closed {
		return nil, ErrNetworkClosed
	}
	if err := n.checkCapture(); err != nil {
		return nil, err
	}
	// After a deadlock the driver fails every call; what the sockets then
	// send is teardown, not the run: the capture ends at the deadlock.
	n.sim.OnDeadlock = n.stopCapture
	stopSim, err := n.sim.Start(n.opts.Linger)
	if err != nil {
		return nil, err
	}
	return func() error {
		if err := stopSim(); err != nil {
			return publicErr(err)
		}
		return n.flushCapture()
	}, nil
}

// checkCapture fails if a link named in Options.CaptureInterfaces does not
// exist.
func (n *Network) checkCapture() error {
	if n.pcap != nil {
		if missing := n.pcap.Missing(); len(missing) > 0 {
			return fmt.Errorf("netsim: no link called %q to capture (links: %s)",
				missing[0], strings.Join(n.pcap.Interfaces(), ", "))
		}
	}
	return nil
}

// Sleep pauses the calling task for d of virtual time. In test mode it is
// time.Sleep, whose time is the bubble's.
func (n *Network) Sleep(d time.Duration) {
	if n.sim.TestMode() {
		time.Sleep(d)
		return
	}
	if d <= 0 {
		d = 1
	}
	n.sim.Do(&sim.Op{Desc: "Sleep", Sleep: d, Free: true})
}

// Now returns the virtual time.
func (n *Network) Now() time.Time { return n.clock.Now() }

// Stats describes a run so far.
type Stats struct {
	// Frames is the number of frames that crossed any NIC.
	Frames int
	// LastFrame is the virtual time, since the start, of the last frame.
	LastFrame time.Duration
	// Elapsed is the virtual time since the start.
	Elapsed time.Duration
	// Links names every link (hosts' loopbacks included) and Captured those
	// whose frames go to the capture.
	Links, Captured []string
	// Impaired counts what the network did, for each link direction that
	// lost, dropped, duplicated, reordered or corrupted a frame.
	Impaired []DirStats
}

// DirStats is what one direction of a link did to its frames.
type DirStats struct {
	// Dir names the link and direction: "client-server client→server".
	Dir string
	LinkStats
}

// impaired lists the link directions that did something to a frame.
func (n *Network) impaired() []DirStats {
	var dirs []*wire.Dir
	for _, h := range n.hosts {
		dirs = append(dirs, h.lo.ab)
	}
	for _, l := range n.linkOrder {
		dirs = append(dirs, l.ab, l.ba)
	}
	var out []DirStats
	for _, d := range dirs {
		s := dirStats(d)
		if s.Lost+s.Dropped+s.Duplicated+s.Reordered+s.Corrupted > 0 {
			out = append(out, DirStats{Dir: d.Name(), LinkStats: s})
		}
	}
	return out
}

// Stats returns counts for the run so far.
func (n *Network) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	st := Stats{Frames: n.frames, LastFrame: n.lastFrame, Elapsed: n.clock.Elapsed(), Impaired: n.impaired()}
	if n.pcap != nil {
		st.Links, st.Captured = n.pcap.Interfaces(), n.pcap.Captured()
	}
	return st
}

// record counts a frame entering a link at pt and writes it to the
// capture. origin is what the sending port or switch says of a frame it
// forwards (see explain.go). With explanations on, it returns the frame's
// capture number (0 if not captured); else 0.
func (n *Network) record(pt *capturePoint, frame []byte, note string, origin int) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return 0
	}
	n.frames++
	n.lastFrame = n.clock.Elapsed()
	if n.pcap == nil {
		return 0
	}
	if n.explain != nil {
		return n.explainFrame(pt, frame, note, origin)
	}
	// A write error is kept by the writer and returned by Run, which it
	// stops, and Close.
	n.captureWritten(n.pcap.WriteFrame(pt.iface, n.clock.Now(), frame, note))
	return 0
}

// addInterface declares a capture interface for a link.
func (n *Network) addInterface(name, description string) (int, error) {
	if n.pcap == nil {
		return 0, nil
	}
	return n.pcap.AddInterface(name, description)
}

// afterEvent lets the host whose timer fired finish reacting to it.
func (n *Network) afterEvent(owner int) {
	if owner > 0 && owner <= len(n.hosts) {
		n.hosts[owner-1].quiesce()
	}
}

// At runs fn on the simulator at virtual time d after the start (at once if
// that is past), between two steps: to change a link at a given moment (a
// partition from 5 s to 8 s, say).
func (n *Network) At(d time.Duration, fn func()) {
	n.clock.Post(d-n.clock.Elapsed(), 0, fn)
}

// clockAdapter gives wires the simulator's clock.
type clockAdapter struct{ n *Network }

func (c clockAdapter) Elapsed() time.Duration { return c.n.clock.Elapsed() }

func (c clockAdapter) After(d time.Duration, fn func()) { c.n.clock.Post(d, 0, fn) }

func (c clockAdapter) AfterArg(d time.Duration, fn func(any), arg any) {
	c.n.clock.PostArg(d, 0, fn, arg)
}

// Close ends the network: it stops the capture and flushes it (every frame
// captured so far, a valid pcap or pcapng file, even after an interrupted
// or failed run), fails every call still blocked (Read, Accept, Dial,
// ReadFrom...) and every later call with [net.ErrClosed], lets every task
// run to its end (one at a time, as in Run; a panic then ends its task
// quietly), and tears the stacks down. Frames the teardown itself
// sends (resets of connections still open) are not captured. A task
// blocked outside netsim (on a channel, say) cannot be ended: Close waits
// for it a few seconds of wall time, then returns an error naming it. A
// second Close returns [ErrNetworkClosed]. Close must not be called while
// Run runs.
func (n *Network) Close() error {
	if n.closed {
		return ErrNetworkClosed
	}
	n.closed = true
	n.stopCapture()
	err := n.flushCapture()
	wait := n.sim.HangTimeout
	if wait <= 0 {
		wait = sim.DefaultHangTimeout
	}
	if terr := n.sim.Close(wait); terr != nil {
		err = errors.Join(err, terr)
	}
	for _, h := range n.hosts {
		h.stack.Close()
		h.stack.Wait()
	}
	return err
}

// setHangTimeout sets how long a task may keep control, in wall time,
// before Run reports it (zero: sim.DefaultHangTimeout, negative: never).
func (n *Network) setHangTimeout(d time.Duration) { n.sim.HangTimeout = d }

// stopCapture stops counting and capturing frames.
func (n *Network) stopCapture() {
	n.mu.Lock()
	n.finishPending()
	n.stopped = true
	n.mu.Unlock()
}

// Host returns the host called name, or nil.
func (n *Network) Host(name string) *Host { return n.byName[name] }

// Hosts returns the hosts in the order they were added.
func (n *Network) Hosts() []*Host { return append([]*Host(nil), n.hosts...) }

// String describes the network for debugging.
func (n *Network) String() string {
	return fmt.Sprintf("netsim.Network(%d hosts, seed %d)", len(n.hosts), n.opts.Seed)
}

// flushCapture flushes the capture and returns its error once: after a
// failed flush has been reported, later flushes return nil.
func (n *Network) flushCapture() error {
	if n.pcap == nil || n.flushFailed {
		return nil
	}
	n.mu.Lock()
	n.finishPending()
	n.mu.Unlock()
	err := n.pcap.Flush()
	n.flushFailed = err != nil
	return err
}
