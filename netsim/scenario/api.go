// Package scenario reads scenario files and runs them on a
// [netsim.Network]: the hosts, links, switches and routers a file
// describes, the programs it gives each host as lists of steps, the link
// changes it schedules, and the expectations that make a scenario a
// regression test. A scenario compiles to calls of netsim's public API,
// as a program written in Go would make them, so the same file gives the
// same capture, byte for byte, on any machine.
package scenario

import (
	"context"
	"io"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// Parse reads a scenario file. name is what errors show (a path, or "-"
// for standard input); a `file:` data item is read relative to name's
// directory (the working directory for "-"). The file is parsed strictly:
// an unknown key, a wrong type, a reference to a host, link or socket that
// does not exist are errors, returned as an [ErrorList] of [*Error], each
// with file:line:column and what was expected.
func Parse(name string, src []byte) (*Scenario, error) { return parse(name, src, false) }

// ParseNetwork is [Parse] for a file that describes a network for programs
// started otherwise (netsim exec's processes, through [RunOptions.Tasks]):
// its programs key may be missing. A file with programs runs them too.
func ParseNetwork(name string, src []byte) (*Scenario, error) { return parse(name, src, true) }

// RunOptions override a scenario's settings for one run, as netsim run's
// flags do. The zero value changes nothing.
type RunOptions struct {
	// Capture receives the capture (nil: none is written, but
	// expectations on the capture are still checked).
	Capture io.Writer
	// Format, if not nil, replaces the file's capture format.
	Format *capture.Format
	// Links, if not nil, replaces the file's captured links.
	Links []string
	// Seed, if not nil, replaces the file's seed.
	Seed *int64
	// Impair is merged over both directions of every link (loopbacks
	// included), after the file's own settings: netsim run's --loss,
	// --delay and the rest.
	Impair ImpairSpec
	// Partition, when its end is after its start, takes every link and
	// every host's loopback down (both directions) from Partition[0] to
	// Partition[1] of virtual time, then up again (down: false, the rest
	// of each link's settings kept): netsim run's --partition. It is
	// applied as events after the file's own, so the file's events at the
	// same instants come first.
	Partition [2]time.Duration
	// Out receives what programs print, each line prefixed "NAME: "
	// (nil: discarded).
	Out io.Writer
	// Context, if not nil, ends the run early when done (see
	// [netsim.Network.RunContext]).
	Context context.Context
	// Logf is netsim.Options.Logf.
	Logf func(format string, args ...any)
	// NoExpect skips the expectations.
	NoExpect bool
	// Explain, if not nil, replaces the file's capture.explain: a comment
	// on every frame saying why it was sent ([netsim.Options.Explain]). It
	// needs the pcapng format: with pcap, Run fails with an error matching
	// [netsim.ErrExplainPCAP].
	Explain *bool
	// Tasks, if not nil, is called once the network is built and the
	// file's programs are started, before the run: it may start more tasks
	// on the network (netsim exec's processes). An error ends the run
	// before it starts.
	Tasks func(n *netsim.Network) error
	// HangTimeout is netsim.Options.HangTimeout.
	HangTimeout time.Duration
	// Lang is the explanations' language ([netsim.Options.Language]: "",
	// "en" or "ru"); another fails Run with an error matching
	// [netsim.ErrLanguage].
	Lang string
}

// Result is what a run did.
type Result struct {
	// Stats are the network's counts.
	Stats netsim.Stats
	// Received is, per socket that received anything or was named by an
	// expectation, the bytes it received, in the order sockets were opened.
	Received []SockBytes
	// Capture is the capture's bytes when expectations needed them, else nil.
	Capture []byte
}

// SockBytes is the byte count one socket received.
type SockBytes struct {
	Program, Sock string
	Bytes         int64
}

// Run runs the scenario with o's overrides: it builds the network, starts
// the programs, applies the events, runs to the end, closes the network
// (flushing the capture) and then checks the expectations. It returns the
// first failure: a step that failed (a [*StepError] naming the program,
// the step and its place in the file), a deadlock (a [*netsim.DeadlockError]
// wrapped with the steps that wait), or the first unmet expectation (an
// [*UnmetError]).
func (s *Scenario) Run(o RunOptions) (*Result, error) { return s.run(o) }

// Check runs the scenario twice and returns nil if both captures are the
// same bytes, else a [*DiffError] naming the first frame that differs.
func (s *Scenario) Check(o RunOptions) error { return s.check(o) }
