package dissect

import (
	"encoding/binary"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// frameOf wraps an Ethernet payload of EtherType typ in a frame.
func frameOf(typ uint16, payload []byte) pcapread.Frame {
	b := make([]byte, 14, 14+len(payload))
	copy(b, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], typ)
	b = append(b, payload...)
	return pcapread.Frame{Number: 1, LinkType: pcapread.LinkEthernet, Data: b, OrigLen: len(b)}
}

// ipv4UDP is an IPv4 header and a UDP datagram carrying data.
func ipv4UDP(sport, dport uint16, data []byte) []byte {
	b := make([]byte, 28, 28+len(data))
	b[0], b[8], b[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(b[2:], uint16(28+len(data)))
	copy(b[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(data)))
	return append(b, data...)
}

// TestDataOnlyWhereTsharkHasNoDissector checks which payloads netsim
// hands to data: those tshark 4.0 gives no dissector.
func TestDataOnlyWhereTsharkHasNoDissector(t *testing.T) {
	payload := []byte("0123456789")
	for _, c := range []struct {
		name string
		f    pcapread.Frame
		data bool
	}{
		{"unknown EtherType", frameOf(0x3030, payload), true},
		{"AoE", frameOf(0x88a2, payload), false},
		{"UDP on unregistered ports", frameOf(0x0800, ipv4UDP(40000, 40001, payload)), true},
		{"RADIUS", frameOf(0x0800, ipv4UDP(40000, 1812, payload)), false},
		{"UDP 5000 (tapa rejects other payloads)", frameOf(0x0800, ipv4UDP(5000, 9999, payload)), true},
		{"RX too short", frameOf(0x0800, ipv4UDP(7000, 7000, payload)), true},
		{"802.11 link type", pcapread.Frame{Number: 1, LinkType: 127, Data: payload, OrigLen: len(payload)}, false},
		{"SLIP link type", pcapread.Frame{Number: 1, LinkType: 8, Data: payload, OrigLen: len(payload)}, true},
	} {
		var p Packet
		New().Dissect(&c.f, &p)
		if got := p.Has(ProtoData); got != c.data {
			t.Errorf("%s: data = %v, want %v", c.name, got, c.data)
		}
	}
}

func TestWSMalformedAndSackPerm(t *testing.T) {
	// A UDP length beyond the IP payload on a whole frame: tshark's
	// "[Malformed Packet]".
	b := ipv4UDP(40000, 40001, []byte("abcd"))
	var p Packet
	f := frameOf(0x0800, b)
	New().Dissect(&f, &p)
	if got := FieldString(&p, "_ws.malformed"); got != "" {
		t.Errorf("well-formed frame: _ws.malformed %q", got)
	}
	if n := len(Lookup("_ws.malformed").Values(&p, nil)); n != 0 {
		t.Errorf("well-formed frame: %d _ws.malformed values", n)
	}
	f.Data = f.Data[:len(f.Data)-2]
	f.OrigLen = len(f.Data)
	New().Dissect(&f, &p)
	if p.MalformedMark() != (len(Lookup("_ws.malformed").Values(&p, nil)) == 1) {
		t.Errorf("_ws.malformed disagrees with MalformedMark")
	}
	sp := Lookup("tcp.options.sack_perm")
	if sp == nil {
		t.Fatal("no tcp.options.sack_perm")
	}
}

// linkSeeds are FuzzDissect seeds for the link types of linktypes.go, in
// the order of its links list (from index 8): PPP, Cisco HDLC, Frame
// Relay, ARCNET, PKTAP (USER2), ipnet, NFLOG, IPoIB, PKTAP, Juniper.
var linkSeeds = func() [][]byte {
	ip := ipv4UDP(40000, 53, []byte("0123456789ab"))
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	pktap := make([]byte, 108)
	pktap[0], pktap[4] = 108, 1
	eth := frameOf(0x0800, ip).Data
	nflog := []byte{2, 0, 0, 0, byte(4 + len(ip)), 0, 9, 0}
	return [][]byte{
		cat([]byte{0xff, 0x03, 0x00, 0x21}, ip),
		cat([]byte{0x0f, 0x00, 0x08, 0x00}, ip),
		cat([]byte{0x48, 0xe1, 0x03, 0xcc}, ip),
		cat([]byte{0xbe, 0x00, 0, 0, 0xd4, 0, 0, 1}, ip),
		cat(pktap, eth),
		cat([]byte{1, 2}, make([]byte, 22), ip),
		cat(nflog, ip),
		cat(make([]byte, 40), []byte{8, 0, 0, 0}, ip),
		cat(pktap, eth),
		cat([]byte("MGC\x80\x00\x02\x01\x02"), eth),
	}
}()

// TestOtherLinkTypes decodes IP over the link types of linktypes.go.
func TestOtherLinkTypes(t *testing.T) {
	links := []pcapread.LinkType{linkPPP, linkCHDLC, linkFrelay, linkARCNET, linkUser2, linkIPNET, linkNFLOG, linkIPoIB, linkPKTAP, linkJunEth}
	want := []string{"ppp:ip:udp", "chdlc:ip:udp", "fr:ip:udp", "arcnet:ip:udp", "pktap:pcap_pktdata:eth:ethertype:ip:udp",
		"ipnet:ip:udp", "nflog:ip:udp", "ipoib:ip:udp", "pktap:pcap_pktdata:eth:ethertype:ip:udp", "juniper:eth:ethertype:ip:udp"}
	for i, seed := range linkSeeds {
		f := pcapread.Frame{Number: 1, LinkType: links[i], Data: seed, OrigLen: len(seed)}
		var p Packet
		New().Dissect(&f, &p)
		if got := FieldString(&p, "frame.protocols"); !strings.HasPrefix(got, want[i]) {
			t.Errorf("link type %d: frame.protocols %q, want %s...", links[i], got, want[i])
		}
		if !p.Has(ProtoUDP) || p.UDP.DstPort != 53 {
			t.Errorf("link type %d: no UDP to port 53", links[i])
		}
	}
}

// TestIPPresentOnBogusHeader checks that the ip and ipv6 filters select a
// frame whose header their dissector rejected, as tshark's do.
func TestIPPresentOnBogusHeader(t *testing.T) {
	for _, c := range []struct {
		name, field string
		typ         uint16
		hdr         []byte
	}{
		{"IPv4 header length 16", "ip", 0x0800, append([]byte{0x44}, make([]byte, 23)...)},
		{"IPv4 total length 19", "ip", 0x0800, append([]byte{0x45, 0, 0, 19}, make([]byte, 20)...)},
		{"IPv6 version 4", "ipv6", 0x86dd, append([]byte{0x40}, make([]byte, 47)...)},
	} {
		f := frameOf(c.typ, c.hdr)
		var p Packet
		New().Dissect(&f, &p)
		if n := len(Lookup(c.field).Values(&p, nil)); n != 1 {
			t.Errorf("%s: %d values of %s, want 1", c.name, n, c.field)
		}
	}
}

// TestDuplicateSynAckIsRetransmission: an exact copy of the SYN-ACK is a
// retransmission, and -T fields prints a present label field as "1", as
// tshark 4.0 does (issue #15: it printed nothing).
func TestDuplicateSynAckIsRetransmission(t *testing.T) {
	frames, err := pcapread.ReadFile("testdata/linux-lo-tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	var p Packet
	for i, f := range []pcapread.Frame{frames[0], frames[1], frames[1]} {
		f.Number = i + 1
		d.Dissect(&f, &p)
	}
	if p.TCP.Flags&(thSYN|thACK) != thSYN|thACK {
		t.Fatalf("frame 2 of linux-lo-tcp.pcap is not the SYN-ACK: flags %#x", p.TCP.Flags)
	}
	for _, name := range []string{"tcp.analysis.retransmission", "tcp.analysis.flags"} {
		if got := FieldString(&p, name); got != "1" {
			t.Errorf("%s = %q, want 1", name, got)
		}
	}
	if !strings.HasPrefix(p.Info(), "[TCP Retransmission] ") {
		t.Errorf("Info %q", p.Info())
	}
}
