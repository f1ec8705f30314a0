package dissect

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// rawIPv4 builds a raw-IP frame carrying a UDP datagram (tcp false) or a
// TCP segment with sequence number seq, between fixed addresses.
func rawIPv4(tcp bool, sport, dport uint16, seq uint32, payload []byte) []byte {
	var l4 []byte
	if tcp {
		l4 = make([]byte, 20)
		binary.BigEndian.PutUint16(l4, sport)
		binary.BigEndian.PutUint16(l4[2:], dport)
		binary.BigEndian.PutUint32(l4[4:], seq)
		binary.BigEndian.PutUint32(l4[8:], 1)
		l4[12] = 5 << 4
		l4[13] = 0x18 // PSH, ACK
		binary.BigEndian.PutUint16(l4[14:], 65535)
	} else {
		l4 = make([]byte, 8)
		binary.BigEndian.PutUint16(l4, sport)
		binary.BigEndian.PutUint16(l4[2:], dport)
		binary.BigEndian.PutUint16(l4[4:], uint16(8+len(payload)))
	}
	l4 = append(l4, payload...)
	ip := []byte{0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	if tcp {
		ip[9] = 6
	}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
	return append(ip, l4...)
}

// dissectAll decodes the frames in order and renders everything about
// each; nothing may panic.
func dissectAll(t *testing.T, frames [][]byte) {
	d := New()
	var p Packet
	var sink bytes.Buffer
	for i, b := range frames {
		fr := pcapread.Frame{Number: i + 1, Time: int64(i) * 1000, Precision: 9, OrigLen: len(b), LinkType: pcapread.LinkRaw, Data: b}
		d.Dissect(&fr, &p)
		sink.Reset()
		sink.WriteString(Summary(&p))
		if err := Tree(&sink, &p); err != nil {
			t.Fatal(err)
		}
		for _, f := range Fields() {
			sink.WriteString(FieldString(&p, f.Name))
		}
	}
}

// appSeeds adds the application payloads of the testdata/app captures.
func appSeeds(f *testing.F, add func(payload []byte)) {
	for _, c := range []string{"testdata/app/dns.pcapng", "testdata/app/http.pcapng", "testdata/app/tls13-nosecrets.pcapng", "testdata/app/dns_tcp.pcap"} {
		if _, err := os.Stat(c); err != nil {
			f.Fatal(err)
		}
		frames, err := pcapread.ReadFile(c)
		if err != nil {
			f.Fatal(err)
		}
		d := New()
		var p Packet
		for i := range frames {
			d.Dissect(&frames[i], &p)
			switch {
			case p.Has(ProtoUDP) && len(p.UDP.Payload) > 0:
				add(p.UDP.Payload)
			case p.Has(ProtoTCP) && len(p.TCP.Payload) > 0:
				add(p.TCP.Payload)
			}
		}
	}
}

// FuzzDNS decodes arbitrary bytes as DNS over UDP (port 53, mDNS, LLMNR
// and the heuristic on another port) and over TCP.
func FuzzDNS(f *testing.F) {
	appSeeds(f, func(b []byte) { f.Add(b) })
	f.Add([]byte("\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\x5d\xb8\xd7\x0e"))
	f.Add([]byte("\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x01\x00\x02\xc0\x0c"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tcp := append([]byte{byte(len(b) >> 8), byte(len(b))}, b...)
		dissectAll(t, [][]byte{
			rawIPv4(false, 40000, 53, 0, b), rawIPv4(false, 5353, 5353, 0, b), rawIPv4(false, 5355, 40000, 0, b),
			rawIPv4(false, 40000, 8053, 0, b),
			rawIPv4(true, 40000, 53, 100, tcp[:len(tcp)/2]), rawIPv4(true, 40000, 53, 100+uint32(len(tcp)/2), tcp[len(tcp)/2:]),
		})
	})
}

// FuzzHTTP decodes arbitrary bytes as an HTTP stream on port 80 (split
// into two segments, and whole) and on another port (the heuristic).
func FuzzHTTP(f *testing.F) {
	appSeeds(f, func(b []byte) { f.Add(b, uint8(len(b)/2)) })
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), uint8(30))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"), uint8(10))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		n := min(int(cut), len(b))
		dissectAll(t, [][]byte{
			rawIPv4(true, 40000, 80, 100, b[:n]), rawIPv4(true, 40000, 80, 100+uint32(n), b[n:]),
			rawIPv4(true, 80, 40000, 500, b),
			rawIPv4(true, 40001, 9999, 100, b),
		})
	})
}

// FuzzTLS decodes arbitrary bytes as TLS records on port 443 (split into
// two segments) and on another port (the heuristic).
func FuzzTLS(f *testing.F) {
	appSeeds(f, func(b []byte) { f.Add(b, uint8(len(b)/2)) })
	f.Add([]byte("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00\x15\x03\x03\x00\x02\x01\x00"), uint8(7))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		n := min(int(cut), len(b))
		dissectAll(t, [][]byte{
			rawIPv4(true, 40000, 443, 100, b[:n]), rawIPv4(true, 40000, 443, 100+uint32(n), b[n:]),
			rawIPv4(true, 443, 40000, 500, b),
			rawIPv4(true, 40001, 9999, 100, b),
		})
	})
}
