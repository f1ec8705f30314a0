package dissect

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"netsim.dev/netsim/pcapread"
)

func benchFrames(b *testing.B) []pcapread.Frame {
	frames, err := pcapread.ReadFile("testdata/linux-lo-tcp.pcap")
	if err != nil {
		b.Fatal(err)
	}
	return frames
}

// BenchmarkDissect measures this package's decoder, including Wireshark's
// TCP stream and sequence analysis.
func BenchmarkDissect(b *testing.B) {
	frames := benchFrames(b)
	d := New()
	var p Packet
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Dissect(&frames[i%len(frames)], &p)
	}
}

// BenchmarkGopacketDLP measures gopacket's DecodingLayerParser on the same
// frames, decoding Ethernet, IPv4/IPv6 and TCP/UDP headers only: no stream
// state, relative numbers or analysis, which would still have to be built
// on top of it.
func BenchmarkGopacketDLP(b *testing.B) {
	frames := benchFrames(b)
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		udp     layers.UDP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp, &udp, &payload)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = parser.DecodeLayers(frames[i%len(frames)].Data, &decoded)
	}
}
