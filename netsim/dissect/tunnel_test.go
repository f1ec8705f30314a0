package dissect

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/pcapread"
)

// Frame builders for the tunnel tests: well-formed headers with the
// lengths and checksums filled in.

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0x0a}
	macB = []byte{0x02, 0, 0, 0, 0, 0x0b}
	macC = []byte{0x02, 0, 0, 0, 0, 0x0c}
	macD = []byte{0x02, 0, 0, 0, 0, 0x0d}
)

func ip4a(a, b, c, d byte) []byte { return []byte{a, b, c, d} }

func ip6a(last byte) []byte {
	a := make([]byte, 16)
	a[0], a[1], a[15] = 0xfd, 0x00, last
	return a
}

func ethFrame(dst, src []byte, typ uint16, payload []byte) []byte {
	b := append(append(append([]byte{}, dst...), src...), byte(typ>>8), byte(typ))
	return append(b, payload...)
}

func vlanTag(id uint16, typ uint16, payload []byte) []byte {
	return append([]byte{byte(id >> 8), byte(id), byte(typ >> 8), byte(typ)}, payload...)
}

func inetSum(parts ...[]byte) uint16 {
	var all []byte
	for _, p := range parts {
		all = append(all, p...)
	}
	return icmpChecksum(all, nil, nil)
}

func ipv4Packet(src, dst []byte, proto uint8, id uint16, payload []byte) []byte {
	h := make([]byte, 20)
	h[0], h[8], h[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:], id)
	copy(h[12:], src)
	copy(h[16:], dst)
	binary.BigEndian.PutUint16(h[10:], inetSum(h))
	return append(h, payload...)
}

func ipv6Packet(src, dst []byte, next uint8, payload []byte) []byte {
	h := make([]byte, 40)
	h[0], h[6], h[7] = 0x60, next, 64
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	copy(h[8:], src)
	copy(h[24:], dst)
	return append(h, payload...)
}

// pseudoSum returns the transport checksum of seg with an IPv4 (4-byte
// addresses) or IPv6 pseudo-header.
func pseudoSum(src, dst []byte, proto uint8, seg []byte) uint16 {
	var ph []byte
	ph = append(append(ph, src...), dst...)
	if len(src) == 4 {
		ph = append(ph, 0, proto, byte(len(seg)>>8), byte(len(seg)))
	} else {
		ph = binary.BigEndian.AppendUint32(ph, uint32(len(seg)))
		ph = append(ph, 0, 0, 0, proto)
	}
	return inetSum(ph, seg)
}

func udpSeg(src, dst []byte, sp, dp uint16, payload []byte) []byte {
	u := make([]byte, 8)
	binary.BigEndian.PutUint16(u, sp)
	binary.BigEndian.PutUint16(u[2:], dp)
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	u = append(u, payload...)
	if len(src) == 16 {
		binary.BigEndian.PutUint16(u[6:], pseudoSum(src, dst, 17, u))
	}
	return u
}

func tcpSegment(src, dst []byte, sp, dp uint16, seq, ack uint32, flags uint8, payload []byte) []byte {
	t := make([]byte, 20)
	binary.BigEndian.PutUint16(t, sp)
	binary.BigEndian.PutUint16(t[2:], dp)
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12], t[13] = 5<<4, flags
	binary.BigEndian.PutUint16(t[14:], 64240)
	t = append(t, payload...)
	binary.BigEndian.PutUint16(t[16:], pseudoSum(src, dst, 6, t))
	return t
}

func icmpEcho(typ uint8, id, seq uint16, data []byte) []byte {
	b := []byte{typ, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq)}
	b = append(b, data...)
	binary.BigEndian.PutUint16(b[2:], inetSum(b))
	return b
}

func icmpv6Echo(src, dst []byte, typ uint8, id, seq uint16, data []byte) []byte {
	b := []byte{typ, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq)}
	b = append(b, data...)
	binary.BigEndian.PutUint16(b[2:], pseudoSum(src, dst, 58, b))
	return b
}

func arpRequest(sha, spa, tpa []byte) []byte {
	b := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	b = append(append(b, sha...), spa...)
	b = append(append(b, 0, 0, 0, 0, 0, 0), tpa...)
	return b
}

// greHdr builds a GRE header with the optional fields its flags ask for;
// with a checksum, it covers payload too.
func greHdr(flags, proto uint16, key, seq uint32, payload []byte) []byte {
	h := []byte{byte(flags >> 8), byte(flags), byte(proto >> 8), byte(proto)}
	if flags&(GREChecksum|GRERouting) != 0 {
		h = append(h, 0, 0, 0, 0)
	}
	if flags&GREKey != 0 {
		h = binary.BigEndian.AppendUint32(h, key)
	}
	if flags&GRESequence != 0 {
		h = binary.BigEndian.AppendUint32(h, seq)
	}
	h = append(h, payload...)
	if flags&GREChecksum != 0 {
		binary.BigEndian.PutUint16(h[4:], inetSum(h))
	}
	return h
}

