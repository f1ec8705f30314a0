package netsim_test

import (
	"context"
	"net"
	"testing"

	"netsim.dev/netsim"
)

// FuzzAddresses: whatever network and address a user passes to Listen,
// ListenPacket, Dial, Iface or AddRoute, the answer is a value or an error,
// never a panic; and an error from the socket calls is a *net.OpError, as
// package net gives.
func FuzzAddresses(f *testing.F) {
	for _, s := range [][2]string{
		{"tcp", "127.0.0.1:24000"}, {"tcp6", "[::1]:80"}, {"udp", ":0"}, {"tcp4", "localhost:1"},
		{"udp6", "[fe80::1%eth0]:53"}, {"tcp", "h:99999"}, {"ip", "1.2.3.4"}, {"tcp", "[::1"}, {"", ""},
		{"tcp", "server:80"}, {"udp", "10.0.0.1/24"}, {"tcp", "::ffff:127.0.0.1:80"},
	} {
		f.Add(s[0], s[1])
	}
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })
	h, _ := n.AddHost("h")
	f.Fuzz(func(t *testing.T, network, address string) {
		check := func(what string, err error) {
			if err == nil {
				return
			}
			if _, ok := err.(*net.OpError); !ok {
				t.Errorf("%s(%q, %q): %T %v, want a *net.OpError", what, network, address, err, err)
			}
		}
		if l, err := h.Listen(network, address); err == nil {
			l.Close()
		} else {
			check("Listen", err)
		}
		if c, err := h.ListenPacket(network, address); err == nil {
			c.Close()
		} else {
			check("ListenPacket", err)
		}
		_, err := h.Dial(network, address) // not running: fails at once
		check("Dial", err)
		if l, err := h.ListenBacklog(network, address, 1); err == nil {
			l.Close()
		} else {
			check("ListenBacklog", err)
		}
		// The address as the local one, and as the remote one, of DialFrom
		// and StartDial.
		_, err = h.DialFrom(context.Background(), network, address, "127.0.0.1:1")
		check("DialFrom", err)
		_, err = h.DialFrom(context.Background(), network, "127.0.0.1:0", address)
		check("DialFrom", err)
		if p, err := h.StartDial(context.Background(), network, "", address); err == nil {
			p.Close()
		} else {
			check("StartDial", err)
		}
		_, _ = n.LookupHost(address)
		_ = h.Iface(network, address)
		_ = h.AddRoute(network, address)
	})
}
