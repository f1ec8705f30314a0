package netsim_test

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// The options of net.TCPConn and net.UDPConn on netsim's connections, each
// checked on the wire.

// linger is the method a user type-asserts to set SO_LINGER.
type linger interface{ SetLinger(sec int) error }

func TestSetLingerZeroSendsRST(t *testing.T) {
	// SetLinger(0) then Close: the connection is aborted with RST; no FIN
	// is ever sent, and the peer's Read fails with ECONNRESET.
	n, h, buf := capNet(t)
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) {
			b := make([]byte, 5)
			if _, err := io.ReadFull(c, b); err != nil || string(b) != "hello" {
				t.Errorf("server Read = %q, %v", b, err)
			}
			if _, err := c.Read(b); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("server Read after the abort = %v, want ECONNRESET", err)
			}
		},
		func(c net.Conn) {
			if _, err := c.Write([]byte("hello")); err != nil {
				t.Error(err)
			}
			n.Sleep(10 * time.Millisecond)
			l, ok := c.(linger)
			if !ok {
				t.Fatalf("%T has no SetLinger", c)
			}
			if err := l.SetLinger(0); err != nil {
				t.Errorf("SetLinger(0) = %v", err)
			}
		})
	mustRun(t, n)
	n.Close()
	rst := wire(t, buf, "tcp.flags.reset == 1", "tcp.srcport", "tcp.seq")
	if len(rst) != 1 || rst[0][0] == "7000" || rst[0][1] != "6" {
		t.Errorf("RSTs (srcport, seq) = %v, want one from the client, seq 6", rst)
	}
	if got := count(t, buf, "tcp.flags.fin == 1"); got != 0 {
		t.Errorf("%d FINs, want none", got)
	}
}

func TestSetLingerDefaultAndPositiveSendFIN(t *testing.T) {
	for _, sec := range []int{-1, 5} {
		n, h, buf := capNet(t)
		tcpPair(t, n, h, "127.0.0.1:7000",
			func(c net.Conn) { io.ReadAll(c) },
			func(c net.Conn) {
				c.Write([]byte("hello"))
				if err := c.(linger).SetLinger(sec); err != nil {
					t.Errorf("SetLinger(%d) = %v", sec, err)
				}
			})
		mustRun(t, n)
		n.Close()
		if got := count(t, buf, "tcp.flags.reset == 1"); got != 0 {
			t.Errorf("SetLinger(%d): %d RSTs, want none", sec, got)
		}
		if got := count(t, buf, "tcp.flags.fin == 1"); got != 2 {
			t.Errorf("SetLinger(%d): %d FINs, want 2", sec, got)
		}
	}
}

func TestSettersAfterClose(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) {},
		func(c net.Conn) {
			c.Close()
			if err := c.(linger).SetLinger(0); !errors.Is(err, net.ErrClosed) {
				t.Errorf("SetLinger after Close = %v, want net.ErrClosed", err)
			}
		})
	mustRun(t, n)
}
