package netsim_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// TestListenBacklog: a listener's own backlog bounds its accept queue, as
// listen(2)'s does. 4 clients connect at once to a server that accepts
// only 2 s later: with the default backlog (4096) it then accepts all 4;
// with a backlog of 1 it accepts 1 (gVisor's queue holds backlog
// connections, Linux's one more; gVisor answers the other SYNs with SYN
// cookies and drops their final ACK while the queue is full, so those
// clients believe they are connected). A backlog out of range is EINVAL.
func TestListenBacklog(t *testing.T) {
	accepted := func(t *testing.T, backlog int) int {
		n, err := netsim.New(netsim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		srv, _ := n.AddHost("server")
		cli, _ := n.AddHost("client")
		if _, err := n.Connect("lan", srv.Iface("eth0", "10.0.0.1/24"), cli.Iface("eth0", "10.0.0.2/24")); err != nil {
			t.Fatal(err)
		}
		ln, err := srv.ListenBacklog("tcp", ":80", backlog)
		if err != nil {
			t.Fatal(err)
		}
		dialed := 0
		for range 4 {
			n.Go(func() {
				c, err := cli.Dial("tcp", "10.0.0.1:80")
				if err != nil {
					return
				}
				dialed++
				n.Sleep(3 * time.Second)
				c.Close()
			})
		}
		got := 0
		n.Go(func() {
			n.Sleep(2 * time.Second)
			ln.(netsim.TCPListener).SetDeadline(n.Now().Add(100 * time.Millisecond))
			for {
				c, err := ln.Accept()
				if err != nil {
					break
				}
				got++
				c.Close()
			}
			ln.Close()
		})
		if err := n.Run(); err != nil {
			t.Fatal(err)
		}
		if dialed != 4 {
			t.Errorf("backlog %d: %d of 4 clients connected, want 4 (SYN cookies)", backlog, dialed)
		}
		return got
	}
	if got := accepted(t, 4096); got != 4 {
		t.Errorf("backlog 4096: accepted %d connections, want 4", got)
	}
	for _, b := range []int{1, 2} {
		if got := accepted(t, b); got != b {
			t.Errorf("backlog %d: accepted %d connections, want %d", b, got, b)
		}
	}

	n, _ := netsim.New(netsim.Options{})
	defer n.Close()
	h, _ := n.AddHost("h")
	for _, b := range []int{0, -1, 65536} {
		if _, err := h.ListenBacklog("tcp", ":81", b); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("ListenBacklog(%d): %v, want EINVAL", b, err)
		}
	}
}