func vxlanHdr(vni uint32, payload []byte) []byte {
	h := []byte{0x08, 0, 0, 0}
	h = binary.BigEndian.AppendUint32(h, vni<<8)
	return append(h, payload...)
}

func geneveHdr(proto uint16, vni uint32, opts, payload []byte) []byte {
	h := []byte{byte(len(opts) / 4), 0, byte(proto >> 8), byte(proto)}
	if len(opts) > 0 && opts[2]&0x80 != 0 {
		h[1] = 0x40
	}
	h = binary.BigEndian.AppendUint32(h, vni<<8)
	return append(append(h, opts...), payload...)
}

// tunnelFrames returns the frames of the tunnel test capture: every kind
// of tunnel netsim decodes, carrying TCP (a handshake whose segments take
// different tunnels, so the analysis must key on the inner flow), UDP,
// ICMP echoes, ARP and nested tunnels, and a few cut-short headers.
func tunnelFrames() [][]byte {
	o1, o2 := ip4a(192, 0, 2, 1), ip4a(192, 0, 2, 2)
	o61, o62 := ip6a(0x61), ip6a(0x62)
	i1, i2 := ip4a(10, 1, 0, 1), ip4a(10, 1, 0, 2)
	i61, i62 := ip6a(1), ip6a(2)
	ping := []byte("abcdefghijklmnopqrstuvwxyz012345")
	outer4 := func(proto uint8, id uint16, payload []byte) []byte {
		return ethFrame(macB, macA, 0x0800, ipv4Packet(o1, o2, proto, id, payload))
	}
	back4 := func(proto uint8, id uint16, payload []byte) []byte {
		return ethFrame(macA, macB, 0x0800, ipv4Packet(o2, o1, proto, id, payload))
	}
	syn := ipv4Packet(i1, i2, 6, 1, tcpSegment(i1, i2, 40000, 33333, 1000, 0, 0x02, nil))
	synAck := ipv4Packet(i2, i1, 6, 2, tcpSegment(i2, i1, 33333, 40000, 5000, 1001, 0x12, nil))
	ack := ipv4Packet(i1, i2, 6, 3, tcpSegment(i1, i2, 40000, 33333, 1001, 5001, 0x10, nil))
	data := ipv4Packet(i1, i2, 6, 4, tcpSegment(i1, i2, 40000, 33333, 1001, 5001, 0x18, []byte("hello, tunnel\n")))
	dataAgain := ipv4Packet(i1, i2, 6, 5, tcpSegment(i1, i2, 40000, 33333, 1001, 5001, 0x18, []byte("hello, tunnel\n")))
	inEth := func(typ uint16, payload []byte) []byte { return ethFrame(macD, macC, typ, payload) }
	var fs [][]byte
	add := func(b []byte) { fs = append(fs, b) }

	// IP in IP: the handshake's SYN, IPv6 in IPv4, IPv4 in IPv6.
	add(outer4(4, 10, syn))
	add(outer4(41, 11, ipv6Packet(i61, i62, 58, icmpv6Echo(i61, i62, 128, 7, 1, ping))))
	add(ethFrame(macB, macA, 0x86dd, ipv6Packet(o61, o62, 4, ipv4Packet(i1, i2, 17, 6, udpSeg(i1, i2, 5000, 9999, []byte("udp in ip6"))))))
	// GRE: the SYN-ACK, then echoes, then every optional field.
	add(back4(47, 20, greHdr(0, 0x0800, 0, 0, synAck)))
	add(outer4(47, 21, greHdr(0, 0x0800, 0, 0, ipv4Packet(i1, i2, 1, 7, icmpEcho(8, 0x77, 1, ping)))))
	add(back4(47, 22, greHdr(0, 0x0800, 0, 0, ipv4Packet(i2, i1, 1, 8, icmpEcho(0, 0x77, 1, ping)))))
	add(outer4(47, 23, greHdr(GREChecksum|GREKey|GRESequence, 0x86dd, 0x01020304, 42,
		ipv6Packet(i61, i62, 17, udpSeg(i61, i62, 5001, 9999, []byte("gre6"))))))
	add(ethFrame(macB, macA, 0x86dd, ipv6Packet(o61, o62, 47, greHdr(GREKey, 0x6558, 7, 0,
		inEth(0x0806, arpRequest(macC, i1, i2))))))
	add(outer4(47, 24, greHdr(0, 0x1234, 0, 0, []byte{1, 2, 3, 4, 5, 6, 7, 8})))
	add(outer4(47, 25, greHdr(0, 0x0000, 0, 0, nil)))
	// ERSPAN type I, II, III: the ACK, data, and a VLAN-tagged echo.
	add(outer4(47, 30, greHdr(0, 0x88be, 0, 0, inEth(0x0800, ack))))
	e2 := []byte{0x10, 0x64, 0x10, 0x65, 0, 0, 0x12, 0x34}
	add(outer4(47, 31, greHdr(GRESequence, 0x88be, 0, 7, append(e2, inEth(0x0800, data)...))))
	e3 := []byte{0x20, 0x14, 0x00, 0x00, 0xa3, 0x59, 0x5b, 0xff, 0, 0, 0x00, 0x06}
	add(outer4(47, 32, greHdr(0, 0x22eb, 0, 0, append(e3, inEth(0x8100, vlanTag(20, 0x0800, ipv4Packet(i1, i2, 1, 9, icmpEcho(8, 0x78, 2, ping))))...))))
	// VXLAN and Geneve: the data again (a retransmission of the inner
	// flow), UDP over IPv6 in Geneve with an option, ICMP in Geneve.
	add(outer4(17, 40, udpSeg(o1, o2, 50000, vxlanPort, vxlanHdr(100, inEth(0x0800, dataAgain)))))
	opt := []byte{0x00, 0x00, 0x80, 0x01, 0, 0, 0, 0x0c}
	add(outer4(17, 41, udpSeg(o1, o2, 50001, genevePort, geneveHdr(0x6558, 10, opt,
		inEth(0x86dd, ipv6Packet(i61, i62, 17, udpSeg(i61, i62, 5002, 9999, []byte("geneve6"))))))))
	add(outer4(17, 42, udpSeg(o1, o2, 50002, genevePort, geneveHdr(0x0800, 11, nil, ipv4Packet(i1, i2, 1, 10, icmpEcho(8, 0x79, 3, ping))))))
	// Nested: VXLAN inside GRE.
	add(outer4(47, 50, greHdr(0, 0x0800, 0, 0, ipv4Packet(ip4a(172, 16, 0, 1), ip4a(172, 16, 0, 2), 17, 51,
		udpSeg(ip4a(172, 16, 0, 1), ip4a(172, 16, 0, 2), 50003, vxlanPort, vxlanHdr(200, inEth(0x0800, ipv4Packet(i2, i1, 1, 11, icmpEcho(0, 0x79, 3, ping)))))))))
	// The lower port decides: VXLAN from 4789 to 6081.
	add(outer4(17, 43, udpSeg(o1, o2, vxlanPort, genevePort, vxlanHdr(300, inEth(0x0806, arpRequest(macC, i1, i2))))))
	// Cut short: a VXLAN header of 4 bytes, a GRE header whose key is
	// missing.
	add(outer4(17, 44, udpSeg(o1, o2, 50004, vxlanPort, []byte{0x08, 0, 0, 0})))
	add(outer4(47, 45, []byte{0x20, 0x00, 0x08, 0x00, 0x01}))
	add(outer4(17, 46, udpSeg(o1, o2, 50005, genevePort, []byte{0x00, 0x00, 0x65, 0x58, 0, 0})))
	add(outer4(47, 47, greHdr(GRESequence, 0x88be, 0, 8, []byte{0x10, 0x64, 0x10})))
	// MPLS: two labels over Ethernet, one over UDP, the router alert
	// label in GRE.
	icmpIn := ipv4Packet(i1, i2, 1, 12, icmpEcho(8, 0x7a, 4, ping))
	add(ethFrame(macB, macA, 0x8847, append([]byte{0x00, 0x01, 0x40, 0x40, 0x00, 0x02, 0x11, 0x3f}, icmpIn...)))
	add(outer4(17, 48, udpSeg(o1, o2, 50006, mplsPort, append([]byte{0x00, 0x01, 0x51, 0x3f}, icmpIn...))))
	// NSH (MD type 1) over Ethernet and in VXLAN-GPE; GPE carrying
	// Ethernet.
	nshHdr := []byte{0x00, 0x06, 0x01, 0x01, 0x00, 0x03, 0x09, 0x07, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4}
	add(ethFrame(macB, macA, 0x894f, append(append([]byte{}, nshHdr...), icmpIn...)))
	gpe := []byte{0x0c, 0, 0, 4, 0, 0, 0x2a, 0}
	add(outer4(17, 50, udpSeg(o1, o2, gpePort, gpePort, append(append(gpe, nshHdr...), icmpIn...))))
	add(outer4(17, 51, udpSeg(o1, o2, 50007, gpePort, append([]byte{0x0c, 0, 0, 3, 0, 0, 0x2b, 0}, inEth(0x0800, icmpIn)...))))
	// An ICMP error quoting a GRE packet: tshark decodes the quoted GRE
	// and what it carries.
	quoted := ipv4Packet(o1, o2, 47, 52, greHdr(0, 0x0800, 0, 0, ipv4Packet(i1, i2, 17, 13, udpSeg(i1, i2, 1000, 2000, []byte("abcd")))))
	icmpErr := append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, quoted[:20+4+20+8]...)
	binary.BigEndian.PutUint16(icmpErr[2:], inetSum(icmpErr))
	add(back4(1, 53, icmpErr))
	// Cut by a snap length (tunnelCuts) inside the inner IPv4 header:
	// before its source address (the columns stay the outer ones), and
	// after it in VXLAN.
	add(outer4(47, 54, greHdr(0, 0x0800, 0, 0, synAck)))
	add(outer4(17, 55, udpSeg(o1, o2, 50008, vxlanPort, vxlanHdr(100, inEth(0x0800, dataAgain)))))
	add(outer4(47, 49, greHdr(0, 0x8847, 0, 0, append([]byte{0x00, 0x00, 0x11, 0x40}, ipv6Packet(i61, i62, 17, udpSeg(i61, i62, 5003, 9999, []byte("mpls6")))...))))
	return fs
}

