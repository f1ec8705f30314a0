package netsimtest_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// The UDP counterpart of nettest.TestConn: what a net.PacketConn must do, on
// netsim's UDP sockets between two hosts, each check in a bubble of its own.
// The checks follow nettest's for conns (basic I/O, timeouts in the past,
// present and future, Close unblocking calls, concurrent methods) and add
// what only datagrams have (boundaries, truncation, the sender's address).
var packetChecks = []struct {
	name string
	f    func(t *testing.T, a, b net.PacketConn)
}{
	{"BasicIO", pcBasicIO},
	{"Boundaries", pcBoundaries},
	{"ReadTimeout", pcReadTimeout},
	{"PastTimeout", pcPastTimeout},
	{"PresentTimeout", pcPresentTimeout},
	{"FutureTimeout", pcFutureTimeout},
	{"CloseTimeout", pcCloseTimeout},
	{"ConcurrentMethods", pcConcurrentMethods},
	{"ClosedCalls", pcClosedCalls},
}

func TestPacketConnConformance(t *testing.T) {
	for _, c := range packetChecks {
		t.Run(c.name, func(t *testing.T) {
			n, client, server := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{Delay: 100 * time.Microsecond})
			netsimtest.Run(t, n, func(t *testing.T) {
				a, err := client.ListenPacket("udp", ":7000")
				if err != nil {
					t.Fatal(err)
				}
				b, err := server.ListenPacket("udp", ":7001")
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				defer b.Close()
				c.f(t, a, b)
			})
		})
	}
}

var (
	addrA = &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 7000}
	addrB = &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 7001}
)

func checkTimeout(t *testing.T, err error) {
	t.Helper()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("got %v, want a net.Error with Timeout() and os.ErrDeadlineExceeded", err)
	}
}

// pcBasicIO: datagrams go both ways, intact, with the sender's address.
func pcBasicIO(t *testing.T, a, b net.PacketConn) {
	want := bytes.Repeat([]byte("0123456789"), 100)
	if n, err := a.WriteTo(want, addrB); err != nil || n != len(want) {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	buf := make([]byte, 2000)
	n, from, err := b.ReadFrom(buf)
	if err != nil || !bytes.Equal(buf[:n], want) || from.String() != addrA.String() {
		t.Fatalf("ReadFrom = %d bytes from %v, %v", n, from, err)
	}
	if _, err := b.WriteTo([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	n, from, err = a.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "pong" || from.String() != addrB.String() {
		t.Fatalf("reply = %q from %v, %v", buf[:n], from, err)
	}
}

// pcBoundaries: each ReadFrom returns one datagram; a short buffer truncates
// it and the rest is gone, as with package net on Linux.
func pcBoundaries(t *testing.T, a, b net.PacketConn) {
	for _, m := range []string{"one", "two", "three-and-more"} {
		if _, err := a.WriteTo([]byte(m), addrB); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 100)
	for _, want := range []string{"one", "two"} {
		n, _, err := b.ReadFrom(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("ReadFrom = %q, %v; want %q", buf[:n], err, want)
		}
	}
	short := make([]byte, 5)
	n, _, _ := b.ReadFrom(short)
	if string(short[:n]) != "three" {
		t.Fatalf("truncated read = %q, want %q", short[:n], "three")
	}
	b.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, _, err := b.ReadFrom(buf); err == nil {
		t.Fatal("the truncated datagram's rest was delivered")
	}
}

// pcReadTimeout: a read deadline in the past times out a ReadFrom, and
// writing still works.
func pcReadTimeout(t *testing.T, a, b net.PacketConn) {
	a.SetReadDeadline(time.Now().Add(-time.Hour))
	_, _, err := a.ReadFrom(make([]byte, 10))
	checkTimeout(t, err)
	if _, err := a.WriteTo([]byte("x"), addrB); err != nil {
		t.Errorf("WriteTo after a read timeout: %v", err)
	}
}

// pcPastTimeout: with both deadlines in the past, both calls time out at
// once, and clearing them makes the socket usable again.
func pcPastTimeout(t *testing.T, a, b net.PacketConn) {
	a.SetDeadline(time.Now().Add(-time.Second))
	n, err := a.WriteTo([]byte("x"), addrB)
	if n != 0 {
		t.Errorf("WriteTo count = %d, want 0", n)
	}
	checkTimeout(t, err)
	_, _, err = a.ReadFrom(make([]byte, 10))
	checkTimeout(t, err)
	a.SetDeadline(time.Time{})
	if _, err := b.WriteTo([]byte("again"), addrA); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, _, err := a.ReadFrom(buf); err != nil || string(buf[:n]) != "again" {
		t.Fatalf("after clearing the deadline: %q, %v", buf[:n], err)
	}
}

// pcPresentTimeout: a deadline set in the past while a ReadFrom is blocked
// ends it at once, with a timeout, not before.
func pcPresentTimeout(t *testing.T, a, b net.PacketConn) {
	start := time.Now()
	go func() {
		time.Sleep(100 * time.Millisecond)
		a.SetReadDeadline(time.Now().Add(-time.Second))
	}()
	_, _, err := a.ReadFrom(make([]byte, 10))
	checkTimeout(t, err)
	if d := time.Since(start); d < 100*time.Millisecond || d > 100*time.Millisecond+netsim.DefaultCallTime {
		t.Errorf("ReadFrom returned after %v of fake time, want 100ms (+ the call's %v)", d, netsim.DefaultCallTime)
	}
}

// pcFutureTimeout: a deadline in the future times out a blocked ReadFrom
// then, on fake time (the call itself takes Options.CallTime to return).
func pcFutureTimeout(t *testing.T, a, b net.PacketConn) {
	start := time.Now()
	a.SetReadDeadline(start.Add(250 * time.Millisecond))
	_, _, err := a.ReadFrom(make([]byte, 10))
	checkTimeout(t, err)
	if d := time.Since(start); d < 250*time.Millisecond || d > 250*time.Millisecond+netsim.DefaultCallTime {
		t.Errorf("ReadFrom timed out after %v, want 250ms (+ the call's %v)", d, netsim.DefaultCallTime)
	}
}

// pcCloseTimeout: Close ends a blocked ReadFrom with net.ErrClosed.
func pcCloseTimeout(t *testing.T, a, b net.PacketConn) {
	go func() {
		time.Sleep(100 * time.Millisecond)
		a.Close()
	}()
	_, _, err := a.ReadFrom(make([]byte, 10))
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadFrom after Close: %v, want net.ErrClosed", err)
	}
}

// pcConcurrentMethods: every method may be called from several goroutines
// at once.
func pcConcurrentMethods(t *testing.T, a, b net.PacketConn) {
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(3)
		go func() {
			defer wg.Done()
			a.WriteTo([]byte{byte(i)}, addrB)
		}()
		go func() {
			defer wg.Done()
			b.SetReadDeadline(time.Now().Add(time.Second))
			b.ReadFrom(make([]byte, 10))
		}()
		go func() {
			defer wg.Done()
			_ = a.LocalAddr()
			a.SetWriteDeadline(time.Time{})
		}()
	}
	wg.Wait()
}

// pcClosedCalls: after Close every call fails with net.ErrClosed, and a
// second Close says so.
func pcClosedCalls(t *testing.T, a, b net.PacketConn) {
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteTo([]byte("x"), addrB); !errors.Is(err, net.ErrClosed) {
		t.Errorf("WriteTo after Close: %v", err)
	}
	if _, _, err := a.ReadFrom(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadFrom after Close: %v", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}
