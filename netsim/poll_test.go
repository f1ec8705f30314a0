package netsim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/netsimtest"
)

// pollServer serves an echo protocol to clients connections from one
// goroutine with Poll and the Try calls, and logs what it does (virtual
// time, event, peer) to log. now reads the clock.
func pollServer(t testing.TB, n *netsim.Network, ln net.Listener, clients int, log *strings.Builder, now func() time.Time) {
	start := now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(log, "%v ", now().Sub(start))
		fmt.Fprintf(log, format+"\n", args...)
	}
	fds := []netsim.PollFD{{Socket: ln, Events: netsim.PollIn}}
	buf := make([]byte, 64)
	for done := 0; done < clients; {
		k, err := n.Poll(context.Background(), fds, 10*time.Second)
		if err != nil || k == 0 {
			t.Errorf("Poll = %d, %v; want a ready socket", k, err)
			return
		}
		for i := 0; i < len(fds); i++ {
			if fds[i].Revents == 0 {
				continue
			}
			if fds[i].Socket == ln {
				c, err := netsim.TryAccept(ln)
				if err != nil {
					t.Errorf("TryAccept after PollIn: %v", err)
					return
				}
				logf("accept %v (%v)", c.RemoteAddr(), fds[i].Revents)
				fds = append(fds, netsim.PollFD{Socket: c, Events: netsim.PollIn})
				continue
			}
			c := fds[i].Socket.(net.Conn)
			m, err := netsim.TryRead(c, buf)
			switch {
			case err == io.EOF:
				logf("eof %v (%v)", c.RemoteAddr(), fds[i].Revents)
				c.Close()
				fds[i].Socket = nil
				done++
			case err != nil:
				t.Errorf("TryRead after %v: %v", fds[i].Revents, err)
				return
			default:
				logf("echo %d bytes to %v", m, c.RemoteAddr())
				if w, err := netsim.TryWrite(c, buf[:m]); w != m || err != nil {
					t.Errorf("TryWrite = %d, %v; want %d", w, err, m)
				}
			}
		}
	}
}

// pollClient connects to addr (client i: with StartDial and Poll if i is
// even, with Dial if odd), sends a greeting, checks the echo and closes.
func pollClient(t testing.TB, n *netsim.Network, h *netsim.Host, addr string, i int) {
	var c net.Conn
	var err error
	if i%2 == 0 {
		p, err := h.StartDial(context.Background(), "tcp", "", addr)
		if err != nil {
			t.Errorf("client %d: StartDial: %v", i, err)
			return
		}
		if _, err := p.Conn(); !errors.Is(err, syscall.EINPROGRESS) || !errors.Is(err, netsim.ErrInProgress) {
			t.Errorf("client %d: Conn right after StartDial: %v, want EINPROGRESS", i, err)
		}
		fds := []netsim.PollFD{{Socket: p, Events: netsim.PollOut}}
		if k, err := n.Poll(context.Background(), fds, -1); k != 1 || err != nil || fds[0].Revents != netsim.PollOut {
			t.Errorf("client %d: Poll for the connect = %d, %v, %v; want 1 OUT", i, k, err, fds[0].Revents)
		}
		if c, err = p.Conn(); err != nil {
			t.Errorf("client %d: Conn: %v", i, err)
			return
		}
	} else if c, err = h.Dial("tcp", addr); err != nil {
		t.Errorf("client %d: Dial: %v", i, err)
		return
	}
	defer c.Close()
	msg := fmt.Sprintf("hello from %d", i)
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Errorf("client %d: Write: %v", i, err)
		return
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Errorf("client %d: echo %q, %v; want %q", i, got, err, msg)
	}
}

// pollEcho runs pollServer with clients clients in program mode and
// returns the capture and the server's log.
func pollEcho(t testing.TB, clients int) ([]byte, string) {
	t.Helper()
	var pcap bytes.Buffer
	pcapBytes, log, _ := pollEchoOpts(t, clients, netsim.Options{Seed: 1, Capture: &pcap, LoopbackDelay: time.Millisecond})
	return pcapBytes, log
}

