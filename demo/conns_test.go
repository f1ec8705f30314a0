package demo

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
)

// synSources counts the connections a capture's SYNs (without ACK) open,
// by source address: one per source address and port.
func synSources(t *testing.T, capture []byte) map[netip.Addr]int {
	t.Helper()
	frames, err := readFrames(capture)
	if err != nil {
		t.Fatal(err)
	}
	conns := map[netip.AddrPort]bool{}
	for _, f := range frames {
		b := f.Data
		if len(b) < 14 {
			continue
		}
		var src netip.Addr
		var tcp []byte
		switch binary.BigEndian.Uint16(b[12:]) {
		case 0x0800:
			ip := b[14:]
			if len(ip) < 20 || ip[9] != 6 {
				continue
			}
			src = netip.AddrFrom4([4]byte(ip[12:16]))
			tcp = ip[int(ip[0]&0xf)*4:]
		case 0x86dd:
			ip := b[14:]
			if len(ip) < 40 || ip[6] != 6 {
				continue
			}
			src = netip.AddrFrom16([16]byte(ip[8:24]))
			tcp = ip[40:]
		default:
			continue
		}
		if len(tcp) >= 14 && tcp[13]&0x12 == 0x02 { // SYN, not ACK
			conns[netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp))] = true
		}
	}
	by := map[netip.Addr]int{}
	for c := range conns {
		by[c.Addr()]++
	}
	return by
}

// TestTransferClientAddrs: beyond a client address's share of
// connections (ConnsPerAddr; 100 here) the transfer demo's client gets
// more addresses, 10.0.0.4, 10.0.0.5... (fd00::4...), and each further
// share of clients dials from the next one; every connection completes,
// over IPv4 and IPv6, with and without a router.
func TestTransferClientAddrs(t *testing.T) {
	for _, c := range []struct {
		ipv6  bool
		hops  int
		addrs []string
		line  string
	}{
		{false, 1, []string{"10.0.0.1", "10.0.0.4", "10.0.0.5"}, "client 10.0.0.1 and 10.0.0.4-10.0.0.5 -> server 10.0.0.2:5001: 250 connection(s)"},
		{true, 1, []string{"fd00::1", "fd00::4", "fd00::5"}, "client fd00::1 and fd00::4-fd00::5 -> server [fd00:0:0:0::2]:5001: 250 connection(s)"},
		{false, 2, []string{"10.0.0.1", "10.0.0.4", "10.0.0.5"}, "client 10.0.0.1 and 10.0.0.4-10.0.0.5 -> server 10.0.1.2:5001 through 1 router(s): 250 connection(s)"},
	} {
		var out, capture bytes.Buffer
		d, _ := Lookup("transfer")
		_, err := d.Run(Params{Conns: 250, perAddr: 100, Size: 100, IPv6: c.ipv6, Hops: c.hops, Out: &out, Capture: &capture})
		if err != nil {
			t.Fatalf("IPv6 %v, hops %d: %v\n%s", c.ipv6, c.hops, err, out.String())
		}
		if !strings.Contains(out.String(), c.line) || !strings.Contains(out.String(), "250 of them with crc32") {
			t.Errorf("IPv6 %v, hops %d: output:\n%s", c.ipv6, c.hops, out.String())
		}
		got := synSources(t, capture.Bytes())
		for i, a := range c.addrs {
			want := 100
			if i == 2 {
				want = 50
			}
			if n := got[netip.MustParseAddr(a)]; n != want {
				t.Errorf("IPv6 %v, hops %d: %d connections from %s, want %d (all: %v)", c.ipv6, c.hops, n, a, want, got)
			}
		}
		if len(got) != len(c.addrs) {
			t.Errorf("IPv6 %v, hops %d: connections from %v", c.ipv6, c.hops, got)
		}
	}
	d, _ := Lookup("transfer")
	_, err := d.Run(Params{Conns: 100*MaxClientAddrs + 1, perAddr: 100})
	if err == nil || !strings.Contains(err.Error(), "out of range 1-25200") {
		t.Errorf("one connection too many: %v", err)
	}
}
