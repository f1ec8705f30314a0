package demo

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"netsim.dev/internal/tsharktest"
)

// tsharkCount is a display filter and the number of frames tshark must
// select with it in a scenario's capture (-1: at least one).
type tsharkCount struct {
	filter string
	want   int
}

// scenarioShows is, per shipped scenario, what its capture shows as
// Wireshark's own dissectors see it: the point of the scenario, checked
// by a reader no one here wrote (the scenarios' expect filters use
// netsim's reader). Every shipped scenario has an entry.
var scenarioShows = map[string][]tsharkCount{
	"book-tcp": {
		{"tcp.flags.syn == 1 && tcp.flags.ack == 0", 1},
		{"tcp.len == 3 && tcp.payload == 2c:37:42", 1},
		{"tcp.flags.fin == 1", 2},
		{"tcp.analysis.flags", 0},
		{"frame", 9},
	},
	"book-tcp-multi": {
		{"tcp.len == 3", 3},
		{"tcp.srcport == 24000 && tcp.ack in {4, 7, 10}", 3},
		{"tcp.analysis.flags", 0},
		{"frame", 13},
	},
	"book-udp": {
		{"udp.srcport == 24001 && udp.dstport == 24000 && udp.payload == 2c:37:42", 1},
		{"frame", 1},
	},
	"arp-switch": {
		{"arp.opcode == 1 && eth.dst == ff:ff:ff:ff:ff:ff", 3},
		{"arp.opcode == 2 && frame.interface_name in {\"a-sw\", \"b-sw\"}", 2},
		{"frame.interface_name == \"c-sw\"", 1},
		{"udp.dstport == 7000 && !(frame.interface_name == \"c-sw\")", 2},
	},
	"tcp-refused": {
		{"tcp.flags.syn == 1 && tcp.flags.ack == 0", 1},
		{"tcp.flags.reset == 1 && tcp.flags.ack == 1 && ip.src == 10.0.0.2", 1},
		{"tcp.analysis.flags && !tcp.analysis.window_full", 0},
	},
	"udp-closed-port": {
		{"icmp.type == 3 && icmp.code == 3", 1},
		{"icmp && udp.dstport == 9999", 1}, // the quoted datagram
		{"udp.dstport == 9999 && !icmp", 1},
	},
	"tcp-rto": {
		{"tcp.analysis.retransmission", 2},
		{"tcp.analysis.fast_retransmission", 0},
		{"frame.comment contains \"lost: link down\"", 2},
		{"tcp.len == 100", 3},
	},
	"tcp-fast-retransmit": {
		{"tcp.analysis.fast_retransmission", 1},
		{"tcp.analysis.retransmission", 1},
		{"tcp.analysis.duplicate_ack", 5},
		{"tcp.analysis.fast_retransmission && tcp.seq == 3001", 1},
		{"tcp.options.sack_le", -1},
		{"frame.comment contains \"lost: link down\"", 1},
	},
	"tcp-zero-window": {
		{"tcp.analysis.zero_window", 3},
		{"tcp.analysis.zero_window && tcp.srcport != 8000 && tcp.window_size == 0", 3},
		{"tcp.analysis.window_update", 2},
		{"tcp.analysis.window_full && tcp.len == 1", 2},
		// gVisor's probe resends the last byte acknowledged (Seq =
		// SND.UNA-1): tshark calls it a keep-alive, not a zero-window
		// probe (which carries the next new byte, Seq = SND.NXT).
		{"tcp.analysis.keep_alive && tcp.len == 1 && tcp.seq == 32660", 2},
		{"tcp.analysis.zero_window_probe", 0},
		{"tcp.analysis.retransmission || tcp.analysis.lost_segment", 0},
	},
	"tcp-abort": {
		{"tcp.flags.reset == 1 && ip.src == 10.0.0.1 && tcp.seq == 7", 1},
		{"tcp.flags.fin == 1", 0},
	},
	"tcp-syn-lost": {
		{"tcp.flags.syn == 1 && tcp.flags.ack == 0", 2},
		{"tcp.analysis.retransmission && tcp.flags.syn == 1 && frame.time_relative >= 1", 1},
		{"frame.comment contains \"lost: link down\"", 1},
	},
	"tcp-keepalive": {
		{"tcp.analysis.keep_alive && tcp.len == 0", 3},
		{"tcp.analysis.keep_alive_ack", 2},
		{"tcp.srcport == 8000 && tcp.ack == 1 && frame.time_relative > 1", 3},
	},
	"tcp-half-close": {
		{"tcp.flags.fin == 1", 2},
		{"tcp.len == 6 && tcp.srcport == 8000", 3},
		{"tcp.analysis.flags", 0},
	},
	"tcp-simultaneous-close": {
		{"tcp.flags.fin == 1 && tcp.ack == 1", 2},
		{"tcp.flags.fin == 0 && tcp.seq == 2 && tcp.ack == 2", 2},
		{"tcp.analysis.flags", 0},
	},
	"tcp-nagle": {
		{"tcp.dstport == 7000 && tcp.len > 0", 4},
		{"tcp.dstport == 7001 && tcp.len == 1", 10},
		{"tcp.analysis.flags", 0},
	},
	"pmtu-ipv4": {
		{"icmp.type == 3 && icmp.code == 4 && icmp.mtu == 1400", 3},
		{"icmp.type == 3 && icmp.code == 4 && icmp.mtu != 1400", 0},
		{"ip.flags.df == 1 && tcp.len == 1420", 3},
		{"tcp.analysis.out_of_order && tcp.len == 1320", 3},
	},
	"pmtu-ipv6": {
		{"icmpv6.type == 2 && icmpv6.mtu == 1280", 3},
		{"icmpv6.type == 2 && icmpv6.mtu != 1280", 0},
		{"tcp.len == 1400", 3},
		{"tcp.analysis.out_of_order && tcp.len == 1180", 3},
	},
	"udp-fragments": {
		{"ip.flags.mf == 1", 2},
		{"ip.frag_offset > 0", 2},
		{"udp.length == 4008", 1},
	},
	"partition-heals": {
		{"tcp.analysis.retransmission", 5},
		{"frame.comment contains \"lost: link down\"", 5},
	},
	"http": {
		{"http.request.method == \"GET\" && http.request.uri == \"/hello.txt\"", 1},
		{"http.response.code == 200", 1},
		{"http.file_data == \"Hello, world!\\n\"", 1},
	},
	"tls13-https": {
		{"tls.handshake.type == 1 && tls.handshake.extensions_server_name == \"netsim.test\"", 1},
		{"tls.handshake.type == 1 && tls.handshake.extensions.supported_version == 0x0304", 1},
		{"tls.handshake.type == 2", 1},
		{"tls.handshake.type == 11", 1}, // the certificate: only visible decrypted
		{"http.request.method == \"GET\" && http.host == \"netsim.test\"", 1},
		{"http.response.code == 200", 1},
		{"tls.alert_message.desc == 0", 2}, // close_notify, decrypted
		{"tcp.flags.reset == 1", 0},
	},
	"dns": {
		{"dns.flags.response == 0 && dns.qry.name == \"example.com\" && dns.qry.type == 1", 1},
		{"dns.flags.response == 1 && dns.a == 93.184.215.14 && dns.resp.ttl == 300", 1},
		{"dns.time > 0.010 && dns.time < 0.0101", 1},
		{"_ws.malformed || _ws.expert.severity >= warning", 0},
	},
}

