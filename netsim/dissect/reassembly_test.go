package dissect

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// Frames built here exercise what the comparison with tshark on zeek's
// test traces taught the dissector: HTTP reassembly (chunked bodies, a
// hole filled out of order, responses until the FIN, 101 upgrades),
// length-prefixed protocols, STARTTLS, LLC/SNAP, PPPoE and Aruba's
// GRE-tunnelled 802.11. The expected columns are tshark 4.0.17's for the
// same frames (tshark -T fields -e _ws.col.Protocol -e _ws.col.Info):
// with NETSIM_DUMP_PCAP=DIR the test writes them to DIR/reassembly.pcap
// and DIR/encap.pcap.

// testSeg builds an IPv4 TCP segment (no options) from 10.0.0.1:sport to
// 10.0.0.2:dport, or back when back is set.
func testSeg(back bool, sport, dport uint16, seq, ack uint32, flags byte, payload []byte) []byte {
	l4 := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(l4, sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	binary.BigEndian.PutUint32(l4[4:], seq)
	binary.BigEndian.PutUint32(l4[8:], ack)
	l4[12] = 5 << 4
	l4[13] = flags
	binary.BigEndian.PutUint16(l4[14:], 65535)
	l4 = append(l4, payload...)
	return testIPv4(back, 6, l4)
}

// testIPv4 wraps an IP payload of protocol proto between 10.0.0.1 and
// 10.0.0.2 (reversed when back is set).
func testIPv4(back bool, proto byte, payload []byte) []byte {
	ip := []byte{0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	if back {
		copy(ip[12:], []byte{10, 0, 0, 2, 10, 0, 0, 1})
	}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	return append(ip, payload...)
}

// testConn tracks both directions' sequence numbers of a connection from
// the client's port to the server's.
type testConn struct {
	cport, sport uint16
	cseq, sseq   uint32
}

func (f *testConn) open() [][]byte {
	f.cseq, f.sseq = 1, 1001
	return [][]byte{
		testSeg(false, f.cport, f.sport, 0, 0, 0x02, nil),
		testSeg(true, f.sport, f.cport, 1000, 1, 0x12, nil),
		testSeg(false, f.cport, f.sport, 1, 1001, 0x10, nil),
	}
}

// client and server send b in one segment (flags PSH, ACK unless given).
func (f *testConn) client(b []byte) []byte {
	s := testSeg(false, f.cport, f.sport, f.cseq, f.sseq, 0x18, b)
	f.cseq += uint32(len(b))
	return s
}

func (f *testConn) server(b []byte, flags byte) []byte {
	s := testSeg(true, f.sport, f.cport, f.sseq, f.cseq, flags, b)
	f.sseq += uint32(len(b))
	if flags&thFIN != 0 {
		f.sseq++
	}
	return s
}

func reassemblyFrames() [][]byte {
	var fr [][]byte
	h := &testConn{cport: 40000, sport: 80}
	fr = append(fr, h.open()...)
	req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	// A PNG of an IHDR and an IEND chunk (CRCs zero).
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00IEND\x00\x00\x00\x00")
	// A chunked response: every segment shows the first line.
	fr = append(fr, h.client(req),
		h.server([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: image/png\r\n\r\n2d\r\n"), 0x18),
		h.server(png[:10], 0x18),
		h.server(append(png[10:], "\r\n0\r\n\r\n"...), 0x18))
	// A Content-Length response with a lost segment that an out-of-order
	// one fills: the last segment completes it.
	fr = append(fr, h.client(req))
	resp := append([]byte("HTTP/1.1 200 OK\r\nContent-Length: 300\r\nContent-Type: text/plain\r\n\r\n"), bytes.Repeat([]byte{'a'}, 300)...)
	s := h.sseq
	fr = append(fr,
		testSeg(true, 80, 40000, s, h.cseq, 0x10, resp[:100]),
		testSeg(true, 80, 40000, s+200, h.cseq, 0x10, resp[200:250]),
		testSeg(true, 80, 40000, s+100, h.cseq, 0x10, resp[100:200]),
		testSeg(true, 80, 40000, s+250, h.cseq, 0x18, resp[250:]))
	h.sseq += uint32(len(resp))
	// A response with neither Content-Length nor chunking lasts until
	// the FIN; a request with neither has no body.
	fr = append(fr, h.client(req),
		h.server([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":"), 0x18),
		h.server([]byte("1}"), 0x18),
		h.server(nil, 0x11))

	// A 101 upgrade to a protocol tshark does not know: TCP lines after.
	u := &testConn{cport: 40001, sport: 80}
	fr = append(fr, u.open()...)
	fr = append(fr, u.client([]byte("GET /x HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n")),
		u.server([]byte("HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n"), 0x18),
		u.client([]byte("ls\n")), u.server([]byte("a b\n"), 0x18))

	// NBSS on 445: a 3000-byte session message in three segments.
	n := &testConn{cport: 40002, sport: 445}
	fr = append(fr, n.open()...)
	msg := append([]byte{0, 0, 0x0b, 0xb8}, bytes.Repeat([]byte{0xfe}, 3000)...)
	fr = append(fr, n.client(msg[:1000]), n.client(msg[1000:2000]), n.client(msg[2000:]))

	// SMTP STARTTLS: the client's next bytes are TLS.
	m := &testConn{cport: 40003, sport: 25}
	fr = append(fr, m.open()...)
	fr = append(fr, m.server([]byte("220 mx ESMTP\r\n"), 0x18), m.client([]byte("EHLO c\r\n")),
		m.server([]byte("250-mx\r\n250 STARTTLS\r\n"), 0x18), m.client([]byte("STARTTLS\r\n")),
		m.server([]byte("220 2.0.0 Ready to start TLS\r\n"), 0x18), m.client(clientHello()))

	// HTTP text without a line end, then more after a lost segment: the
	// HTTP dissector asks for one more segment each time.
	l := &testConn{cport: 40004, sport: 80}
	fr = append(fr, l.open()...)
	fr = append(fr, l.client([]byte("SEARCH /AAAAAAAA")),
		testSeg(false, 40004, 80, l.cseq+8, l.sseq, 0x18, []byte("dddddddd")),
		testSeg(false, 40004, 80, l.cseq+16, l.sseq, 0x18, []byte("dd\r\n\r\n")))

	// A CONNECT tunnel: the 200 response has no body, TLS follows.
	k := &testConn{cport: 40005, sport: 3128}
	fr = append(fr, k.open()...)
	fr = append(fr, k.client([]byte("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n")),
		k.server([]byte("HTTP/1.1 200 Connection established\r\n\r\n"), 0x18), k.client(clientHello()))

	// Port 9000 is s101's, whose dissector declines this: tshark's HTTP
	// heuristic finds the request.
	h9 := &testConn{cport: 40006, sport: 9000}
	fr = append(fr, h9.open()...)
	fr = append(fr, h9.client(req))

	// Out-of-order copies inside a message already reassembled: one with
	// other bounds and bytes (a reassembly error), one with a segment's
	// bounds and bytes (a retransmission to tshark).
	o := &testConn{cport: 40007, sport: 80}
	fr = append(fr, o.open()...)
	fr = append(fr, o.client(req))
	msg2 := append([]byte("HTTP/1.1 200 OK\r\nContent-Length: 200\r\nContent-Type: text/plain\r\n\r\n"), bytes.Repeat([]byte{'a'}, 200)...)
	s0 := o.sseq
	fr = append(fr, o.server(msg2[:150], 0x10), o.server(msg2[150:], 0x18),
		testSeg(true, 80, 40007, s0+100, o.cseq, 0x10, bytes.Repeat([]byte{'b'}, 50)),
		testSeg(true, 80, 40007, s0, o.cseq, 0x10, msg2[:150]))
	return fr
}

// clientHello is a minimal TLS 1.2 ClientHello record: no session id,
// one cipher suite, no extensions.
func clientHello() []byte {
	body := append([]byte{3, 3}, bytes.Repeat([]byte{7}, 32)...)
	body = append(body, 0, 0, 2, 0x00, 0x2f, 1, 0)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

func udpDatagram(sport, dport uint16, payload []byte) []byte {
	u := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(u, sport)
	binary.BigEndian.PutUint16(u[2:], dport)
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	return append(u, payload...)
}

func encapFrames() [][]byte {
	dst := []byte{0x02, 0, 0, 0, 0, 2}
	src := []byte{0x02, 0, 0, 0, 0, 1}
	eth := func(typ uint16, payload []byte) []byte {
		b := append(append(append([]byte(nil), dst...), src...), byte(typ>>8), byte(typ))
		b = append(b, payload...)
		for len(b) < 60 {
			b = append(b, 0) // padding
		}
		return b
	}
	udp := testIPv4(false, 17, udpDatagram(40000, 9, []byte("hello")))
	snap := append([]byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, udp...)
	pppoe := append([]byte{0x11, 0, 0x12, 0x34, 0, byte(2 + len(udp)), 0, 0x21}, udp...)
	// An 802.11 QoS data frame to the distribution system, LLC/SNAP,
	// the IPv4 packet; in GRE protocol 0x8200 (Aruba) in IPv4.
	wlan := []byte{0x88, 0x01, 0, 0}
	for range 3 {
		wlan = append(wlan, src...)
	}
	wlan = append(wlan, 0x10, 0, 0, 0) // sequence control, QoS control
	wlan = append(wlan, snap...)
	gre := append([]byte{0, 0, 0x82, 0}, wlan...)
	return [][]byte{
		eth(uint16(len(snap)), snap),
		eth(0x8864, pppoe),
		eth(0x0800, testIPv4(false, 47, gre)),
	}
}

// dumpPCAP writes frames as a pcap file of the given link type when
// NETSIM_DUMP_PCAP names a directory.
func dumpPCAP(t *testing.T, name string, link uint32, frames [][]byte) {
	dir := os.Getenv("NETSIM_DUMP_PCAP")
	if dir == "" {
		return
	}
	out := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}
	out = binary.LittleEndian.AppendUint32(out, link)
	for i, f := range frames {
		out = binary.LittleEndian.AppendUint32(out, 1000)
		out = binary.LittleEndian.AppendUint32(out, uint32(i*1000))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(f)))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	if err := os.WriteFile(dir+"/"+name, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkColumns decodes frames and compares each frame's Protocol and Info
// columns with want ("PROTO INFO" lines, trailing spaces included). A line
// of a protocol outside issue #15's scope is netsim's generic TCP line,
// with tshark's after "\t# tshark: ".
func checkColumns(t *testing.T, link pcapread.LinkType, frames [][]byte, want string) {
	t.Helper()
	lines := strings.Split(strings.Trim(want, "\n"), "\n")
	if len(lines) != len(frames) {
		t.Fatalf("%d frames, %d expected lines", len(frames), len(lines))
	}
	d := New()
	var p Packet
	for i, b := range frames {
		fr := pcapread.Frame{Number: i + 1, Time: 1e9 + int64(i)*1e6, Precision: 6, OrigLen: len(b), LinkType: link, Data: b}
		d.Dissect(&fr, &p)
		got := p.Protocol() + " " + p.Info()
		if w, _, _ := strings.Cut(lines[i], "\t# tshark: "); got != w {
			t.Errorf("frame %d:\n got %s\nwant %s", i+1, got, w)
		}
		if s, a := Summary(&p), string(AppendSummary(nil, &p)); s != a {
			t.Errorf("frame %d: AppendSummary %q, Summary %q", i+1, a, s)
		}
	}
}

func TestReassemblyLikeTshark(t *testing.T) {
	frames := reassemblyFrames()
	dumpPCAP(t, "reassembly.pcap", 101, frames)
	checkColumns(t, pcapread.LinkRaw, frames, `
TCP 40000 → 80 [SYN] Seq=0 Win=65535 Len=0
TCP 80 → 40000 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0
TCP 40000 → 80 [ACK] Seq=1 Ack=1 Win=65535 Len=0
HTTP GET / HTTP/1.1 
TCP HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]
TCP HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]
HTTP HTTP/1.1 200 OK  (PNG)
HTTP GET / HTTP/1.1 
TCP HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]
TCP [TCP Previous segment not captured] 80 → 40000 [ACK] Seq=329 Ack=55 Win=65535 Len=50 [TCP segment of a reassembled PDU]
TCP [TCP Out-Of-Order] 80 → 40000 [ACK] Seq=229 Ack=55 Win=65535 Len=100 [TCP segment of a reassembled PDU]
HTTP HTTP/1.1 200 OK  (text/plain)
HTTP GET / HTTP/1.1 
TCP HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]
TCP 80 → 40000 [PSH, ACK] Seq=551 Ack=82 Win=65535 Len=2 [TCP segment of a reassembled PDU]
HTTP/JSON HTTP/1.1 200 OK , JavaScript Object Notation (application/json)
TCP 40001 → 80 [SYN] Seq=0 Win=65535 Len=0
TCP 80 → 40001 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0
TCP 40001 → 80 [ACK] Seq=1 Ack=1 Win=65535 Len=0
HTTP GET /x HTTP/1.1 
HTTP HTTP/1.1 101 UPGRADED 
TCP 40001 → 80 [PSH, ACK] Seq=64 Ack=61 Win=65535 Len=3
TCP 80 → 40001 [PSH, ACK] Seq=61 Ack=67 Win=65535 Len=4
TCP 40002 → 445 [SYN] Seq=0 Win=65535 Len=0
TCP 445 → 40002 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0
TCP 40002 → 445 [ACK] Seq=1 Ack=1 Win=65535 Len=0
TCP Session message [TCP segment of a reassembled PDU]
TCP 40002 → 445 [PSH, ACK] Seq=1001 Ack=1 Win=65535 Len=1000 [TCP segment of a reassembled PDU]
TCP 40002 → 445 [PSH, ACK] Seq=2001 Ack=1 Win=65535 Len=1004	# tshark: NBSS Session message
TCP 40003 → 25 [SYN] Seq=0 Win=65535 Len=0
TCP 25 → 40003 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0
TCP 40003 → 25 [ACK] Seq=1 Ack=1 Win=65535 Len=0
TCP 25 → 40003 [PSH, ACK] Seq=1 Ack=1 Win=65535 Len=14	# tshark: SMTP S: 220 mx ESMTP
TCP 40003 → 25 [PSH, ACK] Seq=1 Ack=15 Win=65535 Len=8	# tshark: SMTP C: EHLO c
TCP 25 → 40003 [PSH, ACK] Seq=15 Ack=9 Win=65535 Len=22	# tshark: SMTP S: 250-mx | STARTTLS
TCP 40003 → 25 [PSH, ACK] Seq=9 Ack=37 Win=65535 Len=10	# tshark: SMTP C: STARTTLS
TCP 25 → 40003 [PSH, ACK] Seq=37 Ack=19 Win=65535 Len=30	# tshark: SMTP S: 220 2.0.0 Ready to start TLS
TLSv1 Client Hello
TCP 40004 → 80 [SYN] Seq=0 Win=65535 Len=0
TCP 80 → 40004 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0
TCP 40004 → 80 [ACK] Seq=1 Ack=1 Win=65535 Len=0
TCP 40004 → 80 [PSH, ACK] Seq=1 Ack=1 Win=65535 Len=16 [TCP segment of a reassembled PDU]
TCP [TCP Previous segment not captured] 40004 → 80 [PSH, ACK] Seq=25 Ack=1 Win=65535 Len=8 [TCP segment of a reassembled PDU]
TCP 40004 → 80 [PSH, ACK] Seq=33 Ack=1 Win=65535 Len=6
TCP 40005 → 3128 [SYN] Seq=0 Win=65535 Len=0
TCP 3128 → 40005 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0
TCP 40005 → 3128 [ACK] Seq=1 Ack=1 Win=65535 Len=0
HTTP CONNECT x:443 HTTP/1.1 
HTTP HTTP/1.1 200 Connection established 
TLSv1 Client Hello
TCP 40006 → 9000 [SYN] Seq=0 Win=65535 Len=0
TCP 9000 → 40006 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0
TCP 40006 → 9000 [ACK] Seq=1 Ack=1 Win=65535 Len=0
HTTP GET / HTTP/1.1 
TCP 40007 → 80 [SYN] Seq=0 Win=65535 Len=0
TCP 80 → 40007 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0
TCP 40007 → 80 [ACK] Seq=1 Ack=1 Win=65535 Len=0
HTTP GET / HTTP/1.1 
TCP HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]
HTTP HTTP/1.1 200 OK  (text/plain)
TCP [TCP Out-Of-Order] 80 → 40007 [ACK] Seq=101 Ack=28 Win=65535 Len=50[Reassembly error, protocol TCP: New fragment overlaps old data (retransmission?)]
TCP [TCP Retransmission] 80 → 40007 [ACK] Seq=1 Ack=28 Win=65535 Len=150
`)
}

func TestEncapsulationsLikeTshark(t *testing.T) {
	frames := encapFrames()
	dumpPCAP(t, "encap.pcap", 1, frames)
	checkColumns(t, pcapread.LinkEthernet, frames, `
UDP 40000 → 9 Len=5
UDP 40000 → 9 Len=5
UDP 40000 → 9 Len=5
`)
}

func TestPDULen(t *testing.T) {
	for _, c := range []struct {
		name  string
		proto uint8
		cifs  bool
		b     []byte
		n     int
		ok    bool
	}{
		{"nbss 445", appNBSS, true, []byte{0, 0x01, 0x00, 0x10}, 4 + 0x10010, true},
		{"nbss 139 extension bit", appNBSS, false, []byte{0, 0x01, 0x00, 0x10}, 4 + 0x10010, true},
		{"nbss 139 flags", appNBSS, false, []byte{0, 0xfe, 0x00, 0x10}, 4 + 0x10, true},
		{"nbss not a message", appNBSS, true, []byte{0x42, 0, 0, 1, 9}, 5, true},
		{"nbss short", appNBSS, true, []byte{0, 0}, 0, false},
		{"ldap short form", appLDAP, false, []byte{0x30, 0x05, 1}, 7, true},
		{"ldap long form", appLDAP, false, []byte{0x30, 0x82, 0x01, 0x00}, 4 + 256, true},
		{"ldap long form cut", appLDAP, false, []byte{0x30, 0x82, 0x01}, 0, false},
		{"ldap sasl", appLDAP, false, []byte{0, 0, 0, 9, 0x05}, 13, true},
		{"tpkt", appTPKT, false, []byte{3, 0, 0, 19}, 19, true},
		{"tpkt reserved byte not zero", appTPKT, false, []byte{3, 0xc6, 0, 19}, 19, true},
		{"tpkt not", appTPKT, false, []byte{0x16, 3, 1, 0, 5}, 5, true},
		{"kerberos", appKRB, false, []byte{0x80, 0, 0, 10}, 14, true},
		{"dcerpc little-endian", appDCERPC, false, []byte{5, 0, 11, 3, 0x10, 0, 0, 0, 0x48, 0, 0, 0, 1, 0, 0, 0}, 0x48, true},
		{"dcerpc big-endian", appDCERPC, false, []byte{5, 0, 11, 3, 0x00, 0, 0, 0, 0, 0x48, 0, 0, 1, 0, 0, 0}, 0x48, true},
	} {
		n, ok := pduLen(c.proto, c.cifs, c.b)
		if n != c.n || ok != c.ok {
			t.Errorf("%s: pduLen = %d, %v; want %d, %v", c.name, n, ok, c.n, c.ok)
		}
	}
}

func TestHTTPBodyColumns(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 20)...)
	gif := append([]byte("GIF89a"), make([]byte, 20)...)
	multi := []byte("--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b\r\n\r\nplain\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n")
	for _, c := range []struct {
		ct    string
		body  []byte
		proto string
		info  string
	}{
		{"image/png", png, "", " (PNG)"},
		{"image/png", png[:12], "", " (image/png)"}, // too short for the PNG dissector
		{"image/gif", gif, "", " (GIF89a)"},
		{"image/jpeg", []byte{0xff, 0xd8, 0xff, 0xe0}, "", " (JPEG JFIF image)"},
		{"image/jpeg", []byte("no"), "", " (image/jpeg)"},
		{"application/json", []byte("{}"), "/JSON", ", JavaScript Object Notation (application/json)"},
		{"text/xml", []byte("<a/>"), "/XML", ""},
		{"application/octet-stream", []byte{1}, "", ""},
		{"text/html", []byte("<p>"), "", " (text/html)"},
		{"multipart/byteranges; boundary=b", multi, "", " (application/pdf) (text/plain)"},
		{"multipart/form-data", multi, "", " (multipart/form-data)"}, // no boundary
		{"text/html", nil, "", ""},
	} {
		m := &HTTP{Headers: []HTTPHeader{{"Content-Type", c.ct}}, Body: c.body}
		if got := m.bodyColumns(); got.proto != c.proto || got.info != c.info {
			t.Errorf("%s %q: got %+v, want {proto:%s info:%s}", c.ct, c.body, got, c.proto, c.info)
		}
	}
	// A gzip body that inflates to nothing shows nothing.
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Close()
	m := &HTTP{Headers: []HTTPHeader{{"Content-Type", "text/html"}, {"Content-Encoding", "gzip"}}, Body: zb.Bytes()}
	if got := m.bodyColumns(); got.info != "" {
		t.Errorf("empty gzip body: got %+v", got)
	}
}

func TestAddSpan(t *testing.T) {
	var s [][2]int
	for _, x := range [][2]int{{0, 10}, {20, 30}, {40, 50}, {5, 25}, {30, 40}} {
		s = addSpan(s, x[0], x[1])
	}
	if len(s) != 1 || s[0] != [2]int{0, 50} {
		t.Errorf("spans %v, want [[0 50]]", s)
	}
	s = addSpan(addSpan(nil, 10, 20), 0, 5)
	if len(s) != 2 || s[0] != [2]int{0, 5} || s[1] != [2]int{10, 20} {
		t.Errorf("spans %v, want [[0 5] [10 20]]", s)
	}
}

func TestStarttlsWatch(t *testing.T) {
	for _, c := range []struct {
		kind  uint8
		steps []string // alternately client, server
		now   bool
	}{
		{stSMTP, []string{"STARTTLS\r\n", "220 go ahead\r\n"}, true},
		{stSMTP, []string{"STARTTLS\r\n", "454 no\r\n"}, false},
		{stIMAP, []string{"a1 STARTTLS\r\n", "* note\r\na1 OK begin\r\n"}, true},
		{stIMAP, []string{"a1 STARTTLS\r\n", "a1 BAD no\r\n"}, false},
		{stPOP, []string{"STLS\r\n", "+OK\r\n"}, true},
		{stFTP, []string{"AUTH TLS\r\n", "234 ok\r\n"}, true},
		{stXMPP, []string{"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"}, true},
		{stPGSQL, []string{"\x00\x00\x00\x08\x04\xd2\x16\x2f", "S"}, true},
		{stPGSQL, []string{"\x00\x00\x00\x08\x04\xd2\x16\x2f", "N"}, false},
		{stMySQL, []string{"\x20\x00\x00\x01\x0d\xae\xff\x01" + strings.Repeat("\x00", 28)}, true},
		{stLDAP, []string{"0\x1d\x02\x01\x01w\x18\x80\x161.3.6.1.4.1.1466.20037", "0\x0c\x02\x01\x01x\x07\x0a\x01\x00\x04\x00\x04\x00"}, true},
	} {
		s := starttls{kind: c.kind}
		for i, b := range c.steps {
			s.watch(i%2, []byte(b))
		}
		if s.now != c.now {
			t.Errorf("kind %d %q: now = %v, want %v", c.kind, c.steps, s.now, c.now)
		}
	}
}

// FuzzTCPMessages decodes arbitrary bytes as the stream of the protocols
// whose message boundaries netsim follows (NBSS, LDAP, TPKT, Kerberos,
// DCE/RPC, WebSocket after an HTTP upgrade), of HTTP with a lost segment
// and an out-of-order one, and of SMTP after STARTTLS; as what Teredo, GRE
// in UDP and AYIYA carry; and as what LLC/SNAP, PPPoE and Aruba's GRE
// carry.
func FuzzTCPMessages(f *testing.F) {
	appSeeds(f, func(b []byte) { f.Add(b, uint8(len(b)/3)) })
	f.Add([]byte{0, 0, 0x0b, 0xb8, 1, 2, 3}, uint8(2))
	f.Add([]byte{0x30, 0x82, 0x01, 0x00, 1, 2}, uint8(3))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789"), uint8(20))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Type: multipart/x; boundary=b\r\n\r\n--b\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n--b--"), uint8(40))
	f.Add([]byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 0x45, 0, 0, 20}, uint8(0))
	f.Add([]byte{0x88, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0xaa, 3, 0, 0, 0, 8, 0}, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		n := min(int(cut), len(b))
		var frames [][]byte
		for _, port := range []uint16{445, 139, 389, 3389, 88, 135, 80, 1080} {
			frames = append(frames,
				testSeg(false, 40000, port, 1, 1, 0x18, b[:n]),
				testSeg(false, 40000, port, 1+uint32(len(b)), 1, 0x18, b[n:]),
				testSeg(false, 40000, port, 1+uint32(n), 1, 0x18, b[n:]),
				testSeg(false, 40000, port, 1+2*uint32(len(b)), 1, 0x18, b))
		}
		m := &testConn{cport: 40001, sport: 25}
		frames = append(frames, m.open()...)
		frames = append(frames, m.client([]byte("STARTTLS\r\n")), m.server([]byte("220 go\r\n"), 0x18), m.client(b[:n]), m.client(b[n:]))
		sk := &testConn{cport: 40003, sport: 1080}
		frames = append(frames, sk.open()...)
		frames = append(frames, sk.client([]byte("\x04\x01\x00\x50\x7f\x00\x00\x01\x00")),
			sk.server([]byte("\x00\x5a\x00\x00\x00\x00\x00\x00"), 0x18), sk.client(b))
		w := &testConn{cport: 40002, sport: 80}
		frames = append(frames, w.open()...)
		frames = append(frames, w.client([]byte("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n")),
			w.server([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"), 0x18),
			w.server(b[:n], 0x18), w.server(b[n:], 0x18))
		for _, port := range []uint16{teredoPort, greUDPPort, ayiyaPort} {
			frames = append(frames, testIPv4(false, 17, udpDatagram(40000, port, b)))
		}
		dissectAll(t, frames)
		eth := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, byte(len(b) >> 8), byte(len(b))}, b...)
		pppoe := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0x64, 0x11, 0, 0, 1, byte(len(b) >> 8), byte(len(b)), 0, 0x21}, b...)
		gre := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}, testIPv4(false, 47, append([]byte{0, 0, 0x82, 0}, b...))...)
		d := New()
		var p Packet
		var sink bytes.Buffer
		for i, fr := range [][]byte{eth, pppoe, gre} {
			pf := pcapread.Frame{Number: i + 1, Precision: 6, OrigLen: len(fr), LinkType: pcapread.LinkEthernet, Data: fr}
			d.Dissect(&pf, &p)
			renderAll(t, &p, &sink)
			if s, a := Summary(&p), string(AppendSummary(nil, &p)); s != a {
				t.Errorf("AppendSummary %q, Summary %q", a, s)
			}
		}
	})
}