// pollEchoOpts is pollEcho on a network made with opts (whose Capture must
// be a *bytes.Buffer); it also returns the run's Stats.
func pollEchoOpts(t testing.TB, clients int, opts netsim.Options) ([]byte, string, netsim.Stats) {
	t.Helper()
	pcap := opts.Capture.(*bytes.Buffer)
	n, h := newNet(t, opts)
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	n.GoNamed("server", func() {
		defer ln.Close()
		pollServer(t, n, ln, clients, &log, n.Now)
	})
	for i := range clients {
		n.GoNamed(fmt.Sprintf("client%d", i), func() {
			n.Sleep(time.Duration(i%3) * time.Millisecond)
			pollClient(t, n, h, "127.0.0.1:7000", i)
		})
	}
	mustRun(t, n)
	return pcap.Bytes(), log.String(), n.Stats()
}

func TestPollEchoServerManyClients(t *testing.T) {
	const clients = 12
	pcap, log := pollEcho(t, clients)
	for _, word := range []string{"accept", "echo", "eof"} {
		if got := strings.Count(log, " "+word+" "); got != clients {
			t.Errorf("server log has %d %q lines, want %d:\n%s", got, word, clients, log)
		}
	}
	if frames := pcapFrames(t, pcap); frames < clients*9 {
		t.Errorf("capture has %d frames, want at least %d", frames, clients*9)
	}
}

func TestPollDeterministic(t *testing.T) {
	runs := 10
	if testing.Short() {
		runs = 4
	}
	pcap, log := pollEcho(t, 6)
	want := sha256.Sum256(pcap)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for i := range runs {
		procs := []int{1, 8}[i%2]
		runtime.GOMAXPROCS(procs)
		p, l := pollEcho(t, 6)
		if got := sha256.Sum256(p); got != want {
			t.Fatalf("run %d (GOMAXPROCS %d): capture sha256 %x, first run %x", i+2, procs, got[:8], want[:8])
		}
		if l != log {
			t.Fatalf("run %d (GOMAXPROCS %d): server log\n%s\nfirst run\n%s", i+2, procs, l, log)
		}
	}
}

// listenNet returns a network with one host and a TCP listener on
// 127.0.0.1:7000.
func listenNet(t *testing.T) (*netsim.Network, *netsim.Host, net.Listener) {
	t.Helper()
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	return n, h, ln
}

func TestPollTimeoutIsVirtual(t *testing.T) {
	n, _, ln := listenNet(t)
	n.Go(func() {
		defer ln.Close()
		fds := []netsim.PollFD{{Socket: ln, Events: netsim.PollIn}}
		before := n.Now()
		k, err := n.Poll(context.Background(), fds, 2*time.Hour)
		if k != 0 || err != nil || fds[0].Revents != 0 {
			t.Errorf("Poll on an idle listener = %d, %v, %v; want 0, nil, 0", k, err, fds[0].Revents)
		}
		// The call's own time comes on top (Options.CallTime).
		if d := n.Now().Sub(before); d != 2*time.Hour+netsim.DefaultCallTime {
			t.Errorf("Poll with a 2h timeout took %v of virtual time, want 2h + %v", d, netsim.DefaultCallTime)
		}
		before = n.Now()
		if k, err := n.Poll(context.Background(), fds, 0); k != 0 || err != nil {
			t.Errorf("Poll with timeout 0 = %d, %v", k, err)
		}
		if d := n.Now().Sub(before); d != netsim.DefaultCallTime {
			t.Errorf("Poll with timeout 0 took %v, want the call time %v", d, netsim.DefaultCallTime)
		}
		// No sockets: a sleep.
		before = n.Now()
		if k, err := n.Poll(context.Background(), nil, time.Second); k != 0 || err != nil {
			t.Errorf("Poll of nothing = %d, %v", k, err)
		}
		if d := n.Now().Sub(before); d != time.Second+netsim.DefaultCallTime {
			t.Errorf("Poll of nothing for 1s took %v", d)
		}
	})
	mustRun(t, n)
	if n.Stats().Elapsed < 2*time.Hour {
		t.Errorf("virtual time %v, want over 2h", n.Stats().Elapsed)
	}
}