// shortTshark are the scenarios the fast tier (-short) checks with tshark:
// one tshark process costs about half a second of CPU, so the fast tier
// takes one of each kind (a RST, ICMP, expert info, IPv6, decryption) and
// the full tier all of them.
var shortTshark = map[string]bool{
	"tcp-refused":         true,
	"udp-closed-port":     true,
	"tcp-fast-retransmit": true,
	"tcp-zero-window":     true,
	"pmtu-ipv6":           true,
	"tls13-https":         true,
}

// TestScenariosTshark runs every shipped scenario and asks tshark, in one
// pass per capture, whether it shows what the scenario says it shows: the
// RST, the ICMP types, the retransmissions, the zero window, the decrypted
// HTTP. When NETSIM_REQUIRE_TSHARK=1, a missing tshark fails the test.
// -short checks the scenarios in shortTshark only.
func TestScenariosTshark(t *testing.T) {
	tsharktest.Path(t)
	t.Parallel()
	for _, info := range Scenarios() {
		checks, ok := scenarioShows[info.Name]
		if !ok {
			t.Errorf("%s: no tshark checks in scenarioShows", info.Name)
			continue
		}
		if testing.Short() && !shortTshark[info.Name] {
			continue
		}
		t.Run(info.Name, func(t *testing.T) {
			t.Parallel()
			capture := runScenario(t, info.Name)
			path := filepath.Join(t.TempDir(), info.Name+captureExt(capture))
			if err := os.WriteFile(path, capture, 0o644); err != nil {
				t.Fatal(err)
			}
			// Every scenario: valid checksums, as on a real wire, and
			// nothing malformed. (Not the TCP checksum of a segment an
			// ICMP error quotes: the quote is cut short, so tshark sums
			// part of the segment and calls it bad.)
			checks = append(slices.Clip(checks),
				tsharkCount{"ip.checksum.status == bad || icmp.checksum.status == bad || icmpv6.checksum.status == bad || (!icmp && !icmpv6 && (tcp.checksum.status == bad || udp.checksum.status == bad))", 0},
				tsharkCount{"_ws.malformed", 0})
			filters := make([]string, len(checks))
			for i, c := range checks {
				filters[i] = c.filter
			}
			for i, frames := range tsharktest.Select(t, path, checkArgs, filters...) {
				c := checks[i]
				if (c.want < 0 && len(frames) == 0) || (c.want >= 0 && len(frames) != c.want) {
					want := "want " + strconv.Itoa(c.want)
					if c.want < 0 {
						want = "want at least 1"
					}
					t.Errorf("tshark -Y '%s': %d frames %v, %s", c.filter, len(frames), frames, want)
				}
			}
		})
	}
	for name := range scenarioShows {
		if !slices.ContainsFunc(Scenarios(), func(i ScenarioInfo) bool { return i.Name == name }) {
			t.Errorf("scenarioShows has %q, which no scenario has", name)
		}
	}
}
