package demo

import (
	"bytes"
	"fmt"
	"slices"

	"netsim.dev/netsim/pcapread"
)

// regenerateHint ends every golden mismatch message.
const regenerateHint = "regenerate with go test ./demo -run Golden -update if the change is on purpose"

// diffCaptures compares two captures frame by frame and returns "" when
// their bytes are equal, else one line that names the first frame that
// differs, where, and both frame counts: e.g.
//
//	testdata/tcp.pcap: frame 4 differs at byte 38 (tcp.seq?): got 5e 21 9a 07, want 5e 21 9a 06; 9 frames want, 9 got; regenerate with ...
//
// name is the golden file's path, for the message.
func diffCaptures(name string, got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	return fmt.Sprintf("%s: %s; %s", name, firstDifference(got, want), regenerateHint)
}

// firstDifference describes where got and want first differ.
func firstDifference(got, want []byte) string {
	gf, gerr := readFrames(got)
	wf, werr := readFrames(want)
	counts := fmt.Sprintf("%d frames want, %d got", len(wf), len(gf))
	if werr != nil {
		return fmt.Sprintf("the golden capture does not read after %d frames: %v; %s", len(wf), werr, counts)
	}
	if gerr != nil {
		return fmt.Sprintf("the new capture does not read after %d frames: %v; %s", len(gf), gerr, counts)
	}
	if gff, wff := format(got), format(want); gff != wff {
		return fmt.Sprintf("got a %s capture, want %s; %s", gff, wff, counts)
	}
	for i := range min(len(gf), len(wf)) {
		if d := frameDifference(&gf[i], &wf[i]); d != "" {
			return fmt.Sprintf("frame %d %s; %s", i+1, d, counts)
		}
	}
	switch {
	case len(gf) > len(wf):
		return fmt.Sprintf("frames 1-%d are equal, then got %d more (frame %d: %d bytes); %s", len(wf), len(gf)-len(wf), len(wf)+1, len(gf[len(wf)].Data), counts)
	case len(gf) < len(wf):
		return fmt.Sprintf("frames 1-%d are equal, then got no frame %d (want %d more); %s", len(gf), len(gf)+1, len(wf)-len(gf), counts)
	}
	// Same frames: the file headers (pcap header, pcapng section and
	// interface blocks) differ.
	at := 0
	for at < min(len(got), len(want)) && got[at] == want[at] {
		at++
	}
	return fmt.Sprintf("every frame is equal, the files differ at file offset %d (a header: pcapng section or interface block, or pcap header): got %d bytes, want %d; %s", at, len(got), len(want), counts)
}

func format(b []byte) string {
	r, err := pcapread.NewReader(bytes.NewReader(b))
	if err != nil {
		return "unreadable"
	}
	return r.Format().String()
}

// readFrames reads every frame of a capture, with its interface's name.
func readFrames(b []byte) ([]pcapread.Frame, error) {
	r, err := pcapread.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return pcapread.ReadAll(r)
}

// frameDifference describes how frame g differs from w, or "".
func frameDifference(g, w *pcapread.Frame) string {
	if !bytes.Equal(g.Data, w.Data) {
		at := 0
		for at < min(len(g.Data), len(w.Data)) && g.Data[at] == w.Data[at] {
			at++
		}
		where := fmt.Sprintf("differs at byte %d", at)
		if f := fieldAt(w.Data, w.LinkType, at); f != "" {
			where += " (" + f + "?)"
		}
		if len(g.Data) != len(w.Data) {
			where += fmt.Sprintf(", got %d bytes, want %d", len(g.Data), len(w.Data))
		}
		return fmt.Sprintf("%s: got %s, want %s", where, window(g.Data, at), window(w.Data, at))
	}
	switch {
	case g.Time != w.Time:
		return fmt.Sprintf("has the same bytes but another time: got %d ns, want %d ns (%+d ns)", g.Time, w.Time, g.Time-w.Time)
	case g.OrigLen != w.OrigLen:
		return fmt.Sprintf("has the same bytes but another original length: got %d, want %d", g.OrigLen, w.OrigLen)
	case g.Interface != w.Interface || g.LinkType != w.LinkType:
		return fmt.Sprintf("has the same bytes but another interface: got %d (link type %d), want %d (link type %d)", g.Interface, g.LinkType, w.Interface, w.LinkType)
	case !slices.Equal(g.Comments, w.Comments):
		return fmt.Sprintf("has the same bytes but other comments: got %q, want %q", g.Comments, w.Comments)
	}
	return ""
}

