package netsim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
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
func TestSetLingerZeroDropsUnsentData(t *testing.T) {
	// The peer advertises a 4 KiB buffer and does not read: most of the
	// 64 KiB written is still unsent when Close aborts, and never leaves.
	n, h, buf := capNet(t)
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) {
			if err := c.(interface{ SetReadBuffer(int) error }).SetReadBuffer(2048); err != nil {
				t.Error(err)
			}
			n.Sleep(time.Second)
		},
		func(c net.Conn) {
			c.(linger).SetLinger(0)
			n.Sleep(10 * time.Millisecond)
			c.SetWriteDeadline(n.Now().Add(100 * time.Millisecond))
			c.Write(make([]byte, 64<<10))
		})
	mustRun(t, n)
	n.Close()
	sent := 0
	for _, r := range wire(t, buf, "tcp.srcport != 7000 && tcp.len > 0", "tcp.len") {
		k := 0
		for _, d := range r[0] {
			k = k*10 + int(d-'0')
		}
		sent += k
	}
	if sent == 0 || sent >= 64<<10 {
		t.Errorf("client sent %d bytes, want some but not all of 65536", sent)
	}
	if got := count(t, buf, "tcp.flags.reset == 1 && tcp.srcport != 7000"); got != 1 {
		t.Errorf("%d RSTs from the client, want 1", got)
	}
	if got := count(t, buf, "tcp.flags.fin == 1"); got != 0 {
		t.Errorf("%d FINs, want none", got)
	}
}

// keepAliver is what a user type-asserts to set keep-alive.
type keepAliver interface {
	SetKeepAlive(bool) error
	SetKeepAlivePeriod(time.Duration) error
	SetKeepAliveConfig(net.KeepAliveConfig) error
}

// atoi parses a decimal field value, failing the test if it is not one.
func atoi(t *testing.T, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("field value %q: %v", s, err)
	}
	return v
}

// seconds parses a frame.time_relative value.
func seconds(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s + "s")
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return d
}

// gaps returns the times between consecutive values of rows' first field,
// a frame.time_relative.
func gaps(t *testing.T, rows [][]string) []time.Duration {
	t.Helper()
	var out []time.Duration
	for i := 1; i < len(rows); i++ {
		out = append(out, seconds(t, rows[i][0])-seconds(t, rows[i-1][0]))
	}
	return out
}

func TestSetKeepAlivePeriodProbesIdleConnection(t *testing.T) {
	// Keep-alive with a 1 s period on a connection idle for 3.5 s: a probe
	// (an ACK with seq = snd.nxt-1 and no data) every second, each
	// answered, and none after Close.
	n, h, buf := capNet(t)
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) { io.ReadAll(c) },
		func(c net.Conn) {
			c.Write([]byte("x"))
			k := c.(keepAliver)
			if err := k.SetKeepAlive(true); err != nil {
				t.Error(err)
			}
			if err := k.SetKeepAlivePeriod(time.Second); err != nil {
				t.Error(err)
			}
			n.Sleep(3500 * time.Millisecond)
		})
	mustRun(t, n)
	n.Close()
	probes := wire(t, buf, "tcp.analysis.keep_alive && tcp.srcport != 7000", "frame.time_relative", "tcp.seq", "tcp.len")
	if len(probes) != 3 {
		t.Fatalf("keep-alive probes %v, want 3", probes)
	}
	for _, p := range probes {
		if p[1] != "1" || p[2] != "0" {
			t.Errorf("probe (time, seq, len) %v, want seq 1 (snd.nxt-1), no data", p)
		}
	}
	if d := seconds(t, probes[0][0]); d < time.Second || d > time.Second+time.Millisecond {
		t.Errorf("first probe at %v, want 1 s after the last data", d)
	}
	for _, g := range gaps(t, probes) {
		if g < time.Second || g > time.Second+time.Millisecond {
			t.Errorf("probes %v apart, want 1 s (plus the round trip)", g)
		}
	}
	if got := count(t, buf, "tcp.srcport == 7000 && tcp.len == 0 && tcp.flags.ack == 1 && tcp.flags.fin == 0 && tcp.ack == 2"); got < 4 {
		t.Errorf("%d ACKs from the server, want 4 or more (the data's, one per probe)", got)
	}
	if got := count(t, buf, "tcp.flags.reset == 1"); got != 0 {
		t.Errorf("%d RSTs, want none (no probe after Close)", got)
	}
}

