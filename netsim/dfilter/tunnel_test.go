package dfilter

import (
	"testing"
)

// tunnelCapture is netsim/dissect's capture of tunnels (GRE, ERSPAN,
// VXLAN, Geneve, IP in IP, nested): its frames carry two IPv4 or IPv6
// layers and up to three UDP layers.
const tunnelCapture = "../dissect/testdata/tunnel.pcap"

// tunnelFilters exercise the tunnel fields and tshark's rule for a field
// present in several layers: a comparison holds if ANY occurrence matches,
// except != (and not ==), which holds when ALL occurrences differ, as in
// Wireshark 4.0; ~= is "any differs".
var tunnelFilters = []string{
	"gre", "erspan", "vxlan", "geneve", "gre && vxlan",
	"gre.proto == 0x0800", "gre.proto == 0x88be || gre.proto == 0x22eb", "gre.key == 0x01020304", "gre.flags.key == 1",
	"gre.sequence_number", "erspan.version == 1", "erspan.spanid == 101", "vxlan.vni == 100", "vxlan.vni > 150",
	"geneve.vni == 10", "geneve.proto_type == 0x0800",
	"ip.src == 10.1.0.1", "ip.src == 192.0.2.1", "ip.src == 192.0.2.1 && ip.dst == 10.1.0.2",
	"ip.addr == 10.1.0.2", "ip.addr != 10.1.0.2", "ip.addr ~= 10.1.0.2", "!(ip.addr == 10.1.0.2)",
	"ip.src != 192.0.2.1", "ip.src ~= 192.0.2.1", "ip.dst == 172.16.0.2",
	"ip.proto == 4", "ip.proto == 47", "ip.proto == 17 && tcp", "ipv6 && ip", "ipv6.nxt == 4", "ipv6.nxt == 47",
	"tcp.port == 33333", "tcp.stream == 0", "tcp.analysis.retransmission", "tcp.flags.syn == 1",
	"udp.port == 4789", "udp.port == 6081", "udp.port == 9999", "udp.port != 4789", "udp.stream == 1",
	"icmp.type == 0", "icmp", "icmpv6", "arp", "eth.addr == 02:00:00:00:00:0c", "eth.src == 02:00:00:00:00:0a",
	"vlan.id == 20", "data", "count(ip.src) == 2", "count(ip.src) == 3", "count(udp) == 2",
	`frame.protocols contains "erspan"`, "not tcp and not udp",
}

// TestTunnelFilters compares the frames each tunnel filter selects with
// tshark's: live unless -short, else with testdata/golden/tunnel.pcap.filters
// (-update rewrites it).
func TestTunnelFilters(t *testing.T) {
	pkts := decodeAll(t, tunnelCapture)
	ours := ourResults(pkts, tunnelFilters)
	var want []string
	if liveMode(t) {
		want = tsharkResults(t, tunnelCapture, tunnelFilters)
		if *update {
			writeGolden(t, tunnelCapture, "filters", want)
		}
		if g := readGolden(t, tunnelCapture, "filters"); len(g) != len(want) {
			t.Errorf("golden tunnel filter results are stale; run go test -run TestTunnelFilters -update")
		} else {
			for i := range g {
				if g[i] != want[i] {
					t.Errorf("golden tunnel filter results differ from live tshark for %q; run with -update", tunnelFilters[i])
				}
			}
		}
	} else {
		want = readGolden(t, tunnelCapture, "filters")
	}
	if len(want) != len(tunnelFilters) {
		t.Fatalf("%d tshark results for %d filters", len(want), len(tunnelFilters))
	}
	for i, f := range tunnelFilters {
		if ours[i] != want[i] {
			t.Errorf("filter %q: ours %q, tshark %q", f, ours[i], want[i])
		}
	}
}