// window returns up to 8 bytes of b from at, in hex.
func window(b []byte, at int) string {
	if at >= len(b) {
		return "(end of frame)"
	}
	end := min(at+8, len(b))
	s := fmt.Sprintf("% x", b[at:end])
	if end < len(b) {
		s += " …"
	}
	return s
}

// fieldAt names the header field that holds byte at of an Ethernet frame,
// as a guess for the message (tshark's field names), or "".
func fieldAt(b []byte, lt pcapread.LinkType, at int) string {
	if lt != pcapread.LinkEthernet || len(b) < 14 {
		return ""
	}
	switch {
	case at < 6:
		return "eth.dst"
	case at < 12:
		return "eth.src"
	case at < 14:
		return "eth.type"
	}
	off := at - 14
	switch uint16(b[12])<<8 | uint16(b[13]) {
	case 0x0806:
		return field(off, []span{{2, "arp.hw.type"}, {4, "arp.proto.type"}, {6, "arp.hw.size/proto.size"}, {8, "arp.opcode"},
			{14, "arp.src.hw_mac"}, {18, "arp.src.proto_ipv4"}, {24, "arp.dst.hw_mac"}, {28, "arp.dst.proto_ipv4"}}, "eth.padding")
	case 0x0800:
		if len(b) < 14+20 {
			return "ip"
		}
		ihl := int(b[14]&0x0f) * 4
		if off < ihl || 14+ihl > len(b) {
			return field(off, []span{{1, "ip.version/hdr_len"}, {2, "ip.dsfield"}, {4, "ip.len"}, {6, "ip.id"}, {8, "ip.flags/frag_offset"},
				{9, "ip.ttl"}, {10, "ip.proto"}, {12, "ip.checksum"}, {16, "ip.src"}, {20, "ip.dst"}}, "ip.options")
		}
		return transportField(b[14+ihl:], b[23], off-ihl)
	case 0x86dd:
		if len(b) < 14+40 {
			return "ipv6"
		}
		if off < 40 {
			return field(off, []span{{4, "ipv6.tclass/flow"}, {6, "ipv6.plen"}, {7, "ipv6.nxt"}, {8, "ipv6.hlim"}, {24, "ipv6.src"}, {40, "ipv6.dst"}}, "")
		}
		return transportField(b[14+40:], b[20], off-40)
	}
	return ""
}

// span is a header field that ends before byte end of its header.
type span struct {
	end  int
	name string
}

func field(off int, spans []span, rest string) string {
	for _, s := range spans {
		if off < s.end {
			return s.name
		}
	}
	return rest
}

// transportField names the field at off in a transport header of protocol
// proto that begins at b.
func transportField(b []byte, proto byte, off int) string {
	switch proto {
	case 6:
		hdr := 20
		if len(b) >= 13 {
			hdr = int(b[12]>>4) * 4
		}
		if off < hdr {
			return field(off, []span{{2, "tcp.srcport"}, {4, "tcp.dstport"}, {8, "tcp.seq"}, {12, "tcp.ack"}, {14, "tcp.hdr_len/flags"},
				{16, "tcp.window_size_value"}, {18, "tcp.checksum"}, {20, "tcp.urgent_pointer"}}, "tcp.options")
		}
		return "tcp.payload"
	case 17:
		return field(off, []span{{2, "udp.srcport"}, {4, "udp.dstport"}, {6, "udp.length"}, {8, "udp.checksum"}}, "udp.payload")
	case 1:
		return field(off, []span{{1, "icmp.type"}, {2, "icmp.code"}, {4, "icmp.checksum"}}, "icmp")
	case 58:
		return field(off, []span{{1, "icmpv6.type"}, {2, "icmpv6.code"}, {4, "icmpv6.checksum"}}, "icmpv6")
	}
	return ""
}
