package scenario

import (
	"path/filepath"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// expFrame returns frame n of a capture in the repository.
func expFrame(t *testing.T, path string, n int) pcapread.Frame {
	t.Helper()
	fs, err := pcapread.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return fs[n-1]
}

func TestDiffFieldAt(t *testing.T) {
	tcp := expFrame(t, "testdata/tcp.pcap", 4) // Ethernet, IPv4, TCP with 12 bytes of options, 3 of payload
	udp := expFrame(t, "testdata/udp.pcap", 1)
	ns := expFrame(t, "testdata/transfer6.pcap", 1) // IPv6, ICMPv6
	icmp := expFrame(t, filepath.Join("netsim", "pcapread", "testdata", "icmp-errors-seed.pcap"), 1)
	clone := func(f pcapread.Frame) pcapread.Frame { return f.Clone() }
	frag := clone(udp)
	frag.Data[14+6] |= 0x20 // more fragments
	null := pcapread.Frame{LinkType: pcapread.LinkNull, Data: append([]byte{2, 0, 0, 0}, tcp.Data[14:]...)}
	raw := pcapread.Frame{LinkType: pcapread.LinkRaw, Data: tcp.Data[14:]}
	sll := pcapread.Frame{LinkType: pcapread.LinkSLL, Data: tcp.Data}
	vlan := clone(tcp)
	vlan.Data[12], vlan.Data[13] = 0x81, 0x00
	short := pcapread.Frame{LinkType: pcapread.LinkEthernet, Data: tcp.Data[:30]}
	v5 := clone(tcp)
	v5.Data[14] = 0x55
	for _, tc := range []struct {
		f    pcapread.Frame
		off  int
		want string
	}{
		{tcp, 0, "eth.dst"}, {tcp, 11, "eth.src"}, {tcp, 13, "eth.type"},
		{tcp, 14, "ip.hdr_len"}, {tcp, 17, "ip.len"}, {tcp, 22, "ip.ttl"}, {tcp, 24, "ip.checksum"},
		{tcp, 29, "ip.src"}, {tcp, 33, "ip.dst"},
		{tcp, 34, "tcp.srcport"}, {tcp, 41, "tcp.seq"}, {tcp, 42, "tcp.ack"}, {tcp, 47, "tcp.flags"},
		{tcp, 48, "tcp.window_size_value"}, {tcp, 51, "tcp.checksum"}, {tcp, 53, "tcp.urgent_pointer"},
		{tcp, 54, "tcp.options"}, {tcp, 65, "tcp.options"}, {tcp, 66, "tcp.payload"}, {tcp, 68, "tcp.payload"},
		{tcp, 69, ""}, {tcp, -1, ""},
		{udp, 34, "udp.srcport"}, {udp, 39, "udp.length"}, {udp, 41, "udp.checksum"}, {udp, 42, "udp.payload"},
		{ns, 14, "ipv6.flow"}, {ns, 18, "ipv6.plen"}, {ns, 20, "ipv6.nxt"}, {ns, 21, "ipv6.hlim"},
		{ns, 22, "ipv6.src"}, {ns, 53, "ipv6.dst"}, {ns, 54, "icmpv6.type"}, {ns, 55, "icmpv6.code"},
		{ns, 57, "icmpv6.checksum"}, {ns, 58, "icmpv6 body"},
		{icmp, 34, "icmp.type"}, {icmp, 35, "icmp.code"}, {icmp, 37, "icmp.checksum"}, {icmp, 38, "icmp body"},
		{frag, 33, "ip.dst"}, {frag, 34, "ip fragment data"},
		{null, 0, "null.family"}, {null, 4, "ip.hdr_len"}, {null, 24, "tcp.srcport"}, {null, 58, "tcp.payload"},
		{raw, 0, "ip.hdr_len"}, {raw, 20, "tcp.srcport"},
		{sll, 0, ""}, {vlan, 14, ""}, {short, 14, "ip.hdr_len"}, {short, 29, "ip.src"}, {short, 30, ""}, {v5, 14, ""},
	} {
		if got := diffFieldAt(tc.f.LinkType, tc.f.Data, tc.off); got != tc.want {
			t.Errorf("link %d, %d bytes, byte %d: %q, want %q", tc.f.LinkType, len(tc.f.Data), tc.off, got, tc.want)
		}
	}
}