func tunnelCapture(t testing.TB) []byte {
	t.Helper()
	return tunnelCaptureOf(tunnelFrames())
}

// tunnelCuts are the frames of tunnelFrames a snap length cuts: frame
// number and captured length.
var tunnelCuts = map[int]int{29: 14 + 20 + 4 + 10, 30: 14 + 20 + 8 + 8 + 14 + 16}

// tunnelCaptureOf returns a pcap file of Ethernet frames, one a second,
// cut as tunnelCuts says.
func tunnelCaptureOf(frames [][]byte) []byte {
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
		binary.LittleEndian.PutUint32(rec[4:], uint32(1000*i))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(f)))
		if c, ok := tunnelCuts[i+1]; ok && c < len(f) {
			f = f[:c]
		}
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f)))
		b.Write(rec)
		b.Write(f)
	}
	return b.Bytes()
}

// tunnelFields are the fields TestTunnelsMatchTshark compares: several
// occurrences of a field (outer and inner IP) print comma-separated.
var tunnelFields = []string{
	"frame.protocols", "eth.src", "eth.dst", "vlan.id", "ip.src", "ip.dst", "ip.addr", "ip.proto", "ipv6.src", "ipv6.nxt",
	"tcp.stream", "tcp.seq", "tcp.ack", "tcp.len", "tcp.analysis.acks_frame",
	"udp.stream", "udp.port", "icmp.type", "data.len",
	"gre.proto", "gre.flags_and_version", "gre.flags.key", "gre.key", "gre.sequence_number", "gre.checksum", "gre.offset",
	"erspan.version", "erspan.vlan", "erspan.spanid", "erspan.index", "erspan.timestamp", "erspan.ft", "erspan.bso",
	"vxlan.flags", "vxlan.vni", "vxlan.gbp", "geneve.version", "geneve.flags", "geneve.proto_type", "geneve.vni",
	"geneve.options", "geneve.option.class", "mpls.label", "mpls.exp", "mpls.bottom", "mpls.ttl",
	"vxlan.next_proto", "nsh.spi", "nsh.si", "nsh.nextproto", "nsh.mdtype",
}

