package netsim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// Behaviour a Go developer expects from package net, over netsim's sockets.

func TestDialClosedPortIsRefused(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	n.Go(func() {
		c, err := h.Dial("tcp", "127.0.0.1:9")
		if err == nil {
			c.Close()
			t.Error("Dial to a closed port succeeded")
			return
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Dial error %v is not ECONNREFUSED", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "dial" || oe.Net != "tcp" {
			t.Errorf("Dial error %#v is not a *net.OpError{Op: dial, Net: tcp}", err)
		}
		if c != nil {
			t.Error("Dial returned a conn with its error")
		}
	})
	mustRun(t, n)
	// SYN, then RST/ACK: nothing else.
	if got := n.Stats().Frames; got != 2 {
		t.Errorf("frames = %d, want 2 (SYN, RST)", got)
	}
}

func TestReadDeadlineOnVirtualClock(t *testing.T) {
	n, h := newNet(t, netsim.Options{CallTime: -1})
	var wall time.Duration
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) { // server: keep the connection open, silent
			n.Sleep(10 * time.Second)
		},
		func(c net.Conn) {
			start := n.Now()
			if err := c.SetReadDeadline(start.Add(2 * time.Second)); err != nil {
				t.Errorf("SetReadDeadline: %v", err)
			}
			wallStart := time.Now()
			k, err := c.Read(make([]byte, 16))
			wall = time.Since(wallStart)
			if k != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("Read = %d, %v; want 0, os.ErrDeadlineExceeded", k, err)
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("Read error %v is not a net.Error with Timeout()", err)
			}
			if got := n.Now().Sub(start); got != 2*time.Second {
				t.Errorf("Read timed out after %v of virtual time, want exactly 2s", got)
			}
			// The deadline stays: the next Read times out at once.
			before := n.Now()
			if _, err := c.Read(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("second Read = %v, want a timeout", err)
			}
			if n.Now() != before {
				t.Errorf("second Read took %v", n.Now().Sub(before))
			}
		})
	wallStart := time.Now()
	mustRun(t, n)
	// Not a timing assertion (the machine may be loaded): a run that
	// waited on the wall clock would take the timeout's 2 s at least.
	if w := time.Since(wallStart); w >= 2*time.Second || wall >= 2*time.Second {
		t.Errorf("a 2 s virtual timeout took %v of wall time (Read %v): it waited on the wall clock", w, wall)
	}
}

func TestWriteDeadline(t *testing.T) {
	n, h := newNet(t, netsim.Options{CallTime: -1})
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) { n.Sleep(time.Minute) }, // never reads
		func(c net.Conn) {
			start := n.Now()
			c.SetWriteDeadline(start.Add(3 * time.Second))
			k, err := c.Write(make([]byte, 64<<20)) // far more than the buffers hold
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("Write = %d, %v; want a timeout", k, err)
			}
			if k <= 0 || k >= 64<<20 {
				t.Errorf("Write wrote %d bytes before timing out, want a partial count", k)
			}
			if got := n.Now().Sub(start); got != 3*time.Second {
				t.Errorf("Write timed out after %v, want 3s", got)
			}
		})
	mustRun(t, n)
}

// silentPair connects a client to a server that says nothing for a minute,
// and runs client on the client's connection.
func silentPair(t *testing.T, client func(n *netsim.Network, c net.Conn)) *netsim.Network {
	n, h := newNet(t, netsim.Options{CallTime: -1})
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) { n.Sleep(time.Minute) },
		func(c net.Conn) { client(n, c) })
	return n
}

func TestSetReadDeadlineInPastWakesBlockedRead(t *testing.T) {
	n := silentPair(t, func(n *netsim.Network, c net.Conn) {
		start := n.Now()
		n.Go(func() {
			n.Sleep(1500 * time.Millisecond)
			c.SetReadDeadline(time.Unix(1, 0)) // as net/http aborts a read
		})
		_, err := c.Read(make([]byte, 16))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read = %v, want os.ErrDeadlineExceeded", err)
		}
		if got := n.Now().Sub(start); got != 1500*time.Millisecond {
			t.Errorf("Read returned after %v, want 1.5s (when the deadline was set)", got)
		}
	})
	mustRun(t, n)
}