func TestPollContext(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	pc, err := h.ListenPacket("udp", "127.0.0.1:5000")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := n.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cctx, ccancel := n.WithTimeout(context.Background(), time.Hour)
	n.Go(func() {
		defer pc.Close()
		fds := []netsim.PollFD{{Socket: pc, Events: netsim.PollIn}}
		before := n.Now()
		k, err := n.Poll(ctx, fds, -1)
		if k != 0 || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Poll with a 3s context = %d, %v; want DeadlineExceeded", k, err)
		}
		if d := n.Now().Sub(before); d != 3*time.Second+netsim.DefaultCallTime {
			t.Errorf("Poll ended after %v, want 3s", d)
		}
		// A shorter timeout wins over the context's deadline.
		k, err = n.Poll(cctx, fds, time.Second)
		if k != 0 || err != nil {
			t.Errorf("Poll with 1s timeout, 1h context = %d, %v; want a timeout", k, err)
		}
		// Cancelled by another task while it waits.
		k, err = n.Poll(cctx, fds, -1)
		if k != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("Poll cancelled = %d, %v; want Canceled", k, err)
		}
	})
	n.Go(func() {
		n.Sleep(10 * time.Second)
		ccancel()
	})
	mustRun(t, n)
}

func TestPollReadinessKinds(t *testing.T) {
	n, h, ln := listenNet(t)
	u1, err := h.ListenPacket("udp", "127.0.0.1:5001")
	if err != nil {
		t.Fatal(err)
	}
	u2, err := h.ListenPacket("udp", "127.0.0.1:5002")
	if err != nil {
		t.Fatal(err)
	}
	poll := func(fds []netsim.PollFD, timeout time.Duration) []netsim.PollEvents {
		t.Helper()
		if _, err := n.Poll(context.Background(), fds, timeout); err != nil {
			t.Errorf("Poll: %v", err)
		}
		out := make([]netsim.PollEvents, len(fds))
		for i, fd := range fds {
			out[i] = fd.Revents
		}
		return out
	}
	n.Go(func() {
		defer ln.Close()
		defer u1.Close()
		defer u2.Close()
		// UDP: writable at once, readable once a datagram is queued.
		got := poll([]netsim.PollFD{{Socket: u1, Events: netsim.PollIn | netsim.PollOut}, {Socket: u2, Events: netsim.PollIn}}, 0)
		if got[0] != netsim.PollOut || got[1] != 0 {
			t.Errorf("fresh UDP sockets: %v, want [OUT 0]", got)
		}
		if _, _, err := netsim.TryReadFrom(u2, make([]byte, 10)); !errors.Is(err, syscall.EAGAIN) || !errors.Is(err, netsim.ErrWouldBlock) {
			t.Errorf("TryReadFrom on an empty socket: %v, want EAGAIN", err)
		}
		if _, err := netsim.TryWriteTo(u1, []byte("ping"), u2.LocalAddr()); err != nil {
			t.Errorf("TryWriteTo: %v", err)
		}
		got = poll([]netsim.PollFD{{Socket: u1, Events: netsim.PollIn}, {Socket: u2, Events: netsim.PollIn}}, -1)
		if got[0] != 0 || got[1] != netsim.PollIn {
			t.Errorf("after a datagram to u2: %v, want [0 IN]", got)
		}
		b := make([]byte, 10)
		if m, from, err := netsim.TryReadFrom(u2, b); err != nil || string(b[:m]) != "ping" || from.String() != "127.0.0.1:5001" {
			t.Errorf("TryReadFrom = %q, %v, %v", b[:m], from, err)
		}

		// TCP: a listener is readable when a connection waits; a
		// connection is writable, readable with data, RDHUP after FIN.
		if _, err := netsim.TryAccept(ln); !errors.Is(err, syscall.EAGAIN) {
			t.Errorf("TryAccept with no client: %v, want EAGAIN", err)
		}
		p, err := h.StartDial(context.Background(), "tcp", "127.0.0.1:40000", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		if a := p.LocalAddr(); a == nil || a.String() != "127.0.0.1:40000" {
			t.Errorf("PendingConn.LocalAddr = %v", a)
		}
		got = poll([]netsim.PollFD{{Socket: ln, Events: netsim.PollIn}}, -1)
		if got[0] != netsim.PollIn {
			t.Errorf("listener with a client waiting: %v, want IN", got)
		}
		s, err := netsim.TryAccept(ln)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		c, err := p.Conn()
		if err != nil {
			t.Fatalf("Conn after the listener saw the connection: %v", err)
		}
		if c2, err := p.Conn(); c2 != c || err != nil {
			t.Errorf("second Conn = %v, %v; want the same connection", c2, err)
		}
		if _, err := netsim.TryRead(s, b); !errors.Is(err, syscall.EAGAIN) {
			t.Errorf("TryRead with nothing sent: %v, want EAGAIN", err)
		}
		got = poll([]netsim.PollFD{{Socket: s, Events: netsim.PollIn | netsim.PollOut}, {Socket: p, Events: netsim.PollIn | netsim.PollOut}}, 0)
		if got[0] != netsim.PollOut || got[1] != netsim.PollOut {
			t.Errorf("idle connection: %v, want [OUT OUT]", got)
		}
		c.Write([]byte("abc"))
		c.(netsim.TCPConn).CloseWrite()
		got = poll([]netsim.PollFD{{Socket: s, Events: netsim.PollIn}}, -1)
		if got[0]&netsim.PollIn == 0 {
			t.Errorf("after data: %v, want IN", got)
		}
		n.Sleep(time.Millisecond)
		got = poll([]netsim.PollFD{{Socket: s, Events: netsim.PollIn | netsim.PollRdHup}, {Socket: s, Events: netsim.PollIn}}, -1)
		if got[0] != netsim.PollIn|netsim.PollRdHup || got[1] != netsim.PollIn {
			t.Errorf("after data and FIN: %v, want [IN|RDHUP IN] (RDHUP only when asked for)", got)
		}
		if m, err := netsim.TryRead(s, b); m != 3 || err != nil {
			t.Errorf("TryRead = %d, %v", m, err)
		}
		if m, err := netsim.TryRead(s, b); m != 0 || err != io.EOF {
			t.Errorf("TryRead at the end = %d, %v; want EOF", m, err)
		}
		// A closed socket: NVAL, reported unasked.
		c.Close()
		got = poll([]netsim.PollFD{{Socket: c}, {Socket: nil, Events: netsim.PollIn}}, -1)
		if got[0] != netsim.PollNval || got[1] != 0 {
			t.Errorf("closed socket: %v, want [NVAL 0]", got)
		}
	})
	mustRun(t, n)
}

func TestPollRefusedConnect(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	n.Go(func() {
		p, err := h.StartDial(context.Background(), "tcp", "", "127.0.0.1:9")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		fds := []netsim.PollFD{{Socket: p, Events: netsim.PollOut}}
		if k, err := n.Poll(context.Background(), fds, -1); k != 1 || err != nil {
			t.Fatalf("Poll = %d, %v", k, err)
		}
		if want := netsim.PollOut | netsim.PollErr | netsim.PollHup; fds[0].Revents&want != want {
			t.Errorf("refused connect: %v, want OUT|ERR|HUP", fds[0].Revents)
		}
		_, err = p.Conn()
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Conn of a refused connect: %v, want ECONNREFUSED", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "dial" {
			t.Errorf("Conn error %#v, want a *net.OpError for dial", err)
		}
		if _, err2 := p.Conn(); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("second Conn: %v, want %v", err2, err)
		}
	})
	mustRun(t, n)
}