// TestTunnelsMatchTshark checks that every summary line and the tunnel
// fields of a capture of tunnels (tunnelFrames) equal tshark 4.0's: live
// unless -short, against the recorded testdata/tunnel.summary and
// tunnel.fields otherwise (-update rewrites them from tshark).
func TestTunnelsMatchTshark(t *testing.T) {
	checkCaptureMatchesTshark(t, "tunnel", "TestTunnelsMatchTshark", tunnelCapture(t), tunnelFields, func(p *Packet, field string) bool {
		// Wireshark registers vxlan.flags twice, 16 bits for VXLAN and 8
		// for GPE; netsim's field has one width, so GPE's flags print as
		// 0x000c where tshark prints 0x0c.
		return field == "vxlan.flags" && p.Tunnel != nil && p.Tunnel.VXLAN.GPE
	})
}

// checkCaptureMatchesTshark checks that every summary line of capture and
// its fields equal tshark 4.0's: live unless -short, against the goldens
// testdata/NAME.summary and NAME.fields otherwise (-update rewrites them
// and testdata/NAME.pcap from tshark; test is the test to run for that).
// skip, if not nil, names a field of a frame that netsim prints otherwise
// on purpose.
func checkCaptureMatchesTshark(t *testing.T, name, test string, capture []byte, fields []string, skip func(p *Packet, field string) bool) {
	t.Helper()
	live := !testing.Short() || *update
	var wantSum, wantFields []string
	if live {
		tsharktest.Path(t)
		file := t.TempDir() + "/" + name + ".pcap"
		if err := os.WriteFile(file, capture, 0o644); err != nil {
			t.Fatal(err)
		}
		wantSum = strings.Split(strings.TrimSuffix(tsharktest.Run(t, "-r", file), "\n"), "\n")
		wantFields = tsharkFields(t, file, fields...)
		if *update {
			if err := os.WriteFile("testdata/"+name+".pcap", capture, 0o644); err != nil {
				t.Fatal(err)
			}
			writeLines(t, "testdata/"+name+".summary", wantSum)
			writeLines(t, "testdata/"+name+".fields", wantFields)
		}
	} else {
		wantSum, wantFields = readLines(t, "testdata/"+name+".summary"), readLines(t, "testdata/"+name+".fields")
	}
	if b, err := os.ReadFile("testdata/" + name + ".pcap"); err != nil || !bytes.Equal(b, capture) {
		t.Errorf("testdata/%s.pcap is not the test's capture (%v): run go test -run %s -update", name, err, test)
	}
	r, err := pcapread.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	d.SetMACNames(fixtureNames(t), true)
	var p Packet
	for i := 0; ; i++ {
		f, err := r.Next()
		if err != nil {
			if i != len(wantSum) || i != len(wantFields) {
				t.Fatalf("%d frames, tshark %d lines and %d rows (%v)", i, len(wantSum), len(wantFields), err)
			}
			break
		}
		if i >= len(wantSum) || i >= len(wantFields) {
			t.Fatalf("more frames than tshark's %d", len(wantSum))
		}
		d.Dissect(f, &p)
		if got := Summary(&p); got != wantSum[i] {
			t.Errorf("frame %d summary:\n ours:   %s\n tshark: %s", i+1, got, wantSum[i])
		}
		want := strings.Split(wantFields[i], "\t")
		for j, field := range fields {
			if skip != nil && skip(&p, field) {
				continue
			}
			if got := FieldString(&p, field); j < len(want) && got != want[j] {
				t.Errorf("frame %d %s: ours %q, tshark %q", i+1, field, got, want[j])
			}
		}
	}
}