func TestSetReadDeadlineOnBlockedRead(t *testing.T) {
	// A deadline set while a Read is blocked applies to that Read, as in
	// package net.
	n := silentPair(t, func(n *netsim.Network, c net.Conn) {
		start := n.Now()
		n.Go(func() {
			n.Sleep(500 * time.Millisecond)
			c.SetReadDeadline(n.Now().Add(time.Second))
		})
		_, err := c.Read(make([]byte, 16))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read = %v, want os.ErrDeadlineExceeded", err)
		}
		if got := n.Now().Sub(start); got != 1500*time.Millisecond {
			t.Errorf("Read timed out after %v, want 1.5s", got)
		}
	})
	mustRun(t, n)
}

func TestExtendReadDeadlineOfBlockedRead(t *testing.T) {
	n := silentPair(t, func(n *netsim.Network, c net.Conn) {
		start := n.Now()
		c.SetReadDeadline(start.Add(time.Second))
		n.Go(func() {
			n.Sleep(500 * time.Millisecond)
			c.SetReadDeadline(n.Now().Add(2 * time.Second))
		})
		_, err := c.Read(make([]byte, 16))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read = %v, want os.ErrDeadlineExceeded", err)
		}
		if got := n.Now().Sub(start); got != 2500*time.Millisecond {
			t.Errorf("Read timed out after %v, want 2.5s (the extended deadline)", got)
		}
	})
	mustRun(t, n)
}

func TestClearReadDeadlineOfBlockedRead(t *testing.T) {
	n, h := newNet(t, netsim.Options{CallTime: -1})
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) {
			n.Sleep(3 * time.Second)
			c.Write([]byte("late"))
		},
		func(c net.Conn) {
			c.SetReadDeadline(n.Now().Add(time.Second))
			n.Go(func() {
				n.Sleep(500 * time.Millisecond)
				c.SetReadDeadline(time.Time{})
			})
			buf := make([]byte, 16)
			k, err := c.Read(buf)
			if err != nil || string(buf[:k]) != "late" {
				t.Errorf("Read = %q, %v; want \"late\", nil (the deadline was cleared)", buf[:k], err)
			}
		})
	mustRun(t, n)
}

func TestCloseUnblocksAccept(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		c, err := ln.Accept()
		if !errors.Is(err, net.ErrClosed) || c != nil {
			t.Errorf("Accept = %v, %v; want nil, net.ErrClosed", c, err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "accept" {
			t.Errorf("Accept error %#v is not a *net.OpError{Op: accept}", err)
		}
	})
	n.Go(func() {
		n.Sleep(time.Second)
		if err := ln.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := ln.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close = %v, want net.ErrClosed", err)
		}
	})
	mustRun(t, n)
}

func TestCloseUnblocksRead(t *testing.T) {
	n := silentPair(t, func(n *netsim.Network, c net.Conn) {
		n.Go(func() {
			n.Sleep(time.Second)
			c.Close()
		})
		_, err := c.Read(make([]byte, 16))
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read = %v, want net.ErrClosed", err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after Close = %v, want net.ErrClosed", err)
		}
	})
	mustRun(t, n)
}

func TestCloseUnblocksWrite(t *testing.T) {
	n := silentPair(t, func(n *netsim.Network, c net.Conn) {
		n.Go(func() {
			n.Sleep(time.Second)
			c.Close()
		})
		_, err := c.Write(make([]byte, 64<<20))
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write = %v, want net.ErrClosed", err)
		}
	})
	mustRun(t, n)
}

func TestCloseWriteHalfClose(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) {
			got, err := io.ReadAll(c) // ends at the client's FIN
			if err != nil || string(got) != "question" {
				t.Errorf("server ReadAll = %q, %v", got, err)
			}
			if _, err := c.Write([]byte("answer")); err != nil {
				t.Errorf("server Write after peer's CloseWrite: %v", err)
			}
		},
		func(c net.Conn) {
			c.Write([]byte("question"))
			cw, ok := c.(interface{ CloseWrite() error })
			if !ok {
				t.Error("TCP conn has no CloseWrite")
				return
			}
			if err := cw.CloseWrite(); err != nil {
				t.Errorf("CloseWrite: %v", err)
			}
			if _, err := c.Write([]byte("more")); err == nil {
				t.Error("Write after CloseWrite succeeded")
			}
			got, err := io.ReadAll(c)
			if err != nil || string(got) != "answer" {
				t.Errorf("client ReadAll after CloseWrite = %q, %v", got, err)
			}
		})
	mustRun(t, n)
}

