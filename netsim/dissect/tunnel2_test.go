package dissect

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// gtpHdr returns a GTPv1 header with the given flags (GTPExt, GTPSeq,
// GTPNPDU), message type and TEID before payload; with any optional flag
// it has sequence number seq, N-PDU number 0 and the extension headers
// ext (each a whole header with its length and next-type byte), whose
// first type is next.
func gtpHdr(flags, typ uint8, teid uint32, seq uint16, next uint8, ext, payload []byte) []byte {
	h := []byte{0x30 | flags, typ, 0, 0}
	h = binary.BigEndian.AppendUint32(h, teid)
	if flags != 0 {
		h = binary.BigEndian.AppendUint16(h, seq)
		h = append(h, 0, next)
		h = append(h, ext...)
	}
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)-8+len(payload)))
	return append(h, payload...)
}

// tunnel2Frames are Ethernet frames of the encapsulations of gtp.go,
// l2tags.go and PPP over enhanced GRE, each carrying a packet netsim
// decodes.
func tunnel2Frames() [][]byte {
	o1, o2 := ip4a(192, 0, 2, 1), ip4a(192, 0, 2, 2)
	i1, i2 := ip4a(10, 1, 0, 1), ip4a(10, 1, 0, 2)
	i61, i62 := ip6a(1), ip6a(2)
	ping := []byte("0123456789abcdef")
	icmpIn := ipv4Packet(i1, i2, 1, 12, icmpEcho(8, 0x7a, 4, ping))
	syn := ipv4Packet(i1, i2, 6, 3, tcpSegment(i1, i2, 40000, 80, 1000, 0, 0x02, nil))
	outer := func(id uint16, sp, dp uint16, payload []byte) []byte {
		return ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 17, id, udpSeg(o1, o2, sp, dp, payload)))
	}
	var fs [][]byte
	add := func(f []byte) { fs = append(fs, f) }
	// GTP-U: a plain T-PDU, one with a sequence number, one with a PDCP
	// extension header, IPv6 inside, a payload that is not IP, an echo
	// request on GTP-C, a different source port, and GTP inside GTP
	// (not decoded again).
	add(outer(1, gtpUPort, gtpUPort, gtpHdr(0, 0xff, 0x11223344, 0, 0, nil, syn)))
	add(outer(2, gtpUPort, gtpUPort, gtpHdr(GTPSeq, 0xff, 0x11223344, 7, 0, nil, icmpIn)))
	add(outer(3, 9000, gtpUPort, gtpHdr(GTPExt|GTPSeq, 0xff, 0x55, 8, 0xc0, []byte{1, 0x09, 0x04, 0}, icmpIn)))
	add(outer(4, gtpUPort, gtpUPort, gtpHdr(0, 0xff, 0x66, 0, 0, nil,
		ipv6Packet(i61, i62, 17, udpSeg(i61, i62, 40001, 40002, []byte("gtp6"))))))
	add(outer(5, gtpUPort, gtpUPort, gtpHdr(0, 0xff, 0x77, 0, 0, nil, append([]byte{0x7f}, bytes.Repeat([]byte{0xd5}, 60)...))))
	add(outer(6, gtpCPort, gtpCPort, gtpHdr(GTPSeq, 1, 0, 9, 0, nil, []byte{14, 0})))
	add(outer(7, 5906, gtpUPort, gtpHdr(0, 0xff, 0x88, 0, 0, nil,
		ipv4Packet(i1, i2, 17, 4, udpSeg(i1, i2, gtpUPort, gtpUPort, []byte("not gtp again"))))))
	// 802.1ah after a VLAN tag, VN-Tag before one.
	pbb := append([]byte{0x00, 0x1e, 0xbb, 0x30}, macC...)
	pbb = append(append(pbb, macD...), 0x08, 0x00)
	add(ethFrame(macB, macA, 0x8100, vlanTag(4051, 0x88e7, append(pbb, icmpIn...))))
	vn := []byte{0x80, 0x05, 0x90, 0x03, 0x81, 0x00}
	add(ethFrame(macB, macA, 0x8926, append(vn, vlanTag(11, 0x0800, icmpIn)...)))
	// FabricPath: the outer addresses, the tag, the customer frame and
	// an FCS.
	cfp := ethFrame([]byte{0x01, 0x0f, 0xff, 0xc1, 0x01, 0xf4}, []byte{0x02, 0x0e, 0xbf, 0x4e, 0x52, 0x1d}, 0x8903, []byte{0x00, 0x3f})
	cfp = append(cfp, ethFrame(macD, macC, 0x0800, icmpIn)...)
	add(append(cfp, 0xde, 0xad, 0xbe, 0xef))
	// PPP in enhanced GRE (PPTP): key (payload length, call ID),
	// sequence and acknowledgment numbers.
	ppp := append([]byte{0xff, 0x03, 0x00, 0x21}, icmpIn...)
	gre := []byte{0x30, 0x81, 0x88, 0x0b, byte(len(ppp) >> 8), byte(len(ppp)), 0x17, 0x80, 0, 6, 0x8f, 0xb1, 0, 8, 0x3a, 0x76}
	add(ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 47, 8, append(gre, ppp...))))
	// An Aruba GRE 802.11 QoS data frame whose A-MSDU has two
	// subframes, an echo request and an echo reply.
	wlan := append([]byte{0x88, 0x02, 0, 0}, macC...)
	wlan = append(append(append(wlan, macD...), macD...), 0, 0, 0x80, 0x00)
	for i, pkt := range [][]byte{icmpIn, ipv4Packet(i2, i1, 1, 13, icmpEcho(0, 0x7a, 4, ping))} {
		llc := append([]byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, pkt...)
		wlan = append(append(append(wlan, macC...), macD...), byte(len(llc)>>8), byte(len(llc)))
		wlan = append(wlan, llc...)
		for i == 0 && len(wlan)%4 != 2 { // the subframes start 4-aligned after the 26-byte header
			wlan = append(wlan, 0)
		}
	}
	add(ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, 47, 9, greHdr(0, 0x8200, 0, 0, wlan))))
	return fs
}

