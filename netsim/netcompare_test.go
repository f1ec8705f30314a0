package netsim_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// The tests of this file run one probe against package net on the real
// loopback and against netsim in program and in test mode, and compare
// what the calls returned, as outcome describes it.

// outcome describes a call's result as a caller tests it: the count and
// the error's kind (its *net.OpError's Op, and the sentinel or errno it
// matches), never its text, which names different addresses.
func outcome(n int, err error) string {
	if err == nil {
		return fmt.Sprintf("%d, nil", n)
	}
	var kind string
	for _, k := range []struct {
		name string
		err  error
	}{
		{"ErrClosed", net.ErrClosed},
		{"timeout", os.ErrDeadlineExceeded},
		{"EOF", io.EOF},
		{"EPIPE", syscall.EPIPE},
		{"ECONNRESET", syscall.ECONNRESET},
		{"ECONNREFUSED", syscall.ECONNREFUSED},
		{"ErrWriteToConnected", net.ErrWriteToConnected},
		{"EDESTADDRREQ", syscall.EDESTADDRREQ},
		{"EINVAL", syscall.EINVAL},
		{"EADDRINUSE", syscall.EADDRINUSE},
	} {
		if errors.Is(err, k.err) {
			kind = k.name
			break
		}
	}
	if kind == "" {
		kind = "other(" + err.Error() + ")"
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		kind = se.Syscall + " " + kind
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		kind = oe.Op + ": " + kind
	} else if err != io.EOF {
		kind = fmt.Sprintf("%T: %s", err, kind)
	}
	return fmt.Sprintf("%d, %s", n, kind)
}

// tcpProbe is a probe of a TCP connection: c is the dialled end, peer the
// accepted one; it returns one line per call.
type tcpProbe func(c, peer net.Conn) []string

// realTCP runs probe on a connection over the machine's loopback.
func realTCP(t *testing.T, probe tcpProbe) []string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	return probe(c, peer)
}

// simTCP runs probe on a connection of a netsim host, in one task, in
// program mode.
func simTCP(t *testing.T, probe tcpProbe) []string {
	t.Helper()
	n, h := newNet(t, netsim.Options{})
	var got []string
	n.Go(func() {
		got = simTCPProbe(t, h, probe)
	})
	mustRun(t, n)
	return got
}

// simTCPTestMode runs probe as simTCP does, in test mode (a synctest
// bubble, where a TCP Write returns once its bytes are buffered).
func simTCPTestMode(t *testing.T, probe tcpProbe) []string {
	t.Helper()
	n := netsimtest.New(t, netsim.Options{})
	h, err := n.AddHost("h1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	netsimtest.Run(t, n, func(t *testing.T) {
		got = simTCPProbe(t, h, probe)
	})
	return got
}

func simTCPProbe(t *testing.T, h *netsim.Host, probe tcpProbe) []string {
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Error(err)
		return nil
	}
	defer ln.Close()
	c, err := h.Dial("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Error(err)
		return nil
	}
	defer c.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Error(err)
		return nil
	}
	defer peer.Close()
	return probe(c, peer)
}

// needIPv6 skips a comparison that needs the machine's IPv6 loopback
// when the machine has none (some containers): package net's side could
// not run.
func needIPv6(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("the machine has no IPv6 loopback for package net's side: %v", err)
	}
	ln.Close()
}