func TestSetKeepAliveConfigUnansweredProbes(t *testing.T) {
	// The loopback goes down after the data: the first probe goes out after
	// Idle, the next ones every Interval, and after Count unanswered probes
	// the connection times out: the blocked Read fails with ETIMEDOUT.
	n, h, buf := capNet(t)
	var readErr error
	var readAt time.Duration
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) {
			c.SetReadDeadline(n.Now().Add(20 * time.Second))
			io.ReadAll(c)
		},
		func(c net.Conn) {
			c.Write([]byte("x"))
			n.Sleep(time.Millisecond)
			if err := h.Loopback().Set(netsim.LinkConfig{Down: true}, netsim.LinkConfig{}); err != nil {
				t.Error(err)
			}
			err := c.(keepAliver).SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Second, Interval: 2 * time.Second, Count: 3})
			if err != nil {
				t.Error(err)
			}
			start := n.Now()
			_, readErr = c.Read(make([]byte, 1))
			readAt = n.Now().Sub(start)
		})
	mustRun(t, n)
	n.Close()
	probes := wire(t, buf, "tcp.srcport != 7000 && tcp.len == 0 && tcp.seq == 1 && tcp.ack == 1 && frame.time_relative > 0.5", "frame.time_relative")
	if len(probes) != 3 {
		t.Fatalf("probes at %v, want 3", probes)
	}
	for _, g := range gaps(t, probes) {
		if g != 2*time.Second {
			t.Errorf("unanswered probes %v apart, want Interval, 2 s", g)
		}
	}
	t.Logf("probes at %v; Read failed after %v: %v; RSTs: %d", probes, readAt, readErr, count(t, buf, "tcp.flags.reset == 1"))
	if !errors.Is(readErr, syscall.ETIMEDOUT) {
		t.Errorf("Read = %v, want ETIMEDOUT", readErr)
	}
	if readAt < 7*time.Second || readAt > 7*time.Second+10*time.Millisecond {
		t.Errorf("Read failed after %v, want 7 s (1 s idle + 3 probes 2 s apart)", readAt)
	}
}

func TestSetReadBufferShrinksWindow(t *testing.T) {
	// The server sets a 4096-byte read buffer and does not read for a
	// second: the 64 KiB the client sent against the handshake's window
	// fill it, the server advertises a zero window, and once it reads, it
	// advertises no more than 4096 bytes. Without SetReadBuffer there is no
	// zero window.
	for _, small := range []bool{true, false} {
		n, h, buf := capNet(t)
		tcpPair(t, n, h, "127.0.0.1:7000",
			func(c net.Conn) {
				if small {
					if err := c.(interface{ SetReadBuffer(int) error }).SetReadBuffer(4096); err != nil {
						t.Error(err)
					}
				}
				n.Sleep(time.Second)
				if b, err := io.ReadAll(c); len(b) != 64<<10 || err != nil {
					t.Errorf("server read %d bytes, %v", len(b), err)
				}
			},
			func(c net.Conn) {
				n.Sleep(10 * time.Millisecond)
				c.Write(make([]byte, 64<<10))
			})
		mustRun(t, n)
		n.Close()
		zero := count(t, buf, "tcp.analysis.zero_window && tcp.srcport == 7000")
		if !small {
			if zero != 0 {
				t.Errorf("default buffer: %d zero windows, want none", zero)
			}
			continue
		}
		if zero == 0 {
			t.Error("no zero window from the server")
		}
		wins := wire(t, buf, "tcp.srcport == 7000 && frame.time_relative >= 1", "tcp.window_size")
		if len(wins) == 0 {
			t.Fatal("no frames from the server after it read")
		}
		t.Logf("zero windows: %d; server windows after it read: %v", zero, wins)
		for _, w := range wins {
			if v := atoi(t, w[0]); v > 4096 {
				t.Errorf("server window %d after SetReadBuffer(4096), want <= 4096", v)
			}
		}
	}
}

func TestSetWriteBufferLimitsBytesInFlight(t *testing.T) {
	// A 4096-byte write buffer (8192 in the stack, as on Linux) holds the
	// bytes sent and not yet acknowledged: no more are in flight at once.
	for _, small := range []bool{true, false} {
		n, h, buf := capNet(t)
		tcpPair(t, n, h, "127.0.0.1:7000",
			func(c net.Conn) { io.ReadAll(c) },
			func(c net.Conn) {
				if small {
					if err := c.(interface{ SetWriteBuffer(int) error }).SetWriteBuffer(4096); err != nil {
						t.Error(err)
					}
				}
				c.Write(make([]byte, 256<<10))
			})
		mustRun(t, n)
		n.Close()
		acked, most := 1, 0
		for _, r := range wire(t, buf, "tcp", "tcp.srcport", "tcp.seq", "tcp.ack", "tcp.len") {
			if r[0] == "7000" {
				acked = max(acked, atoi(t, r[2]))
				continue
			}
			most = max(most, atoi(t, r[1])+atoi(t, r[3])-acked)
		}
		t.Logf("write buffer small=%v: at most %d bytes in flight", small, most)
		switch {
		case small && most > 8192:
			t.Errorf("SetWriteBuffer(4096): %d bytes in flight, want <= 8192", most)
		case !small && most <= 8192:
			t.Errorf("default write buffer: at most %d bytes in flight, want more than 8192", most)
		}
	}
}

