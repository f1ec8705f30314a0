package netsim_test

import (
	"errors"
	"net"
	"testing"

	"netsim.dev/netsim"
)

// TestServiceNamePorts: a port may be a service name of package net's own
// table ("http", "https", "ssh"; "domain" for UDP), a number with a "+"
// sign, or empty (port 0), as net.Listen and net.Dial take them; a name
// the table lacks fails as package net's lookup does ("unknown port", a
// *net.DNSError), a number out of range with "invalid port" naming it.
// Before, only a decimal number was taken.
func TestServiceNamePorts(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:http")
	if err != nil {
		t.Fatalf("Listen(127.0.0.1:http): %v", err)
	}
	defer ln.Close()
	if p := ln.Addr().(*net.TCPAddr).Port; p != 80 {
		t.Errorf("Listen(127.0.0.1:http) port %d, want 80", p)
	}
	for addr, want := range map[string]int{"127.0.0.1:HTTPS": 443, "127.0.0.1:+8080": 8080, "[::1]:ssh": 22} {
		l, err := h.Listen("tcp", addr)
		if err != nil {
			t.Errorf("Listen(%s): %v", addr, err)
			continue
		}
		if p := l.Addr().(*net.TCPAddr).Port; p != want {
			t.Errorf("Listen(%s) port %d, want %d", addr, p, want)
		}
		l.Close()
	}
	l0, err := h.Listen("tcp", "127.0.0.1:")
	if err != nil {
		t.Errorf("Listen(127.0.0.1:): %v", err)
	} else {
		if l0.Addr().(*net.TCPAddr).Port == 0 {
			t.Errorf("Listen(127.0.0.1:) got no port")
		}
		l0.Close()
	}
	pc, err := h.ListenPacket("udp", "127.0.0.1:domain")
	if err != nil {
		t.Fatalf("ListenPacket(127.0.0.1:domain): %v", err)
	}
	defer pc.Close()
	if p := pc.LocalAddr().(*net.UDPAddr).Port; p != 53 {
		t.Errorf("ListenPacket(127.0.0.1:domain) port %d, want 53", p)
	}
	for _, c := range []struct{ network, addr, want string }{
		{"tcp", "127.0.0.1:domain", "lookup tcp/domain: unknown port"}, // a UDP name only, as in package net
		{"udp", "127.0.0.1:http", "lookup udp/http: unknown port"},
		{"tcp", "127.0.0.1:nosuchservice", "lookup tcp/nosuchservice: unknown port"},
	} {
		_, err := h.Dial(c.network, c.addr)
		var dns *net.DNSError
		var op *net.OpError
		if !errors.As(err, &op) || !errors.As(err, &dns) || dns.Error() != c.want {
			t.Errorf("Dial(%s, %s): %v, want a *net.OpError wrapping a *net.DNSError %q", c.network, c.addr, err, c.want)
		}
	}
	for _, addr := range []string{"127.0.0.1:65536", "127.0.0.1:-1"} {
		_, err := h.Listen("tcp", addr)
		var ae *net.AddrError
		if !errors.As(err, &ae) || ae.Err != "invalid port" {
			t.Errorf("Listen(%s): %v, want a *net.AddrError \"invalid port\"", addr, err)
		}
	}
	_ = n
}
