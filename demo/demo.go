// Package demo holds the programs netsim ships: the book's TCP and UDP
// exchanges over a host's loopback interface, written only against the
// netsim package's public API, as a user's own program would be.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// Params are the knobs a demo takes. The zero value of each field means the
// demo's default.
type Params struct {
	// Seed seeds the run (ephemeral ports, initial sequence numbers).
	Seed int64
	// Port is the receiver's port (default 24000, as in the book).
	Port int
	// Payload is what the sender sends (default 44, 55, 66: hex 2c 37 42).
	Payload []byte
	// Writes is how many times tcp-multi's sender writes the payload
	// (default 3).
	Writes int
	// Size is how many bytes each of transfer's connections carries
	// (default 1 MiB).
	Size int64
	// Conns is how many connections transfer opens at once (default 1, at
	// most [MaxConns]; above [ConnsPerAddr] the client gets more
	// addresses).
	Conns int
	// IPv6 runs transfer over IPv6.
	IPv6 bool
	// Hops is how many links transfer's data crosses: 1 is a cable between
	// client and server, 2 puts a router between them (default 1).
	Hops int
	// Link is applied to every link, both directions (on the book's demos:
	// the loopback, whose delay stays 10 µs unless Link sets one).
	Link netsim.LinkConfig
	// Partition, when its end is after its start, takes every link down
	// (both directions) over that span of virtual time: [0] from, [1] to.
	Partition [2]time.Duration
	// Capture receives the capture file, if not nil.
	Capture io.Writer
	// Format is the capture's format (pcap or pcapng).
	Format capture.Format
	// Interfaces names the links to capture (default: pcapng all of them,
	// pcap the client's link).
	Interfaces []string
	// Explain writes a comment on every frame saying why it was sent
	// (netsim.Options.Explain; the capture must be pcapng).
	Explain bool
	// Lang is the explanations' language (netsim.Options.Language).
	Lang string
	// Out receives what the programs print, if not nil.
	Out io.Writer
	// perAddr, if not zero, replaces ConnsPerAddr (tests: more client
	// addresses without 49,537 connections).
	perAddr int
	// Context, if not nil, ends the run early when it is done: [Demo.Run]
	// then returns an error matching [netsim.ErrInterrupted] and
	// context.Cause(Context), with the statistics of the frames captured
	// so far, and Capture holds them as a valid capture.
	Context context.Context
}

// ConnsPerAddr is how many of transfer's connections leave from one
// address of its client: gVisor gives the connections of one address to
// one destination the ephemeral ports 16000-65535 (pkg/tcpip/ports:
// firstEphemeral), 49,536 of them. Beyond that, every further dial from
// the address searches all of them linearly before it fails (60,000
// connections from one address made no progress in 420 s). So up to
// ConnsPerAddr connections the client has one address, 10.0.0.1
// (fd00::1), and dials from any address, as it always did; each further
// ConnsPerAddr connections give it one more address, 10.0.0.4, 10.0.0.5...
// (fd00::4...), which they dial from (port 0: an ephemeral port of that
// address).
const ConnsPerAddr = 65535 - 16000 + 1

// MaxClientAddrs is the most addresses transfer's client can have: 10.0.0.1
// and 10.0.0.4-10.0.0.254 of its /24 (10.0.0.2 is the server or the first
// router; 10.0.0.3 would become the client's default source address).
const MaxClientAddrs = 252

// MaxConns is the most connections transfer can open at once:
// [ConnsPerAddr] from each of [MaxClientAddrs] addresses. The maximum from
// one address runs: --conns 49536 --size 1KiB took 66 s of wall time and
// 2.0 GB of RSS (445,826 frames, 1.99 s of virtual time).
const MaxConns = ConnsPerAddr * MaxClientAddrs

// DefaultPort is the receiver's port in the book's listings.
const DefaultPort = 24000

// DefaultPayload is the book's three bytes: 44, 55, 66.
var DefaultPayload = []byte{44, 55, 66}

func (p Params) withDefaults() Params {
	if p.Port == 0 {
		p.Port = DefaultPort
	}
	if p.Payload == nil {
		p.Payload = DefaultPayload
	}
	if p.Writes == 0 {
		p.Writes = 3
	}
	if p.Size == 0 {
		p.Size = 1 << 20
	}
	if p.Conns == 0 {
		p.Conns = 1
	}
	if p.Hops == 0 {
		p.Hops = 1
	}
	if p.Out == nil {
		p.Out = io.Discard
	}
	return p
}

