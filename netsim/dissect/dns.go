package dissect

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// DNS message kinds: the same format on different ports and names.
const (
	DNSPlain     uint8 = iota // DNS (port 53)
	DNSMulticast              // mDNS (port 5353)
	DNSLLMNR                  // LLMNR (port 5355)
)

// DNS sections of resource records.
const (
	DNSAnswer uint8 = iota
	DNSAuthority
	DNSAdditional
)

// DNS is a DNS message (RFC 1035) as Wireshark's dns dissector decodes
// it: over UDP, or over TCP with its two-byte length prefix.
type DNS struct {
	// Kind is DNSPlain, DNSMulticast or DNSLLMNR.
	Kind uint8
	// TCP is set for a message over TCP; Length is then its length
	// prefix (dns.length).
	TCP    bool
	Length uint16
	ID     uint16
	Flags  uint16
	// Counts are the question, answer, authority and additional counts
	// of the header.
	Counts  [4]uint16
	Queries []DNSQuery
	// Records are the resource records of the three sections, in order.
	Records []DNSRecord
	// RequestIn is the frame of the query a response answers (0 when
	// unknown), and RequestTime that query's capture time.
	RequestIn   int
	RequestTime int64
	// Malformed is set when the message ends before its counts say.
	Malformed bool
	// Info is the Info column text.
	Info string
}

// DNSQuery is one question.
type DNSQuery struct {
	Name        string
	Type, Class uint16
	// QU is mDNS's unicast-response bit (the class's top bit).
	QU bool
}

// DNSRecord is one resource record.
type DNSRecord struct {
	Section     uint8 // DNSAnswer, DNSAuthority or DNSAdditional
	Name        string
	Type, Class uint16
	// Flush is mDNS's cache-flush bit (the class's top bit).
	Flush bool
	TTL   uint32
	// Data is the record's RDATA; Target the domain name it holds for
	// NS, CNAME, PTR, MX, SOA (the primary server) and SRV records.
	Data   []byte
	Target string
	// Pref is the MX preference; Priority, Weight and Port SRV's.
	Pref, Priority, Weight, Port uint16
	// dataOff is the offset of Data in the message, for names in it.
	dataOff int
}

var dnsOpcodes = map[uint16]string{0: "Standard query", 1: "Inverse query", 2: "Server status request",
	4: "Zone change notification", 5: "Dynamic update", 6: "DNS Stateful operations (DSO)"}

var dnsRcodes = map[uint16]string{0: "No error", 1: "Format error", 2: "Server failure", 3: "No such name",
	4: "Not implemented", 5: "Refused", 6: "Name exists", 7: "RRset exists", 8: "RRset does not exist",
	9: "Not authoritative", 10: "Name out of zone", 11: "DSO-Type not implemented",
	16: "Bad OPT Version or TSIG Signature Failure", 17: "Key not recognized", 18: "Signature out of time window",
	19: "Bad TKEY Mode", 20: "Duplicate key name", 21: "Algorithm not supported", 22: "Bad Truncation",
	23: "Bad/missing Server Cookie"}

var dnsClasses = map[uint16]string{1: "IN", 2: "CS", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}

func dnsOpcodeName(op uint16) string {
	if s, ok := dnsOpcodes[op]; ok {
		return s
	}
	return "Unknown operation (" + strconv.Itoa(int(op)) + ")"
}

func dnsRcodeName(rc uint16) string {
	if s, ok := dnsRcodes[rc]; ok {
		return s
	}
	return "Unknown error (" + strconv.Itoa(int(rc)) + ")"
}

// dnsTypeName is the short name of an RR type ("A", "AAAA", "Unknown (99)").
func dnsTypeName(t uint16) string {
	switch t {
	case 255:
		return "ANY"
	}
	d, ok := dnsTypeDescs()[t]
	if !ok {
		return "Unknown (" + strconv.Itoa(int(t)) + ")"
	}
	if i := strings.IndexByte(d, ' '); i >= 0 {
		return d[:i]
	}
	return d
}

func dnsClassName(c uint16) string {
	if s, ok := dnsClasses[c]; ok {
		return s
	}
	return "Unknown"
}

