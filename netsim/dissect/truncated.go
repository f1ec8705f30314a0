package dissect

import (
	"encoding/binary"
	"strings"
)

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
	i, names, known := completeOptions(opts)
	if !known {
		// Not decoded here, as in a whole header.
		return
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

// payloadCut notes an IP payload that ends beyond the captured bytes. A
// snap length's cut throws nothing by itself (the next dissector takes the
// captured part); a total length beyond the frame on the wire is
// malformed.
func (p *Packet) payloadCut() {
	if len(p.Frame) >= p.Len || p.inError {
		p.truncated = true
	}
}

// ipv4Cut decodes an IPv4 header that the snap length cut (b holds less
// than the header) as far as it goes, and reports whether it did: false
// when b is not such a header. The header may be one an ICMP error quotes
// in a cut frame.
func ipv4Cut(p *Packet, b []byte) bool {
	if len(p.Frame) >= p.Len {
		return false
	}
	if len(b) > 0 && (b[0]>>4 != 4 || int(b[0]&0xf)*4 < 20 || int(b[0]&0xf)*4 <= len(b)) {
		return false
	}
	var h [20]byte
	copy(h[:], b)
	ip := &p.IP
	ip.parseHeader(&h) // the bytes not captured read as zeros
	ip.hdrCut, ip.hdrCap = true, len(b)
	p.push(ProtoIP, idIP, b)
	p.cutIn("IPv4")
	return true
}

// ipv6Cut is ipv4Cut for an IPv6 header.
func ipv6Cut(p *Packet, b []byte) bool {
	if len(p.Frame) >= p.Len || len(b) >= 40 || len(b) > 0 && b[0]>>4 != 6 {
		return false
	}
	var h [40]byte
	copy(h[:], b)
	v := &p.IPv6
	w := binary.BigEndian.Uint32(h[:])
	v.TClass = uint8(w >> 20)
	v.Flow = w & 0xfffff
	v.PLen = binary.BigEndian.Uint16(h[4:])
	v.Next = h[6]
	v.HopLimit = h[7]
	copy(v.Src[:], h[8:24])
	copy(v.Dst[:], h[24:40])
	v.hdrCut, v.hdrCap = true, len(b)
	p.push(ProtoIPv6, idIPv6, b)
	p.cutIn("IPv6")
	return true
}

// cutAddresses returns the Source and Destination columns of a frame whose
// IP header the snap length cut: the IP source once captured, else the
// link layer's addresses.
func (p *Packet) cutAddresses() (string, string) {
	src, dst := "N/A", "N/A"
	switch {
	case p.Has(ProtoEth):
		src, dst = p.names.Name(p.Eth.Src[:]), p.names.Name(p.Eth.Dst[:])
	case p.Has(ProtoSLL):
		src, dst = "", ""
		if p.SLL.AddrLen == 6 {
			src = macString(p.SLL.Addr[:6])
		}
	}
	switch {
	case p.IP.hdrCut && p.IP.hdrCap >= 16:
		src = ipv4String(uint32(ip4(p.IP.Src)))
		if p.IP.hdrCap >= 20 { // only the options are cut
			dst = ipv4String(uint32(ip4(p.IP.Dst)))
		}
	case p.IPv6.hdrCut && p.IPv6.hdrCap >= 24:
		src = ipv6String(p.IPv6.Src[:])
	}
	return src, dst
}

// ipv4Need and ipv6Need give, for the labels of an IP header's tree lines,
// how many header bytes tshark reads before it writes the line.
var (
	ipv4Need = []struct {
		label string
		n     int
	}{{"Version", 1}, {"Header Length", 1}, {"Differentiated", 2}, {"Explicit", 2}, {"Total Length", 4},
		{"Identification", 6}, {"Flags", 8}, {"Reserved bit", 8}, {"Don't fragment", 8}, {"More fragments", 8},
		{"Fragment Offset", 8}, {"Time to Live", 9}, {"Protocol", 10}, {"Header Checksum", 12},
		{"[Header checksum status", 12}, {"Source Address", 16}, {"Destination Address", 20}}
	ipv6Need = []struct {
		label string
		n     int
	}{{"Version", 1}, {"Traffic Class", 4}, {"Differentiated", 4}, {"Explicit", 4}, {"Flow Label", 4},
		{"Payload Length", 6}, {"Next Header", 7}, {"Hop Limit", 8}, {"Source Address", 24},
		{"Destination Address", 40}}
)

// ipCutTree writes the tree of an IP header the snap length cut: the
// whole header's lines up to the first one whose bytes were not captured.
func (t *treeWriter) ipCutTree(d int, p *Packet) {
	whole := *p
	whole.IP.hdrCut, whole.IPv6.hdrCut = false, false
	sub := &treeWriter{}
	heading := "Internet Protocol Version 6"
	need, capd := ipv6Need, p.IPv6.hdrCap
	if p.IP.hdrCut {
		heading = "Internet Protocol Version 4"
		need, capd = ipv4Need, p.IP.hdrCap
		if capd >= 16 {
			heading += ", Src: " + ipv4String(uint32(ip4(p.IP.Src)))
		}
		sub.ipv4(d, &whole)
	} else {
		var raw [40]byte
		copy(raw[:], p.raw[idIPv6])
		whole.raw[idIPv6] = raw[:]
		sub.ipv6(d, &whole)
	}
	lines := strings.Split(strings.TrimSuffix(sub.sb.String(), "\n"), "\n")
	t.f(d, "%s", heading)
	n := 0
	for _, l := range lines[1:] {
		label := strings.TrimLeft(l, " ")
		if i := strings.Index(label, " = "); i >= 0 && strings.Trim(label[:i], "01. ") == "" {
			label = label[i+3:]
		}
		if strings.HasPrefix(label, "[") && !strings.HasPrefix(label, "[Header") {
			// The TTL's expert info: tshark adds it once it has the
			// destination.
			if capd < 20 {
				continue
			}
		}
		for _, x := range need {
			if strings.HasPrefix(label, x.label) {
				n = x.n
				break
			}
		}
		if n > capd {
			return
		}
		t.sb.WriteString(l)
		t.sb.WriteByte('\n')
	}
}

// completeOptions walks the options a cut header holds: it returns where
// the complete ones end, their names, and whether all are known to the
// tree.
func completeOptions(opts []byte) (end int, names []string, known bool) {
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
		n, ok := tcpOptionNames[k]
		if !ok {
			return i, names, false
		}
		names = append(names, n)
		i += int(opts[i+1])
	}
	return i, names, true
}

