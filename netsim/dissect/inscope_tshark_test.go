package dissect

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/pcapread"
)

// inScopeFilters are the display filters TestInScopeMatchesTshark
// compares, one per kind of difference the fixtures cover.
var inScopeFilters = []string{
	"data", "_ws.malformed", "tcp.options.sack_perm", "ip", "ipv6", "udp", "tcp", "icmp", "arp",
	"tcp.len>0", "ip.len > 1000", "frame.protocols contains \"tcp\"", "tcp.analysis.flags",
	"frame.time_delta > 1", "eth", "vlan",
}

// inScopeKnown are the differences from tshark the fixtures still have,
// by "capture:frame" or "capture:filter", with the reason.
var inScopeKnown = map[string]string{
	"arcnet-rfc1201-arp-icmp-http.pcap:1":           "ARCNET addresses (0xbe) are not shown in Source/Destination",
	"arcnet-rfc1201-arp-icmp-http.pcap:2":           "ARCNET addresses",
	"arcnet-rfc1201-arp-icmp-http.pcap:7":           "ARCNET addresses",
	"arcnet-rfc1201-arp-icmp-http.pcap:8":           "ARCNET addresses",
	"tfo-5c1fa7f9ae91.pcap:13":                      "tshark reassembles the data of a SYN with a TFO cookie",
	"tfo-5c1fa7f9ae91.pcap:data":                    "same frame",
	"ipv4_invalid_total_length_2.pcap:ip":           "tshark adds the ip item before it finds the length bogus; netsim has no IPv4 layer then",
	"ip-snmp-leftshift-unsigned.pcap:data":          "tshark's SNMP dissector (port 162) rejects the payload, then throws",
	"ip-snmp-leftshift-unsigned.pcap:_ws.malformed": "same frame",
	"cve-2014-8767-OLSR.pcap:_ws.malformed":         "the data tshark shows after OLSR gives up runs past the frame",
	"hncp_dhcpv4data-oobr.pcap:data":                "tshark's RADIUS dissector (port 1812) rejects the payload",
	"babel_update_oobr.pcap:data":                   "dissectors of the ports these fuzzed datagrams use (KRB4, Auto-RP, ...) take or reject them",
	"babel_update_oobr.pcap:_ws.malformed":          "those dissectors throw",
}

// inScopeProtocols are the Protocol column values of issue #15's scope.
var inScopeProtocols = map[string]bool{"ARP": true, "IPv4": true, "IPv6": true, "ICMP": true, "ICMPv6": true,
	"TCP": true, "UDP": true, "DNS": true, "MDNS": true, "HTTP": true, "TLSv1.2": true, "TLSv1.3": true}

// TestInScopeMatchesTshark reads the captures of testdata/inscope and
// compares, with tshark 4.0's output recorded in NAME.summary and
// NAME.filters (live tshark too unless -short; -update rewrites them),
// every summary line tshark shows for an in-scope protocol and the frames
// each of inScopeFilters selects.
func TestInScopeMatchesTshark(t *testing.T) {
	var files []string
	for _, pat := range []string{"testdata/inscope/*.pcap", "testdata/inscope/*.pcapng"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("testdata/inscope: only %d captures", len(files))
	}
	for _, c := range files {
		t.Run(filepath.Base(c), func(t *testing.T) {
			t.Parallel()
			wantSum, wantSel := inScopeGoldens(t, c)
			got := summaries(t, c)
			if len(got) != len(wantSum) {
				t.Fatalf("%d frames, tshark %d", len(got), len(wantSum))
			}
			for i := range got {
				f := strings.Fields(wantSum[i])
				known := inScopeKnown[fmt.Sprintf("%s:%d", filepath.Base(c), i+1)]
				if len(f) > 5 && inScopeProtocols[f[5]] && got[i] != wantSum[i] && known == "" {
					t.Errorf("frame %d:\n ours:   %s\n tshark: %s", i+1, got[i], wantSum[i])
				}
			}
			for i, flt := range inScopeFilters {
				known := inScopeKnown[filepath.Base(c)+":"+flt]
				if g := selectFrames(t, c, flt); g != wantSel[i] && known == "" {
					t.Errorf("%s: netsim selects %s, tshark %s", flt, g, wantSel[i])
				}
			}
		})
	}
}

// inScopeGoldens returns tshark's summary lines of capture c and, per
// filter of inScopeFilters, the frames it selects ("1,2,5").
func inScopeGoldens(t *testing.T, c string) ([]string, []string) {
	t.Helper()
	if *update || !testing.Short() {
		sum := tsharktest.Run(t, "-r", c)
		sel := tsharktest.Select(t, c, nil, inScopeFilters...)
		var fb strings.Builder
		for i, flt := range inScopeFilters {
			fmt.Fprintf(&fb, "%s\t%s\n", flt, joinFrames(sel[i]))
		}
		if *update {
			if err := os.WriteFile(c+".summary", []byte(sum), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(c+".filters", []byte(fb.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range []struct{ name, live string }{{c + ".summary", sum}, {c + ".filters", fb.String()}} {
			if b, err := os.ReadFile(g.name); err == nil && string(b) != g.live {
				t.Errorf("%s differs from live tshark: run with -update", g.name)
			}
		}
	}
	sum, err := os.ReadFile(c + ".summary")
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	flt, err := os.ReadFile(c + ".filters")
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	var sel []string
	for _, l := range strings.Split(strings.TrimSuffix(string(flt), "\n"), "\n") {
		name, frames, _ := strings.Cut(l, "\t")
		if len(sel) >= len(inScopeFilters) || name != inScopeFilters[len(sel)] {
			t.Fatalf("%s.filters: %q out of place (run with -update)", c, name)
		}
		sel = append(sel, frames)
	}
	if len(sel) != len(inScopeFilters) {
		t.Fatalf("%s.filters: %d filters, want %d (run with -update)", c, len(sel), len(inScopeFilters))
	}
	return strings.Split(strings.TrimSuffix(string(sum), "\n"), "\n"), sel
}

// selectFrames returns the frames of capture c that filter flt selects in
// netsim's reading ("1,2,5"). Only fields are compared here (the filter
// language is netsim/dfilter's): each filter is one field or protocol,
// a comparison of one with a number, or a frame.protocols test.
func selectFrames(t *testing.T, c, flt string) string {
	t.Helper()
	frames, err := pcapread.ReadFile(c)
	if err != nil {
		t.Fatal(err)
	}
	name, op, arg := flt, "", ""
	if f := strings.Fields(flt); len(f) == 3 {
		name, op, arg = f[0], f[1], f[2]
	} else if n, a, ok := strings.Cut(flt, ">"); ok {
		name, op, arg = n, ">", a
	}
	fld := Lookup(name)
	if fld == nil {
		t.Fatalf("no field %s", name)
	}
	d := New()
	var p Packet
	var sel []int
	for i := range frames {
		d.Dissect(&frames[i], &p)
		vals := fld.Values(&p, nil)
		match := len(vals) > 0
		switch op {
		case ">":
			n, _ := strconv.ParseFloat(arg, 64)
			match = false
			for _, v := range vals {
				x := float64(v.N)
				if fld.Type == TypeTime {
					x = float64(int64(v.N)) / 1e9
				}
				match = match || x > n
			}
		case "contains":
			match = false
			for _, v := range vals {
				match = match || strings.Contains(v.S, strings.Trim(arg, `"`))
			}
		}
		if match {
			sel = append(sel, i+1)
		}
	}
	return joinFrames(sel)
}

func joinFrames(fs []int) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = strconv.Itoa(f)
	}
	return strings.Join(s, ",")
}
