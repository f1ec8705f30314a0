package dfilter

import (
	"testing"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// benchFilter is the filter of the speed anchor in the design notes.
const benchFilter = "tcp.flags.syn==1 and tcp.dstport==8080 or udp.port in {53, 5353}"

// BenchmarkDecodeMatch decodes each frame of a TCP/UDP capture and
// evaluates a filter on it: the per-frame work of netsim read -Y.
func BenchmarkDecodeMatch(b *testing.B) {
	frames, err := pcapread.ReadFile("testdata/corpus/tcp-mix.pcap")
	if err != nil {
		b.Fatal(err)
	}
	f := MustCompile(benchFilter)
	d := dissect.New()
	var p dissect.Packet
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(frames) == 0 {
			d = dissect.New() // each pass is a new capture
		}
		d.Dissect(&frames[i%len(frames)], &p)
		f.Match(&p)
	}
}

// BenchmarkMatch evaluates filters on already decoded packets.
func BenchmarkMatch(b *testing.B) {
	frames, err := pcapread.ReadFile("testdata/corpus/tcp-mix.pcap")
	if err != nil {
		b.Fatal(err)
	}
	d := dissect.New()
	pkts := make([]dissect.Packet, len(frames))
	for i := range frames {
		d.Dissect(&frames[i], &pkts[i])
	}
	for _, expr := range []string{benchFilter, "ip.addr == 10.0.0.0/24 and tcp.payload contains \"xyz\"", "tcp.port in {24000..24005} && !tcp.analysis.flags"} {
		f := MustCompile(expr)
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f.Match(&pkts[i%len(pkts)])
			}
		})
	}
}
