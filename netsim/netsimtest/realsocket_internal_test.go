//go:build linux

package netsimtest

import (
	"net"
	"syscall"
	"testing"
)

// otherSocket is a variable that holds syscall.Socket as net.socketFunc
// does, as a library's hook could.
var otherSocket = syscall.Socket

// TestSocketGuard: on Linux the guard is in net.socketFunc, and outside
// every bubble a socket is made as before (a parallel test's, a
// TestMain's); the socket kinds are named.
func TestSocketGuard(t *testing.T) {
	if !guard.installed {
		t.Fatalf("the guard is not installed: %v", guard.err)
	}
	// otherSocket, a second variable holding syscall.Socket, made two
	// candidates at init: the guard went to the one followed by
	// connectFunc. Now otherSocket is the only one left.
	if p, err := findSocketFunc(); err != nil || p != &otherSocket {
		t.Errorf("findSocketFunc after the guard = %p, %v; want otherSocket (%p)", p, err, &otherSocket)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("a real socket outside every bubble: %v", err)
	}
	pc.Close()
	for _, tc := range []struct {
		family, sotype int
		want           string
	}{
		{syscall.AF_INET, syscall.SOCK_STREAM | syscall.SOCK_CLOEXEC | syscall.SOCK_NONBLOCK, "TCP/IPv4"},
		{syscall.AF_INET6, syscall.SOCK_DGRAM | syscall.SOCK_CLOEXEC, "UDP/IPv6"},
		{syscall.AF_UNIX, syscall.SOCK_STREAM, "stream/Unix"},
		{syscall.AF_INET, syscall.SOCK_RAW, "raw/IPv4"},
		{syscall.AF_PACKET, syscall.SOCK_DGRAM, "datagram/family 17"},
	} {
		if got := socketKind(tc.family, tc.sotype); got != tc.want {
			t.Errorf("socketKind(%d, %#x) = %q, want %q", tc.family, tc.sotype, got, tc.want)
		}
	}
}

// TestStdFunc: functions of the standard library are told from others by
// their import path.
func TestStdFunc(t *testing.T) {
	for fn, want := range map[string]bool{
		"net/http.(*Transport).dial": true,
		"net.(*Dialer).DialContext":  true,
		"testing.tRunner":            true,
		"github.com/redis/go-redis/v9.(*Options).init.NewDialer.func1": false,
		"netsim.dev/netsim/netsimtest_test.TestEscapeChild.func2":      false,
		"main.main":       false,
		"example.com/x.F": false,
	} {
		if got := stdFunc(fn); got != want {
			t.Errorf("stdFunc(%q) = %v, want %v", fn, got, want)
		}
	}
}
