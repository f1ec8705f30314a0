package netsim_test

import (
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

// run runs n and returns Run's error. A run that does not return within a
// generous wall-clock limit is a hang or a livelock (a bug): the test fails
// then instead of waiting for go test's timeout.
func run(t testing.TB, n *netsim.Network) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- n.Run() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		hung.Store(n, true)
		t.Fatalf("Run did not return within 20s of wall time (hang or livelock); virtual time %v", n.Stats().Elapsed)
		return nil
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
