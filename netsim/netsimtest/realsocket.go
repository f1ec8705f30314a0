package netsimtest

import "sync"

// Real sockets inside a bubble. A dial or listen by name that bypasses
// netsim is refused by the resolver (resolver.go), but a dial of an IP
// address (net.Dial("tcp", "127.0.0.1:6379"), a library's default dialer
// given one) or a listen (net.ListenPacket("udp", ":0"), httptest's
// NewServer) consults no resolver. Every socket the net package makes goes
// through one function value, the unexported variable net.socketFunc
// (syscall.Socket, kept in a variable so that net's own tests can replace
// it). netsimtest puts socketGuard there when it is initialised: outside
// every Run's bubble it calls syscall.Socket as before; from a goroutine
// of a Run's bubble it makes no socket, fails that Run's test with a
// report naming the call, and returns an error wrapping ErrRealNetwork,
// which the net package hands to the caller ("dial tcp 10.0.0.2:80:
// socket: netsim: ...").
//
// The variable cannot be reached with go:linkname: since Go 1.23 the
// linker refuses references to the standard library's symbols that are
// not marked for it ("invalid reference to net.socketFunc") unless the
// user links with -checklinkname=0, and go test strips the symbol table
// of the binaries it runs. So findSocketFunc finds it by its value:
// net.socketFunc holds a pointer to syscall.Socket's function value,
// statically initialised, so that pointer is stored in the binary's .data
// section (found from its ELF section header, which stripping keeps, and
// /proc/self/maps), read through /proc/self/mem (no Go memory access, so
// nothing the race detector sees). The guard is installed only when
// exactly one word of .data holds that pointer (or, of several,
// exactly one is followed by connectFunc's syscall.Connect); otherwise (a
// Go release that renamed or changed the variable, another package with
// a variable set to syscall.Socket, another system) nothing is changed,
// and Run logs why once: a real socket is then reported only when a
// goroutine blocks on it (see watchdog.go).

// guard says whether socketGuard is in net.socketFunc, or why not.
var guard struct {
	installed bool
	err       error // why not
}

// guardNote logs, once per binary, that the guard is not installed.
var guardNote sync.Once

// noteGuard logs, once per binary, that real sockets made inside Run are
// not refused, and why.
func noteGuard(t interface{ Logf(string, ...any) }) {
	if guard.installed {
		return
	}
	guardNote.Do(func() {
		t.Logf("netsim: a real socket made inside netsimtest.Run (net.Dial of an IP address, net.Listen) is not refused in this binary (%v): it is reported only if a goroutine blocks on it", guard.err)
	})
}