func (p Params) validate() error {
	if p.Port < 1 || p.Port > 65535 {
		return fmt.Errorf("port %d out of range 1-65535", p.Port)
	}
	if p.Writes < 1 || p.Writes > 1000 {
		return fmt.Errorf("writes %d out of range 1-1000", p.Writes)
	}
	if p.Size < 0 {
		return fmt.Errorf("size %d: negative", p.Size)
	}
	if p.Conns < 1 || p.Conns > p.connsPerAddr()*MaxClientAddrs {
		return fmt.Errorf("conns %d out of range 1-%d (%d ephemeral ports on each of the client's %d possible addresses)", p.Conns, p.connsPerAddr()*MaxClientAddrs, p.connsPerAddr(), MaxClientAddrs)
	}
	if p.Hops < 1 || p.Hops > 200 {
		return fmt.Errorf("hops %d out of range 1-200", p.Hops)
	}
	if pt := p.Partition; pt != [2]time.Duration{} && (pt[0] < 0 || pt[1] <= pt[0]) {
		return fmt.Errorf("partition %v-%v: the end must come after the start, both from 0", pt[0], pt[1])
	}
	if err := p.Link.Validate(); err != nil {
		return err
	}
	if len(p.Payload) == 0 {
		return errors.New("empty payload")
	}
	if len(p.Payload) > 65507 {
		return fmt.Errorf("payload of %d bytes is longer than a UDP datagram can carry (65507)", len(p.Payload))
	}
	return nil
}

// Demo is one runnable program.
type Demo struct {
	// Name is what `netsim run NAME` takes.
	Name string
	// Summary says in one line what the demo shows.
	Summary string
	// Uses names the fields of [Params] the demo reads beyond those every
	// demo reads (Seed, Link, Partition, Capture, Format, Interfaces, Out),
	// spelled as in Go: "Port", "Payload", "Writes", "Size", "Conns",
	// "Hops", "IPv6". The demo ignores the others; netsim run rejects a
	// flag that sets one of them.
	Uses []string
	run  func(Params) (netsim.Stats, error)
}

// Run runs the demo with p and returns the run's statistics.
func (d Demo) Run(p Params) (netsim.Stats, error) {
	p = p.withDefaults()
	if err := p.validate(); err != nil {
		return netsim.Stats{}, fmt.Errorf("%s: %w", d.Name, err)
	}
	st, err := d.run(p)
	if err != nil {
		return st, fmt.Errorf("%s: %w", d.Name, err)
	}
	return st, nil
}

var registry = map[string]Demo{}

func register(d Demo) { registry[d.Name] = d }

// List returns every demo, sorted by name.
func List() []Demo {
	out := make([]Demo, 0, len(registry))
	for _, d := range registry {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the demo called name.
func Lookup(name string) (Demo, bool) {
	d, ok := registry[name]
	return d, ok
}

// partition takes links down from p.Partition[0] to p.Partition[1], then
// gives them back cfg (what they carried before, for the loopback with its
// default delay).
func (p Params) partition(n *netsim.Network, cfg netsim.LinkConfig, links ...*netsim.Link) {
	if p.Partition == [2]time.Duration{} {
		return
	}
	down := cfg
	down.Down = true
	n.At(p.Partition[0], func() {
		for _, l := range links {
			l.Set(down, down)
		}
	})
	n.At(p.Partition[1], func() {
		for _, l := range links {
			l.Set(cfg, cfg)
		}
	})
}

// options returns the network options for p.
func (p Params) options() netsim.Options {
	return netsim.Options{Seed: p.Seed, Capture: p.Capture, CaptureFormat: p.Format, CaptureInterfaces: p.Interfaces, Explain: p.Explain, Language: p.Lang}
}

// finish runs the network until p.Context is done, closes it, and joins
// the tasks' errors. An interrupted run returns only the interruption (and
// a failure to close): the tasks' errors are its consequences.
func finish(p Params, n *netsim.Network, taskErrs *[]error) (netsim.Stats, error) {
	ctx := p.Context
	if ctx == nil {
		ctx = context.Background()
	}
	runErr := n.RunContext(ctx)
	st := n.Stats()
	closeErr := n.Close()
	if errors.Is(runErr, netsim.ErrInterrupted) {
		return st, errors.Join(runErr, closeErr)
	}
	errs := []error{runErr, closeErr}
	for _, err := range *taskErrs {
		if runErr != nil && errors.Is(err, net.ErrClosed) {
			continue // Close ended a call the failed run left parked
		}
		errs = append(errs, err)
	}
	return st, errors.Join(errs...)
}