func TestEOFAfterPeerClose(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		k, err := c.Read(buf)
		if err != nil || string(buf[:k]) != "bye" {
			t.Errorf("Read = %q, %v; want \"bye\"", buf[:k], err)
		}
		for i := range 2 {
			if k, err := c.Read(buf); k != 0 || err != io.EOF {
				t.Errorf("Read %d after peer closed = %d, %v; want 0, io.EOF", i, k, err)
			}
		}
	})
	n.Go(func() {
		c, err := h.Dial("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Error(err)
			return
		}
		c.Write([]byte("bye"))
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := c.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close = %v, want net.ErrClosed", err)
		}
	})
	mustRun(t, n)
}

func TestTCPAddrs(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || a.String() != "127.0.0.1:7000" {
		t.Errorf("listener Addr = %#v, want *net.TCPAddr 127.0.0.1:7000", ln.Addr())
	}
	var server, client net.Conn
	n.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		server = c
		c.Read(make([]byte, 1))
		c.Close()
	})
	n.Go(func() {
		c, err := h.Dial("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Error(err)
			return
		}
		client = c
		c.Close()
	})
	mustRun(t, n)
	if server == nil || client == nil {
		t.FailNow()
	}
	cl, ok1 := client.LocalAddr().(*net.TCPAddr)
	cr, ok2 := client.RemoteAddr().(*net.TCPAddr)
	sl, ok3 := server.LocalAddr().(*net.TCPAddr)
	sr, ok4 := server.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		t.Fatalf("addresses are not *net.TCPAddr: %T %T %T %T", client.LocalAddr(), client.RemoteAddr(), server.LocalAddr(), server.RemoteAddr())
	}
	if cr.String() != "127.0.0.1:7000" || sl.String() != "127.0.0.1:7000" {
		t.Errorf("client remote %v, server local %v; want 127.0.0.1:7000", cr, sl)
	}
	if !cl.IP.Equal(net.IPv4(127, 0, 0, 1)) || cl.Port == 0 || cl.Port == 7000 {
		t.Errorf("client local %v, want 127.0.0.1:<ephemeral>", cl)
	}
	if sr.String() != cl.String() {
		t.Errorf("server sees the client as %v, the client is %v", sr, cl)
	}
}

func TestListenPortZero(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	if addr.Port == 0 {
		t.Fatalf("Listen on port 0: Addr %v has no port", addr)
	}
	n.Go(func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		ln.Close()
	})
	n.Go(func() {
		c, err := h.Dial("tcp", addr.String())
		if err != nil {
			t.Errorf("Dial %v: %v", addr, err)
			return
		}
		c.Close()
	})
	mustRun(t, n)
}

func TestUDPReadFromWriteTo(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	a, err := h.ListenPacket("udp", "127.0.0.1:5000")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.ListenPacket("udp", "127.0.0.1:5001")
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range []net.PacketConn{a, b} {
		if _, ok := pc.LocalAddr().(*net.UDPAddr); !ok {
			t.Errorf("LocalAddr %#v is not a *net.UDPAddr", pc.LocalAddr())
		}
	}
	n.Go(func() { // a: receive, answer
		defer a.Close()
		buf := make([]byte, 100)
		k, from, err := a.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "ping" {
			t.Errorf("a.ReadFrom = %q, %v", buf[:k], err)
			return
		}
		if ua, ok := from.(*net.UDPAddr); !ok || ua.String() != "127.0.0.1:5001" {
			t.Errorf("a.ReadFrom from %#v, want *net.UDPAddr 127.0.0.1:5001", from)
		}
		if k, err := a.WriteTo([]byte("pong"), from); k != 4 || err != nil {
			t.Errorf("a.WriteTo = %d, %v", k, err)
		}
	})
	n.Go(func() { // b: send, wait for the answer
		defer b.Close()
		if k, err := b.WriteTo([]byte("ping"), a.LocalAddr()); k != 4 || err != nil {
			t.Errorf("b.WriteTo = %d, %v", k, err)
		}
		buf := make([]byte, 100)
		k, from, err := b.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "pong" || from.String() != "127.0.0.1:5000" {
			t.Errorf("b.ReadFrom = %q from %v, %v; want pong from 127.0.0.1:5000", buf[:k], from, err)
		}
	})
	mustRun(t, n)
	if got := n.Stats().Frames; got != 2 {
		t.Errorf("frames = %d, want 2 datagrams", got)
	}
}

