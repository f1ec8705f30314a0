package netsim_test

import (
	"errors"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// A deadlock over a link between two hosts (ARP/NDP, TCP timers, an
// idle connection) is found once the stacks' timers have run out: no
// timer of the stack fires forever on an idle connection.
func TestDeadlockOverLinkIsFound(t *testing.T) {
	for _, addr := range []string{"10.0.0.2:80", "[fd00::2]:80"} {
		t.Run(addr, func(t *testing.T) {
			n, a := newNet(t, netsim.Options{})
			b, err := n.AddHost("b")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.Connect("a-b", a.Iface("eth0", "10.0.0.1/24", "fd00::1/64"), b.Iface("eth0", "10.0.0.2/24", "fd00::2/64")); err != nil {
				t.Fatal(err)
			}
			ln, err := b.Listen("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			n.Go(func() {
				c, err := ln.Accept()
				if err == nil {
					c.Read(make([]byte, 1)) // "x"
					c.Read(make([]byte, 1))
				}
			})
			n.Go(func() {
				c, err := a.Dial("tcp", addr)
				if err == nil {
					c.Write([]byte("x"))
					c.Read(make([]byte, 1))
				}
			})
			start := time.Now()
			err = run(t, n)
			var de *netsim.DeadlockError
			if !errors.As(err, &de) || de.Hang != 0 || len(de.Calls) != 2 {
				t.Fatalf("Run = %v, want a deadlock with the two Reads", err)
			}
			t.Logf("deadlock at %v of virtual time, found in %v of wall time", de.At, time.Since(start))
		})
	}
}
