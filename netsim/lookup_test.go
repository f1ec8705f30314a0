package netsim_test

import (
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"netsim.dev/netsim"
)

// TestLookupHostAsDNS: host names resolve as DNS names do, in any case and
// with a trailing dot; an IP address is itself and "localhost" the
// loopback's addresses, as net.LookupHost gives them; Dial takes the same
// names. Before, only the name exactly as AddHost had it resolved
// (LookupHost("10.0.0.2") and LookupHost("localhost") were "no such host").
func TestLookupHostAsDNS(t *testing.T) {
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	client, _ := n.AddHost("client")
	db, _ := n.AddHost("DB")
	if _, err := n.Connect("l", client.Iface("eth0", "10.0.0.1/24"), db.Iface("eth0", "10.0.0.2/24", "fd00::2/64")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{
		"DB": {"10.0.0.2", "fd00::2"}, "db": {"10.0.0.2", "fd00::2"}, "dB.": {"10.0.0.2", "fd00::2"}, "CLIENT": {"10.0.0.1"},
		"10.0.0.2": {"10.0.0.2"}, "fd00::2": {"fd00::2"}, "localhost": {"127.0.0.1", "::1"},
	} {
		got, err := n.LookupHost(name)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("LookupHost(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, name := range []string{"nosuch", "", ".", "db..", "l"} { // "l" is a link, not a host
		_, err := n.LookupHost(name)
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsNotFound || de.Name != name {
			t.Errorf("LookupHost(%q): %v, want a not-found *net.DNSError naming it", name, err)
		}
	}
	ln, err := db.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	var dialErrs []error
	n.Go(func() {
		for range 2 {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	n.Go(func() {
		for _, addr := range []string{"db:80", "Db.:80"} {
			c, err := client.Dial("tcp", addr)
			dialErrs = append(dialErrs, err)
			if err == nil {
				c.Close()
			}
		}
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	for i, err := range dialErrs {
		if err != nil {
			t.Errorf("dial %d: %v", i, err)
		}
	}
}

// TestAddHostNames: a host's name is what Dial and the resolvers take, so
// AddHost refuses the names they could not reach, with scenario files'
// rule (letters, digits, '.', '-', '_'; not an IP address) and no second
// host whose name differs only in case. "a b", "a:b" (the loopback link
// would be "a:b:lo" and "a:b:80" does not split), "10.0.0.9" (Dial takes
// it as the address) and "A" beside "a" (DNS names have no case) used to
// be accepted.
func TestAddHostNames(t *testing.T) {
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, name := range []string{"a", "server-1", "db_2", "node.example", "сервер", "R2D2"} {
		if _, err := n.AddHost(name); err != nil {
			t.Errorf("AddHost(%q): %v", name, err)
		}
	}
	for name, want := range map[string]string{
		"a b": "letters, digits", "a:b": "letters, digits", "tab\t": "letters, digits", "10.0.0.9": "IP address",
		"fd00::1": "letters, digits", "A": `differs from host "a" only in case`, "r2d2": "only in case", "a": "taken",
	} {
		h, err := n.AddHost(name)
		if err == nil || h != nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), strconv.Quote(name)) {
			t.Errorf("AddHost(%q) = %v, %v; want an error naming it and saying %q", name, h, err, want)
		}
	}
}
