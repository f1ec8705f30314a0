package scenario

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// StepError is a step that failed: a socket call that returned an error,
// received bytes that differ from the step's data, or a step with
// expect_error that succeeded or failed otherwise. Its message is one line,
// "FILE:LINE:COL: program NAME, step N (KIND): ERR". Err is the cause
// (a *net.OpError from a socket call, say): errors.Is and errors.As see it.
type StepError struct {
	// File is the scenario's file name (Scenario.File).
	File string
	// Program names the program.
	Program string
	// Index is the step's number in its program, from 1.
	Index int
	// Step is the step.
	Step Step
	// Err is what went wrong.
	Err error
}

// Error returns "FILE:LINE:COL: program NAME, step N (KIND): ERR".
func (e *StepError) Error() string {
	return fmt.Sprintf("%s: program %s, step %d (%s): %v", where(e.File, e.Step.Pos), e.Program, e.Index, e.Step.Kind, e.Err)
}

// Unwrap returns Err.
func (e *StepError) Unwrap() error { return e.Err }

// DeadlockError is a run that could not go on: every program still running
// waits in a step for something that never comes (or one kept control too
// long, see [netsim.DeadlockError.Hang]). Its message names each waiting
// program's step and its place in the file, on one line: "deadlock at
// 2.00004s: receiver waits in recv at tcp.yaml:14:9 (Read tcp ...);
// sender waits in accept at tcp.yaml:20:9 (...)". It wraps the
// [*netsim.DeadlockError]: errors.As finds it and errors.Is(err,
// netsim.ErrDeadlock) holds.
type DeadlockError struct {
	// File is the scenario's file name.
	File string
	// Waiting are the programs that had not ended, in file order.
	Waiting []Waiting
	// Err is netsim's report.
	Err *netsim.DeadlockError
}

// Waiting is a program that waits in a step when a run deadlocks.
type Waiting struct {
	// Program names the program.
	Program string
	// Index is the step's number in its program, from 1 (0: the program
	// had not started its steps).
	Index int
	// Step is the step it waits in.
	Step Step
	// Call is netsim's description of the blocked call ("Read tcp
	// 127.0.0.1:24000->127.0.0.1:40001"), if netsim reported one.
	Call string
}

// Error returns the one-line report.
func (e *DeadlockError) Error() string {
	var b strings.Builder
	what := "deadlock"
	if e.Err != nil && e.Err.Hang > 0 {
		what = fmt.Sprintf("a program kept control for %v without a netsim call", e.Err.Hang)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "%s at %v", what, e.Err.At)
	} else {
		b.WriteString(what)
	}
	for i, w := range e.Waiting {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if w.Index == 0 {
			fmt.Fprintf(&b, "%s has not started", w.Program)
		} else {
			fmt.Fprintf(&b, "%s waits in %s at %s", w.Program, w.Step.Kind, where(e.File, w.Step.Pos))
		}
		if w.Call != "" {
			fmt.Fprintf(&b, " (%s)", w.Call)
		}
	}
	return b.String()
}

// Unwrap returns the [*netsim.DeadlockError].
func (e *DeadlockError) Unwrap() error { return e.Err }