func TestUDPDatagramBoundariesAndTruncation(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	a, _ := h.ListenPacket("udp", "127.0.0.1:5000")
	b, _ := h.ListenPacket("udp", "127.0.0.1:5001")
	n.Go(func() {
		for _, m := range []string{"one", "two", "three"} {
			b.WriteTo([]byte(m), a.LocalAddr())
		}
		b.Close()
	})
	n.Go(func() {
		defer a.Close()
		buf := make([]byte, 100)
		for _, want := range []string{"one", "two"} {
			k, _, err := a.ReadFrom(buf)
			if err != nil || string(buf[:k]) != want {
				t.Errorf("ReadFrom = %q, %v; want %q (one datagram per read)", buf[:k], err, want)
			}
		}
		// A datagram longer than the buffer is truncated to it.
		small := make([]byte, 2)
		k, _, _ := a.ReadFrom(small)
		if k != 2 || string(small) != "th" {
			t.Errorf("ReadFrom into 2 bytes = %d %q, want 2 \"th\"", k, small[:k])
		}
	})
	mustRun(t, n)
}

func TestUDPDialConnected(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	srv, err := h.ListenPacket("udp", "127.0.0.1:5300")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		defer srv.Close()
		buf := make([]byte, 100)
		k, from, err := srv.ReadFrom(buf)
		if err != nil {
			t.Error(err)
			return
		}
		srv.WriteTo(bytes.ToUpper(buf[:k]), from)
	})
	n.Go(func() {
		c, err := h.Dial("udp", "127.0.0.1:5300")
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		if ra, ok := c.RemoteAddr().(*net.UDPAddr); !ok || ra.String() != "127.0.0.1:5300" {
			t.Errorf("RemoteAddr = %#v, want *net.UDPAddr 127.0.0.1:5300", c.RemoteAddr())
		}
		if la, ok := c.LocalAddr().(*net.UDPAddr); !ok || la.Port == 0 || !la.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("LocalAddr = %#v, want *net.UDPAddr 127.0.0.1:<ephemeral>", c.LocalAddr())
		}
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Error(err)
		}
		buf := make([]byte, 100)
		k, err := c.Read(buf)
		if err != nil || string(buf[:k]) != "HELLO" {
			t.Errorf("Read = %q, %v; want HELLO", buf[:k], err)
		}
	})
	mustRun(t, n)
}

func TestIPv6Loopback(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	tcpPair(t, n, h, "[::1]:7000",
		func(c net.Conn) {
			if a := c.RemoteAddr().(*net.TCPAddr); !a.IP.Equal(net.IPv6loopback) {
				t.Errorf("server sees client at %v, want ::1", a)
			}
			got, _ := io.ReadAll(c)
			if string(got) != "six" {
				t.Errorf("got %q over TCP/IPv6", got)
			}
		},
		func(c net.Conn) {
			if a := c.LocalAddr().(*net.TCPAddr); !a.IP.Equal(net.IPv6loopback) || a.IP.To4() != nil {
				t.Errorf("client LocalAddr = %v, want [::1]:port", a)
			}
			c.Write([]byte("six"))
		})
	pc, err := h.ListenPacket("udp6", "[::1]:5000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		defer pc.Close()
		buf := make([]byte, 16)
		k, from, err := pc.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "udp6" || !from.(*net.UDPAddr).IP.Equal(net.IPv6loopback) {
			t.Errorf("UDP/IPv6 ReadFrom = %q from %v, %v", buf[:k], from, err)
		}
	})
	n.Go(func() {
		c, err := h.Dial("udp6", "[::1]:5000")
		if err != nil {
			t.Error(err)
			return
		}
		c.Write([]byte("udp6"))
		c.Close()
	})
	mustRun(t, n)
}