func TestPollAbandonedConnect(t *testing.T) {
	n, h, ln := listenNet(t)
	n.Go(func() {
		defer ln.Close()
		p, err := h.StartDial(context.Background(), "tcp", "", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("Close of a pending connect: %v", err)
		}
		if err := p.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: %v, want net.ErrClosed", err)
		}
		if _, err := p.Conn(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Conn after Close: %v, want net.ErrClosed", err)
		}
		fds := []netsim.PollFD{{Socket: p, Events: netsim.PollOut}}
		if k, _ := n.Poll(context.Background(), fds, 0); k != 1 || fds[0].Revents != netsim.PollNval {
			t.Errorf("Poll of a closed pending connect: %v, want NVAL", fds[0].Revents)
		}
	})
	mustRun(t, n)
}

func TestTryWriteFillsTheBuffer(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	const total = 1 << 20
	tcpPair(t, n, h, "127.0.0.1:7000", func(c net.Conn) {
		// The reader starts late: the writer fills its buffers first.
		if err := c.(netsim.TCPConn).SetReadBuffer(16 << 10); err != nil {
			t.Error(err)
		}
		n.Sleep(time.Second)
		got, err := io.Copy(io.Discard, c)
		if got != total || err != nil {
			t.Errorf("server read %d, %v; want %d", got, err, total)
		}
	}, func(c net.Conn) {
		if err := c.(netsim.TCPConn).SetWriteBuffer(16 << 10); err != nil {
			t.Error(err)
		}
		data := make([]byte, total)
		sent, blocked := 0, 0
		for sent < total {
			m, err := netsim.TryWrite(c, data[sent:])
			sent += m
			switch {
			case errors.Is(err, syscall.EAGAIN):
				if m != 0 {
					t.Errorf("TryWrite = %d, EAGAIN: want 0 bytes with EAGAIN", m)
				}
				blocked++
				fds := []netsim.PollFD{{Socket: c, Events: netsim.PollOut}}
				if k, err := n.Poll(context.Background(), fds, -1); k != 1 || err != nil || fds[0].Revents != netsim.PollOut {
					t.Fatalf("Poll for writing = %d, %v, %v", k, err, fds[0].Revents)
				}
			case err != nil:
				t.Fatalf("TryWrite: %v", err)
			}
		}
		if blocked == 0 {
			t.Errorf("%d bytes went in without a single EAGAIN", total)
		}
	})
	mustRun(t, n)
}