// where formats a place in the file: "FILE:LINE:COL", or just the file
// (or "scenario") for a zero Pos.
func where(file string, p Pos) string {
	if file == "" {
		file = "scenario"
	}
	if p.Line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

// runner is one run of a scenario.
type runner struct {
	s *Scenario
	o RunOptions
	n *netsim.Network

	progs    []*runProg
	keyLog   io.Writer // the network's KeyLogWriter, for tls steps
	switches map[string]*netsim.Switch

	mu       sync.Mutex
	failure  *StepError    // the first step that failed
	socks    []*runSock    // every socket opened, in order
	closing  atomic.Bool   // Close is ending the tasks: their errors are not failures
	outMu    sync.Mutex    // serialises writes to o.Out
	captured *bytes.Buffer // the capture, when expectations need it
}

func (s *Scenario) run(o RunOptions) (*Result, error) {
	s, err := s.withPartition(o.Partition)
	if err != nil {
		return nil, err
	}
	r := &runner{s: s, o: o}
	if err := r.build(); err != nil {
		if r.n != nil {
			r.n.Close()
		}
		return nil, err
	}
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	for _, p := range r.progs {
		r.n.GoNamed(p.name, p.run)
	}
	if o.Tasks != nil {
		if err := o.Tasks(r.n); err != nil {
			r.n.Close()
			return nil, err
		}
	}
	runErr := r.n.RunContext(ctx)
	res := &Result{Stats: r.n.Stats()}
	// Where the programs wait, before Close ends them.
	var de *netsim.DeadlockError
	if errors.As(runErr, &de) {
		runErr = r.deadlock(de)
	}
	r.closing.Store(true)
	closeErr := r.n.Close()
	res.Received = r.received()

	r.mu.Lock()
	failure := r.failure
	r.mu.Unlock()
	switch {
	case errors.Is(runErr, netsim.ErrInterrupted):
		return res, joinClose(runErr, closeErr)
	case failure != nil:
		// A failed step is the cause; a deadlock that followed (a peer
		// waiting for what the failed program would have sent) is its
		// consequence.
		return res, failure
	case runErr != nil:
		return res, joinClose(runErr, closeErr)
	case closeErr != nil:
		return res, closeErr
	}
	if r.captured != nil {
		res.Capture = r.captured.Bytes()
	}
	if o.NoExpect {
		return res, nil
	}
	return res, s.expect(res)
}

// joinClose returns err, with closeErr joined when there is one.
func joinClose(err, closeErr error) error {
	if closeErr == nil {
		return err
	}
	return errors.Join(err, closeErr)
}

// build makes the network: hosts, switches, links, loopbacks, forwarding,
// routes and events, and the programs (not yet started).
func (r *runner) build() error {
	s, o := r.s, r.o
	opts := netsim.Options{
		Seed:              s.Seed,
		CaptureFormat:     capture.PCAPNG,
		CaptureInterfaces: s.Capture.Links,
		SnapLen:           s.Capture.SnapLen,
		Start:             s.Start,
		Logf:              o.Logf,
		Explain:           s.Capture.Explain,
		Language:          o.Lang,
		HangTimeout:       o.HangTimeout,
	}
	if o.Explain != nil {
		opts.Explain = *o.Explain
	}
	if s.Capture.FormatSet {
		opts.CaptureFormat = s.Capture.Format
	}
	if o.Format != nil {
		opts.CaptureFormat = *o.Format
	}
	if o.Links != nil {
		opts.CaptureInterfaces = o.Links
	}
	if o.Seed != nil {
		opts.Seed = *o.Seed
	}
	opts.Capture = o.Capture
	if !o.NoExpect && s.Expect.needCapture() {
		r.captured = new(bytes.Buffer)
		if o.Capture != nil {
			opts.Capture = io.MultiWriter(o.Capture, r.captured)
		} else {
			opts.Capture = r.captured
		}
	}
	n, err := netsim.New(opts)
	if err != nil {
		return fmt.Errorf("%s: %w", where(s.File, s.Capture.Pos), err)
	}
	r.n = n
	r.keyLog = n.KeyLogWriter()

	for _, h := range s.Hosts {
		if _, err := n.AddHost(h.Name); err != nil {
			return fmt.Errorf("%s: host %q: %w", where(s.File, h.Pos), h.Name, err)
		}
	}
	r.switches = map[string]*netsim.Switch{}
	for _, sw := range s.Switches {
		x, err := n.AddSwitch(sw.Name)
		if err != nil {
			return fmt.Errorf("%s: switch %q: %w", where(s.File, sw.Pos), sw.Name, err)
		}
		r.switches[sw.Name] = x
	}
	if err := r.links(); err != nil {
		return err
	}
	// The current configuration of every link's directions, for events.
	cur := map[*netsim.Link]*[2]netsim.LinkConfig{}
	for _, l := range n.Links() {
		ab, ba := r.linkConfigs(l.Name())
		cur[l] = &[2]netsim.LinkConfig{ab, ba}
	}
	for _, h := range s.Hosts {
		host := n.Host(h.Name)
		lo := netsim.LinkConfig{Delay: netsim.DefaultLoopbackDelay}
		if h.Loopback != nil {
			lo = h.Loopback.Merge(lo)
		}
		lo = o.Impair.Merge(lo)
		if h.Loopback != nil || !o.Impair.isZero() {
			if err := host.Loopback().Set(lo, lo); err != nil {
				p := h.Pos
				if h.Loopback != nil && h.Loopback.Pos.Line != 0 {
					p = h.Loopback.Pos
				}
				return fmt.Errorf("%s: host %q: loopback: %w", where(s.File, p), h.Name, err)
			}
		}
		cur[host.Loopback()] = &[2]netsim.LinkConfig{lo, lo}
	}
	for _, h := range s.Hosts {
		host := n.Host(h.Name)
		if h.Forwarding {
			if err := host.SetForwarding(true); err != nil {
				return fmt.Errorf("%s: host %q: forwarding: %w", where(s.File, h.Pos), h.Name, err)
			}
		}
		for _, rt := range h.Routes {
			if err := host.AddRoute(rt.To, rt.Via); err != nil {
				return fmt.Errorf("%s: host %q: route to %s via %s: %w", where(s.File, rt.Pos), h.Name, rt.To, rt.Via, err)
			}
		}
	}
	if err := r.events(cur); err != nil {
		return err
	}

	// Programs: default names, hosts.
	perHost := map[string]int{}
	for i := range s.Programs {
		ps := &s.Programs[i]
		host := n.Host(ps.Host)
		if host == nil {
			return fmt.Errorf("%s: program %d: no host %q", where(s.File, ps.Pos), i+1, ps.Host)
		}
		perHost[ps.Host]++
		name := ps.Name
		if name == "" {
			name = ps.Host
			if k := perHost[ps.Host]; k > 1 {
				name = fmt.Sprintf("%s#%d", ps.Host, k)
			}
		}
		r.progs = append(r.progs, &runProg{r: r, spec: ps, index: i, name: name, host: host, socks: map[string]*runSock{}})
	}
	return nil
}

// linkConfigs returns the configurations a link starts with.
func (r *runner) linkConfigs(name string) (ab, ba netsim.LinkConfig) {
	for _, l := range r.s.Links {
		if r.linkName(l) == name {
			ab = r.o.Impair.Merge(l.AB.Merge(l.Both.Merge(netsim.LinkConfig{})))
			ba = r.o.Impair.Merge(l.BA.Merge(l.Both.Merge(netsim.LinkConfig{})))
			return ab, ba
		}
	}
	return r.o.Impair.Merge(netsim.LinkConfig{}), r.o.Impair.Merge(netsim.LinkConfig{})
}

// linkName is a link's name, by default "A-B" after its ends.
func (r *runner) linkName(l LinkSpec) string {
	if l.Name != "" {
		return l.Name
	}
	end := func(e EndSpec) string {
		if e.Switch != "" {
			return e.Switch
		}
		return e.Host
	}
	return end(l.A) + "-" + end(l.B)
}

// links connects the links, in file order.
func (r *runner) links() error {
	s, n := r.s, r.n
	ifaces := map[string]int{} // per host: how many interfaces so far
	end := func(l LinkSpec, e EndSpec) (netsim.End, error) {
		switch {
		case e.Switch != "" && e.Host != "":
			return netsim.End{}, fmt.Errorf("%s: link %q: an end is a host or a switch, not both", where(s.File, pos(e.Pos, l.Pos)), r.linkName(l))
		case e.Switch != "":
			if sw := r.switches[e.Switch]; sw != nil {
				return sw.Port(), nil
			}
			return netsim.End{}, fmt.Errorf("%s: link %q: no switch %q", where(s.File, pos(e.Pos, l.Pos)), r.linkName(l), e.Switch)
		case e.Host != "":
			h := n.Host(e.Host)
			if h == nil {
				return netsim.End{}, fmt.Errorf("%s: link %q: no host %q", where(s.File, pos(e.Pos, l.Pos)), r.linkName(l), e.Host)
			}
			name := e.Iface
			if name == "" {
				name = "eth" + strconv.Itoa(ifaces[e.Host])
			}
			ifaces[e.Host]++
			return h.Iface(name, e.Addrs...), nil
		}
		return netsim.End{}, fmt.Errorf("%s: link %q: an end needs a host or a switch", where(s.File, pos(e.Pos, l.Pos)), r.linkName(l))
	}
	for _, l := range s.Links {
		a, err := end(l, l.A)
		if err != nil {
			return err
		}
		b, err := end(l, l.B)
		if err != nil {
			return err
		}
		name := r.linkName(l)
		ab, ba := r.linkConfigs(name)
		if _, err := n.Connect(name, a, b, ab, ba); err != nil {
			return fmt.Errorf("%s: link %q: %w", where(s.File, l.Pos), name, err)
		}
	}
	return nil
}

// pos returns p, or else q when p is zero.
func pos(p, q Pos) Pos {
	if p.Line == 0 {
		return q
	}
	return p
}

// isZero reports whether i sets no field.
func (i ImpairSpec) isZero() bool {
	return i.Delay == nil && i.Jitter == nil && i.Loss == nil && i.LossBurst == nil &&
		i.Dup == nil && i.Reorder == nil && i.Corrupt == nil && i.Rate == nil &&
		i.Queue == nil && i.MTU == nil && i.Down == nil
}

// events schedules the link changes. Each event's configurations are
// worked out now, in the order of their times (file order for equal
// times), from the configurations before it: an event changes only the
// fields it sets, and RunOptions.Impair stays merged over them.
func (r *runner) events(cur map[*netsim.Link]*[2]netsim.LinkConfig) error {
	s, n := r.s, r.n
	order := make([]int, len(s.Events))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return s.Events[order[i]].At < s.Events[order[j]].At })
	for _, i := range order {
		ev := s.Events[i]
		l := n.Link(ev.Link)
		if l == nil {
			return fmt.Errorf("%s: event at %v: no link %q", where(s.File, ev.Pos), ev.At, ev.Link)
		}
		if ev.At < 0 {
			return fmt.Errorf("%s: event at %v: negative time", where(s.File, ev.Pos), ev.At)
		}
		c := cur[l]
		ab := r.o.Impair.Merge(ev.AB.Merge(ev.Both.Merge(c[0])))
		ba := r.o.Impair.Merge(ev.BA.Merge(ev.Both.Merge(c[1])))
		for _, cfg := range []netsim.LinkConfig{ab, ba} {
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("%s: event at %v on link %q: %w", where(s.File, ev.Pos), ev.At, ev.Link, err)
			}
		}
		*c = [2]netsim.LinkConfig{ab, ba}
		n.At(ev.At, func() {
			// Validated above: Set cannot fail on the values.
			_ = l.Set(ab, ba)
		})
	}
	return nil
}