func TestListenAnyAddressAcceptsIPv4AndIPv6(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || a.Port != 8080 {
		t.Errorf("Addr = %#v, want a *net.TCPAddr on port 8080", ln.Addr())
	}
	var got []string
	n.Go(func() {
		defer ln.Close()
		for range 2 {
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(c)
			got = append(got, string(b))
			c.Close()
		}
	})
	n.Go(func() {
		for _, addr := range []string{"127.0.0.1:8080", "[::1]:8080"} {
			c, err := h.Dial("tcp", addr)
			if err != nil {
				t.Errorf("Dial %s: %v", addr, err)
				continue
			}
			c.Write([]byte(addr))
			c.Close()
		}
	})
	mustRun(t, n)
	if strings.Join(got, " ") != "127.0.0.1:8080 [::1]:8080" {
		t.Errorf("listener on :8080 received %q", got)
	}
}

func TestBadNetworkAndAddress(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	// resolve checks happen before any socket call: they work outside Run.
	cases := []struct {
		name string
		call func() error
	}{
		{"Listen unknown network", func() error { _, err := h.Listen("tcpx", "127.0.0.1:80"); return err }},
		{"Listen udp network", func() error { _, err := h.Listen("udp", "127.0.0.1:80"); return err }},
		{"Listen no port", func() error { _, err := h.Listen("tcp", "127.0.0.1"); return err }},
		{"Listen port too big", func() error { _, err := h.Listen("tcp", "127.0.0.1:65536"); return err }},
		{"Listen port no service name", func() error { _, err := h.Listen("tcp", "127.0.0.1:nosuchservice"); return err }}, // "http" is port 80, as in package net
		{"Listen foreign address", func() error { _, err := h.Listen("tcp", "10.1.2.3:80"); return err }},
		{"Listen tcp4 on IPv6", func() error { _, err := h.Listen("tcp4", "[::1]:80"); return err }},
		{"Dial unknown network", func() error { _, err := h.Dial("ip", "127.0.0.1:80"); return err }},
		{"Dial empty address", func() error { _, err := h.Dial("tcp", ""); return err }},
		{"Dial garbage", func() error { _, err := h.Dial("tcp", "::::"); return err }},
		{"Dial host name", func() error { _, err := h.Dial("tcp", "example.com:80"); return err }},
		{"Dial tcp6 to IPv4", func() error { _, err := h.Dial("tcp6", "127.0.0.1:80"); return err }},
		{"Dial udp negative port", func() error { _, err := h.Dial("udp", "127.0.0.1:-1"); return err }},
		{"ListenPacket tcp network", func() error { _, err := h.ListenPacket("tcp", "127.0.0.1:80"); return err }},
		{"ListenPacket bad address", func() error { _, err := h.ListenPacket("udp", "127.0.0.1:x"); return err }},
	}
	check := func(where string) {
		for _, tc := range cases {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s (%s): panic %v", tc.name, where, r)
					}
				}()
				err = tc.call()
			}()
			var oe *net.OpError
			if !errors.As(err, &oe) {
				t.Errorf("%s (%s): error %#v is not a *net.OpError", tc.name, where, err)
			}
		}
	}
	check("before Run")
	n.Go(func() { check("in a task") })
	mustRun(t, n)
}

func TestAddressInUse(t *testing.T) {
	_, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = h.Listen("tcp", "127.0.0.1:7000")
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second Listen = %v, want EADDRINUSE", err)
	}
	pc, err := h.ListenPacket("udp", "127.0.0.1:7000")
	if err != nil {
		t.Fatalf("UDP on a TCP port: %v", err)
	}
	defer pc.Close()
	if _, err := h.ListenPacket("udp", "127.0.0.1:7000"); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second ListenPacket = %v, want EADDRINUSE", err)
	}
}