// dnsNameIn expands the domain name at off in msg as Wireshark does
// (pointers, "<Root>", "<Name too long>", loop detection). It returns the
// name and the bytes it takes at off; ok is false when the name runs past
// the message.
//
// The name is built in sb (its room is reused) and its string comes from
// a (nil: the heap).
func dnsNameIn(a *arena, sb []byte, msg []byte, off int) (name string, used int, ok bool) {
	const maxName = 255
	start := off
	used = -1
	pointers := 0
	room := maxName
	first := true
	for {
		if off >= len(msg) {
			return "", 0, false
		}
		c := int(msg[off])
		off++
		if c == 0 {
			break
		}
		switch c & 0xc0 {
		case 0x00:
			if !first {
				if room > 0 {
					sb = append(sb, '.')
					room--
				}
			} else {
				room--
			}
			first = false
			if off+c > len(msg) {
				return "", 0, false
			}
			for _, b := range msg[off : off+c] {
				if room > 0 {
					sb = append(sb, b)
					room--
				}
			}
			off += c
		case 0x40:
			if c&0x3f != 1 {
				if used < 0 {
					used = off - start
				}
				return "<Unknown extended label>", used, true
			}
			if off >= len(msg) {
				return "", 0, false
			}
			bits := int(msg[off])
			off++
			n := (bits-1)/8 + 1
			if off+n > len(msg) {
				return "", 0, false
			}
			first = false
			s := "\\[x" + fmt.Sprintf("%x", msg[off:off+n]) + "/" + strconv.Itoa(bits) + "]"
			if len(s) <= room {
				sb = append(sb, s...)
				room -= len(s)
			} else {
				room = 0
			}
			off += n
		case 0x80:
			return "", 0, false
		case 0xc0:
			if off >= len(msg) {
				return "", 0, false
			}
			target := (c&0x3f)<<8 | int(msg[off])
			off++
			pointers++
			if used < 0 {
				used = off - start
			}
			if target == off+2 || pointers > maxName {
				return "<Name contains a pointer that loops>", used, true
			}
			off = target
		}
	}
	if used < 0 {
		used = off - start
	}
	if room <= 0 {
		return "<Name too long>", used, true
	}
	if len(sb) == 0 {
		if used <= 1 {
			return "<Root>", used, true
		}
		return "", 0, false
	}
	for _, c := range sb {
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return formatText(string(sb)), used, true // escapes: rare
		}
	}
	return a.str(sb), used, true
}

// dnsText is the Info text parseDNS builds; an arena's scratch buffer
// holds it until it is done.
type dnsText struct{ b []byte }

// WriteString appends s.
func (t *dnsText) WriteString(s string) { t.b = append(t.b, s...) }