// withPartition returns s with the events of a partition span added (every
// link and every host's loopback down at span[0], up at span[1]), or s
// itself when span is zero. s is not changed.
func (s *Scenario) withPartition(span [2]time.Duration) (*Scenario, error) {
	if span == [2]time.Duration{} {
		return s, nil
	}
	if span[0] < 0 || span[1] <= span[0] {
		return nil, fmt.Errorf("%w: partition %v-%v: the end must come after the start, both from 0", ErrInvalid, span[0], span[1])
	}
	c := *s
	c.Events = slices.Clone(s.Events)
	down, up := true, false
	var names []string
	for _, h := range s.Hosts {
		names = append(names, h.Name+":lo")
	}
	for _, l := range s.Links {
		names = append(names, l.Name)
	}
	for _, name := range names {
		c.Events = append(c.Events,
			EventSpec{At: span[0], Link: name, Both: ImpairSpec{Down: &down}},
			EventSpec{At: span[1], Link: name, Both: ImpairSpec{Down: &up}})
	}
	return &c, nil
}

// received returns the byte counts of the sockets that received anything
// or that an expectation names, in the order they were opened (the
// named ones that were never opened last, with 0).
func (r *runner) received() []SockBytes {
	r.mu.Lock()
	defer r.mu.Unlock()
	named := map[[2]string]bool{}
	for _, e := range r.s.Expect.Received {
		named[[2]string{e.Program, e.Sock}] = true
	}
	var out []SockBytes
	seen := map[[2]string]bool{}
	for _, k := range r.socks {
		key := [2]string{k.prog.name, k.name}
		if k.received > 0 || named[key] {
			out = append(out, SockBytes{Program: k.prog.name, Sock: k.name, Bytes: k.received})
			seen[key] = true
		}
	}
	for _, e := range r.s.Expect.Received {
		key := [2]string{e.Program, e.Sock}
		if !seen[key] {
			out = append(out, SockBytes{Program: e.Program, Sock: e.Sock})
			seen[key] = true
		}
	}
	return out
}