// TestWindowScaleOutsideSYN: tshark records a window scale option on a
// segment without SYN (as scanners send them) and scales the direction's
// later segments by it, as in chrissanders/packets'
// activeosfingerprinting.pcapng (Win=128, then Win=131072 with WS=1024).
func TestWindowScaleOutsideSYN(t *testing.T) {
	seg := func() []byte {
		b := testSeg(false, 53950, 135, 1, 0, 0, nil)
		tcp := b[20:]
		tcp = append(tcp[:20], 3, 3, 10, 1) // WS shift 10, NOP
		tcp[12] = 6 << 4
		binary.BigEndian.PutUint16(tcp[14:], 128)
		return testIPv4(false, 6, tcp)
	}
	d := New()
	var p Packet
	for i, want := range []uint32{128, 131072} {
		b := seg()
		fr := pcapread.Frame{Number: i + 1, Precision: 6, OrigLen: len(b), LinkType: pcapread.LinkRaw, Data: b}
		d.Dissect(&fr, &p)
		if p.TCP.WinSize != want {
			t.Errorf("segment %d: window %d, want %d", i+1, p.TCP.WinSize, want)
		}
	}
}

// TestCookedARPSource: on a Linux cooked capture tshark's Source column
// for a frame without IP is the cooked header's Ethernet address (no
// Destination), and EtherType 0x8035 is RARP, as in zeek's
// linux_dlt_sll2.pcap ("8e:36:06:44:ac:af →  RARP 48 Who is ...").
func TestCookedARPSource(t *testing.T) {
	arpBody := func(op byte) []byte {
		b := []byte{0, 1, 8, 0, 6, 4, 0, op}
		b = append(b, 2, 0, 0, 0, 0, 1, 192, 0, 2, 1)
		return append(b, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2)
	}
	d := New()
	var p Packet
	for i, c := range []struct {
		typ   uint16
		op    byte
		proto string
	}{{0x0806, 1, "ARP"}, {0x8035, 3, "RARP"}} {
		b := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, byte(c.typ >> 8), byte(c.typ)}
		b = append(b, arpBody(c.op)...)
		fr := pcapread.Frame{Number: i + 1, Precision: 6, OrigLen: len(b), LinkType: pcapread.LinkSLL, Data: b}
		d.Dissect(&fr, &p)
		if src, dst := p.Addresses(); src != "02:00:00:00:00:01" || dst != "" {
			t.Errorf("%s: columns %q → %q, want the cooked source only", c.proto, src, dst)
		}
		if got := p.Protocol(); got != c.proto {
			t.Errorf("protocol %q, want %q", got, c.proto)
		}
		if s, a := Summary(&p), string(AppendSummary(nil, &p)); s != a {
			t.Errorf("AppendSummary %q, Summary %q", a, s)
		}
	}
}

func TestSocksWatch(t *testing.T) {
	v4 := []string{"\x04\x01\x00\x50\x7f\x00\x00\x01\x00", "\x00\x5a\x00\x00\x00\x00\x00\x00"}
	v5 := []string{"\x05\x01\x00", "\x05\x00", "\x05\x01\x00\x01\x55\xc2\x54\xc5\x01\xbb", "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"}
	refused := []string{"\x04\x01\x00\x50\x7f\x00\x00\x01\x00", "\x00\x5b\x00\x00\x00\x00\x00\x00"}
	for _, c := range []struct {
		steps []string // client, server, ...
		port  uint16
		done  bool
	}{{v4, 80, true}, {v5, 443, true}, {refused, 80, false}} {
		var s socks
		for i, b := range c.steps {
			s.watch(i%2 == 0, []byte(b))
		}
		if s.done != c.done || s.port != c.port {
			t.Errorf("%q: done %v port %d, want %v %d", c.steps, s.done, s.port, c.done, c.port)
		}
	}
}