func TestDeadlockIsReported(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	// Both sides Read first: neither can ever proceed.
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) { c.Read(make([]byte, 1)) },
		func(c net.Conn) { c.Read(make([]byte, 1)) })
	start := time.Now()
	err := run(t, n)
	var de *netsim.DeadlockError
	if !errors.As(err, &de) || !errors.Is(err, netsim.ErrDeadlock) {
		t.Fatalf("Run = %v, want a *netsim.DeadlockError matching ErrDeadlock", err)
	}
	if len(de.Calls) != 2 {
		t.Errorf("Calls = %q, want the two Reads", de.Calls)
	}
	for _, c := range de.Calls {
		if !strings.HasPrefix(c.Call+" "+c.Socket, "Read tcp 127.0.0.1:") || !strings.HasPrefix(c.Task, "task ") {
			t.Errorf("blocked call %q does not name the task, the Read and its socket", c)
		}
	}
	if !strings.Contains(err.Error(), "deadlock") || !strings.Contains(err.Error(), "127.0.0.1:7000") {
		t.Errorf("message %q does not say deadlock and name the socket", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("deadlock detection took %v of wall time", time.Since(start))
	}
}

func TestBlockingCallBeforeRun(t *testing.T) {
	_, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:7000") // does not block: fine
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c, err := ln.Accept(); !errors.Is(err, netsim.ErrNotRunning) {
			t.Errorf("Accept before Run = %v, %v; want netsim.ErrNotRunning", c, err)
		}
		pc, err := h.ListenPacket("udp", "127.0.0.1:5000")
		if err != nil {
			t.Error(err)
			return
		}
		if _, _, err := pc.ReadFrom(make([]byte, 10)); !errors.Is(err, netsim.ErrNotRunning) {
			t.Errorf("ReadFrom before Run = %v, want netsim.ErrNotRunning", err)
		}
		pc.Close()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a blocking call before Run hangs")
	}
	ln.Close()
}

func TestDialBeforeRunSendsNothing(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := h.Dial("tcp", "127.0.0.1:7000"); !errors.Is(err, netsim.ErrNotRunning) {
		t.Fatalf("Dial before Run = %v, %v; want netsim.ErrNotRunning", c, err)
	}
	// The failed Dial must leave no connection behind: no SYN in the
	// capture, nothing for the listener to accept.
	if f := n.Stats().Frames; f != 0 {
		t.Errorf("a Dial that failed before Run sent %d frame(s)", f)
	}
	n.Go(func() {
		n.Sleep(time.Second)
		ln.Close()
	})
	mustRun(t, n)
	if f := n.Stats().Frames; f != 0 {
		t.Errorf("after Run: %d frame(s) from a Dial that returned an error", f)
	}
}

func TestTaskPanicIsRunError(t *testing.T) {
	n, _ := newNet(t, netsim.Options{})
	n.Go(func() { n.Sleep(time.Hour) })
	n.Go(func() { panic("task failed") })
	err := run(t, n)
	if err == nil || !strings.Contains(err.Error(), "task failed") {
		t.Fatalf("Run = %v, want an error carrying the panic", err)
	}
}

func TestSleepAndNow(t *testing.T) {
	n, _ := newNet(t, netsim.Options{})
	if !n.Now().Equal(netsim.DefaultStart) {
		t.Fatalf("Now before Run = %v, want DefaultStart", n.Now())
	}
	var at []time.Duration
	for i, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second} {
		n.Go(func() {
			n.Sleep(d)
			at = append(at, n.Now().Sub(netsim.DefaultStart)+time.Duration(i))
		})
	}
	mustRun(t, n)
	want := []time.Duration{time.Second + 1, 2*time.Second + 2, 3 * time.Second}
	if len(at) != 3 || at[0] != want[0] || at[1] != want[1] || at[2] != want[2] {
		t.Errorf("wake-ups (time + task index) = %v, want %v", at, want)
	}
}

func TestStartOption(t *testing.T) {
	start := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	n, _ := newNet(t, netsim.Options{Start: start})
	n.Go(func() { n.Sleep(time.Minute) })
	mustRun(t, n)
	if want := start.Add(time.Minute); !n.Now().Equal(want) {
		t.Errorf("Now = %v, want %v", n.Now(), want)
	}
}

