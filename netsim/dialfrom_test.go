package netsim_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// capNet returns a network with one host whose frames are captured into
// the returned buffer; read it with wire after Run.
func capNet(t *testing.T) (*netsim.Network, *netsim.Host, *bytes.Buffer) {
	t.Helper()
	buf := new(bytes.Buffer)
	n, h := newNet(t, netsim.Options{Capture: buf})
	return n, h, buf
}

// wire decodes the capture in buf with netsim's dissector and returns, for
// every frame that passes the display filter, the values of fields (as
// tshark -T fields prints them).
func wire(t *testing.T, buf *bytes.Buffer, filter string, fields ...string) [][]string {
	t.Helper()
	f, err := dfilter.Compile(filter)
	if err != nil {
		t.Fatalf("filter %q: %v", filter, err)
	}
	r, err := pcapread.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("reading the capture: %v", err)
	}
	var rows [][]string
	err = dissect.Scan(r, func(p *dissect.Packet) error {
		if f.Match(p) {
			row := make([]string, len(fields))
			for i, name := range fields {
				row[i] = dissect.FieldString(p, name)
			}
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the capture: %v", err)
	}
	return rows
}

// count returns how many captured frames pass filter.
func count(t *testing.T, buf *bytes.Buffer, filter string) int {
	t.Helper()
	return len(wire(t, buf, filter))
}

func TestDialFromPortTCP(t *testing.T) {
	for _, tc := range []struct{ network, laddr, raddr, src string }{
		{"tcp", ":5000", "127.0.0.1:7000", "127.0.0.1"},
		{"tcp", "127.0.0.1:5000", "127.0.0.1:7000", "127.0.0.1"},
		{"tcp4", ":5000", "h1:7000", "127.0.0.1"},
		{"tcp", "[::1]:5000", "[::1]:7000", "::1"},
		{"tcp6", ":5000", "[::1]:7000", "::1"},
	} {
		t.Run(tc.network+" "+tc.laddr, func(t *testing.T) {
			n, h, buf := capNet(t)
			ln, err := h.Listen("tcp", ":7000")
			if err != nil {
				t.Fatal(err)
			}
			n.Go(func() {
				defer ln.Close()
				c, err := ln.Accept()
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				if got := c.RemoteAddr().(*net.TCPAddr).Port; got != 5000 {
					t.Errorf("server sees the client on port %d, want 5000", got)
				}
			})
			n.Go(func() {
				c, err := h.DialFrom(context.Background(), tc.network, tc.laddr, tc.raddr)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				la := c.LocalAddr().(*net.TCPAddr)
				if la.Port != 5000 || la.IP.String() != tc.src {
					t.Errorf("LocalAddr = %v, want %s port 5000", la, tc.src)
				}
			})
			mustRun(t, n)
			n.Close()
			syn := wire(t, buf, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.srcport", "tcp.dstport")
			if len(syn) != 1 || syn[0][0] != "5000" || syn[0][1] != "7000" {
				t.Errorf("SYNs (srcport, dstport) = %v, want one from 5000 to 7000", syn)
			}
		})
	}
}

func TestDialFromUDPConnected(t *testing.T) {
	// A UDP socket dialled from port 5000: bound, then connected. Datagrams
	// leave from port 5000; the peer's reply is read with Read.
	n, h, buf := capNet(t)
	srv, err := h.ListenPacket("udp", "127.0.0.1:5300")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		defer srv.Close()
		b := make([]byte, 100)
		k, from, err := srv.ReadFrom(b)
		if err != nil {
			t.Error(err)
			return
		}
		if from.(*net.UDPAddr).Port != 5000 {
			t.Errorf("datagram from %v, want port 5000", from)
		}
		srv.WriteTo(bytes.ToUpper(b[:k]), from)
	})
	n.Go(func() {
		c, err := h.DialFrom(context.Background(), "udp", ":5000", "127.0.0.1:5300")
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Error(err)
		}
		b := make([]byte, 100)
		k, err := c.Read(b)
		if err != nil || string(b[:k]) != "HELLO" {
			t.Errorf("Read = %q, %v; want HELLO", b[:k], err)
		}
	})
	mustRun(t, n)
	n.Close()
	if got := count(t, buf, "udp.srcport == 5000 && udp.dstport == 5300"); got != 1 {
		t.Errorf("datagrams from 5000 to 5300: %d, want 1", got)
	}
	if got := count(t, buf, "udp.srcport == 5300 && udp.dstport == 5000"); got != 1 {
		t.Errorf("datagrams from 5300 to 5000: %d, want 1", got)
	}
}

