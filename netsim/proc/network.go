package proc

import (
	"context"
	"errors"
	"fmt"

	"netsim.dev/netsim"
	"netsim.dev/netsim/scenario"
)

// The default networks' hosts (see [DefaultNetwork]).
const (
	// BookHost is the one host of the book's network: the book's exchange
	// runs on one machine, over its loopback interface.
	BookHost = "localhost"
	// ClientHost and ServerHost are the two hosts of the pair network,
	// 10.0.0.1 (fd00::1) and 10.0.0.2 (fd00::2), joined by the link
	// PairLink.
	ClientHost = "client"
	ServerHost = "server"
	PairLink   = "client-server"
)

// DefaultNetwork returns the network netsim exec uses when no scenario
// file gives one. Without pair it is the book's: one host, [BookHost], on
// which the book's scripts (127.0.0.1:24000) give the captures of `netsim
// run tcp` and `netsim run udp`. With pair it has two hosts, [ClientHost]
// and [ServerHost], joined by one Ethernet link, [PairLink]. link impairs
// every link and loopback, both directions (a zero LinkConfig changes
// nothing). opts.HangTimeout, if zero, becomes -1: the processes' own
// watchdog ([Config.Watchdog]) names a process that keeps control.
func DefaultNetwork(opts netsim.Options, pair bool, link netsim.LinkConfig) (*netsim.Network, error) {
	if opts.HangTimeout == 0 {
		opts.HangTimeout = -1
	}
	n, err := netsim.New(opts)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*netsim.Network, error) {
		n.Close()
		return nil, err
	}
	var hosts []*netsim.Host
	names := []string{BookHost}
	if pair {
		names = []string{ClientHost, ServerHost}
	}
	for _, name := range names {
		h, err := n.AddHost(name)
		if err != nil {
			return fail(err)
		}
		hosts = append(hosts, h)
	}
	if pair {
		if _, err := n.Connect(PairLink, hosts[0].Iface("eth0", "10.0.0.1/24", "fd00::1/64"),
			hosts[1].Iface("eth0", "10.0.0.2/24", "fd00::2/64"), link); err != nil {
			return fail(err)
		}
	}
	if link != (netsim.LinkConfig{}) {
		lo := link
		if lo.Delay == 0 {
			lo.Delay = netsim.DefaultLoopbackDelay
		}
		for _, h := range hosts {
			if err := h.Loopback().Set(lo, lo); err != nil {
				return fail(err)
			}
		}
	}
	return n, nil
}

// RunScenario runs the processes on a scenario's network, beside the
// file's own programs (s may come from [scenario.ParseNetwork] and have
// none): Scenario.Run with o, whose Tasks field it sets, and HangTimeout
// when zero (see [DefaultNetwork]). It returns the scenario's result (the
// file's expectations are checked unless o.NoExpect), the processes'
// results, and one error: Scenario.Run's, a deadlock as a
// [*DeadlockError], or [Runner.Finish]'s.
func RunScenario(s *scenario.Scenario, o scenario.RunOptions, cfg Config, procs ...Process) (*scenario.Result, []Result, error) {
	var r *Runner
	o.Tasks = func(n *netsim.Network) error {
		var err error
		if r, err = New(n, cfg); err != nil {
			return err
		}
		for _, p := range procs {
			if err := r.Add(p); err != nil {
				r.Finish(nil)
				return err
			}
		}
		return nil
	}
	if o.HangTimeout == 0 {
		o.HangTimeout = -1
	}
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	stop := context.AfterFunc(ctx, func() {
		if r != nil {
			r.Kill()
		}
	})
	defer stop()
	res, err := s.Run(o)
	if r == nil {
		return res, nil, err
	}
	var runErr error
	if errors.Is(err, netsim.ErrDeadlock) || errors.Is(err, netsim.ErrInterrupted) {
		runErr, err = err, nil
	}
	ferr := r.Finish(runErr)
	switch {
	case err != nil && ferr != nil && !errors.Is(ferr, ErrFailed):
		err = fmt.Errorf("%w (and %v)", err, ferr)
	case err == nil:
		err = ferr
	}
	return res, r.Results(), err
}
