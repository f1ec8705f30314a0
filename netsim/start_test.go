package netsim_test

import (
	"errors"
	"net"
	"testing"
	"testing/synctest"

	"netsim.dev/netsim"
)

// Start outside a synctest bubble returns ErrNoBubble (it panicked in the
// driver's goroutine before), and leaves the network usable.
func TestStartOutsideBubble(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	stop, err := n.Start()
	if !errors.Is(err, netsim.ErrNoBubble) || stop != nil {
		t.Fatalf("Start outside a bubble = %v, %v; want nil, ErrNoBubble", stop != nil, err)
	}
	// From another goroutine outside the bubble too.
	done := make(chan error)
	go func() {
		_, err := n.Start()
		done <- err
	}()
	if err := <-done; !errors.Is(err, netsim.ErrNoBubble) {
		t.Fatalf("Start from a goroutine outside a bubble = %v, want ErrNoBubble", err)
	}
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) { c.Write([]byte("hi")) },
		func(c net.Conn) { c.Read(make([]byte, 2)) })
	if err := n.Run(); err != nil {
		t.Fatalf("Run after a failed Start: %v", err)
	}
	// Inside a bubble, on the same network, Start works.
	synctest.Test(t, func(t *testing.T) {
		stop, err := n.Start()
		if err != nil {
			t.Fatalf("Start inside a bubble: %v", err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