func TestPollSameSocketTwice(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	tcpPair(t, n, h, "127.0.0.1:7000", func(c net.Conn) {
		fds := []netsim.PollFD{{Socket: c, Events: netsim.PollIn}, {Socket: c, Events: netsim.PollIn | netsim.PollOut}}
		k, err := n.Poll(context.Background(), fds, 0)
		if k != 1 || err != nil || fds[0].Revents != 0 || fds[1].Revents != netsim.PollOut {
			t.Errorf("Poll = %d, %v, %v %v; want 1, [0 OUT]", k, err, fds[0].Revents, fds[1].Revents)
		}
		fds[1].Events = netsim.PollIn
		k, err = n.Poll(context.Background(), fds, -1)
		if k != 2 || err != nil || fds[0].Revents != netsim.PollIn || fds[1].Revents != netsim.PollIn {
			t.Errorf("Poll = %d, %v, %v %v; want 2, [IN IN]", k, err, fds[0].Revents, fds[1].Revents)
		}
		io.ReadFull(c, make([]byte, 2))
	}, func(c net.Conn) {
		n.Sleep(time.Millisecond)
		c.Write([]byte("hi"))
	})
	mustRun(t, n)
}

func TestPollErrors(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	_, oh := newNet(t, netsim.Options{})
	foreign, err := oh.ListenPacket("udp", "127.0.0.1:5000")
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, x := range []any{a, foreign, 42, (*netsim.PendingConn)(nil), &netsim.PendingConn{}} {
		_, err := n.Poll(context.Background(), []netsim.PollFD{{Socket: ln}, {Socket: x, Events: netsim.PollIn}}, 0)
		if !errors.Is(err, netsim.ErrNotSocket) || !strings.Contains(err.Error(), "fds[1]") {
			t.Errorf("Poll of a %T: %v, want ErrNotSocket naming fds[1]", x, err)
		}
	}
	var zero netsim.PendingConn
	if _, err := zero.Conn(); !errors.Is(err, netsim.ErrNotSocket) {
		t.Errorf("Conn of a zero PendingConn: %v", err)
	}
	if err := zero.Close(); !errors.Is(err, netsim.ErrNotSocket) || zero.LocalAddr() != nil || zero.RemoteAddr() != nil {
		t.Errorf("Close of a zero PendingConn: %v", err)
	}
	if _, err := netsim.TryRead(a, nil); !errors.Is(err, netsim.ErrNotSocket) {
		t.Errorf("TryRead of a net.Pipe: %v", err)
	}
	if _, err := netsim.TryWrite(a, nil); !errors.Is(err, netsim.ErrNotSocket) {
		t.Errorf("TryWrite of a net.Pipe: %v", err)
	}
	if _, err := netsim.TryAccept(nil); !errors.Is(err, netsim.ErrNotSocket) {
		t.Errorf("TryAccept(nil): %v", err)
	}
	if _, _, err := netsim.TryReadFrom(nil, nil); !errors.Is(err, netsim.ErrNotSocket) {
		t.Errorf("TryReadFrom(nil): %v", err)
	}
	if _, err := netsim.TryWriteTo(nil, nil, nil); !errors.Is(err, netsim.ErrNotSocket) {
		t.Errorf("TryWriteTo(nil): %v", err)
	}
	// Outside a run: a Poll that does not wait works, one that would wait
	// fails; StartDial needs a run.
	fds := []netsim.PollFD{{Socket: ln, Events: netsim.PollIn}}
	if k, err := n.Poll(context.Background(), fds, 0); k != 0 || err != nil {
		t.Errorf("Poll(0) outside a run = %d, %v", k, err)
	}
	if _, err := n.Poll(context.Background(), fds, time.Second); !errors.Is(err, netsim.ErrNotRunning) {
		t.Errorf("Poll(1s) outside a run: %v, want ErrNotRunning", err)
	}
	if _, err := h.StartDial(context.Background(), "tcp", "", "127.0.0.1:7000"); !errors.Is(err, netsim.ErrNotRunning) {
		t.Errorf("StartDial outside a run: %v, want ErrNotRunning", err)
	}
	for _, c := range []struct{ network, laddr, raddr string }{
		{"udp", "", "127.0.0.1:7"}, {"ip", "", "127.0.0.1:7"}, {"tcp", "", "nosuchhost:7"},
		{"tcp", "bad", "127.0.0.1:7"}, {"tcp4", "", "[::1]:7"},
	} {
		if _, err := h.StartDial(context.Background(), c.network, c.laddr, c.raddr); err == nil {
			t.Errorf("StartDial(%q, %q, %q) succeeded", c.network, c.laddr, c.raddr)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("StartDial(%q, %q, %q): multi-line error %q", c.network, c.laddr, c.raddr, err)
		}
	}
}