func TestSetTTL(t *testing.T) {
	for _, tc := range []struct{ network, addr, field string }{
		{"tcp", "127.0.0.1:7000", "ip.ttl"},
		{"tcp", "[::1]:7000", "ipv6.hlim"},
		{"udp", "127.0.0.1:7000", "ip.ttl"},
		{"udp", "[::1]:7000", "ipv6.hlim"},
	} {
		t.Run(tc.network+" "+tc.field, func(t *testing.T) {
			n, h, buf := capNet(t)
			type ttler interface{ SetTTL(int) error }
			client := func(c net.Conn) {
				tt := c.(ttler)
				c.Write([]byte("a"))
				n.Sleep(time.Millisecond)
				for _, bad := range []int{0, -2, 256} {
					var oe *net.OpError
					if err := tt.SetTTL(bad); !errors.Is(err, syscall.EINVAL) || !errors.As(err, &oe) {
						t.Errorf("SetTTL(%d) = %v, want a *net.OpError wrapping EINVAL", bad, err)
					}
				}
				if err := tt.SetTTL(5); err != nil {
					t.Error(err)
				}
				c.Write([]byte("b"))
				n.Sleep(time.Millisecond)
				tt.SetTTL(-1)
				c.Write([]byte("c"))
				n.Sleep(time.Millisecond)
			}
			if tc.network == "tcp" {
				tcpPair(t, n, h, tc.addr, func(c net.Conn) { io.ReadAll(c) }, client)
			} else {
				pc, err := h.ListenPacket("udp", tc.addr)
				if err != nil {
					t.Fatal(err)
				}
				n.Go(func() {
					defer pc.Close()
					c, err := h.Dial("udp", tc.addr)
					if err != nil {
						t.Error(err)
						return
					}
					defer c.Close()
					client(c)
				})
			}
			mustRun(t, n)
			n.Close()
			payload := tc.network + ".payload"
			if tc.network == "udp" {
				payload = "data.data"
			}
			got := wire(t, buf, payload+" == 62", tc.field)
			want := [][]string{{"5"}}
			if len(got) != 1 || got[0][0] != "5" {
				t.Errorf("%s of the segment sent after SetTTL(5): %v, want %v", tc.field, got, want)
			}
			if others := count(t, buf, tc.field+" != 5"); others == 0 {
				t.Errorf("no frame with the default %s", tc.field)
			}
			if c := wire(t, buf, payload+" == 63", tc.field); len(c) != 1 || c[0][0] != "64" {
				t.Errorf("%s after SetTTL(-1): %v, want 64", tc.field, c)
			}
		})
	}
}

func TestUDPSetReadBufferDropsDatagrams(t *testing.T) {
	// A UDP socket with the smallest read buffer (4096 bytes) that does not
	// read: of ten 1000-byte datagrams, the ones beyond the buffer are
	// dropped (all ten are on the wire).
	n, h, buf := capNet(t)
	pc, err := h.ListenPacket("udp", "127.0.0.1:5300")
	if err != nil {
		t.Fatal(err)
	}
	type buffers interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}
	if err := pc.(buffers).SetReadBuffer(1); err != nil {
		t.Fatal(err)
	}
	got := 0
	n.Go(func() {
		defer pc.Close()
		c, err := h.Dial("udp", "127.0.0.1:5300")
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		if err := c.(buffers).SetWriteBuffer(1 << 20); err != nil {
			t.Error(err)
		}
		if err := c.(buffers).SetWriteBuffer(-1); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("SetWriteBuffer(-1) = %v, want EINVAL", err)
		}
		for range 10 {
			c.Write(make([]byte, 1000))
		}
		n.Sleep(time.Millisecond)
		b := make([]byte, 2000)
		for {
			pc.SetReadDeadline(n.Now().Add(time.Millisecond))
			if _, _, err := pc.ReadFrom(b); err != nil {
				break
			}
			got++
		}
	})
	mustRun(t, n)
	n.Close()
	if sent := count(t, buf, "udp.dstport == 5300"); sent != 10 {
		t.Errorf("%d datagrams on the wire, want 10", sent)
	}
	t.Logf("read %d of 10 datagrams", got)
	if got == 0 || got >= 10 {
		t.Errorf("read %d datagrams, want some but fewer than 10", got)
	}
}