// TestTunnelTreeMatchesTshark checks that every line Tree writes for the
// tunnel capture is a line tshark -V writes for the same frame, in the
// same order (the tree leaves out what netsim does not decode).
func TestTunnelTreeMatchesTshark(t *testing.T) { checkTreeMatchesTshark(t, "testdata/tunnel.pcap") }

// checkTreeMatchesTshark checks that every line Tree writes for the frames
// of file is a line tshark -V writes for the same frame, in the same order.
func checkTreeMatchesTshark(t *testing.T, file string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs tshark")
	}
	tsharktest.Path(t)
	want := splitFrames(tsharktest.Run(t, "-r", file, "-V"))
	frames, err := pcapread.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != len(want) {
		t.Fatalf("%d frames, tshark printed %d", len(frames), len(want))
	}
	d := New()
	d.SetMACNames(SystemMACNames(), true)
	var p Packet
	for i := range frames {
		d.Dissect(&frames[i], &p)
		var sb strings.Builder
		if err := Tree(&sb, &p); err != nil {
			t.Fatal(err)
		}
		j := 0
		for _, line := range strings.Split(strings.TrimRight(sb.String(), "\n"), "\n") {
			for j < len(want[i]) && want[i][j] != line {
				j++
			}
			if j == len(want[i]) {
				t.Errorf("frame %d: line %q is not tshark's (or out of order)", i+1, line)
				break
			}
			j++
		}
	}
}

// splitFrames splits tshark -V output into each frame's lines.
func splitFrames(out string) [][]string {
	var frames [][]string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Frame ") {
			frames = append(frames, nil)
		}
		if line != "" && len(frames) > 0 {
			frames[len(frames)-1] = append(frames[len(frames)-1], line)
		}
	}
	return frames
}

// writeLines writes a golden file of lines.
func writeLines(t *testing.T, name string, lines []string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readLines reads a golden file written by writeLines.
func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
