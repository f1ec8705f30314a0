package dissect

import (
	"bytes"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// FuzzTunnels decodes arbitrary bytes as what a tunnel carries — after a
// GRE protocol number, in the UDP ports of VXLAN, VXLAN-GPE, Geneve,
// GTP-U, GTP-C and GTP', as IP in IP, MPLS or NSH, as PPP in enhanced
// GRE, after an 802.1ah or VN-Tag EtherType, as a FabricPath frame's
// header and as an Aruba 802.11 frame in GRE —
// and as whole frames seeded with the tunnel capture, with and without a
// snap-length cut, twice in a row on one Dissector; the summary, the -V
// tree and every field must not panic.
func FuzzTunnels(f *testing.F) {
	frames, err := pcapread.ReadFile("testdata/tunnel.pcap")
	if err != nil {
		f.Fatal(err)
	}
	more, err := pcapread.ReadFile("testdata/tunnel2.pcap")
	if err != nil {
		f.Fatal(err)
	}
	frames = append(frames, more...)
	for _, fr := range frames {
		f.Add(fr.Data, uint8(0), uint16(0))
		// The frame's tunnel header and what follows, after Ethernet and
		// IPv4 (the outer headers of most frames).
		if len(fr.Data) > 34 {
			f.Add(fr.Data[34:], uint8(1), uint16(0))
			f.Add(fr.Data[34:], uint8(2), uint16(7))
		}
		// After Ethernet, IPv4 and UDP: GTP-U's payload; after
		// Ethernet: a tag's or FabricPath's.
		if len(fr.Data) > 42 {
			f.Add(fr.Data[42:], uint8(10), uint16(0))
			f.Add(fr.Data[14:], uint8(13), uint16(0))
			f.Add(fr.Data[14:], uint8(15), uint16(0))
		}
	}
	names := fixtureNames(f)
	o1, o2 := ip4a(192, 0, 2, 1), ip4a(192, 0, 2, 2)
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, cut uint16) {
		var frame []byte
		switch kind % 18 {
		case 0:
			frame = data
		case 1:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 47, 1, data))
		case 2:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 17, 1, udpSeg(o1, o2, 1, vxlanPort, data)))
		case 3:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 17, 1, udpSeg(o1, o2, 1, genevePort, data)))
		case 4:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 4, 1, data))
		case 5:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 41, 1, data))
		case 6:
			frame = ethFrame(macB, macA, 0x86dd, ipv6Packet(ip6a(1), ip6a(2), 47, data))
		case 7:
			frame = ethFrame(macB, macA, 0x8847, data)
		case 8:
			frame = ethFrame(macB, macA, 0x894f, data)
		case 9:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 17, 1, udpSeg(o1, o2, gpePort, mplsPort, data)))
		case 10:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 17, 1, udpSeg(o1, o2, 9000, gtpUPort, data)))
		case 11:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 17, 1, udpSeg(o1, o2, gtpCPort, gtpCPort, data)))
		case 12:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 17, 1, udpSeg(o1, o2, gtpPrimePort, gtpPrimePort, data)))
		case 13:
			frame = ethFrame(macB, macA, 0x88e7, data)
		case 14:
			frame = ethFrame(macB, macA, 0x8100, vlanTag(5, 0x8926, data))
		case 15:
			frame = append(ethFrame(macB, macA, 0x8903, nil), data...)
		case 16:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 47, 1, append([]byte{0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, data...)))
		case 17:
			frame = ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 47, 1, greHdr(0, 0x8200, 0, 0, data)))
		}
		orig := len(frame)
		if c := int(cut); c > 0 && c < len(frame) {
			frame = frame[:c]
		}
		d := New()
		d.SetMACNames(names, true)
		var p Packet
		var sink bytes.Buffer
		for i := 1; i <= 2; i++ {
			fr := pcapread.Frame{Number: i, Time: int64(i) * 1000, Precision: 9, OrigLen: orig,
				LinkType: pcapread.LinkEthernet, Data: frame}
			d.Dissect(&fr, &p)
			renderAll(t, &p, &sink)
		}
	})
}