func TestDialTimesOutOnVirtualClock(t *testing.T) {
	// 127.0.0.2 is routed over lo but owned by nobody: the SYN goes
	// unanswered and gVisor retransmits it until it gives up.
	n, h := newNet(t, netsim.Options{})
	n.Go(func() {
		start := n.Now()
		c, err := h.Dial("tcp", "127.0.0.2:80")
		if err == nil {
			c.Close()
			t.Error("Dial to an address nobody owns succeeded")
			return
		}
		if !errors.Is(err, syscall.ETIMEDOUT) {
			t.Errorf("Dial = %v, want ETIMEDOUT", err)
		}
		if d := n.Now().Sub(start); d < 10*time.Second {
			t.Errorf("Dial gave up after %v of virtual time, want SYN retries over many seconds", d)
		}
	})
	wall := time.Now()
	mustRun(t, n)
	if w := time.Since(wall); w > 5*time.Second {
		t.Errorf("the Dial timeout took %v of wall time", w)
	}
}

func TestDialContextVirtualDeadline(t *testing.T) {
	// DialContext's doc: the context's deadline is on the virtual clock.
	n, h := newNet(t, netsim.Options{CallTime: -1})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		ln.Close()
	})
	n.Go(func() {
		ctx, cancel := context.WithDeadline(context.Background(), n.Now().Add(time.Minute))
		defer cancel()
		c, err := h.DialContext(ctx, "tcp", "127.0.0.1:7000")
		if err != nil {
			t.Errorf("DialContext with a deadline a virtual minute away = %v", err)
			return
		}
		c.Close()
	})
	n.Go(func() {
		start := n.Now()
		ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Second))
		defer cancel()
		c, err := h.DialContext(ctx, "tcp", "127.0.0.2:80") // never answers
		if err == nil {
			c.Close()
			t.Error("DialContext to a silent address succeeded")
			return
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("DialContext = %v, want os.ErrDeadlineExceeded", err)
		}
		if d := n.Now().Sub(start); d != time.Second {
			t.Errorf("DialContext gave up after %v, want 1s", d)
		}
	})
	mustRun(t, n)
}

func TestDialContextCanceled(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	n.Go(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c, err := h.DialContext(ctx, "tcp", "127.0.0.1:7000")
		if err == nil {
			c.Close()
			t.Error("DialContext with a cancelled context succeeded")
		} else if !errors.Is(err, context.Canceled) {
			t.Errorf("DialContext = %v, want context.Canceled", err)
		}
		past, cancel2 := context.WithDeadline(context.Background(), n.Now().Add(-time.Second))
		defer cancel2()
		if _, err := h.DialContext(past, "tcp", "127.0.0.1:7000"); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("DialContext with a past deadline = %v, want os.ErrDeadlineExceeded", err)
		}
	})
	mustRun(t, n)
	if f := n.Stats().Frames; f != 0 {
		t.Errorf("Dials with a context already done sent %d frame(s), want none", f)
	}
}

func TestConnectionReset(t *testing.T) {
	// Closing with unread data sends RST, as on Linux: the peer's next Read
	// fails with ECONNRESET and its Writes fail too.
	n, h := newNet(t, netsim.Options{})
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) {
			c.Write([]byte("never read"))
			n.Sleep(time.Second)
			if _, err := c.Read(make([]byte, 10)); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("Read after a reset = %v, want ECONNRESET", err)
			}
			if _, err := c.Write([]byte("x")); err == nil {
				t.Error("Write after a reset succeeded")
			}
		},
		func(c net.Conn) {
			n.Sleep(100 * time.Millisecond)
			c.Close()
		})
	mustRun(t, n)
}

func TestConnectedUDPGetsPortUnreachable(t *testing.T) {
	// On a connected UDP socket, the ICMP port unreachable for a datagram
	// surfaces as ECONNREFUSED on the next call, as on Linux.
	n, h := newNet(t, netsim.Options{})
	n.Go(func() {
		c, err := h.Dial("udp", "127.0.0.1:9")
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		if _, err := c.Write([]byte("anyone?")); err != nil {
			t.Errorf("Write = %v", err)
		}
		c.SetReadDeadline(n.Now().Add(time.Second))
		if _, err := c.Read(make([]byte, 10)); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Read = %v, want ECONNREFUSED", err)
		}
	})
	mustRun(t, n)
	if f := n.Stats().Frames; f != 2 {
		t.Errorf("frames = %d, want 2 (datagram, ICMP)", f)
	}
}

