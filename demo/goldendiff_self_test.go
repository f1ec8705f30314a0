package demo

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// pcapRecords returns the file offset of each record header of a classic,
// little-endian pcap file.
func pcapRecords(t *testing.T, b []byte) []int {
	t.Helper()
	if len(b) < 24 || !bytes.Equal(b[:4], []byte{0xd4, 0xc3, 0xb2, 0xa1}) && !bytes.Equal(b[:4], []byte{0x4d, 0x3c, 0xb2, 0xa1}) {
		t.Fatalf("not a little-endian classic pcap file: % x", b[:min(4, len(b))])
	}
	var offs []int
	for off := 24; off+16 <= len(b); off += 16 + int(binary.LittleEndian.Uint32(b[off+8:])) {
		offs = append(offs, off)
	}
	return offs
}

// TestDiffCaptures: a golden mismatch names the first frame that differs,
// the byte and its field, both frame counts, and how to regenerate.
func TestDiffCaptures(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(goldenDir, "tcp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	recs := pcapRecords(t, want)
	if len(recs) != 9 {
		t.Fatalf("tcp.pcap: %d records, want 9", len(recs))
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(want)) }
	const name = "testdata/tcp.pcap"
	for _, c := range []struct {
		what string
		got  []byte
		msg  []string // substrings of the message, in order
	}{
		{"frame 3's tcp.seq", edit(func(b []byte) []byte { b[recs[2]+16+38+3] ^= 1; return b }),
			[]string{name + ": frame 3 differs at byte 41 (tcp.seq?): got ", ", want ", "; 9 frames want, 9 got; " + regenerateHint}},
		{"frame 3's first byte", edit(func(b []byte) []byte { b[recs[2]+16] = 0xff; return b }),
			[]string{name + ": frame 3 differs at byte 0 (eth.dst?): got ff 00 00 00 00 00 00 00 …, want 00 00 00 00 00 00 00 00 …; 9 frames want, 9 got"}},
		{"frame 4's payload", edit(func(b []byte) []byte { b[recs[3]+16+66] = 'x'; return b }),
			[]string{name + ": frame 4 differs at byte 66 (tcp.payload?): got 78 37 42, want 2c 37 42; 9 frames want, 9 got"}},
		{"frame 3's time", edit(func(b []byte) []byte { b[recs[2]+4]++; return b }),
			[]string{name + ": frame 3 has the same bytes but another time: got ", "(+1000 ns); 9 frames want, 9 got"}},
		{"no frame 9", want[:recs[8]],
			[]string{name + ": frames 1-8 are equal, then got no frame 9 (want 1 more); 9 frames want, 8 got; " + regenerateHint}},
		{"a frame 10", append(bytes.Clone(want), want[recs[8]:]...),
			[]string{name + ": frames 1-9 are equal, then got 1 more (frame 10: 66 bytes); 9 frames want, 10 got"}},
		{"the pcap header's snaplen", edit(func(b []byte) []byte { b[16]++; return b }),
			[]string{name + ": every frame is equal, the files differ at file offset 16 ", "; 9 frames want, 9 got"}},
		{"a truncated last frame", want[:len(want)-3],
			[]string{name + ": the new capture does not read after 8 frames: ", "; 9 frames want, 8 got"}},
	} {
		msg := diffCaptures(name, c.got, want)
		t.Logf("%s: %s", c.what, msg)
		rest := msg
		for _, s := range c.msg {
			i := strings.Index(rest, s)
			if i < 0 {
				t.Errorf("%s: message\n%s\ndoes not contain, in order,\n%q", c.what, msg, c.msg)
				break
			}
			rest = rest[i+len(s):]
		}
	}
	if msg := diffCaptures(name, want, bytes.Clone(want)); msg != "" {
		t.Errorf("equal captures: %q", msg)
	}
	// Another format: pcapng against pcap.
	ng, err := os.ReadFile(filepath.Join(goldenDir, "tcp-lossy.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	if msg := diffCaptures(name, ng, want); !strings.Contains(msg, "got a pcapng capture, want pcap") {
		t.Errorf("pcapng against pcap: %q", msg)
	}
}

// TestFieldAt names the fields of IPv4, IPv6, TCP and UDP headers.
func TestFieldAt(t *testing.T) {
	for _, c := range []struct {
		file  string
		frame int // 1-based
		at    int
		want  string
	}{
		{"tcp.pcap", 1, 12, "eth.type"},
		{"tcp.pcap", 1, 14 + 8, "ip.ttl"},
		{"tcp.pcap", 1, 14 + 16, "ip.dst"},
		{"tcp.pcap", 1, 34 + 2, "tcp.dstport"},
		{"tcp.pcap", 1, 34 + 9, "tcp.ack"},
		{"tcp.pcap", 1, 34 + 22, "tcp.options"},
		{"udp.pcap", 1, 34 + 4, "udp.length"},
		{"udp.pcap", 1, 34 + 8, "udp.payload"},
		{"transfer6.pcap", 3, 14 + 7, "ipv6.hlim"},
		{"transfer6.pcap", 3, 14 + 40 + 4, "tcp.seq"},
		{"transfer.pcap", 1, 14 + 7, "arp.opcode"},
	} {
		b, err := os.ReadFile(filepath.Join(goldenDir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		frames, err := readFrames(b)
		if err != nil || len(frames) < c.frame {
			t.Fatalf("%s: %d frames, %v", c.file, len(frames), err)
		}
		f := frames[c.frame-1]
		if got := fieldAt(f.Data, f.LinkType, c.at); got != c.want {
			t.Errorf("%s frame %d byte %d: %q, want %q", c.file, c.frame, c.at, got, c.want)
		}
	}
}

// TestFieldAtNeverPanics: fieldAt reads any frame, however short or
// malformed, without panicking.
func TestFieldAtNeverPanics(t *testing.T) {
	frame := make([]byte, 60)
	for _, et := range [][2]byte{{0x08, 0x00}, {0x86, 0xdd}, {0x08, 0x06}, {0x12, 0x34}} {
		for n := 0; n <= len(frame); n++ {
			for _, ihl := range []byte{0x40, 0x45, 0x4f} {
				for _, proto := range []byte{1, 6, 17, 58, 99} {
					b := frame[:n]
					if n >= 14 {
						b[12], b[13] = et[0], et[1]
					}
					if n > 23 {
						b[14], b[23] = ihl, proto
					}
					if n > 20 {
						b[20] = proto
					}
					for at := 0; at <= n+80; at++ { // beyond the frame too
						fieldAt(b, pcapread.LinkEthernet, at)
					}
				}
			}
		}
	}
}