// deadlock wraps netsim's report with the steps the programs wait in.
// netsim numbers tasks in the order of Network.Go, from 1: the runner
// starts one task per program, in file order, and no other.
func (r *runner) deadlock(de *netsim.DeadlockError) error {
	calls := map[int]string{}
	for _, c := range de.Calls {
		var id int
		if _, err := fmt.Sscanf(c.Task, "task %d", &id); err == nil {
			call := c.Call
			if c.Socket != "" {
				call += " " + c.Socket
			}
			calls[id] = call
		}
	}
	e := &DeadlockError{File: r.s.File, Err: de}
	for i, p := range r.progs {
		idx, done := p.position()
		if done {
			continue
		}
		w := Waiting{Program: p.name, Index: idx, Call: calls[i+1]}
		if idx > 0 {
			w.Step = p.spec.Steps[idx-1]
		}
		e.Waiting = append(e.Waiting, w)
	}
	return e
}

// fail records a step's failure; the first one is the run's error.
func (r *runner) fail(err *StepError) {
	if r.closing.Load() {
		return // Close ended a call: a consequence of the run's end
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failure == nil {
		r.failure = err
	}
}

// printf writes one line of a program's output.
func (r *runner) printf(prog, format string, args ...any) {
	if r.o.Out == nil {
		return
	}
	r.outMu.Lock()
	defer r.outMu.Unlock()
	fmt.Fprintf(r.o.Out, "%s: %s\n", prog, fmt.Sprintf(format, args...))
}

// show prints bytes as the book's figures do (hex) and as Python's
// receiver prints them (b',7B'), at most 32 of them.
func show(b []byte) string {
	const max = 32
	hex := fmt.Sprintf("% x", b)
	if len(b) > max {
		hex = fmt.Sprintf("% x ...", b[:max])
	}
	return fmt.Sprintf("%s (%s)", hex, pyBytes(b, max))
}

func pyBytes(b []byte, max int) string {
	var s strings.Builder
	s.WriteString("b'")
	for i, c := range b {
		if i == max {
			return s.String() + "'..."
		}
		switch {
		case c == '\\' || c == '\'':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, `\x%02x`, c)
		}
	}
	return s.String() + "'"
}
