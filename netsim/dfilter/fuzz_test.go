package dfilter

import (
	"testing"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// FuzzCompile compiles arbitrary filter text: it must compile or return a
// SyntaxError, never panic; a compiled filter must evaluate on a packet.
func FuzzCompile(f *testing.F) {
	for _, s := range bookFilters {
		f.Add(s)
	}
	for _, s := range []string{
		"ip.addr==127.0.0.0/8", "udp.port in {53, 5353, 8000..8100}", `tcp.payload contains "a\x41"`,
		"tcp.payload[0:2] == 2c:37", `frame.protocols matches "^eth"`, "!(tcp.port != 80) || eth.addr == ff:ff:ff:ff:ff:ff",
		"ipv6.addr == fd00::/8", "frame.time_relative >= 0.5", "tcp.flags & 0x12", "tcp.srcport < tcp.dstport",
		"len(tcp.payload) > 0", "count(ip.addr) == 2", "len(ip) == len(tcp)", "len(tcp.payload) in {3..5}",
		"len(", "len()", "count(tcp.port", "len(tcp.payload[0:2]) == 2",
	} {
		f.Add(s)
	}
	frames, err := pcapread.ReadFile("testdata/linux-lo-tcp.pcap")
	if err != nil {
		f.Fatal(err)
	}
	d := dissect.New()
	pkts := make([]dissect.Packet, len(frames))
	for i := range frames {
		d.Dissect(&frames[i], &pkts[i])
	}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Compile(expr)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Compile(%q): error of type %T: %v", expr, err, err)
			}
			return
		}
		for i := range pkts {
			flt.Match(&pkts[i])
		}
	})
}