func TestPollDeadlockReport(t *testing.T) {
	n, _, ln := listenNet(t)
	n.GoNamed("server", func() {
		defer ln.Close()
		n.Poll(context.Background(), []netsim.PollFD{{Socket: ln, Events: netsim.PollIn}}, -1)
	})
	err := run(t, n)
	var de *netsim.DeadlockError
	if !errors.As(err, &de) || len(de.Calls) != 1 {
		t.Fatalf("Run = %v, want a deadlock with one call", err)
	}
	if c := de.Calls[0]; c.Call != "Poll" || c.Socket != "tcp listener 127.0.0.1:7000" || !strings.Contains(c.Task, "server") {
		t.Errorf("parked call %+v", c)
	}
}

func TestPollEventsString(t *testing.T) {
	for e, want := range map[netsim.PollEvents]string{
		0: "0", netsim.PollIn: "IN", netsim.PollIn | netsim.PollOut | netsim.PollRdHup: "IN|OUT|RDHUP",
		netsim.PollErr | netsim.PollHup | netsim.PollNval | 0x100: "ERR|HUP|NVAL|0x100",
	} {
		if got := e.String(); got != want {
			t.Errorf("%#x.String() = %q, want %q", uint16(e), got, want)
		}
	}
}

// pollEchoTestMode is pollEcho in test mode: the server and the clients
// are goroutines of a synctest bubble.
func pollEchoTestMode(t *testing.T, clients int) ([]byte, string) {
	var pcap bytes.Buffer
	n := netsimtest.New(t, netsim.Options{Seed: 1, Capture: &pcap, LoopbackDelay: time.Millisecond})
	h, err := n.AddHost("h1")
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	netsimtest.Run(t, n, func(t *testing.T) {
		ln, err := h.Listen("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{}, clients+1)
		go func() {
			defer func() { done <- struct{}{} }()
			defer ln.Close()
			pollServer(t, n, ln, clients, &log, time.Now)
		}()
		for i := range clients {
			go func() {
				defer func() { done <- struct{}{} }()
				time.Sleep(time.Duration(i) * time.Millisecond)
				pollClient(t, n, h, "127.0.0.1:7000", i)
			}()
		}
		for range clients + 1 {
			<-done
		}
	})
	return pcap.Bytes(), log.String()
}

func TestPollTestMode(t *testing.T) {
	const clients = 5
	pcap, log := pollEchoTestMode(t, clients)
	if got := strings.Count(log, " eof "); got != clients {
		t.Errorf("server log has %d eof lines, want %d:\n%s", got, clients, log)
	}
	want := sha256.Sum256(pcap)
	for i := range 3 {
		p, l := pollEchoTestMode(t, clients)
		if got := sha256.Sum256(p); got != want || l != log {
			t.Fatalf("test-mode run %d: capture %x, log\n%s\nfirst run %x, log\n%s", i+2, got[:8], l, want[:8], log)
		}
	}
}

func TestTryWriteTestMode(t *testing.T) {
	// In test mode a Write is buffered; TryWrite buffers what fits and
	// Poll reports the socket writable while the buffer has room.
	n := netsimtest.New(t, netsim.Options{})
	h, err := n.AddHost("h1")
	if err != nil {
		t.Fatal(err)
	}
	const total = 2 << 20
	netsimtest.Run(t, n, func(t *testing.T) {
		ln, err := h.Listen("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan int64, 1)
		go func() {
			defer ln.Close()
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				got <- 0
				return
			}
			defer c.Close()
			time.Sleep(time.Second)
			m, _ := io.Copy(io.Discard, c)
			got <- m
		}()
		c, err := h.Dial("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, total)
		blocked := 0
		for sent := 0; sent < total; {
			m, err := netsim.TryWrite(c, data[sent:])
			sent += m
			if errors.Is(err, syscall.EAGAIN) {
				blocked++
				fds := []netsim.PollFD{{Socket: c, Events: netsim.PollOut}}
				if k, err := n.Poll(context.Background(), fds, -1); k != 1 || err != nil {
					t.Fatalf("Poll = %d, %v", k, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
		if m := <-got; m != total || blocked == 0 {
			t.Errorf("server read %d bytes (want %d); the writer blocked %d times", m, total, blocked)
		}
	})
}

// ExampleNetwork_Poll serves two clients from one task: Poll waits on the
// listener and every connection at once, and the Try calls never wait.
func ExampleNetwork_Poll() {
	n, err := netsim.New(netsim.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()
	h, _ := n.AddHost("h1")
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		fmt.Println(err)
		return
	}
	n.GoNamed("server", func() {
		defer ln.Close()
		fds := []netsim.PollFD{{Socket: ln, Events: netsim.PollIn}}
		buf := make([]byte, 100)
		for open := 2; open > 0; {
			if _, err := n.Poll(context.Background(), fds, 5*time.Second); err != nil {
				fmt.Println(err)
				return
			}
			for i := range fds {
				switch {
				case fds[i].Revents == 0:
				case fds[i].Socket == ln:
					c, _ := netsim.TryAccept(ln)
					fds = append(fds, netsim.PollFD{Socket: c, Events: netsim.PollIn})
				default:
					c := fds[i].Socket.(net.Conn)
					m, err := netsim.TryRead(c, buf)
					if err == io.EOF {
						c.Close()
						fds[i].Socket = nil
						open--
						continue
					}
					fmt.Printf("%v: %q\n", n.Now().Sub(netsim.DefaultStart).Round(time.Millisecond), buf[:m])
				}
			}
		}
	})
	for i, delay := range []time.Duration{30 * time.Millisecond, 10 * time.Millisecond} {
		n.Go(func() {
			c, err := h.Dial("tcp", "127.0.0.1:7000")
			if err != nil {
				fmt.Println(err)
				return
			}
			n.Sleep(delay)
			fmt.Fprintf(c, "client %d", i)
			c.Close()
		})
	}
	if err := n.Run(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 10ms: "client 1"
	// 30ms: "client 0"
}

func TestPollTestModeTimeouts(t *testing.T) {
	// In test mode the timeout and the context's deadline are on the
	// bubble's clock, and a cancellation from another goroutine ends a
	// Poll at once.
	n := netsimtest.New(t, netsim.Options{})
	h, err := n.AddHost("h1")
	if err != nil {
		t.Fatal(err)
	}
	netsimtest.Run(t, n, func(t *testing.T) {
		pc, err := h.ListenPacket("udp", "127.0.0.1:5000")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		fds := []netsim.PollFD{{Socket: pc, Events: netsim.PollIn}}
		start := time.Now()
		if k, err := n.Poll(context.Background(), fds, 2*time.Second); k != 0 || err != nil {
			t.Errorf("Poll with a 2s timeout = %d, %v", k, err)
		}
		// The call's own time comes on top, as in program mode.
		if d := time.Since(start); d != 2*time.Second+netsim.DefaultCallTime {
			t.Errorf("the timeout took %v of bubble time, want 2s + %v", d, netsim.DefaultCallTime)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start = time.Now()
		if _, err := n.Poll(ctx, fds, -1); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Poll with a 1s context: %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second+netsim.DefaultCallTime {
			t.Errorf("the context's deadline came after %v, want 1s + %v", d, netsim.DefaultCallTime)
		}
		// No sockets: a sleep on the bubble's clock.
		start = time.Now()
		if k, err := n.Poll(context.Background(), []netsim.PollFD{{}}, time.Second); k != 0 || err != nil || time.Since(start) != time.Second {
			t.Errorf("Poll of nothing for 1s = %d, %v after %v", k, err, time.Since(start))
		}
		ctx, cancel = context.WithCancel(context.Background())
		go func() {
			time.Sleep(time.Minute)
			cancel()
		}()
		start = time.Now()
		if _, err := n.Poll(ctx, fds, -1); !errors.Is(err, context.Canceled) {
			t.Errorf("Poll cancelled: %v, want Canceled", err)
		}
		if d := time.Since(start); d != time.Minute+netsim.DefaultCallTime {
			t.Errorf("the cancellation ended Poll after %v, want 1m + %v", d, netsim.DefaultCallTime)
		}
	})
}

// BenchmarkPoll measures a Poll that does not wait over 1 and 64 UDP
// sockets (one netsim call each): compare the two, within one run.
func BenchmarkPoll(b *testing.B) {
	for _, socks := range []int{1, 64} {
		b.Run(fmt.Sprint(socks, "sockets"), func(b *testing.B) {
			n, h := newNet(b, netsim.Options{})
			fds := make([]netsim.PollFD, socks)
			for i := range fds {
				pc, err := h.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", 5000+i))
				if err != nil {
					b.Fatal(err)
				}
				defer pc.Close()
				fds[i] = netsim.PollFD{Socket: pc, Events: netsim.PollIn | netsim.PollOut}
			}
			n.Go(func() {
				b.ResetTimer()
				for range b.N {
					if k, err := n.Poll(context.Background(), fds, 0); k != socks || err != nil {
						b.Errorf("Poll = %d, %v", k, err)
						return
					}
				}
				b.StopTimer()
			})
			if err := n.Run(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func TestPollExplain(t *testing.T) {
	// Lesson mode explains the frames of a Poll-driven server and changes
	// none of them.
	opts := func(explain bool) netsim.Options {
		return netsim.Options{Seed: 1, Capture: new(bytes.Buffer), CaptureFormat: capture.PCAPNG, Explain: explain, LoopbackDelay: time.Millisecond}
	}
	_, logOff, off := pollEchoOpts(t, 4, opts(false))
	pcap, logOn, on := pollEchoOpts(t, 4, opts(true))
	if off.Frames != on.Frames || logOff != logOn {
		t.Errorf("explanations changed the run: %d frames, %d with them", off.Frames, on.Frames)
	}
	if !bytes.Contains(pcap, []byte("calls connect()")) {
		t.Error("no explanation names the clients' connect()")
	}
}

func TestStartDialContextDeadline(t *testing.T) {
	n, h := newNet(t, netsim.Options{LoopbackDelay: 10 * time.Millisecond})
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := n.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	n.Go(func() {
		defer ln.Close()
		p, err := h.StartDial(ctx, "tcp", "", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if _, err := p.Conn(); !errors.Is(err, netsim.ErrInProgress) {
			t.Errorf("Conn at once: %v, want ErrInProgress", err)
		}
		n.Sleep(6 * time.Millisecond)
		if _, err := p.Conn(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Conn after the context's deadline: %v, want a timeout", err)
		}
	})
	mustRun(t, n)
}
