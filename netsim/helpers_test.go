package netsim_test

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// newNet returns a network with one host, closed when the test ends.
func newNet(t testing.TB, opts netsim.Options) (*netsim.Network, *netsim.Host) {
	t.Helper()
	n, err := netsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, ok := hung.Load(n); !ok {
			n.Close()
		}
	})
	h, err := n.AddHost("h1")
	if err != nil {
		t.Fatal(err)
	}
	return n, h
}

// hung holds the networks whose Run did not return: closing one would touch
// its stacks while the driver still runs.
var hung sync.Map

// run runs n and returns Run's error. A run that makes no progress (no
// frame, no virtual time) for 20 s of wall time, or does not return within
// 5 minutes, is a hang or a livelock (a bug): the test fails then instead of
// waiting for go test's timeout.
func run(t testing.TB, n *netsim.Network) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- n.Run() }()
	err, ok := awaitRun(n, done)
	if !ok {
		hung.Store(n, true)
		t.Fatalf("Run hangs or livelocks: %v", err)
	}
	return err
}

// awaitRun waits for done, n's Run result. It gives up, returning false and
// an error that says why, when n's counters (frames, virtual time) stay
// still for 20 s of wall time or the run takes 5 minutes: progress, not a
// total duration, so that a loaded machine (-race, CI) does not fail a slow
// but moving run.
func awaitRun(n *netsim.Network, done <-chan error) (error, bool) {
	const still, total = 20 * time.Second, 5 * time.Minute
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start := time.Now()
	last, moved := n.Stats(), start
	for {
		select {
		case err := <-done:
			return err, true
		case now := <-tick.C:
			st := n.Stats()
			if st.Frames != last.Frames || st.Elapsed != last.Elapsed {
				last, moved = st, now
			}
			switch {
			case now.Sub(moved) >= still:
				return fmt.Errorf("no frame and no virtual time for %v of wall time; virtual time %v, %d frames", still, st.Elapsed, st.Frames), false
			case now.Sub(start) >= total:
				return fmt.Errorf("Run did not return within %v of wall time; virtual time %v, %d frames", total, st.Elapsed, st.Frames), false
			}
		}
	}
}

// mustRun runs n and fails the test if Run reports an error.
func mustRun(t testing.TB, n *netsim.Network) {
	t.Helper()
	if err := run(t, n); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// tcpPair listens on addr, then runs server on the one accepted connection
// and client on a connection dialled to addr, each in a task of its own. The
// connections are closed when the functions return.
func tcpPair(t testing.TB, n *netsim.Network, h *netsim.Host, addr string, server, client func(c net.Conn)) {
	t.Helper()
	ln, err := h.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		defer c.Close()
		server(c)
	})
	n.Go(func() {
		c, err := h.Dial("tcp", addr)
		if err != nil {
			t.Errorf("Dial: %v", err)
			return
		}
		defer c.Close()
		client(c)
	})
}