type getter = func(p *Packet, out []Value) []Value

// ipv4FieldNeed and ipv6FieldNeed are the header bytes each field needs;
// fields not listed need the whole fixed header.
var (
	ipv4FieldNeed = map[string]int{"ip.version": 1, "ip.hdr_len": 1, "ip.dsfield": 2, "ip.len": 4, "ip.id": 6,
		"ip.flags": 8, "ip.flags.rb": 8, "ip.flags.df": 8, "ip.flags.mf": 8, "ip.frag_offset": 8, "ip.ttl": 9,
		"ip.proto": 10, "ip.checksum": 12, "ip.checksum.status": 12, "ip.src": 16, "ip.addr": 16}
	ipv6FieldNeed = map[string]int{"ipv6.version": 1, "ipv6.tclass": 4, "ipv6.flow": 4, "ipv6.plen": 6,
		"ipv6.nxt": 7, "ipv6.hlim": 8, "ipv6.src": 24, "ipv6.addr": 24}
)

// cutGuard wraps a field's getter so that it yields only what tshark shows
// of a header the snap length cut: the IP fields read before the cut, no
// TCP checksum, urgent pointer, options or stream times after a cut at
// the window, and the first timestamp of a cut Timestamps option.
func cutGuard(name string, get getter) getter {
	switch {
	case name == "ip" || name == "ipv6":
		return get
	case strings.HasPrefix(name, "ip."):
		need, ok := ipv4FieldNeed[name]
		if !ok {
			need = 20
		}
		return func(p *Packet, out []Value) []Value {
			if !p.IP.hdrCut || p.IP.hdrCap >= 20 {
				return get(p, out)
			}
			return cutValues(p.IP.hdrCap, need, get(p, out), len(out), 16)
		}
	case strings.HasPrefix(name, "ipv6."):
		need, ok := ipv6FieldNeed[name]
		if !ok {
			need = 40
		}
		return func(p *Packet, out []Value) []Value {
			if !p.IPv6.hdrCut {
				return get(p, out)
			}
			return cutValues(p.IPv6.hdrCap, need, get(p, out), len(out), 24)
		}
	case name == "tcp.options":
		return func(p *Packet, out []Value) []Value {
			if p.Has(ProtoTCP) && p.TCP.cut == tcpCutOptions && len(p.TCP.Options) == 0 {
				// The item is there, with none of its bytes.
				return append(out, Value{B: []byte{}})
			}
			return get(p, out)
		}
	case name == "tcp.options.timestamp.tsval":
		return func(p *Packet, out []Value) []Value {
			out = get(p, out)
			if p.Has(ProtoTCP) && p.TCP.cut == tcpCutOptions {
				i, _, _ := completeOptions(p.TCP.Options)
				if rest := p.TCP.Options[i:]; len(rest) >= 6 && rest[0] == 8 && rest[1] == 10 {
					out = append(out, Value{N: uint64(be32(rest[2:]))})
				}
			}
			return out
		}
	case strings.HasPrefix(name, "icmp."), strings.HasPrefix(name, "icmpv6."):
		return func(p *Packet, out []Value) []Value {
			if p.icmpHdrCut() {
				return out
			}
			return get(p, out)
		}
	case strings.HasPrefix(name, "tcp.checksum"), name == "tcp.urgent_pointer", strings.HasPrefix(name, "tcp.option"),
		strings.HasPrefix(name, "tcp.time_"):
		return func(p *Packet, out []Value) []Value {
			if p.Has(ProtoTCP) && p.TCP.cut == tcpCutFixed {
				return out
			}
			return get(p, out)
		}
	}
	return get
}

