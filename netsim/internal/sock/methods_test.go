package sock

import (
	"math"
	"net"
	"reflect"
	"testing"
	"time"
)

// The sockets' methods whose names are those of package net's sockets have
// their signatures: code written against *net.TCPConn's methods (through an
// interface) works on netsim's connections.
func TestMethodSetsMatchPackageNet(t *testing.T) {
	for _, tc := range []struct {
		ours, theirs any
		want         []string // methods ours must have
	}{
		{(*TCPConn)(nil), (*net.TCPConn)(nil), []string{
			"Close", "CloseRead", "CloseWrite", "LocalAddr", "Read", "RemoteAddr",
			"SetDeadline", "SetKeepAlive", "SetKeepAliveConfig", "SetKeepAlivePeriod",
			"SetLinger", "SetNoDelay", "SetReadBuffer", "SetReadDeadline",
			"SetWriteBuffer", "SetWriteDeadline", "Write",
		}},
		{(*UDPConn)(nil), (*net.UDPConn)(nil), []string{
			"Close", "LocalAddr", "Read", "ReadFrom", "RemoteAddr", "SetDeadline",
			"SetReadBuffer", "SetReadDeadline", "SetWriteBuffer", "SetWriteDeadline",
			"Write", "WriteTo",
		}},
		{(*TCPListener)(nil), (*net.TCPListener)(nil), []string{"Accept", "Addr", "Close"}},
	} {
		ours, theirs := reflect.TypeOf(tc.ours), reflect.TypeOf(tc.theirs)
		for _, name := range tc.want {
			if _, ok := ours.MethodByName(name); !ok {
				t.Errorf("%v has no %s", ours, name)
			}
		}
		for i := range ours.NumMethod() {
			m := ours.Method(i)
			n, ok := theirs.MethodByName(m.Name)
			if !ok {
				continue
			}
			// Compare without the receiver.
			if got, want := sig(m.Type), sig(n.Type); got != want {
				t.Errorf("%v.%s is %s, %v's is %s", ours, m.Name, got, theirs, want)
			}
		}
	}
}

// sig renders a method's type without its receiver.
func sig(f reflect.Type) string {
	s := "("
	for i := 1; i < f.NumIn(); i++ {
		s += f.In(i).String() + ","
	}
	s += ")("
	for i := range f.NumOut() {
		s += f.Out(i).String() + ","
	}
	return s + ")"
}

func TestBufferSize(t *testing.T) {
	// As Linux's SO_RCVBUF and gVisor's sentry: capped at max, doubled, at
	// least min.
	for _, tc := range []struct {
		bytes    int
		min, max int64
		want     int64
	}{
		{0, 4096, 6 << 20, 4096},
		{1, 4096, 6 << 20, 4096},
		{2048, 4096, 6 << 20, 4096},
		{4096, 4096, 6 << 20, 8192},
		{5000, 4096, 6 << 20, 10000},
		{100 << 20, 4096, 6 << 20, 12 << 20},
		{math.MaxInt32, 4096, math.MaxInt64, math.MaxInt32},
	} {
		if got := bufferSize(tc.bytes, tc.min, tc.max); got != tc.want {
			t.Errorf("bufferSize(%d, %d, %d) = %d, want %d", tc.bytes, tc.min, tc.max, got, tc.want)
		}
	}
}

func TestRoundUpSecond(t *testing.T) {
	for _, tc := range []struct{ d, want time.Duration }{
		{time.Second, time.Second},
		{time.Millisecond, time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{15 * time.Second, 15 * time.Second},
	} {
		if got := roundUpSecond(tc.d); got != tc.want {
			t.Errorf("roundUpSecond(%v) = %v, want %v", tc.d, got, tc.want)
		}
	}
}