// tunnel2Fields are the fields TestTunnels2MatchTshark compares.
var tunnel2Fields = []string{
	"frame.protocols", "eth.src", "eth.dst", "vlan.id", "ip.src", "ip.dst", "ipv6.src", "udp.port", "icmp.type", "tcp.seq", "data.len",
	"gtp.flags", "gtp.message", "gtp.length", "gtp.teid", "gtp.seq_number", "gtp.ext_hdr.next", "gtp.ext_hdr.length",
	"gtp.ext_hdr.pdcp_sn", "gtp.flags.e", "gtp.flags.s",
	"ieee8021ah.isid", "ieee8021ah.cdst", "ieee8021ah.csrc", "ieee8021ah.etype", "ieee8021ah.priority",
	"vntag.dir", "vntag.dst", "vntag.src", "vntag.version", "vntag.etype",
	"cfp.ftag", "cfp.ttl", "gre.proto", "gre.key.call_id",
}

// captureOf returns a pcap file of Ethernet frames, one a second.
func captureOf(frames [][]byte) []byte {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b.Write(hdr)
	for i, f := range frames {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec, uint32(1700000000+i))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(f)))
		b.Write(rec)
		b.Write(f)
	}
	return b.Bytes()
}

// TestTunnels2MatchTshark checks the summary lines and fields of
// tunnel2Frames against tshark 4.0's: live unless -short, against the
// recorded testdata/tunnel2.summary and tunnel2.fields otherwise
// (-update rewrites them from tshark).
func TestTunnels2MatchTshark(t *testing.T) {
	checkCaptureMatchesTshark(t, "tunnel2", "TestTunnels2MatchTshark", captureOf(tunnel2Frames()), tunnel2Fields, nil)
}

// TestTunnel2TreeMatchesTshark checks that every line Tree writes for
// tunnel2Frames is a line tshark -V writes for the same frame, in order.
func TestTunnel2TreeMatchesTshark(t *testing.T) { checkTreeMatchesTshark(t, "testdata/tunnel2.pcap") }