func TestUDPMessageTooLong(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	n.Go(func() {
		pc, err := h.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Error(err)
			return
		}
		defer pc.Close()
		if _, err := pc.WriteTo(make([]byte, 70000), pc.LocalAddr()); !errors.Is(err, syscall.EMSGSIZE) {
			t.Errorf("WriteTo 70000 bytes = %v, want EMSGSIZE", err)
		}
		if _, err := pc.WriteTo([]byte("x"), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}); err == nil {
			t.Error("WriteTo a *net.TCPAddr succeeded")
		}
	})
	mustRun(t, n)
	if f := n.Stats().Frames; f != 0 {
		t.Errorf("frames = %d, want none", f)
	}
}

func TestAddHostErrors(t *testing.T) {
	n, _ := newNet(t, netsim.Options{})
	if _, err := n.AddHost("h1"); err == nil {
		t.Error("AddHost with a name in use succeeded")
	}
	if _, err := n.AddHost(""); err == nil {
		t.Error("AddHost with an empty name succeeded")
	}
	if h := n.Host("h1"); h == nil || h.Name() != "h1" {
		t.Errorf("Host(h1) = %v", h)
	}
	if n.Host("nope") != nil {
		t.Error("Host of an unknown name is not nil")
	}
}

func TestUDPAnyAddressServesBothFamilies(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	srv, err := h.ListenPacket("udp", ":5000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() { // echo two datagrams back to where they came from
		defer srv.Close()
		buf := make([]byte, 100)
		for range 2 {
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := srv.WriteTo(buf[:k], from); err != nil {
				t.Errorf("WriteTo %v: %v", from, err)
			}
		}
	})
	n.Go(func() {
		for _, addr := range []string{"127.0.0.1:5000", "[::1]:5000"} {
			c, err := h.Dial("udp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			c.Write([]byte(addr))
			c.SetReadDeadline(n.Now().Add(time.Second))
			buf := make([]byte, 100)
			k, err := c.Read(buf)
			if err != nil || string(buf[:k]) != addr {
				t.Errorf("echo via %s = %q, %v", addr, buf[:k], err)
			}
			c.Close()
		}
	})
	mustRun(t, n)
}

func TestSetWriteDeadlineWakesBlockedWrite(t *testing.T) {
	n := silentPair(t, func(n *netsim.Network, c net.Conn) {
		start := n.Now()
		n.Go(func() {
			n.Sleep(time.Second)
			c.SetDeadline(n.Now().Add(500 * time.Millisecond)) // read and write
		})
		_, err := c.Write(make([]byte, 64<<20))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Write = %v, want os.ErrDeadlineExceeded", err)
		}
		if got := n.Now().Sub(start); got != 1500*time.Millisecond {
			t.Errorf("Write timed out after %v, want 1.5s", got)
		}
	})
	mustRun(t, n)
}

func TestUDPReadDeadline(t *testing.T) {
	n, h := newNet(t, netsim.Options{CallTime: -1})
	n.Go(func() {
		pc, err := h.ListenPacket("udp", "127.0.0.1:5000")
		if err != nil {
			t.Error(err)
			return
		}
		defer pc.Close()
		start := n.Now()
		pc.SetReadDeadline(start.Add(time.Second))
		n.Go(func() { // moves the deadline while ReadFrom waits
			n.Sleep(100 * time.Millisecond)
			pc.SetReadDeadline(start.Add(3 * time.Second))
		})
		_, _, err = pc.ReadFrom(make([]byte, 10))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("ReadFrom = %v, want a timeout", err)
		}
		if got := n.Now().Sub(start); got != 3*time.Second {
			t.Errorf("ReadFrom timed out after %v, want 3s", got)
		}
	})
	mustRun(t, n)
}