// cutValues keeps the values a field has in a cut header of capd bytes:
// all when the field's need is met; for an "any of" address field (the
// source at srcNeed, then the destination) the source alone.
func cutValues(capd, need int, vals []Value, from, srcNeed int) []Value {
	switch {
	case capd >= need && need != srcNeed:
		return vals
	case need == srcNeed && capd >= srcNeed && len(vals) > from:
		return vals[:from+1]
	}
	return vals[:from]
}

// snapCut reports whether the capture's snap length cut the frame.
func (p *Packet) snapCut() bool { return !p.inError && len(p.Frame) < p.Len }

// headerCut marks a header that ends beyond the captured bytes when the
// snap length cut the frame.
func (p *Packet) headerCut(proto string) {
	if p.snapCut() {
		p.cutIn(proto)
	}
}

// icmpCut keeps an ICMP or ICMPv6 header of fewer than 4 bytes that the
// snap length cut: tshark names the protocol and shows nothing else.
func (p *Packet) icmpCut(proto Proto, id byte, name string, b []byte) {
	if !p.snapCut() {
		return
	}
	p.push(proto, id, b)
	p.cutIn(name)
}

// icmpHdrCut reports whether p's ICMP or ICMPv6 header was cut before
// its checksum.
func (p *Packet) icmpHdrCut() bool {
	return p.truncated && (p.cutProto == "ICMP" && p.Has(ProtoICMP) && len(p.raw[idICMP]) < 4 ||
		p.cutProto == "ICMPv6" && p.Has(ProtoICMPv6) && len(p.raw[idICMPv6]) < 4)
}

// quotedCut marks the frame of an ICMP error whose quoted packet q the
// snap length cut inside a header; a quoted payload cut short is shown as
// data.
func (p *Packet) quotedCut(q *Packet, v6 bool) {
	if !p.snapCut() {
		return
	}
	proto, hasIP, tp := "IPv4", q.Has(ProtoIP), q.IP.Proto
	if v6 {
		proto, hasIP, tp = "IPv6", q.Has(ProtoIPv6), q.IPv6.Proto
	}
	switch {
	case !hasIP, q.IP.hdrCut, q.IPv6.hdrCut,
		tp == 6 && (!q.Has(ProtoTCP) || q.TCP.Short || q.TCP.BadHdr),
		tp == 17 && !q.Has(ProtoUDP):
		p.cutIn(proto)
	}
}

// trailerCut marks an Ethernet frame whose trailer (padding after the
// payload its header declares) the snap length cut.
func (p *Packet) trailerCut() {
	if !p.snapCut() || p.Has(ProtoVLAN) || p.inStack(idMPLS, idMACsec, idAVSP) {
		return
	}
	if n := ethPayloadLen(p); n >= 0 && 14+n < len(p.Frame) {
		p.cutIn("Ethertype")
	}
}