// formatText escapes a string's unprintable bytes as Wireshark's
// format_text does.
func formatText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\a':
			sb.WriteString(`\a`)
		case c == '\b':
			sb.WriteString(`\b`)
		case c == '\f':
			sb.WriteString(`\f`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\v':
			sb.WriteString(`\v`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// parseDNS decodes a DNS message. It never fails: a message cut short
// yields what was decoded before the cut, with Malformed set, and the
// Info text Wireshark shows up to there.
//
// Through an arena (a Dissector's), the message, its records and its
// strings come from the arena's chunks: no allocation for most messages.
func parseDNS(msg []byte, kind uint8, a *arena) *DNS {
	m := a.newDNS()
	m.Kind = kind
	var info dnsText
	var nameBuf []byte
	if a != nil {
		if a.nameBuf == nil {
			a.nameBuf = make([]byte, 0, 256) // dnsNameIn writes 255 bytes at most
		}
		info.b, nameBuf = a.infoBuf[:0], a.nameBuf[:0]
	}
	defer func() {
		m.Info = a.str(info.b)
		if a != nil {
			a.infoBuf, a.nameBuf = info.b[:0], nameBuf[:0]
		}
	}()
	if len(msg) < 12 {
		m.Malformed = true
		return m
	}
	m.ID = binary.BigEndian.Uint16(msg)
	m.Flags = binary.BigEndian.Uint16(msg[2:])
	for i := range m.Counts {
		m.Counts[i] = binary.BigEndian.Uint16(msg[4+2*i:])
	}
	info.WriteString(dnsOpcodeName(m.Flags >> 11 & 0xf))
	if m.Flags&0x8000 != 0 {
		info.WriteString(" response")
	}
	info.WriteString(" 0x")
	info.b = appendZeroPadHex(info.b, uint64(m.ID), 4)
	if m.Flags&0x8000 != 0 && m.Flags&0xf != 0 {
		info.WriteString(" ")
		info.WriteString(dnsRcodeName(m.Flags & 0xf))
	}
	// Room for the counts, as many as the message can hold (a question
	// takes 5 bytes or more, a record 11).
	m.Queries = a.queries(min(int(m.Counts[0]), len(msg)/5))
	m.Records = a.records(min(int(m.Counts[1])+int(m.Counts[2])+int(m.Counts[3]), len(msg)/11))
	off := 12
	for i := 0; i < int(m.Counts[0]); i++ {
		name, used, ok := dnsNameIn(a, nameBuf[:0], msg, off)
		if !ok || off+used+4 > len(msg) {
			m.Malformed = true
			return m
		}
		off += used
		q := DNSQuery{Name: name, Type: binary.BigEndian.Uint16(msg[off:]), Class: binary.BigEndian.Uint16(msg[off+2:])}
		off += 4
		if kind == DNSMulticast {
			q.QU = q.Class&0x8000 != 0
			q.Class &^= 0x8000
		}
		m.Queries = append(m.Queries, q)
		info.WriteString(" ")
		info.WriteString(dnsTypeName(q.Type))
		info.WriteString(" ")
		info.WriteString(q.Name)
		if kind == DNSMulticast {
			if q.QU {
				info.WriteString(`, "QU" question`)
			} else {
				info.WriteString(`, "QM" question`)
			}
		}
	}
	for sec := DNSAnswer; sec <= DNSAdditional; sec++ {
		for i := 0; i < int(m.Counts[1+sec]); i++ {
			name, used, ok := dnsNameIn(a, nameBuf[:0], msg, off)
			if !ok || off+used+10 > len(msg) {
				m.Malformed = true
				return m
			}
			off += used
			r := DNSRecord{Section: sec, Name: name, Type: binary.BigEndian.Uint16(msg[off:]), Class: binary.BigEndian.Uint16(msg[off+2:]),
				TTL: binary.BigEndian.Uint32(msg[off+4:])}
			n := int(binary.BigEndian.Uint16(msg[off+8:]))
			off += 10
			if kind == DNSMulticast {
				r.Flush = r.Class&0x8000 != 0
				r.Class &^= 0x8000
			}
			info.WriteString(" ")
			info.WriteString(dnsTypeName(r.Type))
			if r.Flush {
				info.WriteString(", cache flush")
			}
			if n == 0 {
				m.Records = append(m.Records, r)
				continue
			}
			if off+n > len(msg) {
				m.Malformed = true
				m.Records = append(m.Records, r)
				return m
			}
			r.Data, r.dataOff = msg[off:off+n], off
			if !r.decode(msg, &info, a, nameBuf) {
				m.Malformed = true
				m.Records = append(m.Records, r)
				return m
			}
			m.Records = append(m.Records, r)
			off += n
		}
	}
	return m
}

// decode fills the record's type-specific fields and appends its Info
// text; false when its data is cut short.
func (r *DNSRecord) decode(msg []byte, info *dnsText, a *arena, nameBuf []byte) bool {
	d := r.Data
	name := func(off int) bool {
		n, _, ok := dnsNameIn(a, nameBuf[:0], msg, r.dataOff+off)
		r.Target = n
		return ok
	}
	switch r.Type {
	case 1: // A
		if r.Class != 1 {
			return true
		}
		if len(d) < 4 {
			return false
		}
		info.WriteString(" ")
		info.b = appendIPv4(info.b, [4]byte(d))
	case 28: // AAAA
		if len(d) < 16 {
			return false
		}
		info.WriteString(" ")
		info.b = netip.AddrFrom16([16]byte(d)).AppendTo(info.b)
	case 2, 5, 12, 6: // NS, CNAME, PTR, SOA
		if !name(0) {
			return false
		}
		info.WriteString(" ")
		info.WriteString(r.Target)
	case 15: // MX
		if len(d) < 2 {
			return false
		}
		r.Pref = binary.BigEndian.Uint16(d)
		if !name(2) {
			return false
		}
		info.WriteString(" ")
		info.b = appendDec(info.b, uint64(r.Pref))
		info.WriteString(" ")
		info.WriteString(r.Target)
	case 33: // SRV
		if len(d) < 6 {
			return false
		}
		r.Priority, r.Weight, r.Port = binary.BigEndian.Uint16(d), binary.BigEndian.Uint16(d[2:]), binary.BigEndian.Uint16(d[4:])
		if !name(6) {
			return false
		}
		for _, v := range [...]uint16{r.Priority, r.Weight, r.Port} {
			info.WriteString(" ")
			info.b = appendDec(info.b, uint64(v))
		}
		info.WriteString(" ")
		info.WriteString(r.Target)
	case 13: // HINFO
		if len(d) < 1 || len(d) < 1+int(d[0])+1 || len(d) < 2+int(d[0])+int(d[1+int(d[0])]) {
			return false
		}
		cpu := d[1 : 1+int(d[0])]
		os := d[2+int(d[0]) : 2+int(d[0])+int(d[1+int(d[0])])]
		info.WriteString(" ")
		info.b = append(info.b, cpu...)
		info.WriteString(" ")
		info.b = append(info.b, os...)
	case 3, 4, 7, 8, 9, 10, 14, 17, 18, 19, 20, 21, 22:
		// Wireshark appends the record's owner name for these.
		info.WriteString(" ")
		info.WriteString(r.Name)
	}
	return true
}

// dnsKindAt reports whether a UDP datagram between these ports is DNS,
// mDNS or LLMNR by port, trying the lower port first as Wireshark does.
func dnsKindAt(lo, hi uint16, tcp bool) (uint8, bool) {
	for _, p := range [2]uint16{lo, hi} {
		switch {
		case p == 53:
			return DNSPlain, true
		case p == 5353:
			if tcp {
				return DNSPlain, true
			}
			return DNSMulticast, true
		case p == 5355 && !tcp:
			return DNSLLMNR, true
		}
	}
	return 0, false
}

// dnsHeuristic is Wireshark's heuristic DNS-over-UDP check for datagrams
// on other ports: a plausible header, one question that decodes, and
// records that end where the datagram ends.
func dnsHeuristic(b []byte) bool {
	if len(b) < 12+5 {
		return false
	}
	flags := binary.BigEndian.Uint16(b[2:])
	if op := flags >> 11 & 0xf; op != 0 || flags&0x40 != 0 {
		return false
	}
	if binary.BigEndian.Uint16(b[4:]) != 1 {
		return false
	}
	for i := 6; i < 12; i += 2 {
		if binary.BigEndian.Uint16(b[i:]) > 64 {
			return false
		}
	}
	m := parseDNS(b, DNSPlain, nil)
	if m.Malformed || len(m.Queries) != 1 || m.Queries[0].Class != 1 {
		return false
	}
	if _, ok := dnsTypeDescs()[m.Queries[0].Type]; !ok {
		return false
	}
	return true
}

// unsignedSecs renders seconds as Wireshark's unsigned_time_secs_to_str.
func unsignedSecs(v uint32) string {
	if v == 0 {
		return "0 seconds"
	}
	var parts []string
	add := func(n uint32, unit string) {
		if n == 0 {
			return
		}
		s := strconv.FormatUint(uint64(n), 10) + " " + unit
		if n != 1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	add(v/86400, "day")
	add(v/3600%24, "hour")
	add(v/60%60, "minute")
	add(v%60, "second")
	return strings.Join(parts, ", ")
}

// dnsTxKey matches a response with its query.
type dnsTxKey struct {
	stream uint32
	tcp    bool
	id     uint16
}

// dnsMessage decodes a DNS message carried in p's UDP datagram or TCP
// segment, records queries and matches responses.
func (d *Dissector) dnsMessage(p *Packet, msg []byte, kind uint8, tcp bool) *DNS {
	m := parseDNS(msg, kind, &d.arena)
	k := dnsTxKey{id: m.ID, tcp: tcp}
	if tcp {
		k.stream = p.TCP.Stream
	} else {
		k.stream = p.UDP.Stream
	}
	if d.dnsTx == nil {
		d.dnsTx = make(map[dnsTxKey][2]int64)
	}
	if len(msg) >= 12 {
		if m.Flags&0x8000 == 0 {
			if _, seen := d.dnsTx[k]; !seen {
				d.dnsTx[k] = [2]int64{int64(p.Number), p.Time}
			}
		} else if q, ok := d.dnsTx[k]; ok {
			m.RequestIn, m.RequestTime = int(q[0]), q[1]
		}
	}
	return m
}

// udpDNS decodes a UDP payload as DNS when its ports (or Wireshark's
// heuristic) say so; false leaves it to the data dissector.
func (d *Dissector) udpDNS(p *Packet, b []byte) bool {
	if len(b) == 0 {
		return false
	}
	u := &p.UDP
	lo, hi := min(u.SrcPort, u.DstPort), max(u.SrcPort, u.DstPort)
	kind, ok := dnsKindAt(lo, hi, false)
	if !ok {
		if p.inError || hasPortDissector(udpDissectorPorts, lo, hi) || !dnsHeuristic(b) {
			return false
		}
	}
	if p.inError {
		return false
	}
	m := d.dnsMessage(p, b, kind, false)
	p.DNS = m
	p.push(ProtoDNS, dnsID(kind), b)
	return true
}

func dnsID(kind uint8) byte {
	switch kind {
	case DNSMulticast:
		return idMDNS
	case DNSLLMNR:
		return idLLMNR
	}
	return idDNS
}

// dnsProtocol is the Protocol column for a DNS message.
func dnsProtocol(m *DNS) string {
	switch m.Kind {
	case DNSMulticast:
		return "MDNS"
	case DNSLLMNR:
		return "LLMNR"
	}
	return "DNS"
}