func TestTestModeLingerAndKeepAlive(t *testing.T) {
	// The same options in test mode (a synctest bubble, where a Write
	// returns once its bytes are buffered): keep-alive probes every second
	// of fake time, and SetLinger(0) then Close sends the bytes just
	// written, then RST, never FIN.
	buf := new(bytes.Buffer)
	n := netsimtest.New(t, netsim.Options{Capture: buf})
	h, err := n.AddHost("h1")
	if err != nil {
		t.Fatal(err)
	}
	var srvErr error
	netsimtest.Run(t, n, func(t *testing.T) {
		ln, err := h.Listen("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer ln.Close()
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			b := make([]byte, 5)
			if _, err := io.ReadFull(c, b); err != nil {
				t.Error(err)
			}
			_, srvErr = c.Read(b)
		}()
		c, err := h.Dial("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		tc := c.(netsim.TCPConn)
		if err := tc.SetKeepAlivePeriod(time.Second); err != nil {
			t.Error(err)
		}
		if err := tc.SetKeepAlive(true); err != nil {
			t.Error(err)
		}
		time.Sleep(2500 * time.Millisecond)
		c.Write([]byte("hello"))
		if err := tc.SetLinger(0); err != nil {
			t.Error(err)
		}
		c.Close()
		<-done
	})
	if !errors.Is(srvErr, syscall.ECONNRESET) {
		t.Errorf("server Read after the abort = %v, want ECONNRESET", srvErr)
	}
	if got := count(t, buf, "tcp.analysis.keep_alive && tcp.srcport != 7000"); got != 2 {
		t.Errorf("%d keep-alive probes in 2.5 s, want 2", got)
	}
	if got := count(t, buf, "tcp.len == 5"); got != 1 {
		t.Errorf("%d segments with the 5 bytes, want 1", got)
	}
	if got := count(t, buf, "tcp.flags.reset == 1 && tcp.srcport != 7000"); got != 1 {
		t.Errorf("%d RSTs from the client, want 1", got)
	}
	if got := count(t, buf, "tcp.flags.fin == 1"); got != 0 {
		t.Errorf("%d FINs, want none", got)
	}
}

func TestSocketOptionsAreDeterministic(t *testing.T) {
	// Every option in one run, from a fixed port: the same capture, byte
	// for byte, every time.
	once := func() []byte {
		n, h, buf := capNet(t)
		ln, err := h.Listen("tcp", "127.0.0.1:7000")
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
			c.(netsim.TCPConn).SetReadBuffer(4096)
			n.Sleep(500 * time.Millisecond)
			io.ReadAll(c)
		})
		n.Go(func() {
			c, err := h.DialFrom(context.Background(), "tcp", ":5000", "127.0.0.1:7000")
			if err != nil {
				t.Error(err)
				return
			}
			tc := c.(netsim.TCPConn)
			tc.SetTTL(7)
			tc.SetWriteBuffer(16 << 10)
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Second, Interval: time.Second, Count: 2})
			c.Write(make([]byte, 100<<10))
			n.Sleep(2500 * time.Millisecond)
			tc.SetLinger(0)
			c.Write(make([]byte, 1000))
			c.Close()
		})
		mustRun(t, n)
		n.Close()
		return buf.Bytes()
	}
	first := once()
	if count(t, bytes.NewBuffer(first), "tcp.flags.reset == 1") != 1 {
		t.Error("no RST in the capture")
	}
	for i := range 4 {
		if !bytes.Equal(once(), first) {
			t.Fatalf("run %d: a different capture", i+2)
		}
	}
}

func TestSettersOnResetConnection(t *testing.T) {
	// Every setter on a connection the peer has reset (gVisor has freed
	// its timers then): no panic, and Read still reports the reset.
	n, h := newNet(t, netsim.Options{})
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) {
			n.Sleep(10 * time.Millisecond)
			tc := c.(netsim.TCPConn)
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(time.Second)
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Count: 1})
			tc.SetLinger(0)
			tc.SetNoDelay(false)
			tc.SetReadBuffer(1)
			tc.SetWriteBuffer(1)
			tc.SetTTL(1)
			if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("Read = %v, want ECONNRESET", err)
			}
			n.Sleep(5 * time.Second)
		},
		func(c net.Conn) {
			c.(netsim.TCPConn).SetLinger(0)
		})
	mustRun(t, n)
}
