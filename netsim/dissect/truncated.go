package dissect

import "strings"

// Frames cut short by the capture's snap length (tcpdump -s 64, netsim's
// SnapLen), shown as tshark 4.0 shows them. Wireshark reads a header field
// by field; the first read beyond the captured bytes throws, and what was
// shown before the throw stays: the Info column so far, then "[Packet size
// limited during capture]", and in the -V tree the items so far, then
// "[Packet size limited during capture: TCP truncated]". A payload cut
// short throws nothing: the data dissector takes the captured part, and
// the TCP and UDP lengths come from the IP header.

// How much of a TCP header a cut frame holds (TCP.cut).
const (
	// tcpCutFixed: 16 to 19 bytes, the fields up to the window. The
	// sequence analysis runs, so Seq and Ack are relative, but the
	// checksum read throws: Info ends after Win=, the tree after the
	// window scaling factor.
	tcpCutFixed uint8 = iota + 1
	// tcpCutOptions: the 20-byte header and part of the options. The
	// options read throws: the complete options are shown, the
	// analysis flags and the SEQ/ACK analysis are not.
	tcpCutOptions
)

// cutIn records that the snap length cut proto's header (the first such
// protocol wins: Wireshark stops there).
func (p *Packet) cutIn(proto string) {
	if p.truncated {
		return
	}
	p.truncated = true
	p.cutProto = proto
}

// tcpCut returns the captured options and payload of the TCP header b
// (of at least 16 bytes, HdrLen checked against the reported length) and
// marks a cut header.
func tcpCut(p *Packet, b []byte) (opts, payload []byte) {
	t := &p.TCP
	switch {
	case len(b) < 20:
		t.cut = tcpCutFixed
		p.cutIn("TCP")
		return nil, nil
	case int(t.HdrLen) > len(b):
		t.cut = tcpCutOptions
		p.cutIn("TCP")
		return b[20:], nil
	}
	return b[20:t.HdrLen], b[t.HdrLen:]
}

// hideAnalysis drops what Wireshark computes for a cut TCP header but
// never shows, because it shows it after the read that throws: the
// analysis flags (and the Info prefixes they make) and the SEQ/ACK
// analysis values.
func (t *TCP) hideAnalysis() {
	t.Analysis = 0
	t.DupAckNum, t.DupAckFrame = 0, 0
	t.HasAckFrame, t.AckedFrame, t.AckRTT = false, 0, 0
	t.InFlight, t.PushBytes = 0, 0
	t.RTO, t.RTOFrame = 0, 0
}

// truncatedLine writes the line tshark -V ends a cut frame's tree with.
func (t *treeWriter) truncatedLine(p *Packet) {
	if !p.truncated || p.cutProto == "" || len(p.Frame) >= p.Len {
		return
	}
	t.f(0, "[Packet size limited during capture: %s truncated]", p.cutProto)
}

// tcpCutOptions writes the Options subtree of a header whose options the
// snap length cut: the complete options as usual, then the cut option's
// heading, kind and length, and a timestamp's first value when captured.
func (t *treeWriter) tcpCutOptions(d int, p *Packet) {
	tc := &p.TCP
	opts := tc.Options
	var names []string
	i := 0
	for i < len(opts) {
		k := opts[i]
		if k == 1 {
			names = append(names, tcpOptionNames[1])
			i++
			continue
		}
		if k == 0 || i+1 >= len(opts) || int(opts[i+1]) < 2 || i+int(opts[i+1]) > len(opts) {
			break
		}
		n, known := tcpOptionNames[k]
		if !known {
			// Not decoded here, as in a whole header.
			return
		}
		names = append(names, n)
		i += int(opts[i+1])
	}
	if len(names) == 0 {
		t.f(d, "Options: (%d bytes)", int(tc.HdrLen)-20)
	} else {
		t.f(d, "Options: (%d bytes), %s", int(tc.HdrLen)-20, strings.Join(names, ", "))
	}
	if i > 0 {
		// The complete options' subtrees, without their heading.
		whole := *p
		whole.TCP.Options, whole.TCP.cut = opts[:i], 0
		sub := &treeWriter{}
		sub.tcpOptions(d, &whole)
		out := sub.sb.String()
		if j := strings.IndexByte(out, '\n'); j >= 0 {
			t.sb.WriteString(out[j+1:])
		}
	}
	rest := opts[i:]
	if len(rest) < 2 {
		return
	}
	k, n := rest[0], int(rest[1])
	switch {
	case k == 2 && n == 4:
		t.f(d+1, "TCP Option - Maximum segment size")
		t.f(d+2, "Kind: Maximum Segment Size (2)")
		t.f(d+2, "Length: 4")
	case k == 3 && n == 3:
		t.f(d+1, "TCP Option - Window scale")
		t.f(d+2, "Kind: Window Scale (3)")
		t.f(d+2, "Length: 3")
	case k == 8 && n == 10:
		t.f(d+1, "TCP Option - Timestamps")
		t.f(d+2, "Kind: Time Stamp Option (8)")
		t.f(d+2, "Length: 10")
		if len(rest) >= 6 {
			t.f(d+2, "Timestamp value: %d", be32(rest[2:]))
		}
	case k == 5 && n >= 2:
		t.f(d+1, "TCP Option - SACK")
		t.f(d+2, "Kind: SACK (5)")
		t.f(d+2, "Length: %d", n)
	}
}