func TestDialFromUDPPortUnreachable(t *testing.T) {
	// Connected UDP to a closed port: the peer answers with an ICMP port
	// unreachable, which the next Read reports as ECONNREFUSED (gVisor's
	// udp endpoint keeps it as the socket's last error, as Linux does for
	// a connected socket); the Read after that waits again.
	for _, tc := range []struct{ network, raddr, icmp string }{
		{"udp", "127.0.0.1:9", "icmp.type == 3 && icmp.code == 3"},
		{"udp6", "[::1]:9", "icmpv6.type == 1 && icmpv6.code == 4"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			n, h, buf := capNet(t)
			n.Go(func() {
				c, err := h.DialFrom(context.Background(), tc.network, ":5000", tc.raddr)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				if _, err := c.Write([]byte("anyone?")); err != nil {
					t.Errorf("Write = %v", err)
				}
				c.SetReadDeadline(n.Now().Add(time.Second))
				_, err = c.Read(make([]byte, 10))
				var oe *net.OpError
				if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &oe) {
					t.Errorf("Read = %#v, want a *net.OpError wrapping ECONNREFUSED", err)
				}
				if _, err := c.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("second Read = %v, want a timeout (the error is reported once)", err)
				}
			})
			mustRun(t, n)
			n.Close()
			if got := count(t, buf, "udp.srcport == 5000 && udp.dstport == 9 && !icmp && !icmpv6"); got != 1 {
				t.Errorf("datagrams from 5000 to 9: %d, want 1", got)
			}
			if got := count(t, buf, tc.icmp); got != 1 {
				t.Errorf("%q: %d frames, want 1", tc.icmp, got)
			}
		})
	}
}

func TestDialFromErrors(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := h.ListenPacket("udp", "127.0.0.1:5353")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	addrErr := func(err error) bool {
		var oe *net.OpError
		var ae *net.AddrError
		return errors.As(err, &oe) && errors.As(err, &ae)
	}
	isOpErr := func(err error) bool {
		var oe *net.OpError
		return errors.As(err, &oe)
	}
	cases := []struct {
		name  string
		call  func() error
		check func(error) bool
		want  string
	}{
		{"laddr without a port", func() error { _, err := h.DialFrom(ctx, "tcp", "127.0.0.1", "127.0.0.1:7000"); return err }, isOpErr, "*net.OpError"},
		{"laddr port not a number", func() error { _, err := h.DialFrom(ctx, "tcp", ":x", "127.0.0.1:7000"); return err },
			func(err error) bool {
				var de *net.DNSError
				return isOpErr(err) && errors.As(err, &de) && de.Err == "unknown port" // as package net: no such service
			}, "unknown port"},
		{"laddr port too big", func() error { _, err := h.DialFrom(ctx, "udp", ":70000", "127.0.0.1:7000"); return err }, addrErr, "*net.AddrError"},
		{"laddr IPv6, raddr IPv4", func() error { _, err := h.DialFrom(ctx, "tcp", "[::1]:0", "127.0.0.1:7000"); return err }, addrErr, "*net.AddrError"},
		{"laddr IPv4, raddr IPv6", func() error { _, err := h.DialFrom(ctx, "udp", "127.0.0.1:0", "[::1]:7000"); return err }, addrErr, "*net.AddrError"},
		{"tcp4 laddr IPv6", func() error { _, err := h.DialFrom(ctx, "tcp4", "[::1]:0", "127.0.0.1:7000"); return err }, addrErr, "*net.AddrError"},
		{"unknown network", func() error { _, err := h.DialFrom(ctx, "sctp", ":0", "127.0.0.1:7000"); return err }, isOpErr, "*net.OpError"},
		{"bad raddr port", func() error { _, err := h.DialFrom(ctx, "tcp", "127.0.0.1:0", "127.0.0.1:99999"); return err },
			func(err error) bool {
				var ae *net.AddrError
				return errors.As(err, &ae) && ae.Err == "invalid port"
			}, "invalid port"},
		{"bad raddr", func() error { _, err := h.DialFrom(ctx, "tcp", ":0", "127.0.0.1"); return err }, isOpErr, "*net.OpError"},
		{"address not on the host", func() error { _, err := h.DialFrom(ctx, "tcp", "10.9.9.9:0", "127.0.0.1:7000"); return err },
			func(err error) bool { return isOpErr(err) && errors.Is(err, syscall.EADDRNOTAVAIL) }, "EADDRNOTAVAIL"},
		{"TCP port in use", func() error { _, err := h.DialFrom(ctx, "tcp", "127.0.0.1:7000", "127.0.0.1:7000"); return err },
			func(err error) bool { return isOpErr(err) && errors.Is(err, syscall.EADDRINUSE) }, "EADDRINUSE"},
		{"UDP port in use", func() error { _, err := h.DialFrom(ctx, "udp", ":5353", "127.0.0.1:7000"); return err },
			func(err error) bool { return isOpErr(err) && errors.Is(err, syscall.EADDRINUSE) }, "EADDRINUSE"},
	}
	n.Go(func() {
		defer ln.Close()
		defer pc.Close()
		for _, tc := range cases {
			err := tc.call()
			if !tc.check(err) {
				t.Errorf("%s: error %#v, want %s", tc.name, err, tc.want)
			}
		}
	})
	mustRun(t, n)
	if f := n.Stats().Frames; f != 0 {
		t.Errorf("failed dials sent %d frames, want none", f)
	}
}
