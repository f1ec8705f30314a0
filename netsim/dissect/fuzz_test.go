package dissect

import (
	"bytes"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// FuzzDissect decodes arbitrary bytes as a frame of every link type, twice
// in a row on one Dissector (so that the second frame meets the state the
// first left: conversations, reassembly), and renders the summary, the -V
// tree and every field: none of it may panic.
func FuzzDissect(f *testing.F) {
	frames, err := pcapread.ReadFile("testdata/linux-lo-tcp.pcap")
	if err != nil {
		f.Fatal(err)
	}
	for _, fr := range frames {
		f.Add(fr.Data, uint8(0))
	}
	// VLANs, ARP, ICMP and ICMPv6 types, IPv6 extension headers.
	ll, err := pcapread.ReadFile("testdata/linklayer.pcap")
	if err != nil {
		f.Fatal(err)
	}
	for _, fr := range ll {
		f.Add(fr.Data, uint8(0))
	}
	names := fixtureNames(f)
	f.Add([]byte("\x45\x00\x00\x1c\x00\x01\x20\x00\x40\x11\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02"), uint8(2))
	f.Add([]byte("\x60\x00\x00\x00\x00\x08\x2c\x40"), uint8(2))
	links := []pcapread.LinkType{pcapread.LinkEthernet, pcapread.LinkNull, pcapread.LinkRaw, pcapread.LinkLoop,
		pcapread.LinkIPv4, pcapread.LinkIPv6, pcapread.LinkSLL, pcapread.LinkSLL2,
		linkPPP, linkCHDLC, linkFrelay, linkARCNET, linkUser2, linkIPNET, linkNFLOG, linkIPoIB, linkPKTAP, linkJunEth}
	for i, seed := range linkSeeds {
		f.Add(seed, uint8(8+i))
	}
	// SSH on MPTCP, TFO, AccECN, MACsec, Arista (Ethernet, index 0).
	for _, name := range []string{"mptcp-v0.pcap", "tfo-5c1fa7f9ae91.pcap", "accecn_handshake.pcap", "macsec-integonly.pcap", "arista_ether.pcap"} {
		fr, err := pcapread.ReadFile("testdata/inscope/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for i := range min(len(fr), 12) {
			f.Add(fr[i].Data, uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, link uint8) {
		d := New()
		d.SetMACNames(names, link%2 == 0)
		d.SetInterfaces([]pcapread.Interface{{Name: "eth0", Description: "fuzz"}})
		var p Packet
		var sink bytes.Buffer
		for i := 1; i <= 2; i++ {
			fr := pcapread.Frame{Number: i, Time: int64(i) * 1000, Precision: 9, OrigLen: len(data),
				LinkType: links[int(link)%len(links)], HasInterface: i == 2, Data: data,
				Comments: []string{"fuzz"}}
			d.Dissect(&fr, &p)
			renderAll(t, &p, &sink)
		}
	})
}

// renderAll renders p's summary, -V tree and every field into sink.
func renderAll(t *testing.T, p *Packet, sink *bytes.Buffer) {
	sink.Reset()
	sink.WriteString(Summary(p))
	if err := Tree(sink, p); err != nil {
		t.Fatal(err)
	}
	for _, fld := range Fields() {
		sink.WriteString(FieldString(p, fld.Name))
	}
}