// compareTCP runs probe on package net's loopback and on netsim's, in
// both modes, and fails if netsim's lines differ from net's.
func compareTCP(t *testing.T, probe tcpProbe) {
	t.Helper()
	want := realTCP(t, probe)
	for _, m := range []struct {
		name string
		run  func(*testing.T, tcpProbe) []string
	}{{"program mode", simTCP}, {"test mode", simTCPTestMode}} {
		if got := m.run(t, probe); !slices.Equal(got, want) {
			t.Errorf("%s: netsim's calls returned\n\t%s\npackage net's\n\t%s", m.name, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
	}
}

// A Read with an empty buffer returns 0, nil at once, as package net's
// does: with nothing to read, with bytes waiting (which stay for the next
// Read), past the read deadline, at EOF; after Close it fails.
func TestCompareTCPEmptyRead(t *testing.T) {
	compareTCP(t, func(c, peer net.Conn) []string {
		var out []string
		note := func(what string, n int, err error) { out = append(out, what+": "+outcome(n, err)) }
		n, err := c.Read(nil)
		note("Read(nil), nothing to read", n, err)
		n, err = c.Read([]byte{})
		note("Read([]byte{}), nothing to read", n, err)
		if _, err := peer.Write([]byte("hi")); err != nil {
			t.Error(err)
		}
		n, err = c.Read(nil)
		note("Read(nil), bytes sent", n, err)
		b := make([]byte, 2)
		n, err = io.ReadFull(c, b)
		note("ReadFull "+string(b[:n]), n, err)
		c.SetReadDeadline(time.Unix(1, 0))
		n, err = c.Read(nil)
		note("Read(nil) past the deadline", n, err)
		c.SetReadDeadline(time.Time{})
		peer.Close()
		n, err = c.Read(b)
		note("Read after the peer's Close", n, err)
		n, err = c.Read(nil)
		note("Read(nil) at EOF", n, err)
		c.Close()
		n, err = c.Read(nil)
		note("Read(nil) after Close", n, err)
		return out
	})
}

// A Write after CloseWrite fails with EPIPE, as package net's does, an
// empty one too; the peer still reads EOF.
func TestCompareTCPWriteAfterCloseWrite(t *testing.T) {
	compareTCP(t, func(c, peer net.Conn) []string {
		var out []string
		note := func(what string, n int, err error) { out = append(out, what+": "+outcome(n, err)) }
		note("CloseWrite", 0, c.(interface{ CloseWrite() error }).CloseWrite())
		n, err := c.Write([]byte("x"))
		note("Write", n, err)
		n, err = c.Write([]byte("yz"))
		note("second Write", n, err)
		n, err = c.Write(nil)
		note("Write(nil)", n, err)
		b, err := io.ReadAll(peer)
		note("peer's ReadAll", len(b), err)
		return out
	})
}

// After Read reported the peer's reset, Writes fail with EPIPE and the
// next Read returns EOF, as with package net.
func TestCompareTCPWriteAfterReset(t *testing.T) {
	compareTCP(t, func(c, peer net.Conn) []string {
		var out []string
		note := func(what string, n int, err error) { out = append(out, what+": "+outcome(n, err)) }
		peer.(interface{ SetLinger(int) error }).SetLinger(0)
		peer.Close()
		b := make([]byte, 8)
		n, err := c.Read(b)
		note("Read after the peer's abort", n, err)
		n, err = c.Write([]byte("x"))
		note("Write", n, err)
		n, err = c.Write([]byte("x"))
		note("second Write", n, err)
		n, err = c.Write(nil)
		note("Write(nil)", n, err)
		n, err = c.Read(b)
		note("Read", n, err)
		return out
	})
}

// Past the write deadline, a Write after CloseWrite times out first, as
// package net's does.
func TestCompareTCPWriteAfterCloseWritePastDeadline(t *testing.T) {
	compareTCP(t, func(c, peer net.Conn) []string {
		var out []string
		note := func(what string, n int, err error) { out = append(out, what+": "+outcome(n, err)) }
		c.(interface{ CloseWrite() error }).CloseWrite()
		c.SetWriteDeadline(time.Unix(1, 0))
		n, err := c.Write([]byte("x"))
		note("Write past the deadline", n, err)
		c.SetWriteDeadline(time.Time{})
		n, err = c.Write([]byte("x"))
		note("Write", n, err)
		return out
	})
}

// sockets opens sockets as package net does: on the machine, or on a
// netsim host.
type sockets struct {
	Listen       func(network, address string) (net.Listener, error)
	ListenPacket func(network, address string) (net.PacketConn, error)
	Dial         func(network, address string) (net.Conn, error)
}

// compareSockets runs probe with package net's functions and with a
// netsim host's, in program and in test mode, and fails if netsim's lines
// differ from net's. The probe's addresses must be free on the machine's
// loopback, or port 0.
func compareSockets(t *testing.T, probe func(t *testing.T, s sockets) []string) {
	t.Helper()
	want := probe(t, sockets{net.Listen, net.ListenPacket, net.Dial})
	n, h := newNet(t, netsim.Options{})
	var got []string
	n.Go(func() { got = probe(t, sockets{h.Listen, h.ListenPacket, h.Dial}) })
	mustRun(t, n)
	if !slices.Equal(got, want) {
		t.Errorf("program mode: netsim's calls returned\n\t%s\npackage net's\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	tn := netsimtest.New(t, netsim.Options{})
	th, err := tn.AddHost("h1")
	if err != nil {
		t.Fatal(err)
	}
	netsimtest.Run(t, tn, func(t *testing.T) {
		got = probe(t, sockets{th.Listen, th.ListenPacket, th.Dial})
	})
	if !slices.Equal(got, want) {
		t.Errorf("test mode: netsim's calls returned\n\t%s\npackage net's\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// The deadline setters of a closed socket fail with an error matching
// net.ErrClosed, as package net's do: a *net.OpError "set" naming the
// local address for a connection, net.ErrClosed itself for a listener.
func TestCompareDeadlineSettersAfterClose(t *testing.T) {
	setters := func(what string, c interface {
		SetDeadline(time.Time) error
		SetReadDeadline(time.Time) error
		SetWriteDeadline(time.Time) error
	}) []string {
		return []string{
			what + " SetDeadline: " + outcome(0, c.SetDeadline(time.Unix(1, 0))),
			what + " SetReadDeadline: " + outcome(0, c.SetReadDeadline(time.Time{})),
			what + " SetWriteDeadline: " + outcome(0, c.SetWriteDeadline(time.Unix(1, 0))),
		}
	}
	compareTCP(t, func(c, peer net.Conn) []string {
		out := setters("open", c)
		c.Close()
		out = append(out, setters("closed", c)...)
		var oe *net.OpError
		err := c.SetDeadline(time.Time{})
		if errors.As(err, &oe) {
			out = append(out, fmt.Sprintf("Source %v, Addr is LocalAddr: %v", oe.Source, oe.Addr == c.LocalAddr()))
		}
		return out
	})
	compareSockets(t, func(t *testing.T, s sockets) []string {
		var out []string
		ln, err := s.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Error(err)
			return nil
		}
		dl := ln.(interface{ SetDeadline(time.Time) error })
		out = append(out, "listener SetDeadline: "+outcome(0, dl.SetDeadline(time.Unix(1, 0))))
		ln.Close()
		err = dl.SetDeadline(time.Time{})
		out = append(out, "closed listener SetDeadline: "+outcome(0, err), fmt.Sprintf("is net.ErrClosed itself: %v", err == net.ErrClosed))
		pc, err := s.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Error(err)
			return nil
		}
		out = append(out, setters("udp", pc)...)
		uc, err := s.Dial("udp", pc.LocalAddr().String())
		if err != nil {
			t.Error(err)
			return nil
		}
		pc.Close()
		out = append(out, setters("closed udp", pc)...)
		out = append(out, setters("connected udp", uc)...)
		uc.Close()
		out = append(out, setters("closed connected udp", uc)...)
		return out
	})
}

// A connected UDP socket: WriteTo fails with ErrWriteToConnected (after
// Close too) and sends nothing; Read into an empty buffer returns 0, nil at
// once and leaves the next datagram queued; ReadFrom into an empty buffer
// takes a datagram and returns 0 and its sender, as with package net.
func TestCompareConnectedUDP(t *testing.T) {
	compareSockets(t, func(t *testing.T, s sockets) []string {
		var out []string
		note := func(what string, n int, err error) { out = append(out, what+": "+outcome(n, err)) }
		srv, err := s.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Error(err)
			return nil
		}
		defer srv.Close()
		uc, err := s.Dial("udp", srv.LocalAddr().String())
		if err != nil {
			t.Error(err)
			return nil
		}
		defer uc.Close()
		upc := uc.(net.PacketConn)
		n, err := upc.WriteTo([]byte("to"), srv.LocalAddr())
		note("WriteTo", n, err)
		var oe *net.OpError
		if errors.As(err, &oe) {
			out = append(out, fmt.Sprintf("its Addr is the address given: %v, Source is LocalAddr: %v", oe.Addr == srv.LocalAddr(), oe.Source == uc.LocalAddr()))
		}
		n, err = uc.Read(nil)
		note("Read(nil), nothing queued", n, err)
		b := make([]byte, 16)
		for _, m := range []string{"first", "second"} {
			if _, err := srv.WriteTo([]byte(m), uc.LocalAddr()); err != nil {
				t.Error(err)
			}
		}
		n, err = uc.Read(b)
		note("Read "+string(b[:n]), n, err)
		n, err = uc.Read(nil)
		note("Read(nil)", n, err)
		n, err = uc.Read([]byte{})
		note("Read([]byte{})", n, err)
		n, err = uc.Read(b)
		note("Read "+string(b[:n]), n, err)
		uc.SetReadDeadline(time.Unix(1, 0))
		n, err = uc.Read(nil)
		note("Read(nil) past the deadline", n, err)
		uc.SetReadDeadline(time.Time{})
		for _, m := range []string{"third", "fourth"} {
			if _, err := srv.WriteTo([]byte(m), uc.LocalAddr()); err != nil {
				t.Error(err)
			}
		}
		n, from, err := upc.ReadFrom(nil)
		note(fmt.Sprintf("ReadFrom(nil) from the server: %v", from != nil && from.String() == srv.LocalAddr().String()), n, err)
		n, err = uc.Read(b)
		note("Read "+string(b[:n]), n, err)
		uc.Close()
		n, err = upc.WriteTo([]byte("to"), srv.LocalAddr())
		note("WriteTo after Close", n, err)
		n, err = uc.Read(nil)
		note("Read(nil) after Close", n, err)
		srv.SetReadDeadline(time.Unix(1, 0))
		n, _, err = srv.ReadFrom(b)
		note("the server's ReadFrom: nothing came", n, err)
		return out
	})
}

// "[::]:port" is every address, as ":port" is: Listen and ListenPacket
// take it (the stack refused to bind "::"), and the socket takes
// connections to its IPv4 and IPv6 loopback addresses, as package net's.
func TestCompareListenIPv6Any(t *testing.T) {
	needIPv6(t)
	compareSockets(t, func(t *testing.T, s sockets) []string {
		var out []string
		for _, network := range []string{"tcp", "tcp6"} {
			ln, err := s.Listen(network, "[::]:0")
			out = append(out, fmt.Sprintf("Listen(%q, \"[::]:0\"): %s", network, outcome(0, err)))
			if err != nil {
				continue
			}
			port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			tos := []string{"[::1]"}
			if network == "tcp" {
				// (A "tcp6" socket of netsim takes IPv4 too: not
				// compared. netsim exec's AF_INET6 sockets, dual-stack
				// as on Linux, are "tcp6" sockets.)
				tos = append(tos, "127.0.0.1")
			}
			for _, to := range tos {
				c, err := s.Dial("tcp", to+":"+port)
				out = append(out, fmt.Sprintf("  Dial %s: %s", to, outcome(0, err)))
				if err == nil {
					c.Close()
					a, err := ln.Accept()
					out = append(out, "  Accept: "+outcome(0, err))
					if err == nil {
						a.Close()
					}
				}
			}
			ln.Close()
		}
		for _, network := range []string{"udp", "udp6"} {
			pc, err := s.ListenPacket(network, "[::]:0")
			out = append(out, fmt.Sprintf("ListenPacket(%q, \"[::]:0\"): %s", network, outcome(0, err)))
			if err == nil {
				pc.Close()
			}
		}
		return out
	})
}

// An unconnected UDP socket's Write fails with EDESTADDRREQ named after
// write(2), and WriteTo with a nil or non-UDP address with EINVAL, as
// package net's; empty datagrams and connected sockets' ICMP errors as net.
func TestCompareUDPErrors(t *testing.T) {
	compareSockets(t, func(t *testing.T, s sockets) []string {
		var out []string
		note := func(what string, n int, err error) { out = append(out, what+": "+outcome(n, err)) }
		pc, err := s.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Error(err)
			return nil
		}
		defer pc.Close()
		n, err := pc.(net.Conn).Write([]byte("x"))
		note("unconnected Write", n, err)
		n, err = pc.WriteTo([]byte("x"), nil)
		note("WriteTo nil", n, err)
		n, err = pc.WriteTo([]byte("x"), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
		note("WriteTo TCPAddr", n, err)
		n, err = pc.WriteTo(nil, pc.LocalAddr())
		note("WriteTo empty", n, err)
		n, _, err = pc.ReadFrom(make([]byte, 4))
		note("ReadFrom empty datagram", n, err)
		out = append(out, "RemoteAddr nil: "+map[bool]string{true: "yes", false: "no"}[pc.(net.Conn).RemoteAddr() == nil])
		uc, err := s.Dial("udp", "127.0.0.1:9")
		if err != nil {
			t.Error(err)
			return nil
		}
		n, err = uc.Write([]byte("x"))
		note("connected Write to closed port", n, err)
		n, err = uc.Read(make([]byte, 4))
		note("connected Read after unreachable", n, err)
		uc.Close()
		return out
	})
}

// Dialing "[::]:port" dials the local system, as package net's does (it
// was refused); and the listener's other calls as net's.
func TestCompareDialWildcardAndListener(t *testing.T) {
	needIPv6(t)
	compareSockets(t, func(t *testing.T, s sockets) []string {
		var out []string
		note := func(what string, n int, err error) { out = append(out, what+": "+outcome(n, err)) }
		ln, err := s.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Error(err)
			return nil
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		_, err = s.Listen("tcp", "127.0.0.1:"+port)
		note("Listen same port", 0, err)
		for _, host := range []string{"[::]", "0.0.0.0", "", "localhost"} {
			c, err := s.Dial("tcp", host+":"+port)
			note("Dial "+host+":port", 0, err)
			if err == nil {
				c.Close()
				a, err := ln.Accept()
				note("Accept", 0, err)
				if err == nil {
					a.Close()
				}
			}
		}
		ln.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Unix(1, 0))
		_, err = ln.Accept()
		note("Accept past deadline", 0, err)
		ln.Close()
		_, err = ln.Accept()
		note("Accept after Close", 0, err)
		note("Close twice", 0, ln.Close())
		_, err = s.Dial("tcp", "127.0.0.1:"+port)
		note("Dial closed listener", 0, err)
		pc, err := s.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Error(err)
			return nil
		}
		_, err = s.ListenPacket("udp", pc.LocalAddr().String())
		note("ListenPacket same port", 0, err)
		pc.Close()
		note("udp Close twice", 0, pc.Close())
		_, _, err = pc.ReadFrom(make([]byte, 4))
		note("udp ReadFrom after Close", 0, err)
		_, err = pc.WriteTo([]byte("x"), pc.LocalAddr())
		note("udp WriteTo after Close", 0, err)
		return out
	})
}
